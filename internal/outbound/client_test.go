package outbound_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"parley/internal/outbound"
)

// fakeDNS answers every name from its table; rebind answers with the first
// address the first time and the second from then on.
type fakeDNS struct {
	names  map[string][]string
	rebind map[string][2]string
	calls  atomic.Int32
}

func (f *fakeDNS) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	n := f.calls.Add(1)
	if r, ok := f.rebind[host]; ok {
		if n == 1 {
			return []netip.Addr{netip.MustParseAddr(r[0])}, nil
		}
		return []netip.Addr{netip.MustParseAddr(r[1])}, nil
	}
	var out []netip.Addr
	for _, s := range f.names[host] {
		out = append(out, netip.MustParseAddr(s))
	}
	if len(out) == 0 {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	return out, nil
}

// TestRefusedAddresses: every address that is not public unicast is refused
// before any byte is sent, whether the URL names it or a name resolves to
// it, in IPv4, IPv6 and IPv4-mapped forms; only loopback, and only with
// AllowLoopback, gets through. A receiver listens on loopback throughout,
// so a refusal is the client's doing, not a closed port.
func TestRefusedAddresses(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))

	dns := &fakeDNS{names: map[string][]string{
		"loopback.test":  {"127.0.0.1"},
		"loopback6.test": {"::1"},
		"mapped.test":    {"::ffff:127.0.0.1"},
		"private.test":   {"10.1.2.3"},
		"metadata.test":  {"169.254.169.254"},
		"mixed.test":     {"127.0.0.1", "10.0.0.5"},
	}}
	cases := []struct {
		name, url  string
		loopbackOK bool // may be reachable with AllowLoopback (never when false)
	}{
		{"loopback literal", "http://127.0.0.1:" + port + "/", true},
		{"loopback 127/8", "http://127.9.9.9:" + port + "/", false}, // allowed, but nothing listens there
		{"loopback IPv6", "http://[::1]:" + port + "/", false},      // the receiver listens on IPv4 only
		{"IPv4-mapped loopback", "http://[::ffff:127.0.0.1]:" + port + "/", true},
		{"unspecified", "http://0.0.0.0:" + port + "/", false},
		{"private 10/8", "http://10.0.0.1:" + port + "/", false},
		{"private 172.16/12", "http://172.16.5.4:" + port + "/", false},
		{"private 192.168/16", "http://192.168.1.1:" + port + "/", false},
		{"CGNAT", "http://100.64.0.1:" + port + "/", false},
		{"link-local", "http://169.254.10.10:" + port + "/", false},
		{"metadata", "http://169.254.169.254/latest/meta-data/", false},
		{"metadata IPv6", "http://[fd00:ec2::254]/", false},
		{"IPv6 link-local", "http://[fe80::1]:" + port + "/", false},
		{"IPv6 unique local", "http://[fc00::1]:" + port + "/", false},
		{"IPv4-mapped private", "http://[::ffff:10.0.0.1]:" + port + "/", false},
		{"IPv4-mapped metadata", "http://[::ffff:169.254.169.254]/", false},
		{"NAT64", "http://[64:ff9b::a00:1]/", false},
		{"6to4", "http://[2002:a00:1::1]/", false},
		{"multicast", "http://224.0.0.1/", false},
		{"broadcast", "http://255.255.255.255/", false},
		{"name to loopback", "http://loopback.test:" + port + "/", true},
		{"name to IPv6 loopback", "http://loopback6.test:" + port + "/", false},
		{"name to mapped loopback", "http://mapped.test:" + port + "/", true},
		{"name to private", "http://private.test:" + port + "/", false},
		{"name to metadata", "http://metadata.test/", false},
		{"name with a loopback and a private answer", "http://mixed.test:" + port + "/", false},
	}
	strict := outbound.New(outbound.Options{Resolver: dns, Timeout: time.Second})
	local := outbound.New(outbound.Options{Resolver: dns, Timeout: time.Second, AllowLoopback: true})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := hits.Load()
			_, err := strict.Do(t.Context(), outbound.Request{Method: "POST", URL: tc.url})
			var oe *outbound.Error
			if !errors.As(err, &oe) || oe.Kind != outbound.KindRefused || !errors.Is(err, outbound.ErrForbiddenAddress) {
				t.Fatalf("without AllowLoopback: err %v, want a refusal", err)
			}
			if hits.Load() != before {
				t.Fatal("the receiver was reached")
			}
			resp, err := local.Do(t.Context(), outbound.Request{Method: "POST", URL: tc.url})
			if tc.loopbackOK {
				if err != nil || resp.Status != 200 || hits.Load() != before+1 {
					t.Fatalf("with AllowLoopback: %+v %v", resp, err)
				}
			} else if err == nil {
				t.Fatalf("with AllowLoopback: %s was reached", tc.url)
			}
		})
	}
}

// TestDNSRebinding: a name that resolves to a public address when first
// asked (when a check outside the dial would have looked) and to loopback
// on the dial is refused: the client checks what it dials.
func TestDNSRebinding(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))
	dns := &fakeDNS{rebind: map[string][2]string{"rebind.test": {"93.184.216.34", "127.0.0.1"}}}
	// The first answer, as a validating lookup would see it: public.
	first, _ := dns.LookupNetIP(t.Context(), "ip", "rebind.test")
	if err := outbound.CheckAddress(first[0], false); err != nil {
		t.Fatalf("the first answer should look public: %v", err)
	}
	c := outbound.New(outbound.Options{Resolver: dns, Timeout: time.Second})
	_, err := c.Do(t.Context(), outbound.Request{Method: "POST", URL: "http://rebind.test:" + port + "/"})
	if !errors.Is(err, outbound.ErrForbiddenAddress) || hits.Load() != 0 {
		t.Fatalf("rebinding to loopback: err %v, hits %d", err, hits.Load())
	}
}

// TestCallRules: credentials become basic auth and stay out of errors, a
// redirect is not followed, the body is read up to the cap, and a receiver
// slower than the timeout is given up on in time.
func TestCallRules(t *testing.T) {
	var redirected atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("/auth", func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		if !ok || u != "hook" || p != "s3cr:et" {
			http.Error(w, "no auth", 401)
			return
		}
		w.Write([]byte(strings.Repeat("x", 100<<10)))
	})
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/target", http.StatusFound) })
	mux.HandleFunc("/target", func(w http.ResponseWriter, r *http.Request) { redirected.Add(1) })
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c := outbound.New(outbound.Options{AllowLoopback: true, Timeout: 300 * time.Millisecond, MaxBody: 1024})
	base := strings.Replace(srv.URL, "http://", "http://hook:s3cr%3Aet@", 1)

	resp, err := c.Do(t.Context(), outbound.Request{Method: "POST", URL: base + "/auth"})
	if err != nil || resp.Status != 200 || len(resp.Body) != 1024 {
		t.Fatalf("basic auth and body cap: status %d, %d bytes, %v", resp.Status, len(resp.Body), err)
	}
	resp, err = c.Do(t.Context(), outbound.Request{Method: "POST", URL: srv.URL + "/redirect"})
	if err != nil || resp.Status != http.StatusFound || redirected.Load() != 0 {
		t.Fatalf("redirect: status %d, followed %d, %v", resp.Status, redirected.Load(), err)
	}
	start := time.Now()
	_, err = c.Do(t.Context(), outbound.Request{Method: "POST", URL: base + "/slow?token=q-secret"})
	var oe *outbound.Error
	if !errors.As(err, &oe) || oe.Kind != outbound.KindTimeout || time.Since(start) > 2*time.Second {
		t.Fatalf("slow receiver: %v after %v", err, time.Since(start))
	}
	if strings.Contains(err.Error(), "s3cr") || strings.Contains(err.Error(), "hook:") || strings.Contains(err.Error(), "q-secret") {
		t.Fatalf("the error names a credential: %q", err)
	}
}

func TestParseTarget(t *testing.T) {
	tg, err := outbound.ParseTarget("HTTPS://user:p%40ss@Example.com:8443/hook?k=v#frag")
	if err != nil {
		t.Fatal(err)
	}
	if tg.Username != "user" || tg.Password != "p@ss" || tg.URL.String() != "https://Example.com:8443/hook?k=v" || tg.Redacted != "https://Example.com:8443/hook" {
		t.Fatalf("%+v %s", tg, tg.URL)
	}
	for _, bad := range []string{"", "ftp://x.example/", "https:///path", "mailto:a@b", "http://x.example:0/", "http://x.example:99999/", "http://[::1"} {
		if _, err := outbound.ParseTarget(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}
