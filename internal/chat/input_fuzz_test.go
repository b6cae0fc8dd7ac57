package chat_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"parley/internal/apperr"
	"parley/internal/chat"
	"parley/internal/settings"
)

// FuzzCheckCategory: never panics; an accepted category is empty or a
// node of the tree, spelt as the tree spells it; a refusal is invalid.
func FuzzCheckCategory(f *testing.F) {
	tree, err := settings.ParseCategories("Sales\n Upsell\n Renewal\nSupport\n Bug\nДоставка\n Курьер")
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{"", "sales", "Sales / upsell", " support/BUG ", "Support / Upsell", "доставка / курьер", "/", "Sales/", "a/b/c"} {
		f.Add(s)
	}
	nodes := map[string]bool{"": true}
	for _, t := range tree {
		nodes[t.Name] = true
		for _, c := range t.Children {
			nodes[t.Name+" / "+c.Name] = true
		}
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := chat.CheckCategory(tree, s)
		if err != nil {
			if apperr.CodeOf(err) != apperr.Invalid {
				t.Fatalf("CheckCategory(%q): %v is not invalid", s, err)
			}
			return
		}
		if !nodes[got] {
			t.Fatalf("CheckCategory(%q) = %q, not a node of the tree", s, got)
		}
	})
}

// FuzzCheckText: never panics; an accepted text is trimmed, valid UTF-8,
// not empty and within MaxTextBytes; a refusal is invalid or too large.
func FuzzCheckText(f *testing.F) {
	for _, s := range []string{"hello", "  ", "\xff", strings.Repeat("я", chat.MaxTextBytes)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := chat.CheckText(s)
		if err != nil {
			if c := apperr.CodeOf(err); c != apperr.Invalid && c != apperr.TooLarge {
				t.Fatalf("CheckText: %v", err)
			}
			return
		}
		if got == "" || got != strings.TrimSpace(got) || !utf8.ValidString(got) || len(got) > chat.MaxTextBytes {
			t.Fatalf("CheckText(%q) accepted %q", s, got)
		}
	})
}

// FuzzPage: a page the visitor reports is either refused as invalid or an
// absolute http(s) URL; matching it against priority pages never panics,
// and a page always matches itself.
func FuzzPage(f *testing.F) {
	for _, s := range []string{"https://shop.example/pricing", "https://shop.example/pricing?x=1#y", "http://a", "javascript:alert(1)", "//x", ""} {
		f.Add(s, "https://shop.example/pricing")
	}
	f.Fuzz(func(t *testing.T, page, priority string) {
		got, err := chat.CheckPage(page)
		if err != nil {
			if apperr.CodeOf(err) != apperr.Invalid {
				t.Fatalf("CheckPage(%q): %v", page, err)
			}
			return
		}
		if l := strings.ToLower(got); !strings.HasPrefix(l, "http://") && !strings.HasPrefix(l, "https://") {
			t.Fatalf("CheckPage(%q) accepted %q", page, got)
		}
		_ = chat.PriorityPage([]string{priority}, got)
		if !chat.PriorityPage([]string{got}, got) {
			t.Fatalf("%q does not match itself", got)
		}
	})
}
