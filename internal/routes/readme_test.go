package routes_test

import (
	"os"
	"slices"
	"strings"
	"testing"

	"parley/internal/routes"
)

const (
	tableBegin = "<!-- routes-roles:begin -->"
	tableEnd   = "<!-- routes-roles:end -->"
)

// RolesTable renders routes.HTTP as the README's routes x roles table.
func rolesTable() []string {
	mark := func(b bool) string {
		if b {
			return "✓"
		}
		return ""
	}
	lines := []string{
		"| route | public | operator | supervisor | administrator |",
		"| --- | :---: | :---: | :---: | :---: |",
	}
	for _, r := range routes.HTTP {
		lines = append(lines, strings.Join([]string{"| `" + r.RouteKey() + "`", mark(r.Public()),
			mark(slices.Contains(r.Roles, routes.Operator)), mark(slices.Contains(r.Roles, routes.Supervisor)),
			mark(slices.Contains(r.Roles, routes.Administrator)) + " |"}, " | "))
	}
	return lines
}

// TestReadmeRolesTable keeps the README's routes x roles table equal to
// the routes table the authorizer enforces, row for row.
func TestReadmeRolesTable(t *testing.T) {
	raw, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(raw)
	i, j := strings.Index(text, tableBegin), strings.Index(text, tableEnd)
	if i < 0 || j < i {
		t.Fatalf("README.md has no %s ... %s section", tableBegin, tableEnd)
	}
	var got []string
	for _, l := range strings.Split(text[i+len(tableBegin):j], "\n") {
		if l = strings.TrimSpace(l); l != "" {
			got = append(got, strings.Join(strings.Fields(l), " "))
		}
	}
	want := rolesTable()
	for k := range want {
		want[k] = strings.Join(strings.Fields(want[k]), " ")
	}
	if !slices.Equal(got, want) {
		t.Errorf("the README's routes x roles table differs from routes.HTTP; it should read:\n%s", strings.Join(rolesTable(), "\n"))
	}
}
