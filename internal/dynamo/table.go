package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"parley/internal/schema"
)

// CreateTable creates Parley's table, as schema.Definition describes it, in
// DynamoDB Local (in AWS the CDK stack owns the table). It is idempotent: a
// table that already exists is kept as it is, and TTL is turned on unless it
// already is. It returns once the table and its indexes are ACTIVE. It does
// not add indexes to an older table: DynamoDB Local's index backfill was seen
// to hang under load, so after an index change to schema.Definition a make
// dev data folder is started afresh (rm -rf .local/dynamodb).
func CreateTable(ctx context.Context, client *dynamodb.Client, name string) error {
	if err := createTable(ctx, client, name, schema.Definition); err != nil {
		return fmt.Errorf("dynamo: CreateTable(%q): %w", name, err)
	}
	return nil
}

func createTable(ctx context.Context, client *dynamodb.Client, name string, def schema.Table) error {
	_, err := client.CreateTable(ctx, createTableInput(def, name))
	var inUse *types.ResourceInUseException
	switch {
	case errors.As(err, &inUse):
		// Exists already, or is being created by a concurrent caller.
	case err != nil:
		return err
	}
	if _, err := waitActive(ctx, client, name); err != nil {
		return err
	}
	return enableTTL(ctx, client, name, def.TTLAttribute)
}

func createTableInput(def schema.Table, name string) *dynamodb.CreateTableInput {
	in := &dynamodb.CreateTableInput{
		TableName:            aws.String(name),
		BillingMode:          types.BillingModePayPerRequest,
		KeySchema:            keySchema(def.PartitionKey, def.SortKey),
		AttributeDefinitions: attributeDefinitions(def, def.Indexes),
		StreamSpecification: &types.StreamSpecification{
			StreamEnabled:  aws.Bool(true),
			StreamViewType: types.StreamViewType(def.StreamView),
		},
	}
	for _, ix := range def.Indexes {
		in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, gsi(ix))
	}
	return in
}

func gsi(ix schema.Index) types.GlobalSecondaryIndex {
	return types.GlobalSecondaryIndex{
		IndexName:  aws.String(ix.Name),
		KeySchema:  keySchema(ix.PartitionKey, ix.SortKey),
		Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
	}
}

func keySchema(pk, sk string) []types.KeySchemaElement {
	ks := []types.KeySchemaElement{{AttributeName: aws.String(pk), KeyType: types.KeyTypeHash}}
	if sk != "" {
		ks = append(ks, types.KeySchemaElement{AttributeName: aws.String(sk), KeyType: types.KeyTypeRange})
	}
	return ks
}

// attributeDefinitions declares every key attribute of the table and of the
// given indexes, once each: DynamoDB refuses duplicates and unused ones.
// Every key of the single-table design is a string.
func attributeDefinitions(def schema.Table, indexes []schema.Index) []types.AttributeDefinition {
	var defs []types.AttributeDefinition
	seen := map[string]bool{}
	add := func(name string) {
		if name == "" || seen[name] {
			return
		}
		seen[name] = true
		defs = append(defs, types.AttributeDefinition{AttributeName: aws.String(name), AttributeType: types.ScalarAttributeTypeS})
	}
	add(def.PartitionKey)
	add(def.SortKey)
	for _, ix := range indexes {
		add(ix.PartitionKey)
		add(ix.SortKey)
	}
	return defs
}

// enableTTL turns TTL on. DynamoDB refuses to enable it twice (and to change
// the attribute without disabling first, which takes an hour in AWS), so an
// existing setting on the same attribute is success and one on another
// attribute is an error worth reading.
func enableTTL(ctx context.Context, client *dynamodb.Client, name, attr string) error {
	if attr == "" {
		return nil
	}
	cur, err := client.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(name)})
	if err != nil {
		return fmt.Errorf("describe TTL: %w", err)
	}
	if d := cur.TimeToLiveDescription; d != nil {
		switch d.TimeToLiveStatus {
		case types.TimeToLiveStatusEnabled, types.TimeToLiveStatusEnabling:
			if got := aws.ToString(d.AttributeName); got != attr {
				return fmt.Errorf("TTL is on attribute %q, want %q", got, attr)
			}
			return nil
		}
	}
	_, err = client.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName:               aws.String(name),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String(attr), Enabled: aws.Bool(true)},
	})
	// A concurrent caller may have won the race since DescribeTimeToLive.
	var ve interface{ ErrorCode() string }
	if errors.As(err, &ve) && ve.ErrorCode() == "ValidationException" && strings.Contains(err.Error(), "already enabled") {
		return nil
	}
	if err != nil {
		return fmt.Errorf("enable TTL: %w", err)
	}
	return nil
}

// waitActive polls until the table and all its indexes are ACTIVE. DynamoDB
// Local is ACTIVE at once; the SDK's waiter would still sleep 20 s between
// checks, so this polls with a short backoff instead.
func waitActive(ctx context.Context, client *dynamodb.Client, name string) (*types.TableDescription, error) {
	delay := 25 * time.Millisecond
	for {
		out, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
		if err != nil {
			var nf *types.ResourceNotFoundException
			if !errors.As(err, &nf) { // not yet visible after a concurrent create
				return nil, fmt.Errorf("describe: %w", err)
			}
		} else if active(out.Table) {
			return out.Table, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("wait for ACTIVE: %w", ctx.Err())
		case <-time.After(delay):
		}
		delay = min(delay*2, 2*time.Second)
	}
}

func active(t *types.TableDescription) bool {
	if t.TableStatus != types.TableStatusActive {
		return false
	}
	for _, g := range t.GlobalSecondaryIndexes {
		if g.IndexStatus != types.IndexStatusActive {
			return false
		}
	}
	return true
}
