package chat_test

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

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
	for _, s := range []string{"hello", "  ", "\xff", "a\u202egnp.exe", "x\x00\x1b[31my\r\nz", strings.Repeat("я", chat.MaxTextBytes)} {
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
		if !norm.NFC.IsNormalString(got) {
			t.Fatalf("CheckText(%q) = %q is not NFC", s, got)
		}
		for _, r := range got {
			if (unicode.IsControl(r) && r != '\n' && r != '\t') || (r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069') {
				t.Fatalf("CheckText(%q) = %q keeps %U", s, got, r)
			}
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

// TestCheckTextCleans: bidi overrides and isolates, control characters
// and a byte-order mark are taken out, line breaks become \n, and the text
// is NFC; a text of nothing but those is refused as empty.
func TestCheckTextCleans(t *testing.T) {
	for in, want := range map[string]string{
		"invoice\u202egnp.exe":        "invoicegnp.exe",
		"a\u2066b\u2069c":             "abc",
		"bell\x07 esc\x1b[31m red":    "bell esc[31m red",
		"one\r\ntwo\rthree\u2028four": "one\ntwo\nthree\nfour",
		"tab\there":                   "tab\there",
		"e\u0301":                     "\u00e9",
		"\ufeffhi\u0085":              "hi",
		"שלום\u200f!":                 "שלום\u200f!",
	} {
		got, err := chat.CheckText(in)
		if err != nil || got != want {
			t.Errorf("CheckText(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := chat.CheckText("\u202e\u2066\x00"); apperr.CodeOf(err) != apperr.Invalid {
		t.Errorf("a text of only controls: %v, want invalid", err)
	}
}
