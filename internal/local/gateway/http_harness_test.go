package gateway_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"parley/internal/local/gateway"
	"parley/internal/routes"
)

// recorder keeps the events a fake function decoded, in arrival order.
type recorder[E any] struct {
	mu     sync.Mutex
	events []E
}

func (r *recorder[E]) add(e E) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

func (r *recorder[E]) all() []E {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]E(nil), r.events...)
}

func (r *recorder[E]) last(t *testing.T) E {
	t.Helper()
	all := r.all()
	if len(all) == 0 {
		t.Fatal("function was not invoked")
	}
	return all[len(all)-1]
}

var testRoutes = []routes.HTTPRoute{
	{Method: "GET", Path: "/v1/health", Function: "api"},
	{Method: "GET", Path: "/v1/settings", Roles: routes.Staff, Function: "api"},
	{Method: "GET", Path: "/v1/settings/{section}", Roles: routes.Staff, Function: "api"},
	{Method: "GET", Path: "/v1/settings/general", Roles: routes.Staff, Function: "api"},
	{Method: "PUT", Path: "/v1/settings/{section}", Roles: routes.Admins, Function: "api"},
	{Method: "GET", Path: "/v1/widget/{accountId}/config", Function: "api"},
	{Method: "ANY", Path: "/v1/files/{proxy+}", Function: "api"},
	{Method: "GET", Path: "/v1/files/special", Function: "api"},
	{Method: "POST", Path: "/v1/echo", Function: "api"},
	{Method: "GET", Path: "/v1/respond/{kind}", Function: "api"},
}

// httpAPI is a gateway over a fake api function and authorizer.
type httpAPI struct {
	srv       *httptest.Server
	api       recorder[events.APIGatewayV2HTTPRequest]
	authz     recorder[events.APIGatewayV2CustomAuthorizerV2Request]
	lambdaCtx recorder[*lambdacontext.LambdaContext]
}

var fixedNow = time.Date(2026, 3, 12, 19, 3, 58, 123e6, time.UTC)

func newHTTPAPI(t *testing.T, mod func(*gateway.Config)) *httpAPI {
	t.Helper()
	h := &httpAPI{}
	api := gateway.NewFunction(func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (json.RawMessage, error) {
		h.api.add(ev)
		lc, _ := lambdacontext.FromContext(ctx)
		h.lambdaCtx.add(lc)
		switch ev.PathParameters["kind"] {
		case "error":
			return nil, errors.New("boom")
		case "plain":
			return json.RawMessage(`{"hello":"world"}`), nil
		case "string":
			return json.RawMessage(`"just a string"`), nil
		case "malformed":
			return json.RawMessage(`{"statusCode":"two hundred"}`), nil
		case "binary":
			return mustJSON(events.APIGatewayV2HTTPResponse{
				StatusCode:      201,
				Headers:         map[string]string{"Content-Type": "image/png", "X-Thing": "a,b"},
				Cookies:         []string{"a=1; Path=/", "b=2; HttpOnly"},
				Body:            base64.StdEncoding.EncodeToString([]byte{0, 1, 2, 0xff}),
				IsBase64Encoded: true,
			}), nil
		case "multi":
			return mustJSON(events.APIGatewayV2HTTPResponse{
				StatusCode:        200,
				MultiValueHeaders: map[string][]string{"X-Multi": {"1", "2"}},
				Body:              "ok",
			}), nil
		}
		return mustJSON(events.APIGatewayV2HTTPResponse{
			StatusCode: 200,
			Headers:    map[string]string{"Content-Type": "application/json", "Access-Control-Allow-Origin": "https://evil.example"},
			Body:       string(mustJSON(map[string]any{"routeKey": ev.RouteKey, "params": ev.PathParameters})),
		}), nil
	})
	authz := gateway.NewFunction(func(ctx context.Context, ev events.APIGatewayV2CustomAuthorizerV2Request) (events.APIGatewayV2CustomAuthorizerSimpleResponse, error) {
		h.authz.add(ev)
		switch ev.IdentitySource[0] {
		case "Bearer good":
			return events.APIGatewayV2CustomAuthorizerSimpleResponse{
				IsAuthorized: true,
				Context:      map[string]any{"accountId": "acc1", "role": "operator", "n": 3},
			}, nil
		case "Bearer fail":
			return events.APIGatewayV2CustomAuthorizerSimpleResponse{}, errors.New("authorizer crashed")
		}
		return events.APIGatewayV2CustomAuthorizerSimpleResponse{IsAuthorized: false}, nil
	})
	cfg := gateway.Config{
		Functions:  map[string]gateway.Invoker{"api": api, "authz": authz},
		HTTPRoutes: testRoutes,
		Authorizer: "authz",
		Now:        func() time.Time { return fixedNow },
	}
	if mod != nil {
		mod(&cfg)
	}
	handler, err := gateway.NewHTTP(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h.srv = httptest.NewServer(handler)
	t.Cleanup(h.srv.Close)
	return h
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func (h *httpAPI) do(t *testing.T, method, path string, body io.Reader, header http.Header) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, h.srv.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

var authorized = http.Header{"Authorization": {"Bearer good"}}
