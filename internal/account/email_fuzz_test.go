package account_test

import (
	"strings"
	"testing"

	"parley/internal/account"
)

// FuzzNormalizeEmail: an accepted address is lower-cased, trimmed, at most
// 254 bytes, and normalising it again changes nothing.
func FuzzNormalizeEmail(f *testing.F) {
	for _, s := range []string{"a@b.example", " Boss@Acme.Example ", "Bob <b@x.example>", "", "@", "a@@b", "\"q\"@x.example"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, ok := account.NormalizeEmail(in)
		if !ok {
			return
		}
		if out != strings.ToLower(out) || out != strings.TrimSpace(out) || len(out) > 254 || !strings.Contains(out, "@") {
			t.Fatalf("NormalizeEmail(%q) = %q", in, out)
		}
		if again, ok := account.NormalizeEmail(out); !ok || again != out {
			t.Fatalf("not idempotent: %q -> %q -> %q (%v)", in, out, again, ok)
		}
	})
}
