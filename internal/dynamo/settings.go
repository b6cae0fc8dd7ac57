package dynamo

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"parley/internal/apperr"
)

// SettingsRecord is an account's settings document as stored: the JSON the
// settings package produced, a version that increases by one on every write
// (the ETag), and who made the last write with what changes (the stream
// consumer turns these into the audit trail).
type SettingsRecord struct {
	AccountID string    `dynamodbav:"accountId"`
	Type      string    `dynamodbav:"type"`
	Doc       string    `dynamodbav:"doc"`
	Version   int64     `dynamodbav:"version"`
	UpdatedBy string    `dynamodbav:"updatedBy"`
	UpdatedAt time.Time `dynamodbav:"updatedAt"`
	Changes   string    `dynamodbav:"changes"` // JSON array of the last write's changes, secrets masked
}

const settingsSK = "SETTINGS"

// Settings returns the account's settings record. Errors: apperr.NotFound.
func (s *Store) Settings(ctx context.Context, accountID string) (SettingsRecord, error) {
	var r SettingsRecord
	err := s.get(ctx, accountPK(accountID), settingsSK, &r, "settings")
	return r, err
}

// SaveSettings writes rec if the stored version is still expected (0 means
// no document yet) and stores it as version expected+1. Errors:
// apperr.PreconditionFailed when another write came first.
func (s *Store) SaveSettings(ctx context.Context, rec SettingsRecord, expected int64) (SettingsRecord, error) {
	put, rec, err := s.settingsPut(rec, expected)
	if err != nil {
		return rec, err
	}
	in := &dynamodb.PutItemInput{TableName: put.TableName, Item: put.Item, ConditionExpression: put.ConditionExpression, ExpressionAttributeValues: put.ExpressionAttributeValues}
	if _, err := s.DB.PutItem(ctx, in); err != nil {
		if isConditionFailed(err) {
			return rec, errSettingsChanged
		}
		return rec, fmt.Errorf("dynamo: save settings: %w", err)
	}
	return rec, nil
}

var errSettingsChanged = apperr.New(apperr.PreconditionFailed, "the settings were changed by someone else; reload them and try again")

// settingsPut is the conditional put of SaveSettings, also used inside
// transactions that change the settings with another item.
func (s *Store) settingsPut(rec SettingsRecord, expected int64) (*types.Put, SettingsRecord, error) {
	rec.Type = "settings"
	rec.Version = expected + 1
	item, err := marshal(rec, accountPK(rec.AccountID), settingsSK)
	if err != nil {
		return nil, rec, err
	}
	put := &types.Put{TableName: aws.String(s.Table), Item: item}
	if expected == 0 {
		put.ConditionExpression = notExists
	} else {
		put.ConditionExpression = aws.String("version = :v")
		put.ExpressionAttributeValues = map[string]types.AttributeValue{":v": &types.AttributeValueMemberN{Value: strconv.FormatInt(expected, 10)}}
	}
	return put, rec, nil
}
