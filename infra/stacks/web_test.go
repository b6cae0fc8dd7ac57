package stacks_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"parley/infra/stacks"
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
