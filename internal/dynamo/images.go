package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// StoredImage is an uploaded settings image (the company logo, the invite
// avatar): pk ACC#{account}, sk IMAGE#{key}, with the bytes in a binary
// attribute. Uploads are at most 256 KB, so an image fits one item; the
// settings document keeps only its description (format, size, hash).
type StoredImage struct {
	AccountID   string    `dynamodbav:"accountId"`
	Key         string    `dynamodbav:"key"` // the dotted setting key, e.g. company.logo
	ContentType string    `dynamodbav:"contentType"`
	SHA256      string    `dynamodbav:"sha256"`
	Data        []byte    `dynamodbav:"data"`
	UpdatedAt   time.Time `dynamodbav:"updatedAt"`
}

func imageSK(key string) string { return "IMAGE#" + key }

// Image returns an account's image for a setting key. Errors:
// apperr.NotFound when there is none.
func (s *Store) Image(ctx context.Context, accountID, key string) (StoredImage, error) {
	var img StoredImage
	err := s.get(ctx, accountPK(accountID), imageSK(key), &img, "image")
	return img, err
}

// SaveSettingsWithImage stores the settings record (as SaveSettings, on the
// expected version) and, in the same transaction, the image under the setting key, or
// deletes it when img is nil. The document and the bytes therefore never
// disagree: a lost race changes neither. Errors:
// apperr.PreconditionFailed when another write came first.
func (s *Store) SaveSettingsWithImage(ctx context.Context, rec SettingsRecord, expected int64, setting string, img *StoredImage) (SettingsRecord, error) {
	put, rec, err := s.settingsPut(rec, expected)
	if err != nil {
		return rec, err
	}
	items := []types.TransactWriteItem{{Put: put}}
	if img == nil {
		items = append(items, types.TransactWriteItem{Delete: &types.Delete{TableName: aws.String(s.Table), Key: key(accountPK(rec.AccountID), imageSK(setting))}})
	} else {
		row := *img
		row.AccountID, row.Key = rec.AccountID, setting
		item, err := marshal(row, accountPK(rec.AccountID), imageSK(setting))
		if err != nil {
			return rec, err
		}
		item["type"] = &types.AttributeValueMemberS{Value: "image"}
		items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: aws.String(s.Table), Item: item}})
	}
	_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if reasons := cancelledReasons(err); len(reasons) > 0 && reasons[0] == "ConditionalCheckFailed" {
		return rec, errSettingsChanged
	}
	if err != nil {
		return rec, fmt.Errorf("dynamo: save settings with image: %w", err)
	}
	return rec, nil
}
