package stacks_test

import (
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"parley/internal/schema"
)

func TestTableFollowsSchema(t *testing.T) {
	data := app.templates["data"]
	def := schema.Definition

	check(t, "one table", func() { data.ResourceCountIs(jsii.String("AWS::DynamoDB::Table"), jsii.Number(1)) })

	attributes := []any{
		map[string]any{"AttributeName": def.PartitionKey, "AttributeType": "S"},
		map[string]any{"AttributeName": def.SortKey, "AttributeType": "S"},
	}
	var indexes []any
	for _, index := range def.Indexes {
		attributes = append(attributes,
			map[string]any{"AttributeName": index.PartitionKey, "AttributeType": "S"},
			map[string]any{"AttributeName": index.SortKey, "AttributeType": "S"})
		indexes = append(indexes, map[string]any{
			"IndexName": index.Name,
			"KeySchema": []any{
				map[string]any{"AttributeName": index.PartitionKey, "KeyType": "HASH"},
				map[string]any{"AttributeName": index.SortKey, "KeyType": "RANGE"},
			},
			"Projection": map[string]any{"ProjectionType": "ALL"},
		})
	}
	check(t, "table properties", func() {
		data.HasResourceProperties(jsii.String("AWS::DynamoDB::Table"), map[string]any{
			"KeySchema": []any{
				map[string]any{"AttributeName": def.PartitionKey, "KeyType": "HASH"},
				map[string]any{"AttributeName": def.SortKey, "KeyType": "RANGE"},
			},
			"AttributeDefinitions":             assertions.Match_ArrayWith(&attributes),
			"BillingMode":                      "PAY_PER_REQUEST",
			"StreamSpecification":              map[string]any{"StreamViewType": def.StreamView},
			"TimeToLiveSpecification":          map[string]any{"AttributeName": def.TTLAttribute, "Enabled": true},
			"PointInTimeRecoverySpecification": map[string]any{"PointInTimeRecoveryEnabled": true},
			"GlobalSecondaryIndexes":           indexes,
		})
	})
	check(t, "table is retained", func() {
		data.HasResource(jsii.String("AWS::DynamoDB::Table"), map[string]any{
			"DeletionPolicy":      "Retain",
			"UpdateReplacePolicy": "Retain",
		})
	})
}

func TestDataStackHoldsKeyAndMailConfiguration(t *testing.T) {
	data := app.templates["data"]
	check(t, "generated signing key", func() {
		data.HasResourceProperties(jsii.String("AWS::SecretsManager::Secret"), map[string]any{
			"GenerateSecretString": assertions.Match_ObjectLike(&map[string]any{"PasswordLength": 64}),
		})
	})
	check(t, "SES configuration set", func() {
		data.ResourceCountIs(jsii.String("AWS::SES::ConfigurationSet"), jsii.Number(1))
	})
}
