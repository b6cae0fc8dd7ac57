package stacks_test

import (
	"testing"

	"github.com/aws/jsii-runtime-go"

	"parley/internal/routes"
)

func TestHTTPRoutesMatchTheRoutesTable(t *testing.T) {
	http := app.templates["http"]
	check(t, "one route per routes.HTTP entry", func() {
		http.ResourceCountIs(jsii.String("AWS::ApiGatewayV2::Route"), jsii.Number(len(routes.HTTP)))
	})

	authorizers := *http.FindResources(jsii.String("AWS::ApiGatewayV2::Authorizer"), map[string]any{
		"Properties": map[string]any{
			"AuthorizerType":                 "REQUEST",
			"AuthorizerPayloadFormatVersion": "2.0",
			"EnableSimpleResponses":          true,
			"IdentitySource":                 []any{"$request.header.Authorization"},
			"AuthorizerResultTtlInSeconds":   0,
		},
	})
	if len(authorizers) != 1 {
		t.Fatalf("found %d simple, uncached, Authorization-header Lambda authorizers, want 1", len(authorizers))
	}
	var authorizerID string
	for id, a := range authorizers {
		authorizerID = id
		if got, want := invokedFunction((*a)["Properties"].(map[string]any)["AuthorizerUri"]), functionsByName(t, "http")[routes.FnAuthorizer]; got != want {
			t.Errorf("the authorizer invokes %q, want the %s function %q", got, routes.FnAuthorizer, want)
		}
	}

	byKey := map[string]map[string]any{}
	for _, r := range resources("http", "AWS::ApiGatewayV2::Route") {
		byKey[props(r)["RouteKey"].(string)] = props(r)
	}
	functions := functionsByName(t, "http")
	integrations := resources("http", "AWS::ApiGatewayV2::Integration")
	for _, route := range routes.HTTP {
		p, ok := byKey[route.RouteKey()]
		if !ok {
			t.Errorf("%s: no route", route.RouteKey())
			continue
		}
		if route.Public() {
			if p["AuthorizationType"] != nil && p["AuthorizationType"] != "NONE" || p["AuthorizerId"] != nil {
				t.Errorf("%s is public but has authorization %v %v", route.RouteKey(), p["AuthorizationType"], p["AuthorizerId"])
			}
		} else if p["AuthorizationType"] != "CUSTOM" || refID(p["AuthorizerId"]) != authorizerID {
			t.Errorf("%s: authorization %v %v, want CUSTOM by %s", route.RouteKey(), p["AuthorizationType"], p["AuthorizerId"], authorizerID)
		}

		integration, ok := integrations[integrationID(p["Target"])]
		if !ok {
			t.Errorf("%s: target %v is not an integration of the stack", route.RouteKey(), p["Target"])
			continue
		}
		if got := getAttID(props(integration)["IntegrationUri"], "Arn"); got != functions[route.Function] {
			t.Errorf("%s: integrates %q, want the %s function %q", route.RouteKey(), got, route.Function, functions[route.Function])
		}
		if got := props(integration)["PayloadFormatVersion"]; got != "2.0" {
			t.Errorf("%s: payload format %v, want 2.0", route.RouteKey(), got)
		}
	}
}

// sam local start-api cannot read a template with a WebSocket API, so only
// the realtime stack may hold one.
func TestOnlyTheRealtimeStackHasAWebSocketAPI(t *testing.T) {
	for _, kind := range stackKinds() {
		websocket := *app.templates[kind].FindResources(jsii.String("AWS::ApiGatewayV2::Api"), map[string]any{
			"Properties": map[string]any{"ProtocolType": "WEBSOCKET"},
		})
		want := 0
		if kind == "realtime" {
			want = 1
		}
		if len(websocket) != want {
			t.Errorf("%s stack: %d WebSocket APIs, want %d", kind, len(websocket), want)
		}
	}
}

// integrationID returns X of the route target "integrations/X".
func integrationID(target any) string {
	join, _ := target.(map[string]any)["Fn::Join"].([]any)
	if len(join) != 2 {
		return ""
	}
	parts, _ := join[1].([]any)
	if len(parts) != 2 || parts[0] != "integrations/" {
		return ""
	}
	return refID(parts[1])
}

// invokedFunction returns the function of a Lambda invocation URI,
// arn:...:lambda:path/2015-03-31/functions/<arn>/invocations.
func invokedFunction(uri any) string {
	join, _ := uri.(map[string]any)["Fn::Join"].([]any)
	if len(join) != 2 {
		return ""
	}
	parts, _ := join[1].([]any)
	for _, part := range parts {
		if id := getAttID(part, "Arn"); id != "" {
			return id
		}
	}
	return ""
}
