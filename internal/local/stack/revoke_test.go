package stack_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"parley/internal/local/stack"
	"parley/internal/testkit"
)

// TestStaffSocketsFollowSessionAndAllowlist: a staff WebSocket is checked
// at $connect only, so what would refuse it later must close it: its
// session ending (sign-out here; a reset, removal or role change end
// sessions the same way) and a new IP allowlist that leaves its address
// out. Each is told why, then closed; the others stay.
func TestStaffSocketsFollowSessionAndAllowlist(t *testing.T) {
	s := testkit.Start(t, func(o *stack.Options) { o.TokenSecret, o.TrustForwardedFor = strings.Repeat("r", 32), true })
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	api := s.HTTPURL + "/v1"
	client := testkit.Client{Base: s.HTTPURL, StrictJSON: true}
	email := client.SignUp(t, testkit.SignUp{Email: testkit.UniqueEmail("admin", "acme.example")}).Email
	login := func() (token, refresh string) {
		r := client.SignIn(t, email, testkit.Password)
		if r.Status != 200 {
			t.Fatalf("sign-in: %+v", r)
		}
		return r.Body["token"].(string), r.Body["refreshToken"].(string)
	}
	tokenA, refreshA := login()
	tokenB, _ := login()
	dial := func(name, token, from string) *wsClient {
		c := dialWS(t, ctx, name, s.WebSocketURL+"?token="+url.QueryEscape(token), "x-forwarded-for", from)
		c.Call("state", map[string]any{"action": "hello"})
		return c
	}
	a := dial("session A", tokenA, "10.0.0.5")
	b := dial("session B", tokenB, "10.0.0.9")
	b2 := dial("session B elsewhere", tokenB, "10.0.0.20")

	if r := testkit.Call(t, "POST", api+"/auth/logout", "", map[string]any{"refreshToken": refreshA}); r.Status >= 300 {
		t.Fatalf("sign-out: %+v", r)
	}
	a.ClosedWith("unauthorized")
	b.Call("state", map[string]any{"action": "hello"})
	b2.Call("state", map[string]any{"action": "hello"})

	if r := testkit.Call(t, "PATCH", api+"/settings/security", tokenB, map[string]any{"allowedIps": "10.0.0.1-10.0.0.10"}, "x-forwarded-for", "10.0.0.9"); r.Status != 200 {
		t.Fatalf("saving the allowlist: %+v", r)
	}
	b2.ClosedWith("forbidden")
	b.Call("state", map[string]any{"action": "hello"})
}
