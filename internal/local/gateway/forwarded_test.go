package gateway_test

import (
	"net/http"
	"testing"

	"parley/internal/local/gateway"
)

// By default the source address is the TCP peer's, whatever a client
// writes in X-Forwarded-For, as in API Gateway; only the test option
// TrustForwardedFor takes the header's first entry instead, for the
// authorizer and the function alike.
func TestSourceAddressTrustsForwardedForOnlyWhenAskedTo(t *testing.T) {
	header := http.Header{"Authorization": {"Bearer good"}, "X-Forwarded-For": {"198.51.100.7, 10.0.0.1"}}
	for _, trust := range []bool{false, true} {
		h := newHTTPAPI(t, func(c *gateway.Config) { c.TrustForwardedFor = trust })
		if resp, body := h.do(t, "GET", "/v1/settings/general", nil, header); resp.StatusCode != 200 {
			t.Fatalf("trust=%v: %d %s", trust, resp.StatusCode, body)
		}
		want := "127.0.0.1"
		if trust {
			want = "198.51.100.7"
		}
		if got := h.authz.last(t).RequestContext.HTTP.SourceIP; got != want {
			t.Errorf("trust=%v: the authorizer saw %s, want %s", trust, got, want)
		}
		ev := h.api.last(t)
		if got := ev.RequestContext.HTTP.SourceIP; got != want {
			t.Errorf("trust=%v: the function saw %s, want %s", trust, got, want)
		}
		if trust && ev.Headers["x-forwarded-for"] != want {
			t.Errorf("trust=%v: x-forwarded-for %q, want %q", trust, ev.Headers["x-forwarded-for"], want)
		}
	}
}
