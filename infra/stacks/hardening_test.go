package stacks_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"parley/infra/stacks"
	"parley/internal/routes"
)

// TestHTTPStageThrottledAndLogged: the HTTP API's stage caps every route's
// rate and writes a JSON access log; the WebSocket stage logs too.
func TestHTTPStageThrottledAndLogged(t *testing.T) {
	check(t, "HTTP stage throttling and access log", func() {
		app.templates["http"].HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Stage"), map[string]any{
			"DefaultRouteSettings": map[string]any{"ThrottlingRateLimit": stacks.HTTPRateLimit, "ThrottlingBurstLimit": stacks.HTTPBurstLimit},
			"AccessLogSettings":    map[string]any{"DestinationArn": assertions.Match_AnyValue(), "Format": assertions.Match_StringLikeRegexp(jsii.String(`"ip":"\$context.identity.sourceIp"`))},
		})
	})
	check(t, "WebSocket stage access log", func() {
		app.templates["realtime"].HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Stage"), map[string]any{
			"AccessLogSettings": map[string]any{"DestinationArn": assertions.Match_AnyValue(), "Format": assertions.Match_AnyValue()},
		})
	})
}

// TestReservedConcurrency: the authorizer and the stream consumer have
// their own concurrency, so a flood of public routes cannot starve them.
func TestReservedConcurrency(t *testing.T) {
	for name, n := range stacks.ReservedConcurrency {
		found := false
		for _, kind := range []string{"http", "realtime"} {
			for id, fn := range resources(kind, "AWS::Lambda::Function") {
				if id != name && !strings.HasPrefix(id, name) {
					continue
				}
				found = true
				if got := props(fn)["ReservedConcurrentExecutions"]; got != n {
					t.Errorf("%s: ReservedConcurrentExecutions %v, want %v", name, got, n)
				}
			}
		}
		if !found {
			t.Errorf("no function %s", name)
		}
	}
	if _, ok := stacks.ReservedConcurrency[routes.FnAPI]; ok {
		t.Error("the public api function reserves concurrency: it is the one a flood fills")
	}
}

// TestConsoleResponseHeaders: the console is served with a CSP without
// unsafe-inline and with frame-ancestors 'none', HSTS and no framing.
func TestConsoleResponseHeaders(t *testing.T) {
	policies := resources("web", "AWS::CloudFront::ResponseHeadersPolicy")
	if len(policies) != 1 {
		t.Fatalf("%d response headers policies, want 1", len(policies))
	}
	for _, p := range policies {
		raw, _ := json.Marshal(props(p))
		s := string(raw)
		for _, want := range []string{"frame-ancestors 'none'", "script-src 'self'", "StrictTransportSecurity", `"FrameOption":"DENY"`} {
			if !strings.Contains(s, want) {
				t.Errorf("the policy lacks %s: %s", want, s)
			}
		}
		if strings.Contains(s, "unsafe-inline") || strings.Contains(s, "unsafe-eval") {
			t.Errorf("the CSP allows inline code: %s", s)
		}
	}
	check(t, "the distribution uses it", func() {
		app.templates["web"].HasResourceProperties(jsii.String("AWS::CloudFront::Distribution"), map[string]any{
			"DistributionConfig": assertions.Match_ObjectLike(&map[string]any{
				"DefaultCacheBehavior": assertions.Match_ObjectLike(&map[string]any{"ResponseHeadersPolicyId": assertions.Match_AnyValue()}),
			}),
		})
	})
}
