package settings_test

import (
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"parley/internal/apperr"
	"parley/internal/settings"
)

func TestParseURL(t *testing.T) {
	tests := []struct {
		in      string
		website bool // accepted by ParseURL
		webhook bool // accepted by ParseWebhookURL
	}{
		{"https://www.sila.com/", true, true},
		{"  http://moysite.ru  ", true, true},
		{"HTTPS://Example.COM/Path?q=1#frag", true, true},
		{"https://магазин.рф/каталог", true, true},
		{"https://example.com:8443/x", true, true},
		{"http://localhost:3000/hook", true, true},
		{"http://127.0.0.1/x", true, true},
		{"http://[2001:db8::1]/x", true, true},
		{"https://user:password@www.company.com/handler?webim_chat_start", false, true},
		{"https://user@www.company.com/handler", false, true},
		{"https://user:••••@www.company.com/handler", false, false},
		{"", false, false},
		{"www.sila.com", false, false},
		{"/relative/path", false, false},
		{"ftp://files.example.com/", false, false},
		{"javascript:alert(1)", false, false},
		{"mailto:a@b.cd", false, false},
		{"https://", false, false},
		{"https:///path", false, false},
		{"https://intranet/", false, false},
		{"https://exa mple.com/", false, false},
		{"https://example.com/a b", false, false},
		{"https://example.com:0/", false, false},
		{"https://example.com:99999/", false, false},
		{"https://example.com:/", false, false},
		{"https://-bad-.com/", false, false},
		{"https://1.2.3/", false, false},
		{"https://[fe80::1%25eth0]/", false, false},
		{"https://example.com/" + strings.Repeat("a", settings.MaxURLLength), false, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			for name, c := range map[string]struct {
				parse func(string) (string, error)
				want  bool
			}{
				"ParseURL":        {settings.ParseURL, tt.website},
				"ParseWebhookURL": {settings.ParseWebhookURL, tt.webhook},
			} {
				got, err := c.parse(tt.in)
				if c.want {
					if err != nil {
						t.Errorf("%s refused: %v", name, err)
					} else if got != strings.TrimSpace(tt.in) {
						t.Errorf("%s = %q, want the input trimmed", name, got)
					}
					continue
				}
				if err == nil {
					t.Errorf("%s accepted", name)
				} else if apperr.CodeOf(err) != apperr.Invalid {
					t.Errorf("%s: %v", name, err)
				}
			}
		})
	}
}

func TestParsePriorityPages(t *testing.T) {
	got, err := settings.ParsePriorityPages([]string{"https://www.mysite.com/main\nhttps://my.site.ru/somepage/", "https://domain.org/s1/s2/page", "https://www.mysite.com/main"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"https://www.mysite.com/main", "https://my.site.ru/somepage/", "https://domain.org/s1/s2/page"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if got, err := settings.ParsePriorityPages(nil); err != nil || got == nil || len(got) != 0 {
		t.Errorf("empty = %#v, %v", got, err)
	}
	many := make([]string, settings.MaxPriorityPages+1)
	for i := range many {
		many[i] = "https://x.io/" + strings.Repeat("p", i+1)
	}
	for _, bad := range [][]string{{"/main"}, {"https://ok.io/", "mysite.com/page"}, many} {
		if _, err := settings.ParsePriorityPages(bad); apperr.CodeOf(err) != apperr.Invalid {
			t.Errorf("ParsePriorityPages(%.60q) = %v", bad, err)
		}
	}
}

// FuzzParseURL: never panics; an accepted URL is absolute http(s) with a
// host, within the length cap, re-parses to itself, and has user-info only
// when the webhook form allowed it.
func FuzzParseURL(f *testing.F) {
	for _, s := range []string{"https://www.sila.com/", "http://u:p@h.io:80/x?y#z", "https://[::1]/", "ftp://x", "https://магазин.рф/", "http://a.b:0", "//x.io/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, webhook := range []bool{false, true} {
			parse := settings.ParseURL
			if webhook {
				parse = settings.ParseWebhookURL
			}
			got, err := parse(s)
			if err != nil {
				if apperr.CodeOf(err) != apperr.Invalid {
					t.Fatalf("code %s", apperr.CodeOf(err))
				}
				continue
			}
			if len(got) > settings.MaxURLLength {
				t.Fatalf("%d characters", len(got))
			}
			u, err := url.Parse(got)
			if err != nil {
				t.Fatalf("accepted %q that net/url refuses: %v", got, err)
			}
			if s := strings.ToLower(u.Scheme); s != "http" && s != "https" || u.Hostname() == "" {
				t.Fatalf("accepted %q", got)
			}
			if u.User != nil && !webhook {
				t.Fatalf("accepted user-info in %q", got)
			}
			if again, err := parse(got); err != nil || again != got {
				t.Fatalf("re-parse of %q = %q, %v", got, again, err)
			}
		}
	})
}

// FuzzParsePriorityPages: never panics; an accepted list is at most
// MaxPriorityPages distinct URLs, each one ParseURL accepts as itself,
// and parsing it again gives it back.
func FuzzParsePriorityPages(f *testing.F) {
	f.Add("https://shop.example/pricing", "https://shop.example/a https://shop.example/b\nhttps://shop.example/a")
	f.Add("", "ftp://x")
	f.Add("https://x.example/ \t ", "not a url")
	f.Fuzz(func(t *testing.T, a, b string) {
		got, err := settings.ParsePriorityPages([]string{a, b})
		if err != nil {
			if apperr.CodeOf(err) != apperr.Invalid {
				t.Fatalf("code %s", apperr.CodeOf(err))
			}
			return
		}
		if len(got) > settings.MaxPriorityPages {
			t.Fatalf("%d pages", len(got))
		}
		seen := map[string]bool{}
		for _, u := range got {
			if seen[u] {
				t.Fatalf("%q twice", u)
			}
			seen[u] = true
			if again, err := settings.ParseURL(u); err != nil || again != u {
				t.Fatalf("page %q re-parses as %q, %v", u, again, err)
			}
		}
		if again, err := settings.ParsePriorityPages(got); err != nil || !slices.Equal(again, got) {
			t.Fatalf("re-parse of %q = %q, %v", got, again, err)
		}
	})
}

// TestWebhookLiteralHosts: a webhook URL naming an address Parley never
// dials is refused with a field error when it is saved; loopback only
// where the local stack allows it; names are left to the dial.
func TestWebhookLiteralHosts(t *testing.T) {
	doc := settings.Defaults("en")
	for _, tc := range []struct {
		url           string
		strict, local bool // accepted without / with AllowLoopback
	}{
		{"https://hooks.example.com/x", true, true},
		{"http://localhost:8080/x", true, true},
		{"https://93.184.216.34/x", true, true},
		{"http://127.0.0.1:9000/x", false, true},
		{"http://[::1]:9000/x", false, true},
		{"http://[::ffff:127.0.0.1]/x", false, true},
		{"http://10.0.0.1/x", false, false},
		{"http://192.168.0.10/x", false, false},
		{"http://169.254.169.254/latest/meta-data/", false, false},
		{"http://[fe80::1]/x", false, false},
		{"http://[fd00:ec2::254]/x", false, false},
		{"http://[::ffff:10.0.0.1]/x", false, false},
		{"http://u:p@100.64.1.1/x", false, false},
	} {
		body := []byte(`{"webhooks":{"chatClose":"` + tc.url + `"}}`)
		for _, allow := range []bool{false, true} {
			_, _, err := doc.Patch("integration", body, settings.WriteContext{AllowLoopback: allow})
			want := tc.strict
			if allow {
				want = tc.local
			}
			if (err == nil) != want {
				t.Errorf("%s (loopback allowed %v): %v", tc.url, allow, err)
			}
			if err != nil {
				var ae *apperr.Error
				if !errors.As(err, &ae) || ae.Fields["integration.webhooks.chatClose"] == "" {
					t.Errorf("%s: not a field error: %v", tc.url, err)
				}
			}
		}
	}
}
