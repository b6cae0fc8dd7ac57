package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"parley/internal/visitor"
)

// visitorSK is a visitor's item in the account's partition. Identification
// is one attribute of it, written with SET, so whatever else is later kept
// about a visitor in the same item stays.
func visitorSK(id string) string { return "VISITOR#" + id }

// VisitorTTL is how long a visitor's item outlives its last write: every
// widget config call writes it (DrawButton), so only visitors who stop
// coming lose it, and anonymous config calls cannot pile items up.
const VisitorTTL = 90 * 24 * time.Hour

// visitorExpiry is the TTL value every write of a visitor's item sets.
func (s *Store) visitorExpiry() types.AttributeValue {
	return num(s.Now().Add(VisitorTTL).Unix())
}

// SetVisitorIdentity attaches a signed identification to a visitor,
// replacing an earlier one.
func (s *Store) SetVisitorIdentity(ctx context.Context, accountID, visitorID string, f visitor.Fields, at time.Time) error {
	m, err := attributevalue.Marshal(map[string]string(f))
	if err != nil {
		return fmt.Errorf("dynamo: encode identity: %w", err)
	}
	_, err = s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(s.Table),
		Key:                      key(accountPK(accountID), visitorSK(visitorID)),
		UpdateExpression:         aws.String("SET #type = :type, #acc = :acc, #id = :id, #identity = :f, #at = :at, expiresAt = :exp"),
		ExpressionAttributeNames: map[string]string{"#type": "type", "#acc": "accountId", "#id": "id", "#identity": "identity", "#at": "identifiedAt"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":type": &types.AttributeValueMemberS{Value: "visitor"}, ":acc": &types.AttributeValueMemberS{Value: accountID},
			":id": &types.AttributeValueMemberS{Value: visitorID}, ":f": m,
			":at": &types.AttributeValueMemberS{Value: at.UTC().Format(time.RFC3339Nano)}, ":exp": s.visitorExpiry(),
		},
	})
	if err != nil {
		return fmt.Errorf("dynamo: set visitor identity: %w", err)
	}
	return nil
}

// VisitorIdentity returns the fields attached to a visitor; nil for an
// anonymous one.
func (s *Store) VisitorIdentity(ctx context.Context, accountID, visitorID string) (visitor.Fields, error) {
	var r struct {
		Identity map[string]string `dynamodbav:"identity"`
	}
	err := s.get(ctx, accountPK(accountID), visitorSK(visitorID), &r, "visitor")
	if isNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return r.Identity, nil
}
