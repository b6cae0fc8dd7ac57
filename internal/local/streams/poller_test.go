package streams_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"parley/internal/local/localaws"
	"parley/internal/local/streams"
	"parley/internal/testkit/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

const wait = 20 * time.Second

// consumer is a Go Lambda handler behind lambda.NewHandler, as in AWS: it
// records what it got and answers as decide says.
type consumer struct {
	mu      sync.Mutex
	batches [][]events.DynamoDBEventRecord
	got     chan events.DynamoDBEventRecord
	decide  func(batch int, e events.DynamoDBEvent) (events.DynamoDBEventResponse, error)
}

func newConsumer(decide func(int, events.DynamoDBEvent) (events.DynamoDBEventResponse, error)) *consumer {
	return &consumer{got: make(chan events.DynamoDBEventRecord, 1000), decide: decide}
}

func (c *consumer) handle(_ context.Context, e events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	c.mu.Lock()
	c.batches = append(c.batches, e.Records)
	n := len(c.batches)
	c.mu.Unlock()
	var resp events.DynamoDBEventResponse
	var err error
	if c.decide != nil {
		resp, err = c.decide(n, e)
	}
	if err == nil {
		// Records up to the first reported failure count as processed.
		failed := map[string]bool{}
		for _, f := range resp.BatchItemFailures {
			failed[f.ItemIdentifier] = true
		}
		for _, r := range e.Records {
			if failed[r.Change.SequenceNumber] {
				break
			}
			c.got <- r
		}
	}
	return resp, err
}

// sortKeys returns the sk of each batch's records.
func (c *consumer) sortKeys() [][]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out [][]string
	for _, b := range c.batches {
		var ks []string
		for _, r := range b {
			ks = append(ks, r.Change.Keys["sk"].String())
		}
		out = append(out, ks)
	}
	return out
}

// next returns the next processed record.
func (c *consumer) next(t *testing.T) events.DynamoDBEventRecord {
	t.Helper()
	select {
	case r := <-c.got:
		return r
	case <-time.After(wait):
		t.Fatal("no record delivered")
		return events.DynamoDBEventRecord{}
	}
}

// run starts a poller on table and stops it when the test ends.
func run(t *testing.T, db *dynamodb.Client, table string, c *consumer, configure func(*streams.Poller)) *streams.Poller {
	t.Helper()
	p := &streams.Poller{
		DynamoDB:         db,
		Streams:          localaws.NewStreamsClient(testenv.DynamoDBEndpoint(t)),
		Table:            table,
		Consumer:         lambda.NewHandler(c.handle),
		StartingPosition: streams.TrimHorizon,
		PollInterval:     20 * time.Millisecond,
		RetryDelay:       time.Millisecond,
		MaxRetries:       5,
	}
	if configure != nil {
		configure(p)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	select {
	case <-p.Ready():
	case err := <-done:
		t.Fatalf("Run: %v", err)
	case <-time.After(wait):
		t.Fatal("poller not ready")
	}
	return p
}

func put(t *testing.T, db *dynamodb.Client, table, sk string, attrs map[string]types.AttributeValue) {
	t.Helper()
	item := map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: "P"},
		"sk": &types.AttributeValueMemberS{Value: sk},
	}
	for k, v := range attrs {
		item[k] = v
	}
	if _, err := db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(table), Item: item}); err != nil {
		t.Fatal(err)
	}
}

func key(sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: "P"},
		"sk": &types.AttributeValueMemberS{Value: sk},
	}
}

// asJSON gives an image in wire form, for comparison.
func asJSON(t *testing.T, img map[string]events.DynamoDBAttributeValue) any {
	t.Helper()
	if img == nil {
		return nil
	}
	b, err := json.Marshal(img)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func parse(t *testing.T, s string) any {
	t.Helper()
	if s == "" {
		return nil
	}
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// INSERT, MODIFY and REMOVE arrive in order with the images Lambda sends.
func TestChanges(t *testing.T) {
	db, table := testenv.DynamoDB(t)
	c := newConsumer(nil)
	run(t, db, table, c, nil)
	ctx := context.Background()

	before := time.Now().Add(-2 * time.Minute) // DynamoDB Local rounds the time down to the minute
	put(t, db, table, "S", map[string]types.AttributeValue{
		"n":  &types.AttributeValueMemberN{Value: "1"},
		"b":  &types.AttributeValueMemberB{Value: []byte("hi")},
		"ss": &types.AttributeValueMemberSS{Value: []string{"a"}},
		"m":  &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"x": &types.AttributeValueMemberNULL{Value: true}}},
		"l":  &types.AttributeValueMemberL{Value: []types.AttributeValue{&types.AttributeValueMemberBOOL{Value: true}}},
	})
	if _, err := db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(table), Key: key("S"),
		UpdateExpression:          aws.String("SET n = :n REMOVE b"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":n": &types.AttributeValueMemberN{Value: "2"}},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(table), Key: key("S")}); err != nil {
		t.Fatal(err)
	}

	desc, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(desc.Table.LatestStreamArn)

	first := `{"pk":{"S":"P"},"sk":{"S":"S"},"n":{"N":"1"},"b":{"B":"aGk="},"ss":{"SS":["a"]},"m":{"M":{"x":{"NULL":true}}},"l":{"L":[{"BOOL":true}]}}`
	second := `{"pk":{"S":"P"},"sk":{"S":"S"},"n":{"N":"2"},"ss":{"SS":["a"]},"m":{"M":{"x":{"NULL":true}}},"l":{"L":[{"BOOL":true}]}}`
	want := []struct{ name, oldImage, newImage string }{
		{"INSERT", "", first},
		{"MODIFY", first, second},
		{"REMOVE", second, ""},
	}
	prevSeq := ""
	for _, w := range want {
		r := c.next(t)
		if r.EventName != w.name {
			t.Fatalf("eventName = %s, want %s", r.EventName, w.name)
		}
		if r.EventSource != "aws:dynamodb" || r.EventVersion == "" || r.AWSRegion != localaws.Region || r.EventSourceArn != arn || r.EventID == "" {
			t.Errorf("%s: envelope = %+v", w.name, r)
		}
		ch := r.Change
		if ch.StreamViewType != "NEW_AND_OLD_IMAGES" || ch.SizeBytes <= 0 || ch.SequenceNumber <= prevSeq ||
			ch.ApproximateCreationDateTime.Before(before) || ch.ApproximateCreationDateTime.After(time.Now()) {
			t.Errorf("%s: dynamodb = %+v", w.name, ch)
		}
		prevSeq = ch.SequenceNumber
		if diff := cmp.Diff(parse(t, `{"pk":{"S":"P"},"sk":{"S":"S"}}`), asJSON(t, ch.Keys)); diff != "" {
			t.Errorf("%s: Keys (-want +got):\n%s", w.name, diff)
		}
		if diff := cmp.Diff(parse(t, w.oldImage), asJSON(t, ch.OldImage)); diff != "" {
			t.Errorf("%s: OldImage (-want +got):\n%s", w.name, diff)
		}
		if diff := cmp.Diff(parse(t, w.newImage), asJSON(t, ch.NewImage)); diff != "" {
			t.Errorf("%s: NewImage (-want +got):\n%s", w.name, diff)
		}
	}
}

// LATEST skips what was written before the poller was ready.
func TestLatest(t *testing.T) {
	db, table := testenv.DynamoDB(t)
	put(t, db, table, "old", nil)
	c := newConsumer(nil)
	run(t, db, table, c, func(p *streams.Poller) { p.StartingPosition = streams.Latest })
	put(t, db, table, "new", nil)
	if r := c.next(t); r.Change.Keys["sk"].String() != "new" {
		t.Errorf("first record delivered: %s, want new", r.Change.Keys["sk"].String())
	}
}

// A reported batch item failure redelivers that record and the ones after
// it, never the ones before.
func TestBatchItemFailure(t *testing.T) {
	db, table := testenv.DynamoDB(t)
	for i := 1; i <= 5; i++ { // before Run: one read returns them all, one batch
		put(t, db, table, fmt.Sprint(i), nil)
	}
	c := newConsumer(func(batch int, e events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
		var resp events.DynamoDBEventResponse
		if batch == 1 {
			resp.BatchItemFailures = []events.DynamoDBBatchItemFailure{{ItemIdentifier: e.Records[2].Change.SequenceNumber}}
		}
		return resp, nil
	})
	run(t, db, table, c, func(p *streams.Poller) { p.BatchSize = 10 })
	var got []string
	for range 5 {
		got = append(got, c.next(t).Change.Keys["sk"].String())
	}
	if diff := cmp.Diff([]string{"1", "2", "3", "4", "5"}, got); diff != "" {
		t.Errorf("processed (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([][]string{{"1", "2", "3", "4", "5"}, {"3", "4", "5"}}, c.sortKeys()); diff != "" {
		t.Errorf("batches (-want +got):\n%s", diff)
	}
}

// A record the consumer always fails on is isolated by bisecting, retried
// MaxRetries times, handed to OnFailure, and the stream moves on.
func TestPoisonRecord(t *testing.T) {
	db, table := testenv.DynamoDB(t)
	for _, sk := range []string{"a", "poison", "b"} {
		put(t, db, table, sk, nil)
	}
	errPoison := errors.New("cannot process poison")
	c := newConsumer(func(_ int, e events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
		for _, r := range e.Records {
			if r.Change.Keys["sk"].String() == "poison" {
				return events.DynamoDBEventResponse{}, errPoison
			}
		}
		return events.DynamoDBEventResponse{}, nil
	})
	failures := make(chan streams.Failure, 10)
	run(t, db, table, c, func(p *streams.Poller) {
		p.MaxRetries = 2
		p.OnFailure = func(_ context.Context, f streams.Failure) { failures <- f }
	})
	var f streams.Failure
	select {
	case f = <-failures:
	case <-time.After(wait):
		t.Fatal("OnFailure not called")
	}
	e, err := f.Event()
	if err != nil {
		t.Fatal(err)
	}
	if len(e.Records) != 1 || e.Records[0].Change.Keys["sk"].String() != "poison" || f.Attempts != 3 {
		t.Errorf("failure = %d records, attempts %d, want the poison record alone after 3 attempts", len(e.Records), f.Attempts)
	}
	if f.Err == nil || !strings.Contains(f.Err.Error(), errPoison.Error()) {
		t.Errorf("failure error = %v", f.Err)
	}

	put(t, db, table, "later", nil)
	var got []string
	for range 3 {
		got = append(got, c.next(t).Change.Keys["sk"].String())
	}
	if diff := cmp.Diff([]string{"a", "b", "later"}, got); diff != "" {
		t.Errorf("processed (-want +got):\n%s", diff)
	}
	poisoned := 0
	for _, b := range c.sortKeys() {
		if len(b) == 1 && b[0] == "poison" {
			poisoned++
		}
	}
	if poisoned != 3 {
		t.Errorf("poison record invoked alone %d times, want 1 + MaxRetries = 3 (batches: %v)", poisoned, c.sortKeys())
	}
}

// A table without a stream is a configuration error, reported at once.
func TestNoStream(t *testing.T) {
	ctx := context.Background()
	db := localaws.NewDynamoDBClient(testenv.DynamoDBEndpoint(t))
	table := testenv.TableName(t)
	_, err := db.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(table),
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer db.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(table)})
	p := &streams.Poller{DynamoDB: db, Streams: localaws.NewStreamsClient(testenv.DynamoDBEndpoint(t)), Table: table, Consumer: lambda.NewHandler(func() error { return nil })}
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	if err := p.Run(ctx); err == nil || !strings.Contains(err.Error(), "no stream") {
		t.Errorf("Run = %v, want a no-stream error", err)
	}
}
