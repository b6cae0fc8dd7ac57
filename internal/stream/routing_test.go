package stream

import (
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

func queueRecord(name events.DynamoDBOperationType, typ, account string, seq string) events.DynamoDBEventRecord {
	img := map[string]events.DynamoDBAttributeValue{
		"type": events.NewStringAttribute(typ), "accountId": events.NewStringAttribute(account), "seq": events.NewNumberAttribute(seq)}
	rec := events.DynamoDBEventRecord{EventName: string(name)}
	if name == events.DynamoDBOperationTypeRemove {
		rec.Change.OldImage = img
	} else {
		rec.Change.NewImage = img
	}
	return rec
}

// TestQueueMoves: over a batch, each account's queue is told once, from
// the first place that moved: a joined chat's own, or the one after a
// chat that left.
func TestQueueMoves(t *testing.T) {
	m := queueMoves{}
	for _, rec := range []events.DynamoDBEventRecord{
		queueRecord(events.DynamoDBOperationTypeInsert, "queued", "a", "9"),
		queueRecord(events.DynamoDBOperationTypeRemove, "queued", "a", "5"),
		queueRecord(events.DynamoDBOperationTypeInsert, "queued", "a", "12"),
		queueRecord(events.DynamoDBOperationTypeInsert, "queued", "b", "2"),
		queueRecord(events.DynamoDBOperationTypeInsert, "chat", "c", "1"),
	} {
		m.note(rec)
	}
	if len(m) != 2 || m["a"] != 6 || m["b"] != 2 {
		t.Fatalf("moves %v, want a from 6 and b from 2", m)
	}
}
