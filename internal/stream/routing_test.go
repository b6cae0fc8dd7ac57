package stream

import (
	"strconv"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"parley/internal/change"
	"parley/internal/chat"
)

func queueRecord(name events.DynamoDBOperationType, typ, account string, seq string) change.Record {
	n, _ := strconv.ParseInt(seq, 10, 64)
	if typ != "queued" {
		return change.Record{Changes: []change.Change{change.ChatChanged{After: chat.Chat{AccountID: account}}}}
	}
	return change.Record{Changes: []change.Change{change.QueueChanged{AccountID: account, Seq: n, Left: name == events.DynamoDBOperationTypeRemove}}}
}

// TestQueueMoves: over a batch, each account's queue is told once, from
// the first place that moved: a joined chat's own, or the one after a
// chat that left.
func TestQueueMoves(t *testing.T) {
	m := queueMoves{}
	for _, rec := range []change.Record{
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
