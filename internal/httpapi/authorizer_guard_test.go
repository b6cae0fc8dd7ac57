package httpapi_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"parley/internal/apperr"
	"parley/internal/auth"
	"parley/internal/httpapi"
	"parley/internal/routes"
)

type fakeGuard struct {
	err    error
	seenIP string
	calls  int
}

func (g *fakeGuard) Allow(_ context.Context, _ auth.Principal, ip string) error {
	g.calls++
	g.seenIP = ip
	return g.err
}

// The guard runs after the role check, with the source address API
// Gateway reports; a refusal is a deny, and a failure of the store is an
// error (500 at the gateway), never an allow.
func TestAuthorizerAsksTheGuard(t *testing.T) {
	signer, _ := auth.NewSigner([]byte(strings.Repeat("s", 32)))
	tok, _ := signer.Issue(auth.Principal{Kind: auth.Access, AccountID: "a1", Subject: "p1", Role: routes.Operator, Session: "s1"}, time.Minute)
	table := []routes.HTTPRoute{
		{Method: "GET", Path: "/v1/settings", Roles: routes.Staff, Function: routes.FnAPI},
		{Method: "GET", Path: "/v1/audit", Roles: routes.Admins, Function: routes.FnAPI},
	}
	ev := func(routeKey string) events.APIGatewayV2CustomAuthorizerV2Request {
		e := events.APIGatewayV2CustomAuthorizerV2Request{RouteKey: routeKey, IdentitySource: []string{"Bearer " + tok}}
		e.RequestContext.HTTP.SourceIP = "198.51.100.7"
		return e
	}
	for _, c := range []struct {
		name      string
		guardErr  error
		routeKey  string
		want      bool
		wantErr   bool
		wantCalls int
	}{
		{"allowed", nil, "GET /v1/settings", true, false, 1},
		{"address refused", apperr.New(apperr.Forbidden, "no"), "GET /v1/settings", false, false, 1},
		{"session ended", apperr.New(apperr.Unauthorized, "no"), "GET /v1/settings", false, false, 1},
		{"store down", errors.New("timeout"), "GET /v1/settings", false, true, 1},
		{"role refused first", nil, "GET /v1/audit", false, false, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			g := &fakeGuard{err: c.guardErr}
			az := httpapi.NewAuthorizer(signer, table)
			az.Guard = g
			res, err := az.Authorize(context.Background(), ev(c.routeKey))
			if res.IsAuthorized != c.want || (err != nil) != c.wantErr || g.calls != c.wantCalls {
				t.Fatalf("authorized=%v err=%v calls=%d, want %v, error %v, %d calls", res.IsAuthorized, err, g.calls, c.want, c.wantErr, c.wantCalls)
			}
			if g.calls > 0 && g.seenIP != "198.51.100.7" {
				t.Fatalf("the guard saw address %q", g.seenIP)
			}
		})
	}
}
