package settings_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"parley/internal/apperr"
	"parley/internal/settings"
)

func TestParseEmails(t *testing.T) {
	many := make([]string, settings.MaxEmails+1)
	for i := range many {
		many[i] = "u" + strings.Repeat("x", i) + "@x.io"
	}
	tests := []struct {
		name  string
		in    []string
		want  []string
		error string // part of the message; "" = accepted
	}{
		{"one", []string{"a@x.io"}, []string{"a@x.io"}, ""},
		{"pasted list", []string{"petrov@moysite.ru, ivanov@company.com"}, []string{"petrov@moysite.ru", "ivanov@company.com"}, ""},
		{"array and list mixed", []string{" a@x.io ", "b@y.io;c@z.io"}, []string{"a@x.io", "b@y.io", "c@z.io"}, ""},
		{"line breaks", []string{"a@x.io\nb@y.io,\r\nc@z.io"}, []string{"a@x.io", "b@y.io", "c@z.io"}, ""},
		{"dedupe case-insensitively, first wins", []string{"Boss@X.io, boss@x.io", "BOSS@x.IO"}, []string{"Boss@X.io"}, ""},
		{"atext local part", []string{"o'neil+tag.x_y@mail.example.co.uk"}, []string{"o'neil+tag.x_y@mail.example.co.uk"}, ""},
		{"nothing", nil, []string{}, ""},
		{"blank", []string{"  ", ""}, []string{}, ""},
		{"display name", []string{"Bob <bob@x.io>"}, nil, `write only the address`},
		{"angle brackets only", []string{"<bob@x.io>"}, nil, `write only the address`},
		{"empty item", []string{"a@x.io,,b@y.io"}, nil, "missing"},
		{"trailing comma", []string{"a@x.io,"}, nil, "missing"},
		{"blank element next to others", []string{"a@x.io", ""}, nil, "missing"},
		{"space inside", []string{"a@x.io b@y.io"}, nil, "spaces"},
		{"no at", []string{"bob.x.io"}, nil, "not an e-mail"},
		{"two ats", []string{"a@b@x.io"}, nil, "not an e-mail"},
		{"no domain dot", []string{"a@localhost"}, nil, "not a valid mail domain"},
		{"numeric tld", []string{"a@1.2.3.4"}, nil, "not a valid mail domain"},
		{"ip literal", []string{"a@[1.2.3.4]"}, nil, "not a valid mail domain"},
		{"hyphen label", []string{"a@-x.io"}, nil, "not a valid mail domain"},
		{"double dot", []string{"a..b@x.io"}, nil, "before @"},
		{"quoted local", []string{`"a b"@x.io`}, nil, ""},
		{"unicode", []string{"иван@почта.рф"}, nil, "ASCII"},
		{"too long local", []string{strings.Repeat("a", 65) + "@x.io"}, nil, "before @"},
		{"too many", many, nil, "at most 20"},
		{"several problems listed", []string{"x, y"}, nil, `"x" is not an e-mail address (expected name@example.com); "y"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := settings.ParseEmails(tt.in)
			if tt.want != nil {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("(-want +got):\n%s", diff)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted: %v", got)
			}
			if apperr.CodeOf(err) != apperr.Invalid || !strings.Contains(apperr.Public(err).Message, tt.error) {
				t.Errorf("error %v, want it to contain %q", err, tt.error)
			}
		})
	}
}

func TestParseEmail(t *testing.T) {
	if got, err := settings.ParseEmail("  agent@acme.com "); err != nil || got != "agent@acme.com" {
		t.Errorf("= %q, %v", got, err)
	}
	for _, bad := range []string{"", "agent", "a@b.c, d@e.f", "Agent <a@b.cd>"} {
		if _, err := settings.ParseEmail(bad); err == nil {
			t.Errorf("ParseEmail(%q) accepted", bad)
		}
	}
}

// FuzzParseEmails: never panics; an accepted list is small, free of
// duplicates, made of addresses that parse alone, and parses back to itself
// when written comma-separated.
func FuzzParseEmails(f *testing.F) {
	for _, s := range []string{"a@x.io", "petrov@moysite.ru, ivanov@company.com", "Bob <b@x.io>", "a@x.io,,b@y.io", "A@x.io;a@X.IO\n", " , ", "x@y"} {
		f.Add(s, "c@d.io")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		got, err := settings.ParseEmails([]string{a, b})
		if err != nil {
			if apperr.CodeOf(err) != apperr.Invalid {
				t.Fatalf("code %s", apperr.CodeOf(err))
			}
			return
		}
		if len(got) > settings.MaxEmails {
			t.Fatalf("%d addresses", len(got))
		}
		seen := map[string]bool{}
		for _, addr := range got {
			if one, err := settings.ParseEmail(addr); err != nil || one != addr {
				t.Fatalf("%q does not parse alone: %v", addr, err)
			}
			if k := strings.ToLower(addr); seen[k] {
				t.Fatalf("duplicate %q", addr)
			} else {
				seen[k] = true
			}
		}
		again, err := settings.ParseEmails([]string{strings.Join(got, ", ")})
		if err != nil && len(got) > 0 {
			t.Fatalf("re-parse: %v", err)
		}
		if diff := cmp.Diff(got, again); err == nil && diff != "" {
			t.Fatalf("re-parse differs:\n%s", diff)
		}
	})
}
