package dynamo

import (
	"context"
	"parley/internal/apperr"
	"parley/internal/chat"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// StartChat stores a new chat, its first messages and the visitor's
// pointer to it in one transaction, conditional on the pointer being
// prevOpen: of two racing starts, one makes the chat.
func (s *Store) StartChat(ctx context.Context, c chat.Chat, first []chat.Message, prevOpen string) error {
	t, err := s.startTxn(c, first, prevOpen)
	if err != nil {
		return err
	}
	return s.runChat(ctx, t, "start chat")
}

// StartOffline is StartChat for an offline request, which also adds one to
// the unanswered count, conditional on the count being under limit: of
// racing requests at the limit, the ones past it fail.
func (s *Store) StartOffline(ctx context.Context, c chat.Chat, first []chat.Message, prevOpen string, limit int) error {
	t, err := s.startTxn(c, first, prevOpen)
	if err != nil {
		return err
	}
	up := s.counter(c.AccountID, offlineQueueSK, "offlineQueue", "unanswered", 1, nil)
	if limit > 0 {
		up.Update.ConditionExpression = aws.String("attribute_not_exists(#n) OR #n < :limit")
		up.Update.ExpressionAttributeValues[":limit"] = num(int64(limit))
	}
	t.add(up, chat.ErrOfflineQueueFull)
	return s.runChat(ctx, t, "start offline request")
}

// AnswerOffline clears a request's unanswered mark and takes it off the
// count in one transaction, conditional on the mark, so a request is
// uncounted once however many operators close it.
func (s *Store) AnswerOffline(ctx context.Context, c chat.Chat) error {
	t := &txn{}
	t.add(types.TransactWriteItem{Update: &types.Update{TableName: aws.String(s.Table), Key: key(accountPK(c.AccountID), chatSK(c.ID)),
		UpdateExpression:          aws.String("REMOVE unanswered"),
		ConditionExpression:       aws.String("unanswered = :yes"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":yes": &types.AttributeValueMemberBOOL{Value: true}}}}, chat.ErrRace)
	t.add(s.counter(c.AccountID, offlineQueueSK, "offlineQueue", "unanswered", -1, nil), nil)
	return s.runChat(ctx, t, "answer offline request")
}

// UnansweredCount is how many offline requests wait for an answer, from
// the counter StartOffline and AnswerOffline keep (misc.offlineQueueLimit).
func (s *Store) UnansweredCount(ctx context.Context, accountID string) (int64, error) {
	var r struct {
		Unanswered int64 `dynamodbav:"unanswered"`
	}
	err := s.get(ctx, accountPK(accountID), offlineQueueSK, &r, "offline queue")
	if isNotFound(err) {
		return 0, nil
	}
	return r.Unanswered, err
}

// startTxn is the transaction of a chat start: the visitor's pointer (the
// race guard), the chat, its first messages and the waiting count.
func (s *Store) startTxn(c chat.Chat, first []chat.Message, prevOpen string) (*txn, error) {
	t := &txn{}
	cond := "attribute_not_exists(openChatId)"
	values := map[string]types.AttributeValue{":type": str("visitor"), ":acc": str(c.AccountID), ":id": str(c.VisitorID), ":chat": str(c.ID), ":exp": s.visitorExpiry()}
	if prevOpen != "" {
		cond = "openChatId = :prev"
		values[":prev"] = str(prevOpen)
	}
	t.add(types.TransactWriteItem{Update: &types.Update{TableName: aws.String(s.Table), Key: key(accountPK(c.AccountID), visitorSK(c.VisitorID)),
		UpdateExpression:         aws.String("SET #type = :type, accountId = :acc, id = :id, openChatId = :chat, expiresAt = :exp"),
		ConditionExpression:      aws.String(cond),
		ExpressionAttributeNames: map[string]string{"#type": "type"}, ExpressionAttributeValues: values}}, chat.ErrRace)
	it, err := s.put(toChatRow(c), accountPK(c.AccountID), chatSK(c.ID), notExists, nil, nil)
	if err != nil {
		return nil, err
	}
	t.add(it, apperr.New(apperr.Conflict, "chat id collision"))
	for _, m := range first {
		it, err := s.put(toMessageRow(c, m), chatPK(c.AccountID, c.ID), messageSK(m.Seq), nil, nil, nil)
		if err != nil {
			return nil, err
		}
		t.add(it, nil)
	}
	if c.Status == chat.Waiting {
		t.add(s.waitingDelta(c.AccountID, 1), nil)
	}
	if tm, ok := c.Timer(); ok {
		it, err := s.timerPut(tm)
		if err != nil {
			return nil, err
		}
		t.add(it, nil)
	}
	return t, nil
}

// runChat runs a chat transaction. A transaction that lost to a concurrent
// one on a shared item (an operator's count, the queue) is a race the
// service retries, like a failed condition; DynamoDB Local never reports
// it, AWS does.
func (s *Store) runChat(ctx context.Context, t *txn, what string) error {
	err := s.run(ctx, t, what)
	if slices.Contains(cancelledReasons(err), "TransactionConflict") {
		return chat.ErrRace
	}
	return err
}
