package dynamo

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Attempt counters: pk THROTTLE#{key}, sk W#{window start, unix}, with a
// TTL. A new window is a new item, so a window's count starts at zero
// without anyone resetting it, and TTL's lateness does not matter.
func throttleKey(k string, window time.Time) map[string]types.AttributeValue {
	return key("THROTTLE#"+k, "W#"+strconv.FormatInt(window.Unix(), 10))
}

// Hit counts one attempt with a single conditional ADD: the count only
// grows while it is under limit, whatever the concurrency. When the limit
// is reached it reports ok false and counts nothing.
func (s *Store) Hit(ctx context.Context, k string, window, expires time.Time, limit int) (int, bool, error) {
	out, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(s.Table),
		Key:                      throttleKey(k, window),
		UpdateExpression:         aws.String("ADD hits :one SET #type = :type, expiresAt = :exp"),
		ConditionExpression:      aws.String("attribute_not_exists(hits) OR hits < :limit"),
		ExpressionAttributeNames: map[string]string{"#type": "type"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":one": &types.AttributeValueMemberN{Value: "1"}, ":type": &types.AttributeValueMemberS{Value: "throttle"},
			":exp":   &types.AttributeValueMemberN{Value: strconv.FormatInt(expires.Unix(), 10)},
			":limit": &types.AttributeValueMemberN{Value: strconv.Itoa(limit)},
		},
		ReturnValues: types.ReturnValueUpdatedNew,
	})
	if isConditionFailed(err) {
		return limit, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("dynamo: count attempt: %w", err)
	}
	n, _ := out.Attributes["hits"].(*types.AttributeValueMemberN)
	if n == nil {
		return 0, false, fmt.Errorf("dynamo: count attempt: no count returned")
	}
	count, err := strconv.Atoi(n.Value)
	if err != nil {
		return 0, false, fmt.Errorf("dynamo: count attempt: %w", err)
	}
	return count, true, nil
}

// AdjustHits adds delta to an existing window's count; a window that is
// gone stays gone.
func (s *Store) AdjustHits(ctx context.Context, k string, window time.Time, delta int) error {
	_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(s.Table),
		Key:                       throttleKey(k, window),
		UpdateExpression:          aws.String("ADD hits :d"),
		ConditionExpression:       aws.String("attribute_exists(hits)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":d": &types.AttributeValueMemberN{Value: strconv.Itoa(delta)}},
	})
	if err != nil && !isConditionFailed(err) {
		return fmt.Errorf("dynamo: adjust attempts: %w", err)
	}
	return nil
}

// ClearHits forgets a window's count.
func (s *Store) ClearHits(ctx context.Context, k string, window time.Time) error {
	if _, err := s.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(s.Table), Key: throttleKey(k, window)}); err != nil {
		return fmt.Errorf("dynamo: clear attempts: %w", err)
	}
	return nil
}
