package outbound_test

import (
	"net/netip"
	"strings"
	"testing"

	"parley/internal/outbound"
)

// FuzzParseTarget: whatever a webhook URL setting holds, ParseTarget never
// panics, its errors never repeat the input, and what it accepts has a
// host, http(s), no user-info left in the URL and a redacted form without
// the password or the query; a literal host it accepts is judged the same
// way by CheckLiteralHost as by CheckAddress.
func FuzzParseTarget(f *testing.F) {
	for _, s := range []string{"https://hooks.example.com/x", "http://u:p@127.0.0.1:8080/a?b=c", "http://[::ffff:169.254.169.254]/",
		"https://xn--e1afmkfd.xn--p1ai/", "http://10.0.0.1", "https://a.example:443/%zz", "http://[fe80::1%25eth0]/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		tg, err := outbound.ParseTarget(raw)
		if err != nil {
			if len(raw) > 8 && strings.Contains(err.Error(), raw) {
				t.Fatalf("the error repeats the input: %q", err)
			}
			return
		}
		if tg.URL.User != nil || tg.URL.Hostname() == "" || (tg.URL.Scheme != "http" && tg.URL.Scheme != "https") {
			t.Fatalf("accepted %q as %+v", raw, tg.URL)
		}
		if tg.Password != "" && len(tg.Password) > 3 && strings.Contains(tg.Redacted, tg.Password) {
			t.Fatalf("the redacted form %q holds the password", tg.Redacted)
		}
		if strings.Contains(tg.Redacted, "?") && tg.URL.RawQuery != "" {
			t.Fatalf("the redacted form %q holds the query", tg.Redacted)
		}
		if a, err := netip.ParseAddr(tg.URL.Hostname()); err == nil {
			if (outbound.CheckLiteralHost(tg.URL.Hostname(), false) == nil) != (outbound.CheckAddress(a, false) == nil) {
				t.Fatalf("literal %q judged two ways", tg.URL.Hostname())
			}
		}
	})
}
