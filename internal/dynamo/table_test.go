package dynamo_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"parley/internal/dynamo"
	"parley/internal/schema"
	"parley/internal/testkit/testenv"
)

// shape is what CreateTable promises, in comparable form.
type shape struct {
	Billing    types.BillingMode
	Keys       map[string]types.KeyType
	Stream     types.StreamViewType
	Indexes    map[string]indexShape
	TTL        string
	TTLStatus  types.TimeToLiveStatus
	TableState types.TableStatus
}

type indexShape struct {
	Keys       map[string]types.KeyType
	Projection types.ProjectionType
	Status     types.IndexStatus
}

func describe(t *testing.T, db *dynamodb.Client, table string) shape {
	t.Helper()
	ctx := context.Background()
	out, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
	if err != nil {
		t.Fatal(err)
	}
	ttl, err := db.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(table)})
	if err != nil {
		t.Fatal(err)
	}
	keys := func(ks []types.KeySchemaElement) map[string]types.KeyType {
		m := map[string]types.KeyType{}
		for _, k := range ks {
			m[aws.ToString(k.AttributeName)] = k.KeyType
		}
		return m
	}
	d := out.Table
	s := shape{
		Keys:       keys(d.KeySchema),
		Indexes:    map[string]indexShape{},
		TTL:        aws.ToString(ttl.TimeToLiveDescription.AttributeName),
		TTLStatus:  ttl.TimeToLiveDescription.TimeToLiveStatus,
		TableState: d.TableStatus,
	}
	if d.BillingModeSummary != nil {
		s.Billing = d.BillingModeSummary.BillingMode
	}
	if d.StreamSpecification != nil && aws.ToBool(d.StreamSpecification.StreamEnabled) {
		s.Stream = d.StreamSpecification.StreamViewType
	}
	for _, g := range d.GlobalSecondaryIndexes {
		s.Indexes[aws.ToString(g.IndexName)] = indexShape{Keys: keys(g.KeySchema), Projection: g.Projection.ProjectionType, Status: g.IndexStatus}
	}
	return s
}

func wantShape() shape {
	return shape{
		Billing: types.BillingModePayPerRequest,
		Keys:    map[string]types.KeyType{schema.PK: types.KeyTypeHash, schema.SK: types.KeyTypeRange},
		Stream:  types.StreamViewTypeNewAndOldImages,
		Indexes: map[string]indexShape{schema.GSI1: {
			Keys:       map[string]types.KeyType{schema.GSI1PK: types.KeyTypeHash, schema.GSI1SK: types.KeyTypeRange},
			Projection: types.ProjectionTypeAll,
			Status:     types.IndexStatusActive,
		}},
		TTL:        schema.TTL,
		TTLStatus:  types.TimeToLiveStatusEnabled,
		TableState: types.TableStatusActive,
	}
}

func TestCreateTable(t *testing.T) {
	db, table := testenv.DynamoDB(t) // made by CreateTable
	if diff := cmp.Diff(wantShape(), describe(t, db, table)); diff != "" {
		t.Errorf("table (-want +got):\n%s", diff)
	}
	// Idempotent: make dev runs it on every start against its data folder.
	if err := dynamo.CreateTable(context.Background(), db, table); err != nil {
		t.Fatalf("second CreateTable: %v", err)
	}
	if diff := cmp.Diff(wantShape(), describe(t, db, table)); diff != "" {
		t.Errorf("after second CreateTable (-want +got):\n%s", diff)
	}
}
