package httpapi_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"parley/internal/auth"
	"parley/internal/httpapi"
	"parley/internal/routes"
)

func TestAuthorizerChecksTokenAndRouteRoles(t *testing.T) {
	signer, _ := auth.NewSigner([]byte(strings.Repeat("s", 32)))
	table := []routes.HTTPRoute{
		{Method: "GET", Path: "/v1/settings", Roles: routes.Staff, Function: routes.FnAPI},
		{Method: "PUT", Path: "/v1/settings/{section}", Roles: routes.Admins, Function: routes.FnAPI},
	}
	az := httpapi.NewAuthorizer(signer, table)
	token := func(kind auth.Kind, role routes.Role) string {
		tok, err := signer.Issue(auth.Principal{Kind: kind, AccountID: "a1", Subject: "p1", Role: role}, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		return "Bearer " + tok
	}
	cases := []struct {
		name, routeKey, header string
		want                   bool
	}{
		{"operator reads", "GET /v1/settings", token(auth.Access, routes.Operator), true},
		{"operator may not write", "PUT /v1/settings/{section}", token(auth.Access, routes.Operator), false},
		{"supervisor may not write", "PUT /v1/settings/{section}", token(auth.Access, routes.Supervisor), false},
		{"administrator writes", "PUT /v1/settings/{section}", token(auth.Access, routes.Administrator), true},
		{"visitor token refused", "GET /v1/settings", token(auth.Visitor, ""), false},
		{"route not in the table", "DELETE /v1/settings", token(auth.Access, routes.Administrator), false},
		{"not a bearer token", "GET /v1/settings", "Basic abc", false},
		{"garbage", "GET /v1/settings", "Bearer abc.def", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := az.Authorize(context.Background(), events.APIGatewayV2CustomAuthorizerV2Request{
				RouteKey: c.routeKey, Headers: map[string]string{"authorization": c.header}, IdentitySource: []string{c.header}})
			if err != nil {
				t.Fatal(err)
			}
			if res.IsAuthorized != c.want {
				t.Fatalf("IsAuthorized = %v, want %v", res.IsAuthorized, c.want)
			}
			if c.want {
				got := httpapi.CallerFromContext(res.Context)
				if got.AccountID != "a1" || got.PersonID != "p1" {
					t.Fatalf("context = %+v", res.Context)
				}
			}
		})
	}
}
