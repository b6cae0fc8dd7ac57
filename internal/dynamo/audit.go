package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"parley/internal/schema"
	"parley/internal/settings"
)

// AuditEntry records one settings write: who, when, which keys with their old
// and new values (secrets already masked by the settings package).
type AuditEntry struct {
	AccountID string    `dynamodbav:"accountId" json:"-"`
	Version   int64     `dynamodbav:"version" json:"version"`
	At        time.Time `dynamodbav:"at" json:"at"`
	By        string    `dynamodbav:"by" json:"by"`
	Changes   string    `dynamodbav:"changes" json:"-"`
}

func auditSK(version int64) string { return fmt.Sprintf("AUDIT#%012d", version) }

// PutAudit stores an entry once: it is keyed by the settings version, so a
// stream record delivered twice writes it once. Reports whether it was new.
func (s *Store) PutAudit(ctx context.Context, e AuditEntry) (bool, error) {
	item, err := marshal(e, accountPK(e.AccountID), auditSK(e.Version))
	if err != nil {
		return false, err
	}
	item["type"] = &types.AttributeValueMemberS{Value: "audit"}
	_, err = s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: item, ConditionExpression: notExists})
	if isConditionFailed(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("dynamo: put audit: %w", err)
	}
	return true, nil
}

// Audit lists an account's audit entries, newest first, at most limit, from
// before the version `before` (0 = from the newest): one Query.
func (s *Store) Audit(ctx context.Context, accountID string, before int64, limit int32) ([]AuditEntry, error) {
	cond := "#pk = :pk AND begins_with(#sk, :prefix)"
	values := map[string]types.AttributeValue{
		":pk":     &types.AttributeValueMemberS{Value: accountPK(accountID)},
		":prefix": &types.AttributeValueMemberS{Value: "AUDIT#"},
	}
	if before > 0 {
		cond = "#pk = :pk AND #sk BETWEEN :prefix AND :before"
		values[":before"] = &types.AttributeValueMemberS{Value: auditSK(before - 1)}
	}
	res, err := s.DB.Query(ctx, &dynamodb.QueryInput{
		TableName:                 aws.String(s.Table),
		KeyConditionExpression:    aws.String(cond),
		ExpressionAttributeNames:  map[string]string{"#pk": schema.PK, "#sk": schema.SK},
		ExpressionAttributeValues: values,
		ScanIndexForward:          aws.Bool(false),
		Limit:                     aws.Int32(limit),
	})
	if err != nil {
		return nil, fmt.Errorf("dynamo: query audit: %w", err)
	}
	out := make([]AuditEntry, 0, len(res.Items))
	for _, it := range res.Items {
		var e AuditEntry
		if err := attributevalue.UnmarshalMap(it, &e); err != nil {
			return nil, fmt.Errorf("dynamo: decode audit: %w", err)
		}
		out = append(out, e)
	}
	return out, nil
}

// RecordAudit is PutAudit of the domain's entry (the stream consumer's).
func (s *Store) RecordAudit(ctx context.Context, e settings.AuditEntry) (bool, error) {
	return s.PutAudit(ctx, AuditEntry{AccountID: e.AccountID, Version: e.Version, At: e.At, By: e.By, Changes: string(e.Changes)})
}
