package keymatrix_test

import (
	"slices"
	"testing"

	"parley/internal/auth"
	"parley/internal/routes"
	"parley/internal/settings"
	"parley/internal/testkit/keymatrix"
)

// roles are the roles a route of method on a settings section admits.
func roles(t *testing.T, method string) []string {
	t.Helper()
	for _, r := range routes.HTTP {
		if r.Method == method && r.Path == "/v1/settings/{section}" {
			var out []string
			for _, role := range r.Roles {
				out = append(out, string(role))
			}
			return out
		}
	}
	t.Fatalf("no %s /v1/settings/{section} route", method)
	return nil
}

// TestMatrixMatchesRoutesAndSections: every key is in one of the settings'
// sections, every section has keys, and who may read and write a key is
// who the routes let read and write its section.
func TestMatrixMatchesRoutesAndSections(t *testing.T) {
	for _, load := range []func(keymatrix.Vars) ([]keymatrix.Key, error){keymatrix.Domain, keymatrix.API} {
		keys, err := load(keymatrix.Vars{})
		if err != nil {
			t.Fatal(err)
		}
		read, write := roles(t, "GET"), roles(t, "PATCH")
		if !slices.Equal(read, []string{string(auth.Operator), string(auth.Supervisor), string(auth.Administrator)}) {
			t.Errorf("settings are read by %v", read)
		}
		seen := map[string]bool{}
		for _, k := range keys {
			seen[k.Section] = true
			if !slices.Contains(settings.Sections, k.Section) {
				t.Errorf("%s: section %q is not one of %v", k.Key, k.Section, settings.Sections)
			}
			if !slices.Equal(k.Read, read) || !slices.Equal(k.Write, write) {
				t.Errorf("%s: read %v, write %v; the routes let %v read and %v write", k.Key, k.Read, k.Write, read, write)
			}
			if k.Spec == "" || k.OK == "" || k.OKRead == "" || k.Bad == "" || k.Default == "" {
				t.Errorf("%s: a value is missing: %+v", k.Key, k)
			}
		}
		for _, s := range settings.Sections {
			if !seen[s] {
				t.Errorf("section %s has no key in the matrix", s)
			}
		}
	}
}
