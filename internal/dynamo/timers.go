package dynamo

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"parley/internal/schema"
	"parley/internal/timers"
)

// timerRow is a pending timer: pk TIMERS#<due unix second>, sk
// <account>#<subject>#<kind>, so one Query finds a second's timers and one
// subject has at most one timer of a kind per second.
type timerRow struct {
	Type      string `dynamodbav:"type"`
	AccountID string `dynamodbav:"accountId"`
	Subject   string `dynamodbav:"subject"`
	Kind      string `dynamodbav:"kind"`
	Due       int64  `dynamodbav:"due"`
	// ExpiresAt lets TTL clear timers no sweeper ever saw (a week late).
	ExpiresAt int64 `dynamodbav:"expiresAt"`
}

func timerKey(t timers.Timer) (string, string) {
	return "TIMERS#" + strconv.FormatInt(t.Due.Unix(), 10), t.AccountID + "#" + t.Subject + "#" + t.Kind
}

// PutTimer schedules a timer (replacing one of the same second, subject and kind).
func (s *Store) PutTimer(ctx context.Context, t timers.Timer) error {
	pk, sk := timerKey(t)
	item, err := marshal(timerRow{Type: "timer", AccountID: t.AccountID, Subject: t.Subject, Kind: t.Kind, Due: t.Due.Unix(),
		ExpiresAt: t.Due.Add(7 * 24 * time.Hour).Unix()}, pk, sk)
	if err != nil {
		return err
	}
	if _, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: item}); err != nil {
		return fmt.Errorf("dynamo: put timer: %w", err)
	}
	return nil
}

// DueTimers lists the timers due at second with one Query.
func (s *Store) DueTimers(ctx context.Context, second int64) ([]timers.Timer, error) {
	res, err := s.DB.Query(ctx, &dynamodb.QueryInput{
		TableName:                 aws.String(s.Table),
		KeyConditionExpression:    aws.String("#pk = :pk"),
		ExpressionAttributeNames:  map[string]string{"#pk": schema.PK},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: "TIMERS#" + strconv.FormatInt(second, 10)}},
	})
	if err != nil {
		return nil, fmt.Errorf("dynamo: query timers: %w", err)
	}
	out := make([]timers.Timer, 0, len(res.Items))
	for _, it := range res.Items {
		var r timerRow
		if err := attributevalue.UnmarshalMap(it, &r); err != nil {
			return nil, fmt.Errorf("dynamo: decode timer: %w", err)
		}
		out = append(out, timers.Timer{AccountID: r.AccountID, Subject: r.Subject, Kind: r.Kind, Due: time.Unix(r.Due, 0).UTC()})
	}
	return out, nil
}

// FireTimer deletes the timer and writes its fired record in one
// transaction, both conditional, so it acts at most once.
func (s *Store) FireTimer(ctx context.Context, t timers.Timer) (bool, error) {
	pk, sk := timerKey(t)
	fired, err := marshal(timerRow{Type: typeTimerFired, AccountID: t.AccountID, Subject: t.Subject, Kind: t.Kind, Due: t.Due.Unix(),
		ExpiresAt: s.Now().Add(30 * 24 * time.Hour).Unix()}, accountPK(t.AccountID), "FIRED#"+t.Kind+"#"+t.Subject+"#"+strconv.FormatInt(t.Due.Unix(), 10))
	if err != nil {
		return false, err
	}
	_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Delete: &types.Delete{TableName: aws.String(s.Table), Key: key(pk, sk), ConditionExpression: aws.String("attribute_exists(" + schema.PK + ")")}},
		{Put: &types.Put{TableName: aws.String(s.Table), Item: fired, ConditionExpression: notExists}},
	}})
	if cancelledReasons(err) != nil {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("dynamo: fire timer: %w", err)
	}
	return true, nil
}

// TimerFired reports whether a timer fired (for tests and the stream consumer).
func (s *Store) TimerFired(ctx context.Context, t timers.Timer) (bool, error) {
	var r timerRow
	err := s.get(ctx, accountPK(t.AccountID), "FIRED#"+t.Kind+"#"+t.Subject+"#"+strconv.FormatInt(t.Due.Unix(), 10), &r, "fired timer")
	if err != nil {
		if isNotFound(err) {
			return false, nil
		}
		return false, err
	}
	return true, nil
}
