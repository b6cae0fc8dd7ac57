package dynamo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"parley/internal/chat"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// assign is the writes that give an operator a chat: their chat item,
// their count and the chatAssign event (every assignment emits exactly
// one, in its own transaction). Auto-assignment passes a limit (> 0): the
// count then rises only while under it, and records when, for the
// least-recently-assigned tie-break.
func (s *Store) assign(t *txn, accountID, operatorID, chatID string, at time.Time, limit int, via string) error {
	it, err := s.put(map[string]any{"type": "operatorChat", "accountId": accountID, "personId": operatorID, "chatId": chatID, "at": at},
		accountPK(accountID), operatorChatSK(operatorID, chatID), nil, nil, nil)
	if err != nil {
		return err
	}
	t.add(it, nil)
	up := s.counter(accountID, loadSK(operatorID), "load", "open", 1, map[string]string{"personId": operatorID})
	if limit > 0 {
		up.Update.UpdateExpression = aws.String(strings.Replace(*up.Update.UpdateExpression, " ADD ", ", lastAssignedAt = :lastAt ADD ", 1))
		up.Update.ConditionExpression = aws.String("attribute_not_exists(#n) OR #n < :limit")
		up.Update.ExpressionAttributeValues[":limit"] = num(int64(limit))
		up.Update.ExpressionAttributeValues[":lastAt"] = str(at.UTC().Format(time.RFC3339Nano))
	}
	t.add(up, chat.ErrFull)
	ev, err := s.assignEvent(accountID, operatorID, chatID, at, via)
	if err != nil {
		return err
	}
	t.add(ev, nil)
	return nil
}

// waitingShards is how many items the waiting count is spread over.
// Every start, assignment and close of a waiting chat changes the count in
// its transaction; on one item, a burst of starts would make those
// transactions cancel each other (TransactionConflict) and retry, so each
// one changes a random shard and WaitingCount sums them. Shard 0 keeps the
// original key QUEUE, so counts written before the sharding still add up.
const waitingShards = 32

func (s *Store) waitingDelta(accountID string, delta int64) types.TransactWriteItem {
	sk := queueSK
	if n := rand.IntN(waitingShards); n > 0 {
		sk = fmt.Sprintf("%s#%02d", queueSK, n)
	}
	return s.counter(accountID, sk, "queue", "waiting", delta, nil)
}

func (s *Store) unassign(t *txn, accountID, operatorID, chatID string) {
	t.add(types.TransactWriteItem{Delete: &types.Delete{TableName: aws.String(s.Table), Key: key(accountPK(accountID), operatorChatSK(operatorID, chatID))}}, nil)
	t.add(s.counter(accountID, loadSK(operatorID), "load", "open", -1, map[string]string{"personId": operatorID}), nil)
}

// Take assigns a waiting chat: the chat's status goes from waiting to
// active only if it is still waiting, so of racing operators exactly one
// transaction commits; the others fail with chat.ErrTaken.
func (s *Store) Take(ctx context.Context, c chat.Chat, operatorID string, at time.Time) error {
	t := &txn{}
	// A chat taken by hand from the common queue leaves it in the same
	// transaction; the condition on queueSeq makes a take that read the
	// chat before it was queued fail and read again.
	cond := "#st = :waiting AND attribute_not_exists(queueSeq)"
	values := map[string]types.AttributeValue{":active": str(string(chat.Active)), ":waiting": str(string(chat.Waiting)),
		":op": str(operatorID), ":at": str(at.UTC().Format(time.RFC3339Nano))}
	if c.QueueSeq > 0 {
		cond = "#st = :waiting AND queueSeq = :qs"
		values[":qs"] = num(c.QueueSeq)
		t.add(s.dequeue(c.AccountID, c.QueueSeq), nil)
	}
	t.add(types.TransactWriteItem{Update: &types.Update{TableName: aws.String(s.Table), Key: key(accountPK(c.AccountID), chatSK(c.ID)),
		UpdateExpression:          aws.String("SET #st = :active, operatorId = :op, assignedAt = :at REMOVE queueSeq"),
		ConditionExpression:       aws.String(cond),
		ExpressionAttributeNames:  map[string]string{"#st": "status"},
		ExpressionAttributeValues: values}}, chat.ErrTaken)
	if err := s.assign(t, c.AccountID, operatorID, c.ID, at, 0, "take"); err != nil {
		return err
	}
	t.add(s.waitingDelta(c.AccountID, -1), nil)
	return s.runChat(ctx, t, "take chat")
}

// chatUnchanged is the condition of a whole-chat write: same status, same
// operator, same last message as when it was read.
func chatUnchanged(c chat.Chat) (*string, map[string]string, map[string]types.AttributeValue) {
	cond := "#st = :st AND seq = :seq"
	values := map[string]types.AttributeValue{":st": str(string(c.Status)), ":seq": num(c.Seq)}
	if c.QueueSeq == 0 {
		cond += " AND attribute_not_exists(queueSeq)"
	} else {
		cond += " AND queueSeq = :qs"
		values[":qs"] = num(c.QueueSeq)
	}
	if c.OperatorID == "" {
		cond += " AND attribute_not_exists(operatorId)"
	} else {
		cond += " AND operatorId = :op"
		values[":op"] = str(c.OperatorID)
	}
	// A whole-chat write must not drop an outcome set meanwhile.
	if c.Outcome == "" {
		cond += " AND attribute_not_exists(outcome)"
	} else {
		cond += " AND outcome = :oc"
		values[":oc"] = str(string(c.Outcome))
	}
	return aws.String(cond), map[string]string{"#st": "status"}, values
}

// Release stores next in place of the active chat c, moving c's operator's
// hold to next's operator (a redirect) or to nobody (close, back to
// waiting), in one transaction conditional on c being unchanged.
func (s *Store) Release(ctx context.Context, c chat.Chat, next chat.Chat) error {
	t := &txn{}
	cond, names, values := chatUnchanged(c)
	it, err := s.put(toChatRow(next), accountPK(c.AccountID), chatSK(c.ID), cond, names, values)
	if err != nil {
		return err
	}
	t.add(it, chat.ErrRace)
	s.unassign(t, c.AccountID, c.OperatorID, c.ID)
	switch next.Status {
	case chat.Active:
		if err := s.assign(t, c.AccountID, next.OperatorID, c.ID, next.AssignedAt, 0, "redirect"); err != nil {
			return err
		}
	case chat.Waiting:
		t.add(s.waitingDelta(c.AccountID, 1), nil)
	}
	if err := s.finalTimer(t, next); err != nil {
		return err
	}
	return s.runChat(ctx, t, "release chat")
}

// CloseWaiting closes a chat nobody took, only while it still waits; a
// queued one leaves the queue with it.
func (s *Store) CloseWaiting(ctx context.Context, c chat.Chat, next chat.Chat) error {
	t := &txn{}
	next.QueueSeq = 0
	if c.QueueSeq > 0 {
		t.add(s.dequeue(c.AccountID, c.QueueSeq), nil)
	}
	cond, names, values := chatUnchanged(c)
	it, err := s.put(toChatRow(next), accountPK(c.AccountID), chatSK(c.ID), cond, names, values)
	if err != nil {
		return err
	}
	t.add(it, chat.ErrRace)
	t.add(s.waitingDelta(c.AccountID, -1), nil)
	if err := s.finalTimer(t, next); err != nil {
		return err
	}
	return s.runChat(ctx, t, "close waiting chat")
}

// finalTimer adds to t the timer that closes next for good after
// chat.ReadGrace, when its close left the visitor's side open.
func (s *Store) finalTimer(t *txn, next chat.Chat) error {
	timer, ok := next.FinalTimer()
	if !ok {
		return nil
	}
	it, err := s.timerPut(timer)
	if err != nil {
		return err
	}
	t.add(it, nil)
	return nil
}
