package stacks_test

import (
	"fmt"
	"slices"
	"sort"
	"testing"

	"github.com/aws/jsii-runtime-go"

	"parley/internal/config"
	"parley/internal/routes"
)

// extraEnv is the environment each function gets beyond TABLE_NAME and
// PARLEY_STAGE: each name comes with the permission to use what it names, so
// this is also the list of who may do what.
var extraEnv = map[string][]string{
	routes.FnAPI:        {config.EnvTokenSecretARN, config.EnvPublicBaseURL, config.EnvWebSocketURL, config.EnvConsoleURLParameter},
	routes.FnAuthorizer: {config.EnvTokenSecretARN},
	routes.FnRealtime:   {config.EnvTokenSecretARN, config.EnvConnectionsEndpoint},
	routes.FnStream:     {config.EnvMailFrom, config.EnvMailConfigSet, config.EnvConnectionsEndpoint},
	routes.FnSweeper:    {config.EnvMailFrom, config.EnvMailConfigSet}, // it resends the mail the stream could not
	routes.FnWebhooks:   {},
}

func TestEveryFunctionIsAnArmBootstrapWithRetainedLogs(t *testing.T) {
	for _, fn := range routes.Functions {
		t.Run(fn.Name, func(t *testing.T) {
			id, ok := functionsByName(t, fn.Stack)[fn.Name]
			if !ok {
				t.Fatalf("function %q is not in the %s stack", fn.Name, fn.Stack)
			}
			p := props(resources(fn.Stack, "AWS::Lambda::Function")[id])
			for name, want := range map[string]any{
				"Runtime":       "provided.al2023",
				"Architectures": []any{"arm64"},
				"Handler":       "bootstrap",
				"MemorySize":    float64(fn.MemoryMB),
				"Timeout":       float64(fn.TimeoutSec),
				"Description":   fn.Description,
			} {
				if got := p[name]; fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("%s = %v, want %v", name, got, want)
				}
			}

			logging, _ := p["LoggingConfig"].(map[string]any)
			logGroup, ok := resources(fn.Stack, "AWS::Logs::LogGroup")[refID(logging["LogGroup"])]
			if !ok {
				t.Fatalf("LoggingConfig.LogGroup = %v, want a log group of the stack", logging["LogGroup"])
			}
			if days, _ := props(logGroup)["RetentionInDays"].(float64); days <= 0 {
				t.Errorf("log group retention = %v, want a number of days", props(logGroup)["RetentionInDays"])
			}

			env, _ := p["Environment"].(map[string]any)["Variables"].(map[string]any)
			var got []string
			for name := range env {
				got = append(got, name)
			}
			want := append([]string{config.EnvTableName, config.EnvStage}, extraEnv[fn.Name]...)
			sort.Strings(got)
			sort.Strings(want)
			if !slices.Equal(got, want) {
				t.Errorf("environment names = %v, want %v", got, want)
			}
			if env[config.EnvStage] != "aws" {
				t.Errorf("%s = %v, want aws", config.EnvStage, env[config.EnvStage])
			}
		})
	}
}

func TestEveryFunctionHasErrorAndThrottleAlarms(t *testing.T) {
	for _, fn := range routes.Functions {
		id := functionsByName(t, fn.Stack)[fn.Name]
		for _, metric := range []string{"Errors", "Throttles"} {
			check(t, fn.Name+" "+metric+" alarm", func() {
				app.templates[fn.Stack].HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), map[string]any{
					"Namespace":  "AWS/Lambda",
					"MetricName": metric,
					"Dimensions": []any{map[string]any{"Name": "FunctionName", "Value": ref(id)}},
				})
			})
		}
	}
}

// TestNoFunctionInAVPC: the webhook dispatcher calls the internet from
// Lambda's own network, like every other function; none is in a VPC,
// where it would need a NAT gateway and could reach private addresses the
// outbound client refuses anyway.
func TestNoFunctionInAVPC(t *testing.T) {
	for _, fn := range routes.Functions {
		id := functionsByName(t, fn.Stack)[fn.Name]
		if p := props(resources(fn.Stack, "AWS::Lambda::Function")[id]); p["VpcConfig"] != nil {
			t.Errorf("%s has a VpcConfig: %v", fn.Name, p["VpcConfig"])
		}
	}
	if _, ok := functionsByName(t, "realtime")[routes.FnWebhooks]; !ok {
		t.Fatal("the webhook dispatcher is not in the realtime stack")
	}
}
