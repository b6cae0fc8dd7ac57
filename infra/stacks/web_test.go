package stacks_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"parley/infra/stacks"
	"parley/internal/config"
	"parley/internal/routes"
)

func TestSiteIsAPrivateBucketBehindCloudFront(t *testing.T) {
	web := app.templates["web"]
	check(t, "bucket blocks public access", func() {
		web.HasResourceProperties(jsii.String("AWS::S3::Bucket"), map[string]any{
			"PublicAccessBlockConfiguration": map[string]any{
				"BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true,
			},
		})
	})
	check(t, "bucket refuses plain HTTP", func() {
		statement := []any{assertions.Match_ObjectLike(&map[string]any{
			"Effect":    "Deny",
			"Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}},
		})}
		web.HasResourceProperties(jsii.String("AWS::S3::BucketPolicy"), map[string]any{
			"PolicyDocument": assertions.Match_ObjectLike(&map[string]any{
				"Statement": assertions.Match_ArrayWith(&statement),
			}),
		})
	})
	check(t, "one origin access control", func() {
		web.ResourceCountIs(jsii.String("AWS::CloudFront::OriginAccessControl"), jsii.Number(1))
	})
	check(t, "distribution", func() {
		origin := []any{assertions.Match_ObjectLike(&map[string]any{"OriginAccessControlId": assertions.Match_AnyValue()})}
		web.HasResourceProperties(jsii.String("AWS::CloudFront::Distribution"), map[string]any{
			"DistributionConfig": assertions.Match_ObjectLike(&map[string]any{
				"DefaultRootObject": "index.html",
				"Origins":           assertions.Match_ArrayWith(&origin),
			}),
		})
	})

	deployments := resources("web", "Custom::CDKBucketDeployment")
	if len(deployments) != 1 {
		t.Fatalf("%d bucket deployments, want 1", len(deployments))
	}
	for _, d := range deployments {
		// config.json tells the console and the widget where both APIs are.
		markers, _ := json.Marshal(props(d)["SourceMarkers"])
		for _, want := range []string{"Http", "Realtime"} {
			if !strings.Contains(string(markers), want) {
				t.Errorf("%s does not reference the %s stack: %s", stacks.ConsoleConfigKey, want, markers)
			}
		}
	}
}

// Mails link to the console, not to the API: the web stack publishes the
// distribution's URL under a fixed name, and the api function may read that
// one parameter and nothing else of SSM.
func TestMailedLinksPointAtTheConsole(t *testing.T) {
	check(t, "the console's URL is published", func() {
		app.templates["web"].HasResourceProperties(jsii.String("AWS::SSM::Parameter"), map[string]any{
			"Name":  stacks.ConsoleURLParameter,
			"Type":  "String",
			"Value": assertions.Match_ObjectLike(&map[string]any{"Fn::Join": assertions.Match_AnyValue()}),
		})
	})
	value, _ := json.Marshal(props(onlyResource(t, "web", "AWS::SSM::Parameter"))["Value"])
	if !strings.Contains(string(value), "DomainName") || !strings.Contains(string(value), "https://") {
		t.Errorf("the parameter is not https://<distribution domain>: %s", value)
	}

	fn, _ := routes.FunctionByName(routes.FnAPI)
	id := functionsByName(t, "http")[routes.FnAPI]
	env, _ := props(resources("http", "AWS::Lambda::Function")[id])["Environment"].(map[string]any)["Variables"].(map[string]any)
	if got := env[config.EnvConsoleURLParameter]; got != stacks.ConsoleURLParameter {
		t.Errorf("%s = %v, want %s", config.EnvConsoleURLParameter, got, stacks.ConsoleURLParameter)
	}
	var granted []string
	for _, s := range functionStatements(t, fn) {
		for _, a := range s.actions {
			if strings.HasPrefix(a, "ssm:") {
				r, _ := json.Marshal(s.resource)
				granted = append(granted, a+" on "+string(r))
			}
		}
	}
	if len(granted) != 1 || !strings.HasPrefix(granted[0], "ssm:GetParameter on ") || !strings.Contains(granted[0], ":parameter"+stacks.ConsoleURLParameter+`"`) {
		t.Errorf("the api function's SSM grants are %v, want only ssm:GetParameter on %s", granted, stacks.ConsoleURLParameter)
	}
}

// onlyResource returns the one resource of a type in a stack.
func onlyResource(t *testing.T, kind, typ string) map[string]any {
	t.Helper()
	all := resources(kind, typ)
	if len(all) != 1 {
		t.Fatalf("%d %s in the %s stack, want 1", len(all), typ, kind)
	}
	for _, r := range all {
		return r
	}
	return nil
}
