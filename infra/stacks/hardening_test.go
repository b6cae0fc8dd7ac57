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

// TestPublicRoutesThrottledTighter: every public HTTP route has its own
// throttle below the stage's, and the stage waits for the routes it names.
func TestPublicRoutesThrottledTighter(t *testing.T) {
	if stacks.PublicRouteRateLimit >= stacks.HTTPRateLimit || stacks.PublicRouteBurstLimit >= stacks.HTTPBurstLimit {
		t.Fatalf("public routes %d/%d are not tighter than the stage's %d/%d", stacks.PublicRouteRateLimit, stacks.PublicRouteBurstLimit, stacks.HTTPRateLimit, stacks.HTTPBurstLimit)
	}
	stagesFound := resources("http", "AWS::ApiGatewayV2::Stage")
	if len(stagesFound) != 1 {
		t.Fatalf("%d HTTP stages, want 1", len(stagesFound))
	}
	for _, stage := range stagesFound {
		settings, _ := props(stage)["RouteSettings"].(map[string]any)
		public := 0
		for _, route := range routes.HTTP {
			got, ok := settings[route.RouteKey()].(map[string]any)
			if !route.Public() {
				if ok {
					t.Errorf("%s is not public but has its own throttle %v", route.RouteKey(), got)
				}
				continue
			}
			public++
			if !ok || got["ThrottlingRateLimit"] != float64(stacks.PublicRouteRateLimit) || got["ThrottlingBurstLimit"] != float64(stacks.PublicRouteBurstLimit) {
				t.Errorf("%s: route settings %v, want %d/s burst %d", route.RouteKey(), got, stacks.PublicRouteRateLimit, stacks.PublicRouteBurstLimit)
			}
		}
		if public == 0 || len(settings) != public {
			t.Errorf("%d route settings for %d public routes", len(settings), public)
		}
		deps, _ := stage["DependsOn"].([]any)
		if len(deps) < public {
			t.Errorf("the stage depends on %d resources; it names %d routes, which must exist first", len(deps), public)
		}
	}
}

// TestAlarmsNotifyTopic: every alarm of every stack notifies the data
// stack's topic (firing and clearing), and the deploy's AlarmEmail
// parameter subscribes an address to it only when one is given.
func TestAlarmsNotifyTopic(t *testing.T) {
	topics := resources("data", "AWS::SNS::Topic")
	if len(topics) != 1 {
		t.Fatalf("%d topics in the data stack, want 1", len(topics))
	}
	var topicID string
	for id := range topics {
		topicID = id
	}
	param, ok := app.json["data"]["Parameters"].(map[string]any)[stacks.AlarmEmailParameter].(map[string]any)
	if !ok || param["Default"] != "" {
		t.Fatalf("data stack parameter %s = %v, want one defaulting to empty", stacks.AlarmEmailParameter, param)
	}
	subs := resources("data", "AWS::SNS::Subscription")
	if len(subs) != 1 {
		t.Fatalf("%d subscriptions, want 1", len(subs))
	}
	for _, sub := range subs {
		p := props(sub)
		if p["Protocol"] != "email" || refID(p["Endpoint"]) != stacks.AlarmEmailParameter || refID(p["TopicArn"]) != topicID {
			t.Errorf("subscription %v: want e-mail to the %s parameter on %s", p, stacks.AlarmEmailParameter, topicID)
		}
		if sub["Condition"] == nil {
			t.Error("the subscription is unconditional: a deploy without an address would fail")
		}
	}
	alarms := 0
	for _, kind := range stackKinds() {
		for id, alarm := range resources(kind, "AWS::CloudWatch::Alarm") {
			alarms++
			for _, key := range []string{"AlarmActions", "OKActions"} {
				actions, _ := props(alarm)[key].([]any)
				if len(actions) != 1 {
					t.Errorf("%s %s: %s %v, want the alarm topic", kind, id, key, actions)
					continue
				}
				if raw, _ := json.Marshal(actions[0]); !strings.Contains(string(raw), topicID) {
					t.Errorf("%s %s: %s %s does not name the topic %s", kind, id, key, raw, topicID)
				}
			}
		}
	}
	if alarms == 0 {
		t.Fatal("no alarms found")
	}
}
