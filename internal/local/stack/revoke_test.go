package stack_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"parley/internal/local/stack"
	"parley/internal/local/streams"
	"parley/internal/testkit/testenv"
)

// TestStaffSocketsFollowSessionAndAllowlist: a staff WebSocket is checked
// at $connect only, so what would refuse it later must close it: its
// session ending (sign-out here; a reset, removal or role change end
// sessions the same way) and a new IP allowlist that leaves its address
// out. Each is told why, then closed; the others stay.
func TestStaffSocketsFollowSessionAndAllowlist(t *testing.T) {
	dbEndpoint, sesEndpoint := testenv.Endpoints(t)
	root, err := testenv.Root()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s, err := stack.Start(ctx, stack.Options{Root: root, DynamoDBEndpoint: dbEndpoint, SESEndpoint: sesEndpoint, Table: testenv.TableName(t),
		TokenSecret: strings.Repeat("r", 32), StreamStart: streams.TrimHorizon, TrustForwardedFor: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	api := s.HTTPURL + "/v1"
	email := fmt.Sprintf("admin-%d@acme.example", time.Now().UnixNano())
	if r := call(t, "POST", api+"/accounts", "", map[string]any{"companyName": "Acme", "email": email, "password": "correct horse battery", "plan": "basic", "language": "en"}); r.Status != 201 {
		t.Fatalf("sign-up: %+v", r)
	}
	login := func() (token, refresh string) {
		r := call(t, "POST", api+"/auth/login", "", map[string]any{"email": email, "password": "correct horse battery"})
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

	if r := call(t, "POST", api+"/auth/logout", "", map[string]any{"refreshToken": refreshA}); r.Status >= 300 {
		t.Fatalf("sign-out: %+v", r)
	}
	a.ClosedWith("unauthorized")
	b.Call("state", map[string]any{"action": "hello"})
	b2.Call("state", map[string]any{"action": "hello"})

	if r := call(t, "PATCH", api+"/settings/security", tokenB, map[string]any{"allowedIps": "10.0.0.1-10.0.0.10"}, "x-forwarded-for", "10.0.0.9"); r.Status != 200 {
		t.Fatalf("saving the allowlist: %+v", r)
	}
	b2.ClosedWith("forbidden")
	b.Call("state", map[string]any{"action": "hello"})
}
