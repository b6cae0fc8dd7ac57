package httpapi

import (
	"context"
	"log/slog"
	"slices"

	"github.com/aws/aws-lambda-go/events"

	"parley/internal/apperr"
	"parley/internal/auth"
	"parley/internal/routes"
)

// Authorizer is the HTTP API's Lambda authorizer (payload 2.0, simple
// responses). It is the one place that decides who may call what: it checks
// the bearer token, then the caller's role against the route's roles in the
// routes table.
type Authorizer struct {
	Tokens *auth.Signer
	// Guard checks what the token alone cannot prove: that its session was
	// not ended and that the account's IP allowlist admits the source
	// address API Gateway reports. lambdas.Authorizer always sets it.
	Guard StaffGuard
	Log   *slog.Logger
	roles map[string][]routes.Role
}

// StaffGuard is the session and IP allowlist check (account.Guard).
type StaffGuard interface {
	Allow(ctx context.Context, p auth.Principal, sourceIP string) error
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
	if a.Guard != nil {
		if err := a.Guard.Allow(ctx, p, ev.RequestContext.HTTP.SourceIP); err != nil {
			if apperr.CodeOf(err) == apperr.Internal {
				// Fail closed, but loudly: a store outage must not look
				// like a wave of bad tokens.
				if a.Log != nil {
					a.Log.ErrorContext(ctx, "authorizer check failed", "err", err)
				}
				return deny, err
			}
			return deny, nil
		}
	}
	return events.APIGatewayV2CustomAuthorizerSimpleResponse{IsAuthorized: true,
		Context: CallerContext(Caller{AccountID: p.AccountID, PersonID: p.Subject, Role: p.Role, Session: p.Session})}, nil
}
