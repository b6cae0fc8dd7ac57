package dynamo

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"parley/internal/apperr"
	"parley/internal/schema"
	"parley/internal/webhook"
)

// Webhook deliveries (issue 16). A delivery is ACC#a#WEBHOOK / DLV#id (ids
// sort by time, so the log is one Query newest first); while it is pending
// a pointer WEBHOOKDUE#<due unix second> / <account>#<id> names it under
// the second its next attempt is due, so the dispatcher's tick is one Query,
// as for timers. Both carry a TTL: a delivery is kept 30 days, a pointer a
// week past its second (the dispatcher never looks that far back).
type deliveryRow struct {
	Type       string    `dynamodbav:"type"`
	AccountID  string    `dynamodbav:"accountId"`
	ID         string    `dynamodbav:"id"`
	Event      string    `dynamodbav:"event"`
	ChatID     string    `dynamodbav:"chatId,omitempty"`
	Body       string    `dynamodbav:"body,omitempty"`
	Test       bool      `dynamodbav:"test,omitempty"`
	Status     string    `dynamodbav:"status"`
	Attempts   int       `dynamodbav:"attempts"`
	LastStatus int       `dynamodbav:"lastStatus,omitempty"`
	LastError  string    `dynamodbav:"lastError,omitempty"`
	LatencyMS  int64     `dynamodbav:"latencyMs,omitempty"`
	Target     string    `dynamodbav:"target,omitempty"`
	CreatedAt  time.Time `dynamodbav:"createdAt"`
	Since      time.Time `dynamodbav:"since"`
	NextAt     int64     `dynamodbav:"nextAt,omitempty"`
	FinishedAt int64     `dynamodbav:"finishedAt,omitempty"`
	ExpiresAt  int64     `dynamodbav:"expiresAt"`
}

type dueRow struct {
	Type      string `dynamodbav:"type"`
	AccountID string `dynamodbav:"accountId"`
	ID        string `dynamodbav:"id"`
	Due       int64  `dynamodbav:"due"`
	ExpiresAt int64  `dynamodbav:"expiresAt"`
}

const (
	deliveryTTL = 30 * 24 * time.Hour
	dueTTL      = 7 * 24 * time.Hour
)

func deliveriesPK(accountID string) string { return accountPK(accountID) + "#WEBHOOK" }
func deliverySK(id string) string          { return "DLV#" + id }
func duePK(second int64) string            { return "WEBHOOKDUE#" + strconv.FormatInt(second, 10) }
func dueSK(accountID, id string) string    { return accountID + "#" + id }

func unixOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

func timeOrZero(s int64) time.Time {
	if s == 0 {
		return time.Time{}
	}
	return time.Unix(s, 0).UTC()
}

func toDeliveryRow(d webhook.Delivery) deliveryRow {
	return deliveryRow{Type: "webhookDelivery", AccountID: d.AccountID, ID: d.ID, Event: string(d.Event), ChatID: d.ChatID, Body: string(d.Body), Test: d.Test,
		Status: string(d.Status), Attempts: d.Attempts, LastStatus: d.LastStatus, LastError: d.LastError, LatencyMS: d.Latency.Milliseconds(),
		Target: d.Target, CreatedAt: d.CreatedAt.UTC(), Since: d.Since.UTC(), NextAt: unixOrZero(d.NextAt), FinishedAt: unixOrZero(d.FinishedAt),
		ExpiresAt: d.Since.Add(deliveryTTL).Unix()}
}

func fromDeliveryRow(r deliveryRow) webhook.Delivery {
	return webhook.Delivery{AccountID: r.AccountID, ID: r.ID, Event: webhook.Event(r.Event), ChatID: r.ChatID, Body: []byte(r.Body), Test: r.Test,
		Status: webhook.Status(r.Status), Attempts: r.Attempts, LastStatus: r.LastStatus, LastError: r.LastError,
		Latency: time.Duration(r.LatencyMS) * time.Millisecond, Target: r.Target, CreatedAt: r.CreatedAt, Since: r.Since,
		NextAt: timeOrZero(r.NextAt), FinishedAt: timeOrZero(r.FinishedAt)}
}

func (s *Store) duePut(accountID, id string, at time.Time) (types.TransactWriteItem, error) {
	it, err := marshal(dueRow{Type: "webhookDue", AccountID: accountID, ID: id, Due: at.Unix(), ExpiresAt: at.Add(dueTTL).Unix()},
		duePK(at.Unix()), dueSK(accountID, id))
	if err != nil {
		return types.TransactWriteItem{}, err
	}
	return types.TransactWriteItem{Put: &types.Put{TableName: aws.String(s.Table), Item: it}}, nil
}

func (s *Store) dueDelete(accountID, id string, second int64, mustExist bool) types.TransactWriteItem {
	del := &types.Delete{TableName: aws.String(s.Table), Key: key(duePK(second), dueSK(accountID, id))}
	if mustExist {
		del.ConditionExpression = aws.String("attribute_exists(" + schema.PK + ")")
	}
	return types.TransactWriteItem{Delete: del}
}

// errLost is a claim another dispatcher won, or a redelivery of a pending
// delivery: the transaction's condition failed.
var errLost = apperr.New(apperr.Conflict, "lost")

func lost(err error) (bool, error) {
	if err == errLost {
		return false, nil
	}
	return err == nil, err
}

// PutDelivery stores a new delivery and its first pointer, once per id.
func (s *Store) PutDelivery(ctx context.Context, d webhook.Delivery) (bool, error) {
	item, err := marshal(toDeliveryRow(d), deliveriesPK(d.AccountID), deliverySK(d.ID))
	if err != nil {
		return false, err
	}
	due, err := s.duePut(d.AccountID, d.ID, d.NextAt)
	if err != nil {
		return false, err
	}
	t := &txn{}
	t.add(types.TransactWriteItem{Put: &types.Put{TableName: aws.String(s.Table), Item: item, ConditionExpression: notExists}}, errLost)
	t.add(due, nil)
	return lost(s.run(ctx, t, "put webhook delivery"))
}

// DueDeliveries lists a second's pointers with one Query.
func (s *Store) DueDeliveries(ctx context.Context, second int64) ([]webhook.Due, error) {
	var out []webhook.Due
	p := dynamodb.NewQueryPaginator(s.DB, &dynamodb.QueryInput{
		TableName:                 aws.String(s.Table),
		KeyConditionExpression:    aws.String("#pk = :pk"),
		ExpressionAttributeNames:  map[string]string{"#pk": schema.PK},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(duePK(second))},
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("dynamo: query webhook pointers: %w", err)
		}
		for _, it := range page.Items {
			var r dueRow
			if err := attributevalue.UnmarshalMap(it, &r); err != nil {
				return nil, fmt.Errorf("dynamo: decode webhook pointer: %w", err)
			}
			out = append(out, webhook.Due{AccountID: r.AccountID, ID: r.ID, Second: second})
		}
	}
	return out, nil
}

// Delivery reads one delivery.
func (s *Store) Delivery(ctx context.Context, accountID, id string) (webhook.Delivery, error) {
	var r deliveryRow
	if err := s.get(ctx, deliveriesPK(accountID), deliverySK(id), &r, "delivery"); err != nil {
		return webhook.Delivery{}, err
	}
	return fromDeliveryRow(r), nil
}

// Claim moves the pointer to the lease and counts the attempt, if it is
// still this dispatcher's to make.
func (s *Store) Claim(ctx context.Context, due webhook.Due, d webhook.Delivery, lease time.Time) (bool, error) {
	t := &txn{}
	t.add(s.dueDelete(due.AccountID, due.ID, due.Second, true), errLost)
	leaseIt, err := s.duePut(due.AccountID, due.ID, lease)
	if err != nil {
		return false, err
	}
	t.add(leaseIt, nil)
	t.add(types.TransactWriteItem{Update: &types.Update{TableName: aws.String(s.Table), Key: key(deliveriesPK(d.AccountID), deliverySK(d.ID)),
		UpdateExpression:         aws.String("SET attempts = :next"),
		ConditionExpression:      aws.String("#st = :pending AND attempts = :n"),
		ExpressionAttributeNames: map[string]string{"#st": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":next": num(int64(d.Attempts + 1)), ":n": num(int64(d.Attempts)),
			":pending": str(string(webhook.Pending))}}}, errLost)
	return lost(s.run(ctx, t, "claim webhook delivery"))
}

// Finish stores the attempt's outcome, drops the lease pointer and, while
// pending, points at the next attempt.
func (s *Store) Finish(ctx context.Context, d webhook.Delivery, lease time.Time) error {
	row := toDeliveryRow(d)
	row.Body = "" // unchanged: not rewritten on every attempt
	item, err := attributevalue.MarshalMap(row)
	if err != nil {
		return fmt.Errorf("dynamo: encode: %w", err)
	}
	var set []string
	names, values := map[string]string{}, map[string]types.AttributeValue{":n": num(int64(d.Attempts))}
	for k, v := range item {
		if k == "body" || k == "type" || k == "accountId" || k == "id" {
			continue
		}
		names["#"+k], values[":"+k] = k, v
		set = append(set, "#"+k+" = :"+k)
	}
	expr := "SET " + strings.Join(set, ", ")
	var remove []string
	for _, k := range []string{"lastStatus", "lastError", "nextAt", "finishedAt"} {
		if _, ok := item[k]; !ok {
			names["#"+k] = k
			remove = append(remove, "#"+k)
		}
	}
	if len(remove) > 0 {
		expr += " REMOVE " + strings.Join(remove, ", ")
	}
	t := &txn{}
	t.add(types.TransactWriteItem{Update: &types.Update{TableName: aws.String(s.Table), Key: key(deliveriesPK(d.AccountID), deliverySK(d.ID)),
		UpdateExpression: aws.String(expr), ConditionExpression: aws.String("attempts = :n"),
		ExpressionAttributeNames: names, ExpressionAttributeValues: values}}, errLost)
	next := d.Status == webhook.Pending
	if !next || d.NextAt.Unix() != lease.Unix() {
		t.add(s.dueDelete(d.AccountID, d.ID, lease.Unix(), false), nil)
	}
	if next {
		it, err := s.duePut(d.AccountID, d.ID, d.NextAt)
		if err != nil {
			return err
		}
		t.add(it, nil)
	}
	err = s.run(ctx, t, "finish webhook attempt")
	if err == errLost {
		return nil // a redelivery or a later attempt got there first; its record stands
	}
	return err
}

// Defer moves a pointer to a later second.
func (s *Store) Defer(ctx context.Context, due webhook.Due, to time.Time) error {
	t := &txn{}
	t.add(s.dueDelete(due.AccountID, due.ID, due.Second, true), errLost)
	it, err := s.duePut(due.AccountID, due.ID, to)
	if err != nil {
		return err
	}
	t.add(it, nil)
	_, err = lost(s.run(ctx, t, "defer webhook delivery"))
	return err
}

// deliveryListAttrs are what the log shows: everything but the body.
var deliveryListAttrs = []string{"accountId", "id", "event", "chatId", "test", "status", "attempts", "lastStatus", "lastError", "latencyMs",
	"target", "createdAt", "since", "nextAt", "finishedAt"}

// RecentDeliveries is one Query of the account's deliveries, newest first,
// without their bodies.
func (s *Store) RecentDeliveries(ctx context.Context, accountID string, limit int) ([]webhook.Delivery, error) {
	names := map[string]string{"#pk": schema.PK}
	proj := make([]string, len(deliveryListAttrs))
	for i, a := range deliveryListAttrs {
		names["#"+a], proj[i] = a, "#"+a
	}
	res, err := s.DB.Query(ctx, &dynamodb.QueryInput{
		TableName:                 aws.String(s.Table),
		KeyConditionExpression:    aws.String("#pk = :pk"),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(deliveriesPK(accountID))},
		ProjectionExpression:      aws.String(strings.Join(proj, ", ")),
		ScanIndexForward:          aws.Bool(false),
		Limit:                     aws.Int32(int32(limit)),
	})
	if err != nil {
		return nil, fmt.Errorf("dynamo: query webhook deliveries: %w", err)
	}
	out := make([]webhook.Delivery, 0, len(res.Items))
	for _, it := range res.Items {
		var r deliveryRow
		if err := attributevalue.UnmarshalMap(it, &r); err != nil {
			return nil, fmt.Errorf("dynamo: decode webhook delivery: %w", err)
		}
		out = append(out, fromDeliveryRow(r))
	}
	return out, nil
}

// Redeliver makes a finished delivery pending again, with its pointer.
func (s *Store) Redeliver(ctx context.Context, d webhook.Delivery, at time.Time) (bool, error) {
	now := s.Now().UTC()
	t := &txn{}
	t.add(types.TransactWriteItem{Update: &types.Update{TableName: aws.String(s.Table), Key: key(deliveriesPK(d.AccountID), deliverySK(d.ID)),
		UpdateExpression:         aws.String("SET #st = :pending, since = :since, nextAt = :next, expiresAt = :exp REMOVE finishedAt"),
		ConditionExpression:      aws.String("attribute_exists(" + schema.PK + ") AND #st <> :pending"),
		ExpressionAttributeNames: map[string]string{"#st": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pending": str(string(webhook.Pending)),
			":since": str(now.Format(time.RFC3339Nano)), ":next": num(at.Unix()), ":exp": num(now.Add(deliveryTTL).Unix())}}}, errLost)
	it, err := s.duePut(d.AccountID, d.ID, at)
	if err != nil {
		return false, err
	}
	t.add(it, nil)
	return lost(s.run(ctx, t, "redeliver webhook delivery"))
}
