package crm

import (
	"strings"
	"testing"
)

// FuzzParseZohoClient: the pasted Self Client never panics, and what it
// accepts has an id, a secret and an accounts server on a Zoho host.
func FuzzParseZohoClient(f *testing.F) {
	for _, s := range []string{"1000.ABC:secret", "1000.ABC:secret:accounts.zoho.eu", "a:b:evil.example", ":", "a:b:c:d", "a:b:accounts.zoho.com/x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := parseZohoClient(s)
		if err != nil {
			return
		}
		if c.ID == "" || c.Secret == "" || !strings.HasPrefix(c.Accounts, "accounts.zoho.") || strings.ContainsAny(c.Accounts, "/@?#") {
			t.Fatalf("%q accepted as %+v", s, c)
		}
	})
}
