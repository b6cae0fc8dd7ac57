package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"parley/internal/chat"
	"parley/internal/schema"
	"parley/internal/timers"
)

// The storage of chats' waits, timeouts, outcomes and their events
// (chat/timeouts.go). A chat's pending timer is named on the chat
// (waitDue, waitKind) and stored as a timer item written and deleted in
// the transaction of the message that starts or ends the wait; acting on
// a fired one is conditional on the chat still naming it. Events are
// ACC#a#EVENTS / <at>#<kind>#<chat>, written once each: a statistics
// reader takes them from the stream or a day at a time with one Query.
// The alert guard is ACC#a / ALERT#busy.

func missedChatsPK(accountID string) string { return accountPK(accountID) + "#MISSED" }
func eventsPK(accountID string) string      { return accountPK(accountID) + "#EVENTS" }

const alertSK = "ALERT#busy"

// eventTime is fixed-width, so event keys sort by time.
const eventTime = "2006-01-02T15:04:05.000Z"

func tstr(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func ptime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t
}

func setWaitRow(r *chatRow, c chat.Chat) {
	r.WaitingSince, r.WaitKind = tstr(c.Wait.Since), c.Wait.Kind
	if !c.Wait.Due.IsZero() {
		r.WaitDue = c.Wait.Due.Unix()
	}
	r.BusyFirstAt, r.BusyAnswerAt, r.LeftAt = tstr(c.BusyFirstAt), tstr(c.BusyAnswerAt), tstr(c.LeftAt)
	r.Outcome, r.OutcomeAt = string(c.Outcome), tstr(c.OutcomeAt)
	r.FirstResponseTimeout, r.AnswerTimeout = int64(c.Timeouts.FirstResponse/time.Second), int64(c.Timeouts.Answer/time.Second)
}

func waitFromRow(c *chat.Chat, r chatRow) {
	c.Wait = chat.Wait{Since: ptime(r.WaitingSince), Kind: r.WaitKind}
	if r.WaitDue > 0 {
		c.Wait.Due = time.Unix(r.WaitDue, 0).UTC()
	}
	c.BusyFirstAt, c.BusyAnswerAt, c.LeftAt = ptime(r.BusyFirstAt), ptime(r.BusyAnswerAt), ptime(r.LeftAt)
	c.Outcome, c.OutcomeAt = chat.Outcome(r.Outcome), ptime(r.OutcomeAt)
	c.Timeouts = chat.Timeouts{FirstResponse: time.Duration(r.FirstResponseTimeout) * time.Second, Answer: time.Duration(r.AnswerTimeout) * time.Second}
}

// waitUpdate is the part of an UpdateExpression (after SET's first
// clauses) that stores w: SET what it has, REMOVE what it has not.
func waitUpdate(w chat.Wait, values map[string]types.AttributeValue) string {
	var set, remove string
	if w.Since.IsZero() {
		remove += ", waitingSince"
	} else {
		set += ", waitingSince = :wSince"
		values[":wSince"] = str(tstr(w.Since))
	}
	if w.Due.IsZero() {
		remove += ", waitDue, waitKind"
	} else {
		set += ", waitDue = :wDue, waitKind = :wKind"
		values[":wDue"], values[":wKind"] = num(w.Due.Unix()), str(w.Kind)
	}
	if remove != "" {
		return set + " REMOVE " + remove[2:]
	}
	return set
}

func (s *Store) timerPut(t timers.Timer) (types.TransactWriteItem, error) {
	pk, sk := timerKey(t)
	return s.put(timerRow{Type: "timer", AccountID: t.AccountID, Subject: t.Subject, Kind: t.Kind, Due: t.Due.Unix(),
		ExpiresAt: t.Due.Add(7 * 24 * time.Hour).Unix()}, pk, sk, nil, nil, nil)
}

// timerChange adds to t the timer writes of a chat's wait moving from c's
// to w: the new timer, and the deletion of the one it replaces.
func (s *Store) timerChange(t *txn, c chat.Chat, w chat.Wait) error {
	before, had := c.Timer()
	c.Wait = w
	after, has := c.Timer()
	if had == has && before == after {
		return nil
	}
	if had {
		pk, sk := timerKey(before)
		t.add(types.TransactWriteItem{Delete: &types.Delete{TableName: aws.String(s.Table), Key: key(pk, sk)}}, nil)
	}
	if has {
		it, err := s.timerPut(after)
		if err != nil {
			return err
		}
		t.add(it, nil)
	}
	return nil
}

// eventRow is one event record (chat.Event).
type eventRow struct {
	Type         string `dynamodbav:"type"`
	AccountID    string `dynamodbav:"accountId"`
	ChatID       string `dynamodbav:"chatId"`
	Kind         string `dynamodbav:"kind"`
	Outcome      string `dynamodbav:"outcome,omitempty"`
	At           string `dynamodbav:"at"`
	OperatorID   string `dynamodbav:"operatorId,omitempty"`
	DepartmentID string `dynamodbav:"departmentId,omitempty"`
	Language     string `dynamodbav:"language,omitempty"`
}

// ToEvent converts a stored event to the domain's.
func (r eventRow) ToEvent() chat.Event {
	return chat.Event{AccountID: r.AccountID, ChatID: r.ChatID, Kind: r.Kind, Outcome: chat.Outcome(r.Outcome), At: ptime(r.At),
		OperatorID: r.OperatorID, DepartmentID: r.DepartmentID, Language: r.Language}
}

func (s *Store) eventPut(e chat.Event) (types.TransactWriteItem, error) {
	at := e.At.UTC().Format(eventTime)
	return s.put(eventRow{Type: typeChatEvent, AccountID: e.AccountID, ChatID: e.ChatID, Kind: e.Kind, Outcome: string(e.Outcome),
		At: tstr(e.At), OperatorID: e.OperatorID, DepartmentID: e.DepartmentID, Language: e.Language},
		eventsPK(e.AccountID), at+"#"+e.Kind+"#"+e.ChatID, notExists, nil, nil)
}

// RecordEvent stores an event once: a second delivery of the same one
// changes nothing.
func (s *Store) RecordEvent(ctx context.Context, e chat.Event) error {
	it, err := s.eventPut(e)
	if err != nil {
		return err
	}
	_, err = s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: it.Put.Item, ConditionExpression: it.Put.ConditionExpression})
	if err != nil && !isConditionFailed(err) {
		return fmt.Errorf("dynamo: record event: %w", err)
	}
	return nil
}

// Events lists an account's events in [from, to), oldest first: one Query
// per MB.
func (s *Store) Events(ctx context.Context, accountID string, from, to time.Time) ([]chat.Event, error) {
	in := &dynamodb.QueryInput{
		TableName:                aws.String(s.Table),
		KeyConditionExpression:   aws.String("#pk = :pk AND #sk BETWEEN :from AND :to"),
		ExpressionAttributeNames: map[string]string{"#pk": schema.PK, "#sk": schema.SK},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(eventsPK(accountID)),
			":from": str(from.UTC().Format(eventTime)), ":to": str(to.UTC().Add(-time.Millisecond).Format(eventTime) + "#~")},
		ConsistentRead: aws.Bool(true),
	}
	rows, err := queryAll[eventRow](ctx, s, in, "events")
	if err != nil {
		return nil, err
	}
	var out []chat.Event // nil when none, as before
	for _, r := range rows {
		out = append(out, r.ToEvent())
	}
	return out, nil
}

// TimedOut is one transaction: the chat takes next's busy mark and loses
// its timer, and takes the busy message as its next seq, only if its seq
// and its timer are still c's; the message and the event record are
// stored with it. So of two deliveries of one fired timer, or of a fire
// racing a message, at most one acts.
func (s *Store) TimedOut(ctx context.Context, c chat.Chat, next chat.Chat, busy *chat.Message) error {
	tm, ok := c.Timer()
	if !ok {
		return chat.ErrRace
	}
	kind := chat.TimerAnswer
	at := next.BusyAnswerAt
	mark := "busyAnswerAt"
	if tm.Kind == chat.TimerFirstResponse {
		kind, at, mark = chat.TimerFirstResponse, next.BusyFirstAt, "busyFirstAt"
	}
	values := map[string]types.AttributeValue{":prev": num(c.Seq), ":due": num(tm.Due.Unix()), ":kind": str(tm.Kind), ":mark": str(tstr(at)),
		":waiting": str(string(chat.Waiting)), ":active": str(string(chat.Active))}
	set := mark + " = :mark"
	if busy != nil {
		set += ", seq = :n, lastMessageAt = :at"
		values[":n"], values[":at"] = num(busy.Seq), str(busy.At.Format(time.RFC3339Nano))
	}
	t := &txn{}
	t.add(types.TransactWriteItem{Update: &types.Update{TableName: aws.String(s.Table), Key: key(accountPK(c.AccountID), chatSK(c.ID)),
		UpdateExpression:         aws.String("SET " + set + " REMOVE waitDue, waitKind"),
		ConditionExpression:      aws.String("seq = :prev AND waitDue = :due AND waitKind = :kind AND #st IN (:waiting, :active)"),
		ExpressionAttributeNames: map[string]string{"#st": "status"}, ExpressionAttributeValues: values}}, chat.ErrRace)
	if busy != nil {
		it, err := s.put(toMessageRow(c, *busy), chatPK(c.AccountID, c.ID), messageSK(busy.Seq), notExists, nil, nil)
		if err != nil {
			return err
		}
		t.add(it, chat.ErrRace)
	}
	ev, err := s.eventPut(chat.BusyEvent(next, kind))
	if err != nil {
		return err
	}
	t.add(ev, chat.ErrRace)
	return s.runChat(ctx, t, "time out chat")
}

// MissedChats lists the chats started since then that their visitors
// closed unanswered, newest first, from the sparse index ACC#a#MISSED: one
// Query (more only past 1 MB).
func (s *Store) MissedChats(ctx context.Context, accountID string, since time.Time) ([]chat.Chat, error) {
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(s.Table),
		IndexName:                 aws.String(schema.GSI1),
		KeyConditionExpression:    aws.String("#pk = :pk AND #sk >= :since"),
		ExpressionAttributeNames:  map[string]string{"#pk": schema.GSI1PK, "#sk": schema.GSI1SK},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(missedChatsPK(accountID)), ":since": str(chat.IDPrefix(since))},
		ScanIndexForward:          aws.Bool(false),
	}
	return queryChats(ctx, s, in, "missed chats")
}

// ClaimAlert takes the account's alert guard for key at, with one
// conditional UpdateItem: only when no alert was claimed yet, the last
// one is at least window older than at, or it is alertKey's own (a
// redelivery).
func (s *Store) ClaimAlert(ctx context.Context, accountID, alertKey string, at time.Time, window time.Duration) (bool, error) {
	_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(s.Table), Key: key(accountPK(accountID), alertSK),
		UpdateExpression:         aws.String("SET #type = :type, accountId = :acc, lastAt = :at, alertKey = :key"),
		ConditionExpression:      aws.String("attribute_not_exists(lastAt) OR lastAt <= :cutoff OR alertKey = :key"),
		ExpressionAttributeNames: map[string]string{"#type": "type"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":type": str("alertGuard"), ":acc": str(accountID), ":key": str(alertKey),
			":at": num(at.UnixMilli()), ":cutoff": num(at.Add(-window).UnixMilli())}})
	if isConditionFailed(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("dynamo: claim alert: %w", err)
	}
	return true, nil
}

// timerDue is the due second of a fired timer's stream image.
func timerDue(due int64) time.Time { return time.Unix(due, 0).UTC() }

// firedTimer is a fired timer's record as the stream decodes it.
type firedTimer struct {
	AccountID string `dynamodbav:"accountId"`
	Subject   string `dynamodbav:"subject"`
	Kind      string `dynamodbav:"kind"`
	Due       int64  `dynamodbav:"due"`
}

// timer is the fired timer.
func (f firedTimer) timer() timers.Timer {
	return timers.Timer{AccountID: f.AccountID, Subject: f.Subject, Kind: f.Kind, Due: timerDue(f.Due)}
}
