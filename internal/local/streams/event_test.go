package streams_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
	"github.com/google/go-cmp/cmp"

	"parley/internal/local/streams"
)

// Every attribute type encodes as DynamoDB's wire JSON and decodes with
// aws-lambda-go to the same values.
func TestEncodeEvent(t *testing.T) {
	at := time.Date(2026, 11, 25, 12, 34, 0, 0, time.UTC)
	rec := types.Record{
		EventID:      aws.String("e1"),
		EventName:    types.OperationTypeModify,
		EventVersion: aws.String("1.1"),
		EventSource:  aws.String("aws:dynamodb"),
		AwsRegion:    aws.String("ddblocal"),
		Dynamodb: &types.StreamRecord{
			ApproximateCreationDateTime: &at,
			Keys:                        map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "A"}},
			NewImage: map[string]types.AttributeValue{
				"pk":   &types.AttributeValueMemberS{Value: "A"},
				"n":    &types.AttributeValueMemberN{Value: "1.5"},
				"b":    &types.AttributeValueMemberB{Value: []byte{0, 1, 2}},
				"ss":   &types.AttributeValueMemberSS{Value: []string{"x", "y"}},
				"ns":   &types.AttributeValueMemberNS{Value: []string{"1", "2"}},
				"bs":   &types.AttributeValueMemberBS{Value: [][]byte{{1}, {2}}},
				"m":    &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"in": &types.AttributeValueMemberBOOL{Value: true}}},
				"l":    &types.AttributeValueMemberL{Value: []types.AttributeValue{&types.AttributeValueMemberNULL{Value: true}, &types.AttributeValueMemberS{Value: "z"}}},
				"el":   &types.AttributeValueMemberL{},
				"em":   &types.AttributeValueMemberM{},
				"null": &types.AttributeValueMemberNULL{Value: true},
				"f":    &types.AttributeValueMemberBOOL{Value: false},
			},
			OldImage:       map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "A"}},
			SequenceNumber: aws.String("000000000000000000042"),
			SizeBytes:      aws.Int64(99),
			StreamViewType: types.StreamViewTypeNewAndOldImages,
		},
	}
	arn := "arn:aws:dynamodb:ddblocal:000000000000:table/t/stream/2026-11-25T12:00:00.000"
	payload, err := streams.EncodeEvent(arn, "us-east-1", []types.Record{rec})
	if err != nil {
		t.Fatal(err)
	}

	// The wire form, exactly.
	var got any
	if err := json.Unmarshal(payload, &got); err != nil {
		t.Fatal(err)
	}
	var want any
	if err := json.Unmarshal([]byte(`{"Records":[{
		"eventID":"e1","eventName":"MODIFY","eventVersion":"1.1","eventSource":"aws:dynamodb",
		"awsRegion":"us-east-1","eventSourceARN":"`+arn+`",
		"dynamodb":{
			"ApproximateCreationDateTime":1795610040,
			"Keys":{"pk":{"S":"A"}},
			"NewImage":{
				"pk":{"S":"A"},"n":{"N":"1.5"},"b":{"B":"AAEC"},"ss":{"SS":["x","y"]},
				"ns":{"NS":["1","2"]},"bs":{"BS":["AQ==","Ag=="]},"m":{"M":{"in":{"BOOL":true}}},
				"l":{"L":[{"NULL":true},{"S":"z"}]},"el":{"L":[]},"em":{"M":{}},
				"null":{"NULL":true},"f":{"BOOL":false}},
			"OldImage":{"pk":{"S":"A"}},
			"SequenceNumber":"000000000000000000042","SizeBytes":99,"StreamViewType":"NEW_AND_OLD_IMAGES"}}]}`), &want); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("payload (-want +got):\n%s", diff)
	}

	// And what a Go consumer sees.
	var e events.DynamoDBEvent
	if err := json.Unmarshal(payload, &e); err != nil {
		t.Fatalf("decode as events.DynamoDBEvent: %v", err)
	}
	r := e.Records[0]
	if r.EventName != "MODIFY" || r.EventSourceArn != arn || r.AWSRegion != "us-east-1" || !r.Change.ApproximateCreationDateTime.Equal(at) {
		t.Errorf("record = %+v", r)
	}
	img := r.Change.NewImage
	if img["n"].Number() != "1.5" || string(img["b"].Binary()) != "\x00\x01\x02" || !img["m"].Map()["in"].Boolean() ||
		!img["null"].IsNull() || img["l"].List()[1].String() != "z" || len(img["bs"].BinarySet()) != 2 {
		t.Errorf("new image decoded wrong: %v", img)
	}
}
