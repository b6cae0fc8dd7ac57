package templates

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"parley/internal/settings"
)

// FuzzCheckTexts: whatever a client sends, validation never panics, what
// it accepts keeps the limits, and accepted values are stable (checking
// them again changes nothing).
func FuzzCheckTexts(f *testing.F) {
	f.Add("ru", "Greetings", "Hello", "Hello,\r\nhow can I help?")
	f.Add(" EN ", "", "", "  x  ")
	f.Add("de", "a\nb", strings.Repeat("t", MaxTitle+1), "")
	f.Add("ru", "\x00", "\t", "a\x7fb")
	f.Fuzz(func(t *testing.T, language, section, title, text string) {
		errs := map[string]string{}
		lang, sec, ttl, txt := checkTexts(Input{Language: language, Section: section, Title: title, Text: text}, errs)
		if len(errs) > 0 {
			return
		}
		if !slices.Contains(settings.Languages, lang) {
			t.Fatalf("accepted language %q", lang)
		}
		if txt == "" || utf8.RuneCountInString(txt) > MaxText || hasControl(txt, "\n\t") || strings.Contains(txt, "\r\n") {
			t.Fatalf("accepted text %q", txt)
		}
		if utf8.RuneCountInString(ttl) > MaxTitle || hasControl(ttl, "") || utf8.RuneCountInString(sec) > MaxSection || hasControl(sec, "") {
			t.Fatalf("accepted title %q / section %q", ttl, sec)
		}
		again := map[string]string{}
		l2, s2, t2, x2 := checkTexts(Input{Language: lang, Section: sec, Title: ttl, Text: txt}, again)
		if len(again) > 0 || l2 != lang || s2 != sec || t2 != ttl || x2 != txt {
			t.Fatalf("not stable: %v %q %q %q %q", again, l2, s2, t2, x2)
		}
	})
}
