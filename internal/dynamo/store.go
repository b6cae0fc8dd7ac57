// Package dynamo is the DynamoDB adapter: it stores every domain noun in
// Parley's single table and translates DynamoDB's errors into apperr codes.
// Every read is a GetItem or a Query: nothing here scans.
package dynamo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"parley/internal/apperr"
	"parley/internal/schema"
)

// Store reads and writes Parley's table.
type Store struct {
	DB    *dynamodb.Client
	Table string
	Now   func() time.Time
}

// New returns a Store on table.
func New(db *dynamodb.Client, table string) *Store {
	return &Store{DB: db, Table: table, Now: time.Now}
}

// Key builders. Every item of an account lives under its account's
// partition prefix, so a key can never name another tenant's item by accident.
func accountPK(accountID string) string { return "ACC#" + accountID }
func emailPK(email string) string       { return "EMAIL#" + email }

func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		schema.PK: &types.AttributeValueMemberS{Value: pk},
		schema.SK: &types.AttributeValueMemberS{Value: sk},
	}
}

// get reads one item into out; apperr.NotFound when it is absent.
func (s *Store) get(ctx context.Context, pk, sk string, out any, what string) error {
	res, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.Table), Key: key(pk, sk), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return fmt.Errorf("dynamo: get %s: %w", what, err)
	}
	if res.Item == nil {
		return apperr.New(apperr.NotFound, "%s not found", what)
	}
	if err := attributevalue.UnmarshalMap(res.Item, out); err != nil {
		return fmt.Errorf("dynamo: decode %s: %w", what, err)
	}
	return nil
}

// marshal encodes a row and stamps its keys.
func marshal(row any, pk, sk string) (map[string]types.AttributeValue, error) {
	item, err := attributevalue.MarshalMap(row)
	if err != nil {
		return nil, fmt.Errorf("dynamo: encode: %w", err)
	}
	item[schema.PK] = &types.AttributeValueMemberS{Value: pk}
	item[schema.SK] = &types.AttributeValueMemberS{Value: sk}
	return item, nil
}

// isConditionFailed reports whether err is a failed condition on a single
// write.
func isConditionFailed(err error) bool {
	var cc *types.ConditionalCheckFailedException
	return errors.As(err, &cc)
}

// cancelledReasons returns the per-item reason codes of a cancelled
// transaction, or nil if err is something else.
func cancelledReasons(err error) []string {
	var tc *types.TransactionCanceledException
	if !errors.As(err, &tc) {
		return nil
	}
	codes := make([]string, len(tc.CancellationReasons))
	for i, r := range tc.CancellationReasons {
		codes[i] = aws.ToString(r.Code)
	}
	return codes
}

var notExists = aws.String("attribute_not_exists(" + schema.PK + ")")

func isNotFound(err error) bool { return apperr.CodeOf(err) == apperr.NotFound }
