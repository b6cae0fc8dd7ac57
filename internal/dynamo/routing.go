package dynamo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"parley/internal/chat"
	"parley/internal/schema"
)

// Routing items (issue 6). The common queue is the partition ACC#a#QUEUE,
// one item per queued chat under QSEQ#arrival (zero-padded, so a Query
// reads it oldest first); the arrival number is the chat's start time
// (arrivalSeq). Every assignment writes one event ACC#a#EVENT /
// EVT#at#chat#random (type chatAssign) in its own transaction, for the
// integrations' webhooks to consume from the stream.

func queuePK(accountID string) string { return accountPK(accountID) + "#QUEUE" }
func queueItemSK(seq int64) string    { return fmt.Sprintf("QSEQ#%016d", seq) }
func eventPK(accountID string) string { return accountPK(accountID) + "#EVENT" }

// eventTTL is how long an event item stays for its consumers.
const eventTTL = 7 * 24 * time.Hour

type queueRow struct {
	Type         string `dynamodbav:"type"`
	AccountID    string `dynamodbav:"accountId"`
	Seq          int64  `dynamodbav:"seq"`
	ChatID       string `dynamodbav:"chatId"`
	Language     string `dynamodbav:"language"`
	DepartmentID string `dynamodbav:"departmentId,omitempty"`
}

// assignEvent is the chatAssign event of one assignment.
func (s *Store) assignEvent(accountID, operatorID, chatID string, at time.Time, via string) (types.TransactWriteItem, error) {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		return types.TransactWriteItem{}, err
	}
	sk := "EVT#" + at.UTC().Format("20060102T150405.000000000Z") + "#" + chatID + "#" + hex.EncodeToString(b)
	return s.put(map[string]any{"type": typeEvent, "eventType": "chatAssign", "accountId": accountID, "chatId": chatID,
		"operatorId": operatorID, "via": via, "at": at.UTC(), schema.TTL: at.Add(eventTTL).Unix()}, eventPK(accountID), sk, nil, nil, nil)
}

// dequeue removes a queued chat's queue item.
func (s *Store) dequeue(accountID string, seq int64) types.TransactWriteItem {
	return types.TransactWriteItem{Delete: &types.Delete{TableName: aws.String(s.Table), Key: key(queuePK(accountID), queueItemSK(seq))}}
}

type loadRow struct {
	PersonID       string    `dynamodbav:"personId"`
	Open           int64     `dynamodbav:"open"`
	LastAssignedAt time.Time `dynamodbav:"lastAssignedAt"`
}

// Loads reads the operators' counts: one GetItem for one operator, else
// one Query of the account's LOAD# items. Routing reads every eligible
// operator's count for each chat; the count items are a few dozen bytes,
// so the Query costs a read unit or two where a BatchGetItem costs one a
// key, and DynamoDB Local serves it several times faster.
func (s *Store) Loads(ctx context.Context, accountID string, ids []string) (map[string]chat.Load, error) {
	out := make(map[string]chat.Load, len(ids))
	switch len(ids) {
	case 0:
		return out, nil
	case 1:
		var r loadRow
		err := s.get(ctx, accountPK(accountID), loadSK(ids[0]), &r, "load")
		if isNotFound(err) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		out[ids[0]] = chat.Load{Open: r.Open, LastAssigned: r.LastAssignedAt}
		return out, nil
	}
	want := make(map[string]bool, len(ids))
	for _, id := range ids {
		want[id] = true
	}
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(s.Table),
		KeyConditionExpression:    aws.String("#pk = :pk AND begins_with(#sk, :prefix)"),
		ExpressionAttributeNames:  map[string]string{"#pk": schema.PK, "#sk": schema.SK},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(accountPK(accountID)), ":prefix": str(loadSK(""))},
		ConsistentRead:            aws.Bool(true),
	}
	for p := dynamodb.NewQueryPaginator(s.DB, in); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("dynamo: loads: %w", err)
		}
		var rows []loadRow
		if err := attributevalue.UnmarshalListOfMaps(page.Items, &rows); err != nil {
			return nil, fmt.Errorf("dynamo: decode loads: %w", err)
		}
		for _, r := range rows {
			if want[r.PersonID] {
				out[r.PersonID] = chat.Load{Open: r.Open, LastAssigned: r.LastAssignedAt}
			}
		}
	}
	return out, nil
}

// autoAssignTxn is the transaction that gives a waiting chat to an
// operator under their limit: the chat goes active (only while it still
// waits, guard), the operator's chat item, count (only while under limit)
// and event are written, and the waiting count falls.
func (s *Store) autoAssignTxn(t *txn, accountID, chatID, guard string, guardValues map[string]types.AttributeValue, onTaken error, operatorID string, limit int, at time.Time, via string) error {
	values := map[string]types.AttributeValue{":active": str(string(chat.Active)), ":waiting": str(string(chat.Waiting)),
		":op": str(operatorID), ":at": str(at.UTC().Format(time.RFC3339Nano))}
	for k, v := range guardValues {
		values[k] = v
	}
	t.add(types.TransactWriteItem{Update: &types.Update{TableName: aws.String(s.Table), Key: key(accountPK(accountID), chatSK(chatID)),
		UpdateExpression:          aws.String("SET #st = :active, operatorId = :op, assignedAt = :at REMOVE queueSeq"),
		ConditionExpression:       aws.String("#st = :waiting AND attribute_not_exists(operatorId) AND " + guard),
		ExpressionAttributeNames:  map[string]string{"#st": "status"},
		ExpressionAttributeValues: values}}, onTaken)
	if err := s.assign(t, accountID, operatorID, chatID, at, limit, via); err != nil {
		return err
	}
	t.add(s.waitingDelta(accountID, -1), nil)
	return nil
}

// AutoAssign gives a waiting chat that is not queued to operator, under
// limit, in one transaction (see autoAssignTxn). Errors: chat.ErrTaken,
// chat.ErrFull, chat.ErrRace.
func (s *Store) AutoAssign(ctx context.Context, c chat.Chat, operatorID string, limit int, at time.Time) error {
	t := &txn{}
	if err := s.autoAssignTxn(t, c.AccountID, c.ID, "attribute_not_exists(queueSeq)", nil, chat.ErrTaken, operatorID, limit, at, "auto"); err != nil {
		return err
	}
	return s.runChat(ctx, t, "auto-assign chat")
}

// EnqueueChat puts the chat in the queue at its arrival place and marks the
// chat, in one transaction, only while the chat waits unassigned and
// unqueued: a chat is queued once. The place is the chat's start
// (arrivalSeq), not the moment routing gave up on it, so the queue keeps
// SPEC §4.2's arrival order even when an earlier chat spent longer trying
// operators than a later one.
func (s *Store) EnqueueChat(ctx context.Context, c chat.Chat) (int64, error) {
	seq := arrivalSeq(c, time.Now())
	for range 8 {
		t := &txn{}
		t.add(types.TransactWriteItem{Update: &types.Update{TableName: aws.String(s.Table), Key: key(accountPK(c.AccountID), chatSK(c.ID)),
			UpdateExpression:          aws.String("SET queueSeq = :qs"),
			ConditionExpression:       aws.String("#st = :waiting AND attribute_not_exists(operatorId) AND attribute_not_exists(queueSeq)"),
			ExpressionAttributeNames:  map[string]string{"#st": "status"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":qs": num(seq), ":waiting": str(string(chat.Waiting))}}}, chat.ErrTaken)
		it, err := s.put(queueRow{Type: typeQueued, AccountID: c.AccountID, Seq: seq, ChatID: c.ID, Language: c.Language, DepartmentID: c.DepartmentID},
			queuePK(c.AccountID), queueItemSK(seq), notExists, nil, nil)
		if err != nil {
			return 0, err
		}
		t.add(it, errPlaceTaken)
		switch err := s.runChat(ctx, t, "enqueue chat"); {
		case err == nil:
			return seq, nil
		case errors.Is(err, errPlaceTaken):
			seq++ // another chat of the same microsecond and id digits: the next place
		default:
			return 0, err
		}
	}
	return 0, fmt.Errorf("dynamo: enqueue chat %s: no free place near %d", c.ID, seq)
}

// errPlaceTaken: another queued chat holds the arrival number.
var errPlaceTaken = errors.New("dynamo: queue place taken")

// arrivalSeq is a chat's number in the queue: the microsecond it started,
// times 1000, plus three digits from its id, so chats started in the same
// microsecond rarely clash (EnqueueChat takes the next number when they
// do). A chat with no start time (none is stored without one) arrives now.
// Numbers have 19 digits until the year 2286; queueItemSK pads to 16, so
// they sort by value.
func arrivalSeq(c chat.Chat, now time.Time) int64 {
	at := c.StartedAt
	if at.IsZero() {
		at = now
	}
	h := fnv.New32a()
	h.Write([]byte(c.ID))
	return at.UnixMicro()*1000 + int64(h.Sum32()%1000)
}

// Queue reads the oldest queued chats after seq: one Query.
func (s *Store) Queue(ctx context.Context, accountID string, after int64, limit int) ([]chat.Queued, error) {
	res, err := s.DB.Query(ctx, &dynamodb.QueryInput{
		TableName:                 aws.String(s.Table),
		KeyConditionExpression:    aws.String("#pk = :pk AND #sk > :after"),
		ExpressionAttributeNames:  map[string]string{"#pk": schema.PK, "#sk": schema.SK},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(queuePK(accountID)), ":after": str(queueItemSK(after))},
		ConsistentRead:            aws.Bool(true),
		Limit:                     aws.Int32(int32(limit)),
	})
	if err != nil {
		return nil, fmt.Errorf("dynamo: queue: %w", err)
	}
	var rows []queueRow
	if err := attributevalue.UnmarshalListOfMaps(res.Items, &rows); err != nil {
		return nil, fmt.Errorf("dynamo: decode queue: %w", err)
	}
	out := make([]chat.Queued, len(rows))
	for i, r := range rows {
		out[i] = chat.Queued{AccountID: r.AccountID, Seq: r.Seq, ChatID: r.ChatID, Language: r.Language, DepartmentID: r.DepartmentID}
	}
	return out, nil
}

// AssignQueued takes a chat off the queue and gives it to operator under
// limit, in one transaction: the queue item's conditional delete and the
// chat's condition on its queue number make exactly one of racing drains
// win. Errors: chat.ErrGone, chat.ErrFull, chat.ErrRace.
func (s *Store) AssignQueued(ctx context.Context, q chat.Queued, operatorID string, limit int, at time.Time) error {
	t := &txn{}
	del := s.dequeue(q.AccountID, q.Seq)
	del.Delete.ConditionExpression = aws.String("attribute_exists(" + schema.PK + ")")
	t.add(del, chat.ErrGone)
	if err := s.autoAssignTxn(t, q.AccountID, q.ChatID, "queueSeq = :qs", map[string]types.AttributeValue{":qs": num(q.Seq)}, chat.ErrGone,
		operatorID, limit, at, "queue"); err != nil {
		return err
	}
	return s.runChat(ctx, t, "assign queued chat")
}

// QueuePosition counts the queued chats that arrived before seq: one
// Query that returns only the count.
func (s *Store) QueuePosition(ctx context.Context, accountID string, seq int64) (int64, error) {
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(s.Table),
		KeyConditionExpression:    aws.String("#pk = :pk AND #sk < :seq"),
		ExpressionAttributeNames:  map[string]string{"#pk": schema.PK, "#sk": schema.SK},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(queuePK(accountID)), ":seq": str(queueItemSK(seq))},
		Select:                    types.SelectCount,
	}
	var n int64
	for p := dynamodb.NewQueryPaginator(s.DB, in); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			return 0, fmt.Errorf("dynamo: queue position: %w", err)
		}
		n += int64(page.Count)
	}
	return n + 1, nil
}

// OnlineOperators is the roster routing offers chats to: the staff with a
// live connection who are not away, with the languages they speak, their
// departments and their personal chat limit. One Query for presence and
// one for the people (each person item carries their departments).
func (s *Store) OnlineOperators(ctx context.Context, accountID string) ([]chat.Operator, error) {
	conns, away, err := s.StaffPresence(ctx, accountID)
	if err != nil {
		return nil, err
	}
	online := map[string]bool{}
	for _, c := range conns {
		if !away[c.Subject] {
			online[c.Subject] = true
		}
	}
	if len(online) == 0 {
		return nil, nil
	}
	people, err := s.People(ctx, accountID)
	if err != nil {
		return nil, err
	}
	var out []chat.Operator
	for _, p := range people {
		if !online[p.ID] {
			continue
		}
		op := chat.Operator{ID: p.ID, Name: p.Name, Languages: p.Languages, Departments: p.Departments}
		if p.ChatLimit != nil {
			op.Limit = *p.ChatLimit
		}
		out = append(out, op)
	}
	return out, nil
}
