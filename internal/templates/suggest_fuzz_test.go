package templates

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzTokens: whatever an operator types, the tokenizer never panics, keeps
// its limits, returns folded tokens without repeats or separators, and is
// stable (tokenizing a token again gives the token).
func FuzzTokens(f *testing.F) {
	f.Add("Hello, world")
	f.Add("ПРИВЕТ мир-2024")
	f.Add(strings.Repeat("word ", 100))
	f.Add("K\u212a ß ẞ \xff\xfe")
	f.Add(strings.Repeat("a", 100))
	f.Fuzz(func(t *testing.T, typed string) {
		toks := Tokens(typed)
		if len(toks) > MaxQueryTokens {
			t.Fatalf("%d tokens, want at most %d", len(toks), MaxQueryTokens)
		}
		for i, tok := range toks {
			if tok == "" || utf8.RuneCountInString(tok) > MaxTokenRunes {
				t.Fatalf("token %q breaks the limits", tok)
			}
			if slices.Contains(toks[:i], tok) {
				t.Fatalf("token %q repeats", tok)
			}
			if again := Tokens(tok); len(again) != 1 || again[0] != tok {
				t.Fatalf("token %q tokenizes again to %q", tok, again)
			}
			if fold(strings.ToUpper(tok)) != tok {
				t.Fatalf("token %q is not case folded", tok)
			}
		}
		// A template holding the typed text matches it.
		if len(toks) > 0 && Score(toks, Template{Text: typed}) == 0 {
			t.Fatalf("the text %q does not match itself", typed)
		}
	})
}
