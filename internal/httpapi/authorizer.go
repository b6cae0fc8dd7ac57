package httpapi

import (
	"context"
	"slices"

	"github.com/aws/aws-lambda-go/events"

	"parley/internal/auth"
	"parley/internal/routes"
)

// Authorizer is the HTTP API's Lambda authorizer (payload 2.0, simple
// responses). It is the one place that decides who may call what: it checks
// the bearer token, then the caller's role against the route's roles in the
// routes table.
type Authorizer struct {
	Tokens *auth.Signer
	roles  map[string][]routes.Role
}

// NewAuthorizer builds the route -> roles map from the routes table.
func NewAuthorizer(tokens *auth.Signer, table []routes.HTTPRoute) *Authorizer {
	a := &Authorizer{Tokens: tokens, roles: map[string][]routes.Role{}}
	for _, r := range table {
		a.roles[r.RouteKey()] = r.Roles
	}
	return a
}

// Authorize answers API Gateway. A deny becomes 403 at the gateway; a
// missing Authorization header never reaches here (401 at the gateway).
func (a *Authorizer) Authorize(ctx context.Context, ev events.APIGatewayV2CustomAuthorizerV2Request) (events.APIGatewayV2CustomAuthorizerSimpleResponse, error) {
	deny := events.APIGatewayV2CustomAuthorizerSimpleResponse{IsAuthorized: false}
	header := ev.Headers["authorization"]
	if header == "" && len(ev.IdentitySource) > 0 {
		header = ev.IdentitySource[0]
	}
	p, err := a.Tokens.Verify(auth.BearerToken(header), auth.Access)
	if err != nil {
		return deny, nil
	}
	allowed, known := a.roles[ev.RouteKey]
	if !known || !slices.Contains(allowed, p.Role) {
		return deny, nil
	}
	return events.APIGatewayV2CustomAuthorizerSimpleResponse{IsAuthorized: true,
		Context: CallerContext(Caller{AccountID: p.AccountID, PersonID: p.Subject, Role: p.Role})}, nil
}
