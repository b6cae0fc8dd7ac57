package dynamo

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"parley/internal/apperr"
	"parley/internal/settings"
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
	err := s.get(ctx, accountPK(accountID), settingsSK, &r, typeSettings)
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
	rec.Type = typeSettings
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

// The settings service's storage (settings.Store): the same items, in the
// domain's types, so no row type leaves this package.

// ReadSettings returns the account's decoded document and its version.
func (s *Store) ReadSettings(ctx context.Context, accountID string) (settings.Stored, error) {
	rec, err := s.Settings(ctx, accountID)
	if err != nil {
		return settings.Stored{}, err
	}
	doc, err := settings.Load([]byte(rec.Doc))
	return settings.Stored{Doc: doc, Version: rec.Version}, err
}

func settingsRow(rev settings.Revision) (SettingsRecord, error) {
	raw, err := json.Marshal(rev.Doc)
	if err != nil {
		return SettingsRecord{}, err
	}
	changed, err := json.Marshal(rev.Changes)
	if err != nil {
		return SettingsRecord{}, err
	}
	return SettingsRecord{AccountID: rev.AccountID, Doc: string(raw), UpdatedBy: rev.UpdatedBy, UpdatedAt: rev.UpdatedAt, Changes: string(changed)}, nil
}

// WriteSettings stores rev on the expected version (SaveSettings).
func (s *Store) WriteSettings(ctx context.Context, rev settings.Revision, expected int64) (int64, error) {
	rec, err := settingsRow(rev)
	if err != nil {
		return 0, err
	}
	saved, err := s.SaveSettings(ctx, rec, expected)
	return saved.Version, err
}

// WriteSettingsImage stores rev with an image (SaveSettingsWithImage).
func (s *Store) WriteSettingsImage(ctx context.Context, rev settings.Revision, expected int64, key string, img *settings.ImageFile) (int64, error) {
	rec, err := settingsRow(rev)
	if err != nil {
		return 0, err
	}
	var row *StoredImage
	if img != nil {
		row = &StoredImage{ContentType: img.ContentType, SHA256: img.SHA256, Data: img.Data, UpdatedAt: img.UpdatedAt}
	}
	saved, err := s.SaveSettingsWithImage(ctx, rec, expected, key, row)
	return saved.Version, err
}

// SettingsImage returns a setting key's image bytes (Image).
func (s *Store) SettingsImage(ctx context.Context, accountID, key string) (settings.ImageFile, error) {
	img, err := s.Image(ctx, accountID, key)
	return settings.ImageFile{ContentType: img.ContentType, SHA256: img.SHA256, Data: img.Data, UpdatedAt: img.UpdatedAt}, err
}

// AuditTrail is Audit in the domain's type.
func (s *Store) AuditTrail(ctx context.Context, accountID string, before int64, limit int32) ([]settings.AuditEntry, error) {
	rows, err := s.Audit(ctx, accountID, before, limit)
	if err != nil {
		return nil, err
	}
	out := make([]settings.AuditEntry, 0, len(rows))
	for _, r := range rows {
		ch := json.RawMessage("null")
		if r.Changes != "" {
			ch = json.RawMessage(r.Changes)
		}
		out = append(out, settings.AuditEntry{AccountID: r.AccountID, Version: r.Version, At: r.At, By: r.By, Changes: ch})
	}
	return out, nil
}

// AccountPlan is the account's plan. Errors: apperr.NotFound.
func (s *Store) AccountPlan(ctx context.Context, accountID string) (string, error) {
	a, err := s.Account(ctx, accountID)
	return a.Plan, err
}
