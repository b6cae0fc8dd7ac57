package stacks_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/jsii-runtime-go"

	"parley/infra/stacks"
	"parley/internal/routes"
)

func TestWebSocketRoutesMatchTheRoutesTable(t *testing.T) {
	realtime := app.templates["realtime"]
	check(t, "WebSocket API", func() {
		realtime.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Api"), map[string]any{
			"ProtocolType":             "WEBSOCKET",
			"RouteSelectionExpression": "$request.body.action",
		})
	})
	check(t, "auto-deployed stage", func() {
		realtime.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Stage"), map[string]any{
			"StageName":  stacks.WebSocketStageName,
			"AutoDeploy": true,
		})
	})
	check(t, "one route per routes.WebSocket entry", func() {
		realtime.ResourceCountIs(jsii.String("AWS::ApiGatewayV2::Route"), jsii.Number(len(routes.WebSocket)))
	})

	functions := functionsByName(t, "realtime")
	integrations := resources("realtime", "AWS::ApiGatewayV2::Integration")
	byKey := map[string]map[string]any{}
	for _, r := range resources("realtime", "AWS::ApiGatewayV2::Route") {
		byKey[props(r)["RouteKey"].(string)] = props(r)
	}
	for _, route := range routes.WebSocket {
		p, ok := byKey[route.RouteKey]
		if !ok {
			t.Errorf("%s: no route", route.RouteKey)
			continue
		}
		integration, ok := integrations[integrationID(p["Target"])]
		if !ok {
			t.Errorf("%s: target %v is not an integration of the stack", route.RouteKey, p["Target"])
			continue
		}
		if got := invokedFunction(props(integration)["IntegrationUri"]); got != functions[route.Function] {
			t.Errorf("%s: integrates %q, want the %s function %q", route.RouteKey, got, route.Function, functions[route.Function])
		}
		// Every frame route returns its reply through a route response;
		// without one API Gateway drops what the handler returns.
		twoWay := route.RouteKey != "$connect" && route.RouteKey != "$disconnect"
		if got := p["RouteResponseSelectionExpression"]; twoWay != (got == "$default") {
			t.Errorf("%s: route response selection %v, want $default: %v", route.RouteKey, got, twoWay)
		}
	}
	responses := map[string]bool{}
	for _, r := range resources("realtime", "AWS::ApiGatewayV2::RouteResponse") {
		p := props(r)
		if p["RouteResponseKey"] != "$default" {
			t.Errorf("route response key %v, want $default", p["RouteResponseKey"])
		}
		responses[fmt.Sprint(p["RouteId"])] = true
	}
	if want := len(routes.WebSocket) - 2; len(responses) != want {
		t.Errorf("%d routes have a route response, want %d (every route but $connect and $disconnect)", len(responses), want)
	}
}

func TestStreamConsumersRetryBoundedAndKeepFailures(t *testing.T) {
	realtime := app.templates["realtime"]
	functions := functionsByName(t, "realtime")
	queues := resources("realtime", "AWS::SQS::Queue")
	for _, consumer := range routes.Streams {
		mappings := *realtime.FindResources(jsii.String("AWS::Lambda::EventSourceMapping"), map[string]any{
			"Properties": map[string]any{
				"FunctionName":               ref(functions[consumer.Function]),
				"StartingPosition":           "LATEST",
				"BatchSize":                  consumer.BatchSize,
				"MaximumRetryAttempts":       consumer.MaxRetries,
				"BisectBatchOnFunctionError": true,
				"FunctionResponseTypes":      []any{"ReportBatchItemFailures"},
			},
		})
		if len(mappings) != 1 {
			t.Errorf("%s: %d matching event source mappings, want 1", consumer.Function, len(mappings))
			continue
		}
		for _, mapping := range mappings {
			onFailure, _ := (*mapping)["Properties"].(map[string]any)["DestinationConfig"].(map[string]any)["OnFailure"].(map[string]any)
			queueID := getAttID(onFailure["Destination"], "Arn")
			if _, ok := queues[queueID]; !ok {
				t.Errorf("%s: on-failure destination %v is not a queue of the stack", consumer.Function, onFailure)
			}
			check(t, consumer.Function+" queue depth alarm", func() {
				realtime.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), map[string]any{
					"Namespace":          "AWS/SQS",
					"MetricName":         "ApproximateNumberOfMessagesVisible",
					"Dimensions":         []any{map[string]any{"Name": "QueueName", "Value": map[string]any{"Fn::GetAtt": []any{queueID, "QueueName"}}}},
					"Threshold":          0,
					"ComparisonOperator": "GreaterThanThreshold",
				})
			})
		}
		check(t, consumer.Function+" iterator age alarm", func() {
			realtime.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), map[string]any{
				"Namespace":  "AWS/Lambda",
				"MetricName": "IteratorAge",
				"Dimensions": []any{map[string]any{"Name": "FunctionName", "Value": ref(functions[consumer.Function])}},
			})
		})
	}
}

func TestSchedulesMatchTheRoutesTable(t *testing.T) {
	realtime := app.templates["realtime"]
	check(t, "one schedule per routes.Schedules entry", func() {
		realtime.ResourceCountIs(jsii.String("AWS::Scheduler::Schedule"), jsii.Number(len(routes.Schedules)))
	})
	functions := functionsByName(t, "realtime")
	for _, schedule := range routes.Schedules {
		found := *realtime.FindResources(jsii.String("AWS::Scheduler::Schedule"), map[string]any{
			"Properties": map[string]any{"ScheduleExpression": schedule.Expression},
		})
		// Several schedules may share an expression (the sweeper's and the
		// webhook dispatcher's minute): exactly one of them targets this
		// schedule's function.
		var mine []map[string]any
		for _, s := range found {
			target := (*s)["Properties"].(map[string]any)["Target"].(map[string]any)
			if getAttID(target["Arn"], "Arn") == functions[schedule.Function] {
				mine = append(mine, target)
			}
		}
		if len(mine) != 1 {
			t.Errorf("%s: %d schedules with %q target the %s function, want 1", schedule.Name, len(mine), schedule.Expression, schedule.Function)
			continue
		}
		for _, target := range mine {
			// The function decodes an EventBridge scheduled event, as the
			// local stack fires it.
			ev, err := scheduledEvent(target["Input"])
			if err != nil {
				t.Errorf("%s: input %v: %v", schedule.Name, target["Input"], err)
				continue
			}
			if ev.DetailType != "Scheduled Event" || ev.Source != "aws.scheduler" || ev.Time.IsZero() || len(ev.Resources) != 1 {
				t.Errorf("%s: input decodes to %+v, want a scheduled event", schedule.Name, ev)
			}
		}
	}
}

// scheduledEvent fills the schedule's input as EventBridge Scheduler would
// (pseudo parameters and context attributes) and decodes it the way the
// function does.
func scheduledEvent(input any) (events.EventBridgeEvent, error) {
	var ev events.EventBridgeEvent
	join, _ := input.(map[string]any)["Fn::Join"].([]any)
	if len(join) != 2 {
		return ev, fmt.Errorf("not an Fn::Join")
	}
	var text strings.Builder
	for _, part := range join[1].([]any) {
		switch p := part.(type) {
		case string:
			text.WriteString(p)
		default:
			text.WriteString(map[string]string{"AWS::AccountId": "123456789012", "AWS::Region": "eu-central-1"}[refID(p)])
		}
	}
	filled := strings.NewReplacer(
		"<aws.scheduler.scheduled-time>", "2026-11-25T12:00:00Z",
		"<aws.scheduler.execution-id>", "d5f8f1c6-1c3e-4f4e-9d55-5f0c3e8f1a2b",
		"<aws.scheduler.schedule-arn>", "arn:aws:scheduler:eu-central-1:123456789012:schedule/default/s",
	).Replace(text.String())
	return ev, json.Unmarshal([]byte(filled), &ev)
}
