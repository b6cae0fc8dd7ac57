package gateway_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"parley/internal/local/gateway"
	"parley/internal/routes"
)

// Concurrent requests must each get their own function's answer, whether
// the function came from NewFunction or is a bare lambda.NewHandler (whose
// output buffer is recycled between invocations). Run with -race.
func TestConcurrentInvocations(t *testing.T) {
	echo := func(_ context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		n := ev.PathParameters["n"]
		return events.APIGatewayV2HTTPResponse{StatusCode: 200, Body: strings.Repeat(n+",", 2000)}, nil
	}
	for name, fn := range map[string]gateway.Invoker{
		"NewFunction":       gateway.NewFunction(echo),
		"lambda.NewHandler": lambda.NewHandler(echo),
	} {
		t.Run(name, func(t *testing.T) {
			h, err := gateway.NewHTTP(gateway.Config{
				Functions:  map[string]gateway.Invoker{"api": fn},
				HTTPRoutes: []routes.HTTPRoute{{Method: "GET", Path: "/v1/echo/{n}", Function: "api"}},
			})
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(h)
			defer srv.Close()
			api := &httpAPI{srv: srv}
			var wg sync.WaitGroup
			for i := range 40 {
				wg.Go(func() {
					n := fmt.Sprint(i)
					resp, body := api.do(t, "GET", "/v1/echo/"+n, nil, nil)
					if resp.StatusCode != 200 || string(body) != strings.Repeat(n+",", 2000) {
						t.Errorf("request %s got status %d and another request's body", n, resp.StatusCode)
					}
				})
			}
			wg.Wait()
		})
	}
}
