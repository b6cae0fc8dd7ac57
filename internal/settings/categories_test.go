package settings_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"parley/internal/apperr"
	"parley/internal/settings"
)

func TestParseCategories(t *testing.T) {
	type C = settings.Category
	tests := []struct {
		name  string
		in    string
		want  []C
		error string
	}{
		{"empty", "", []C{}, ""},
		{"blank lines only", "\n  \n\t\n", []C{}, ""},
		{"flat", "Вопросы по спортивным товарам\nVIP\nХулиганы", []C{{Name: "Вопросы по спортивным товарам"}, {Name: "VIP"}, {Name: "Хулиганы"}}, ""},
		{"sub-categories", "Sport\n Ski\n\tGolf\n\nVIP\n   Gold  ", []C{{Name: "Sport", Children: []C{{Name: "Ski"}, {Name: "Golf"}}}, {Name: "VIP", Children: []C{{Name: "Gold"}}}}, ""},
		{"CRLF", "A\r\n b\r\n", []C{{Name: "A", Children: []C{{Name: "b"}}}}, ""},
		{"same sub-name under different parents", "A\n x\nB\n x", []C{{Name: "A", Children: []C{{Name: "x"}}}, {Name: "B", Children: []C{{Name: "x"}}}}, ""},
		{"sub-name equal to a top name", "A\n A", []C{{Name: "A", Children: []C{{Name: "A"}}}}, ""},
		{"trailing spaces trimmed", "A   \n", []C{{Name: "A"}}, ""},
		{"sub before any top", " Ski\nSport", nil, "line 1: sub-category"},
		{"duplicate top, case-insensitive", "VIP\n a\nvip", nil, `line 3: category "vip" is already in the list`},
		{"duplicate sub", "A\n x\n X", nil, "line 3: sub-category"},
		{"name too long", strings.Repeat("я", settings.MaxCategoryName+1), nil, "line 1: a name is at most 100"},
		{"control character", "A\x00B", nil, "control"},
		{"too many", manyCategories(settings.MaxCategories + 1), nil, "at most 500"},
		{"text too long", strings.Repeat("a", settings.MaxCategoriesTextLen+1), nil, "too long"},
		{"invalid UTF-8", "A\xff", nil, "UTF-8"},
		{"every problem reported", " a\nB\nB\n c\n c", nil, "line 1: sub-category \"a\" comes before any category (remove the leading space to make it a category); line 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := settings.ParseCategories(tt.in)
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

func manyCategories(n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteString("c")
		b.WriteString(strings.Repeat("x", i%50))
		b.WriteString(string(rune('a' + i/50)))
		b.WriteString("\n")
	}
	return b.String()
}

// FuzzParseCategories: never panics; an accepted tree has trimmed,
// non-empty, bounded names without sibling duplicates, and writing it back
// with FormatCategories parses to the same tree.
func FuzzParseCategories(f *testing.F) {
	for _, s := range []string{"", "A\n b\nC", " x", "A\nA", "A\n b\n B", "\tA\r\nB\n\n c", "Спорт\n  Лыжи"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		tree, err := settings.ParseCategories(text)
		if err != nil {
			if apperr.CodeOf(err) != apperr.Invalid {
				t.Fatalf("code %s", apperr.CodeOf(err))
			}
			return
		}
		count := 0
		var check func(level []settings.Category, depth int)
		check = func(level []settings.Category, depth int) {
			seen := map[string]bool{}
			for _, c := range level {
				count++
				if c.Name == "" || c.Name != strings.TrimSpace(c.Name) || utf8.RuneCountInString(c.Name) > settings.MaxCategoryName {
					t.Fatalf("bad name %q", c.Name)
				}
				if k := strings.ToLower(c.Name); seen[k] {
					t.Fatalf("duplicate sibling %q", c.Name)
				} else {
					seen[k] = true
				}
				if depth > 0 && len(c.Children) > 0 {
					t.Fatalf("third level under %q", c.Name)
				}
				check(c.Children, depth+1)
			}
		}
		check(tree, 0)
		if count > settings.MaxCategories {
			t.Fatalf("%d categories", count)
		}
		again, err := settings.ParseCategories(settings.FormatCategories(tree))
		if err != nil {
			t.Fatalf("re-parse: %v", err)
		}
		if diff := cmp.Diff(tree, again, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("re-parse differs:\n%s", diff)
		}
	})
}
