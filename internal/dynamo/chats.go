package dynamo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"parley/internal/apperr"
	"parley/internal/chat"
	"parley/internal/schema"
	"parley/internal/settings"
)

// Chat items. A chat is ACC#a / CHAT#id (ids sort by start time, so the
// history is a range of the account's partition); while it is open it is
// also in the sparse gsi1 partition ACC#a#OPEN (the workplace's list). Its
// messages, its clients' message ids and the connections subscribed to it
// share their own partition ACC#a#CHAT#id: MSG#seq, CID#kind#sender#id,
// CONN#connection. An operator's chats are ACC#a / OPCHAT#person#chat, and
// their count ACC#a / LOAD#person: both change in the transaction that
// assigns or releases a chat, which is where routing (issue 6) adds its
// limit condition. ACC#a / QUEUE and QUEUE#nn count waiting chats (see
// waitingShards), and ACC#a / OFFQUEUE unanswered offline requests.
type chatRow struct {
	Type           string    `dynamodbav:"type"`
	AccountID      string    `dynamodbav:"accountId"`
	ID             string    `dynamodbav:"id"`
	VisitorID      string    `dynamodbav:"visitorId"`
	Status         string    `dynamodbav:"status"`
	OperatorID     string    `dynamodbav:"operatorId,omitempty"`
	DepartmentID   string    `dynamodbav:"departmentId,omitempty"`
	Language       string    `dynamodbav:"language"`
	Category       string    `dynamodbav:"category,omitempty"`
	Priority       bool      `dynamodbav:"priority"`
	Page           string    `dynamodbav:"page,omitempty"`
	Rating         string    `dynamodbav:"rating,omitempty"`
	Question       string    `dynamodbav:"question,omitempty"`
	Offline        bool      `dynamodbav:"offline,omitempty"`
	Unanswered     bool      `dynamodbav:"unanswered,omitempty"`
	OfflineName    string    `dynamodbav:"offlineName,omitempty"`
	OfflineContact string    `dynamodbav:"offlineContact,omitempty"`
	StartedAt      time.Time `dynamodbav:"startedAt"`
	Day            string    `dynamodbav:"day,omitempty"`
	VisitorMsgs    int64     `dynamodbav:"visitorMsgs,omitempty"`
	OperatorMsgs   int64     `dynamodbav:"operatorMsgs,omitempty"`
	AssignedAt     time.Time `dynamodbav:"assignedAt"`
	AnsweredAt     time.Time `dynamodbav:"answeredAt"`
	ClosedAt       time.Time `dynamodbav:"closedAt"`
	VisitorClosed  bool      `dynamodbav:"visitorClosed"`
	FinalAt        string    `dynamodbav:"finalAt,omitempty"`
	Seq            int64     `dynamodbav:"seq"`
	VisitorRead    int64     `dynamodbav:"visitorRead"`
	OperatorRead   int64     `dynamodbav:"operatorRead"`
	LastMessageAt  time.Time `dynamodbav:"lastMessageAt"`
	QueueSeq       int64     `dynamodbav:"queueSeq,omitempty"`
	// The wait and what ended it (timeouts.go); times as RFC 3339, the
	// timer's due second as a number its fire condition compares.
	WaitingSince string `dynamodbav:"waitingSince,omitempty"`
	WaitDue      int64  `dynamodbav:"waitDue,omitempty"`
	WaitKind     string `dynamodbav:"waitKind,omitempty"`
	BusyFirstAt  string `dynamodbav:"busyFirstAt,omitempty"`
	BusyAnswerAt string `dynamodbav:"busyAnswerAt,omitempty"`
	LeftAt       string `dynamodbav:"leftAt,omitempty"`
	Outcome      string `dynamodbav:"outcome,omitempty"`
	OutcomeAt    string `dynamodbav:"outcomeAt,omitempty"`
	// The chat's timeouts in seconds (chat.Timeouts).
	FirstResponseTimeout int64  `dynamodbav:"firstResponseTimeout,omitempty"`
	AnswerTimeout        int64  `dynamodbav:"answerTimeout,omitempty"`
	GSI1PK               string `dynamodbav:"gsi1pk,omitempty"`
	GSI1SK               string `dynamodbav:"gsi1sk,omitempty"`
	Channel              string `dynamodbav:"channel,omitempty"`
}

type messageRow struct {
	Type      string    `dynamodbav:"type"`
	AccountID string    `dynamodbav:"accountId"`
	ChatID    string    `dynamodbav:"chatId"`
	Seq       int64     `dynamodbav:"seq"`
	From      string    `dynamodbav:"from"`
	SenderID  string    `dynamodbav:"senderId,omitempty"`
	ClientID  string    `dynamodbav:"clientId,omitempty"`
	Text      string    `dynamodbav:"text"`
	At        time.Time `dynamodbav:"at"`
	// Channel and VisitorID are set on the messages of a messenger's
	// chat, so the stream consumer sends them out without reading the
	// chat (channels.go).
	Channel   string `dynamodbav:"channel,omitempty"`
	VisitorID string `dynamodbav:"visitorId,omitempty"`
}

func chatSK(id string) string                   { return "CHAT#" + id }
func chatPK(accountID, id string) string        { return accountPK(accountID) + "#CHAT#" + id }
func openChatsPK(accountID string) string       { return accountPK(accountID) + "#OPEN" }
func messageSK(seq int64) string                { return fmt.Sprintf("MSG#%012d", seq) }
func operatorChatSK(person, chat string) string { return "OPCHAT#" + person + "#" + chat }
func loadSK(person string) string               { return "LOAD#" + person }

const (
	queueSK        = "QUEUE"
	offlineQueueSK = "OFFQUEUE"
)

func clientIDSK(m chat.Message) string {
	return "CID#" + string(m.From) + "#" + m.SenderID + "#" + m.ClientID
}

func toChatRow(c chat.Chat) chatRow {
	r := chatRow{Type: "chat", AccountID: c.AccountID, ID: c.ID, VisitorID: c.VisitorID, Status: string(c.Status), OperatorID: c.OperatorID,
		DepartmentID: c.DepartmentID, Language: c.Language, Category: c.Category, Priority: c.Priority, Page: c.Page, Rating: string(c.Rating),
		Question: c.Question, Offline: c.Offline, Unanswered: c.Unanswered, OfflineName: c.OfflineName, OfflineContact: c.OfflineContact, StartedAt: c.StartedAt,
		AssignedAt: c.AssignedAt, AnsweredAt: c.AnsweredAt, ClosedAt: c.ClosedAt, VisitorClosed: c.VisitorClosed, Seq: c.Seq,
		VisitorRead: c.VisitorRead, OperatorRead: c.OperatorRead, LastMessageAt: c.LastMessageAt, QueueSeq: c.QueueSeq, FinalAt: tstr(c.FinalAt), Channel: c.Channel}
	r.Day, r.VisitorMsgs, r.OperatorMsgs = c.Day, c.VisitorMessages, c.OperatorMessages
	setWaitRow(&r, c)
	switch {
	case c.Open():
		r.GSI1PK, r.GSI1SK = openChatsPK(c.AccountID), c.ID
	case c.LeftUnanswered():
		r.GSI1PK, r.GSI1SK = missedChatsPK(c.AccountID), c.ID
	}
	return r
}

func fromChatRow(r chatRow) chat.Chat {
	c := chat.Chat{AccountID: r.AccountID, ID: r.ID, VisitorID: r.VisitorID, Status: chat.Status(r.Status), OperatorID: r.OperatorID,
		DepartmentID: r.DepartmentID, Language: r.Language, Category: r.Category, Priority: r.Priority, Page: r.Page, Rating: chat.Rating(r.Rating),
		Question: r.Question, Offline: r.Offline, Unanswered: r.Unanswered, OfflineName: r.OfflineName, OfflineContact: r.OfflineContact, StartedAt: r.StartedAt,
		AssignedAt: r.AssignedAt, AnsweredAt: r.AnsweredAt, ClosedAt: r.ClosedAt, VisitorClosed: r.VisitorClosed, Seq: r.Seq,
		VisitorRead: r.VisitorRead, OperatorRead: r.OperatorRead, LastMessageAt: r.LastMessageAt, QueueSeq: r.QueueSeq, FinalAt: ptime(r.FinalAt), Channel: r.Channel}
	c.Day, c.VisitorMessages, c.OperatorMessages = r.Day, r.VisitorMsgs, r.OperatorMsgs
	waitFromRow(&c, r)
	return c
}

// toMessageRow is m as stored in chat c.
func toMessageRow(c chat.Chat, m chat.Message) messageRow {
	r := messageRow{Type: "message", AccountID: m.AccountID, ChatID: m.ChatID, Seq: m.Seq, From: string(m.From), SenderID: m.SenderID,
		ClientID: m.ClientID, Text: m.Text, At: m.At}
	if c.Channel != "" {
		r.Channel, r.VisitorID = c.Channel, c.VisitorID
	}
	return r
}

func fromMessageRow(r messageRow) chat.Message {
	return chat.Message{AccountID: r.AccountID, ChatID: r.ChatID, Seq: r.Seq, From: chat.Kind(r.From), SenderID: r.SenderID, ClientID: r.ClientID, Text: r.Text, At: r.At}
}

func str(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }
func num(n int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}

func (s *Store) put(row any, pk, sk string, cond *string, names map[string]string, values map[string]types.AttributeValue) (types.TransactWriteItem, error) {
	item, err := marshal(row, pk, sk)
	if err != nil {
		return types.TransactWriteItem{}, err
	}
	return types.TransactWriteItem{Put: &types.Put{TableName: aws.String(s.Table), Item: item, ConditionExpression: cond,
		ExpressionAttributeNames: names, ExpressionAttributeValues: values}}, nil
}

// counter adds delta to a counter attribute of a small item (the
// operator's load, the waiting queue).
func (s *Store) counter(accountID, sk, typ, attr string, delta int64, extra map[string]string) types.TransactWriteItem {
	set := "#type = :type, accountId = :acc"
	values := map[string]types.AttributeValue{":d": num(delta), ":type": str(typ), ":acc": str(accountID)}
	for k, v := range extra {
		set += ", " + k + " = :" + k
		values[":"+k] = str(v)
	}
	return types.TransactWriteItem{Update: &types.Update{TableName: aws.String(s.Table),
		Key:                       key(accountPK(accountID), sk),
		UpdateExpression:          aws.String("SET " + set + " ADD #n :d"),
		ExpressionAttributeNames:  map[string]string{"#type": "type", "#n": attr},
		ExpressionAttributeValues: values}}
}

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

// OpenChatID returns the visitor's latest chat id: one GetItem.
func (s *Store) OpenChatID(ctx context.Context, accountID, visitorID string) (string, error) {
	var r struct {
		OpenChatID string `dynamodbav:"openChatId"`
	}
	err := s.get(ctx, accountPK(accountID), visitorSK(visitorID), &r, "visitor")
	if isNotFound(err) {
		return "", nil
	}
	return r.OpenChatID, err
}

// Chat returns one chat: one GetItem. Errors: apperr.NotFound.
func (s *Store) Chat(ctx context.Context, accountID, id string) (chat.Chat, error) {
	var r chatRow
	if err := s.get(ctx, accountPK(accountID), chatSK(id), &r, "chat"); err != nil {
		return chat.Chat{}, err
	}
	return fromChatRow(r), nil
}

// AppendMessage is one transaction: the chat's seq moves from c.Seq to
// m.Seq (so messages are numbered in commit order without gaps), the
// message is stored, and so is its client id (so a resend is recognised).
func (s *Store) AppendMessage(ctx context.Context, c chat.Chat, m chat.Message, w chat.Wait) (chat.Message, bool, error) {
	set := "seq = :n, lastMessageAt = :at"
	cond := "seq = :prev AND #st IN (:waiting, :active)"
	values := map[string]types.AttributeValue{":n": num(m.Seq), ":prev": num(c.Seq), ":at": str(m.At.Format(time.RFC3339Nano)),
		":waiting": str(string(chat.Waiting)), ":active": str(string(chat.Active))}
	// Each side's message count, for the statistics (a resend never gets
	// here: its client id's put fails the transaction).
	switch m.From {
	case chat.FromVisitor:
		set += ", visitorMsgs = if_not_exists(visitorMsgs, :zero) + :one"
		values[":zero"], values[":one"] = num(0), num(1)
	case chat.FromOperator:
		set += ", operatorMsgs = if_not_exists(operatorMsgs, :zero) + :one"
		values[":zero"], values[":one"] = num(0), num(1)
	}
	if m.From == chat.FromOperator {
		cond += " AND operatorId = :op"
		values[":op"] = str(m.SenderID)
		if c.AnsweredAt.IsZero() {
			set += ", answeredAt = :at"
		}
		// The first answer is the outcome, unless the visitor left first.
		set += ", outcome = if_not_exists(outcome, :answered), outcomeAt = if_not_exists(outcomeAt, :at)"
		values[":answered"] = str(string(chat.Answered))
	}
	expr := "SET " + set + waitUpdate(w, values)
	t := &txn{}
	t.add(types.TransactWriteItem{Update: &types.Update{TableName: aws.String(s.Table), Key: key(accountPK(c.AccountID), chatSK(c.ID)),
		UpdateExpression: aws.String(expr), ConditionExpression: aws.String(cond),
		ExpressionAttributeNames: map[string]string{"#st": "status"}, ExpressionAttributeValues: values}}, chat.ErrRace)
	it, err := s.put(toMessageRow(c, m), chatPK(c.AccountID, c.ID), messageSK(m.Seq), notExists, nil, nil)
	if err != nil {
		return chat.Message{}, false, err
	}
	t.add(it, chat.ErrRace)
	if m.ClientID != "" {
		it, err := s.put(map[string]any{"type": "clientId", "seq": m.Seq}, chatPK(c.AccountID, c.ID), clientIDSK(m), notExists, nil, nil)
		if err != nil {
			return chat.Message{}, false, err
		}
		t.add(it, nil)
	}
	if err := s.timerChange(t, c, w); err != nil {
		return chat.Message{}, false, err
	}
	_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: t.items})
	reasons := cancelledReasons(err)
	if len(reasons) >= 3 && m.ClientID != "" && reasons[2] == "ConditionalCheckFailed" {
		stored, err := s.messageByClientID(ctx, m)
		return stored, true, err
	}
	for _, r := range reasons {
		if r == "ConditionalCheckFailed" || r == "TransactionConflict" {
			return chat.Message{}, false, chat.ErrRace
		}
	}
	if err != nil {
		return chat.Message{}, false, fmt.Errorf("dynamo: append message: %w", err)
	}
	return m, false, nil
}

func (s *Store) messageByClientID(ctx context.Context, m chat.Message) (chat.Message, error) {
	var ref struct {
		Seq int64 `dynamodbav:"seq"`
	}
	if err := s.get(ctx, chatPK(m.AccountID, m.ChatID), clientIDSK(m), &ref, "message id"); err != nil {
		return chat.Message{}, err
	}
	var r messageRow
	if err := s.get(ctx, chatPK(m.AccountID, m.ChatID), messageSK(ref.Seq), &r, "message"); err != nil {
		return chat.Message{}, err
	}
	return fromMessageRow(r), nil
}

// Messages returns a chat's messages after seq in order: one Query per
// page of 1 MB.
func (s *Store) Messages(ctx context.Context, accountID, chatID string, after int64, limit int) ([]chat.Message, error) {
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(s.Table),
		KeyConditionExpression:    aws.String("#pk = :pk AND #sk BETWEEN :from AND :to"),
		ExpressionAttributeNames:  map[string]string{"#pk": schema.PK, "#sk": schema.SK},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(chatPK(accountID, chatID)), ":from": str(messageSK(after + 1)), ":to": str("MSG#~")},
		ConsistentRead:            aws.Bool(true),
	}
	if limit > 0 {
		in.Limit = aws.Int32(int32(limit))
	}
	out := []chat.Message{}
	for p := dynamodb.NewQueryPaginator(s.DB, in); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("dynamo: messages: %w", err)
		}
		var rows []messageRow
		if err := attributevalue.UnmarshalListOfMaps(page.Items, &rows); err != nil {
			return nil, fmt.Errorf("dynamo: decode messages: %w", err)
		}
		for _, r := range rows {
			out = append(out, fromMessageRow(r))
		}
		if limit > 0 && len(out) >= limit {
			break
		}
	}
	return out, nil
}

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

// SetChatFields updates the plain attributes of a chat with one UpdateItem
// conditional on its status and operator only, so it never conflicts with
// the messages flowing meanwhile.
func (s *Store) SetChatFields(ctx context.Context, c chat.Chat, next chat.Chat) error {
	cond := "#st = :st"
	values := map[string]types.AttributeValue{":st": str(string(c.Status)), ":prio": &types.AttributeValueMemberBOOL{Value: next.Priority},
		":vr": num(next.VisitorRead), ":or": num(next.OperatorRead), ":vc": &types.AttributeValueMemberBOOL{Value: next.VisitorClosed}}
	if c.OperatorID == "" {
		cond += " AND attribute_not_exists(operatorId)"
	} else {
		cond += " AND operatorId = :op"
		values[":op"] = str(c.OperatorID)
	}
	set := []string{"priority = :prio", "visitorRead = :vr", "operatorRead = :or", "visitorClosed = :vc"}
	var remove []string
	for name, v := range map[string]string{"category": next.Category, "rating": string(next.Rating), "page": next.Page} {
		if v == "" {
			remove = append(remove, name)
			continue
		}
		set = append(set, name+" = :"+name)
		values[":"+name] = str(v)
	}
	if next.LeftAt.IsZero() {
		remove = append(remove, "leftAt")
	} else {
		set = append(set, "leftAt = :leftAt")
		values[":leftAt"] = str(tstr(next.LeftAt))
	}
	if !next.FinalAt.IsZero() && c.FinalAt.IsZero() {
		// Set once: the first of two racing reads to the end keeps its time.
		set = append(set, "finalAt = if_not_exists(finalAt, :fin)")
		values[":fin"] = str(tstr(next.FinalAt))
	}
	if next.Outcome != "" && next.Outcome != c.Outcome {
		// Set once: an answer stored meanwhile keeps its outcome.
		set = append(set, "outcome = if_not_exists(outcome, :oc)", "outcomeAt = if_not_exists(outcomeAt, :ocAt)")
		values[":oc"], values[":ocAt"] = str(string(next.Outcome)), str(tstr(next.OutcomeAt))
	}
	expr := "SET " + strings.Join(set, ", ")
	if len(remove) > 0 {
		expr += " REMOVE " + strings.Join(remove, ", ")
	}
	_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(s.Table), Key: key(accountPK(c.AccountID), chatSK(c.ID)),
		UpdateExpression: aws.String(expr), ConditionExpression: aws.String(cond),
		ExpressionAttributeNames: map[string]string{"#st": "status"}, ExpressionAttributeValues: values})
	if isConditionFailed(err) {
		return chat.ErrRace
	}
	if err != nil {
		return fmt.Errorf("dynamo: update chat: %w", err)
	}
	return nil
}

// OpenChats lists the account's open chats from the sparse index, oldest
// first: one Query (and more only past 1 MB of open chats).
func (s *Store) OpenChats(ctx context.Context, accountID string) ([]chat.Chat, error) {
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(s.Table),
		IndexName:                 aws.String(schema.GSI1),
		KeyConditionExpression:    aws.String("#pk = :pk"),
		ExpressionAttributeNames:  map[string]string{"#pk": schema.GSI1PK},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(openChatsPK(accountID))},
	}
	return queryChats(ctx, s, in, "open chats")
}

// OperatorChatIDs lists the chats an operator leads: one Query.
func (s *Store) OperatorChatIDs(ctx context.Context, accountID, operatorID string) ([]string, error) {
	var rows []struct {
		ChatID string `dynamodbav:"chatId"`
	}
	if err := s.queryPrefix(ctx, accountPK(accountID), "OPCHAT#"+operatorID+"#", &rows); err != nil {
		return nil, fmt.Errorf("dynamo: operator chats: %w", err)
	}
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.ChatID
	}
	return ids, nil
}

// OperatorLoad is how many chats an operator leads, from their counter.
func (s *Store) OperatorLoad(ctx context.Context, accountID, operatorID string) (int64, error) {
	var r struct {
		Open int64 `dynamodbav:"open"`
	}
	err := s.get(ctx, accountPK(accountID), loadSK(operatorID), &r, "load")
	if isNotFound(err) {
		return 0, nil
	}
	return r.Open, err
}

// WaitingCount is how many chats wait for an operator, the sum of the
// shards the chat transactions keep (misc.onlineQueueLimit): one Query.
func (s *Store) WaitingCount(ctx context.Context, accountID string) (int64, error) {
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(s.Table),
		KeyConditionExpression:    aws.String("#pk = :pk AND #sk BETWEEN :first AND :last"),
		ExpressionAttributeNames:  map[string]string{"#pk": schema.PK, "#sk": schema.SK},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(accountPK(accountID)), ":first": str(queueSK), ":last": str(queueSK + "#~")},
		ConsistentRead:            aws.Bool(true),
	}
	var n int64
	for p := dynamodb.NewQueryPaginator(s.DB, in); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			return 0, fmt.Errorf("dynamo: waiting count: %w", err)
		}
		var rows []struct {
			Waiting int64 `dynamodbav:"waiting"`
		}
		if err := attributevalue.UnmarshalListOfMaps(page.Items, &rows); err != nil {
			return 0, fmt.Errorf("dynamo: decode waiting count: %w", err)
		}
		for _, r := range rows {
			n += r.Waiting
		}
	}
	return n, nil
}

// maxHistoryReads bounds the Queries one history page may make when
// filters discard most chats: the page then ends early with a cursor.
const maxHistoryReads = 10

// ListChats pages through the chats started in [q.From, q.To), newest
// first, with a Query on the account's partition (ids sort by start time)
// and the filters as a FilterExpression.
func (s *Store) ListChats(ctx context.Context, accountID string, q chat.Query) (chat.Page, error) {
	names := map[string]string{"#pk": schema.PK, "#sk": schema.SK}
	values := map[string]types.AttributeValue{":pk": str(accountPK(accountID)), ":from": str(chatSK(chat.IDPrefix(q.From))), ":to": str(chatSK(chat.IDPrefix(q.To)))}
	var filters []string
	add := func(attr, v string) {
		if v != "" {
			names["#"+attr] = attr
			values[":"+attr] = str(v)
			filters = append(filters, "#"+attr+" = :"+attr)
		}
	}
	add("operatorId", q.OperatorID)
	add("visitorId", q.VisitorID)
	add("departmentId", q.DepartmentID)
	add("category", q.Category)
	if q.Category != "" && !strings.Contains(q.Category, " / ") {
		// A top-level category takes in its sub-categories ("Top / Sub").
		values[":categorySub"] = str(q.Category + " / ")
		filters[len(filters)-1] = "(#category = :category OR begins_with(#category, :categorySub))"
	}
	add("rating", string(q.Rating))
	add("status", string(q.Status))
	add("outcome", string(q.Outcome))
	if q.Offline != nil {
		// offline is stored only when true.
		names["#offline"] = "offline"
		if *q.Offline {
			values[":offline"] = &types.AttributeValueMemberBOOL{Value: true}
			filters = append(filters, "#offline = :offline")
		} else {
			filters = append(filters, "attribute_not_exists(#offline)")
		}
	}
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(s.Table),
		KeyConditionExpression:    aws.String("#pk = :pk AND #sk BETWEEN :from AND :to"),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
		ScanIndexForward:          aws.Bool(false),
	}
	if len(filters) > 0 {
		in.FilterExpression = aws.String(strings.Join(filters, " AND "))
	}
	if q.Cursor != "" {
		if !chat.ValidID(q.Cursor) {
			return chat.Page{}, &apperr.Error{Code: apperr.Invalid, Message: "cursor is not one this API returned", Fields: map[string]string{"cursor": "is not valid"}}
		}
		in.ExclusiveStartKey = key(accountPK(accountID), chatSK(q.Cursor))
	}
	var page chat.Page
	for range maxHistoryReads {
		// Evaluating at most the chats still wanted means every match of
		// this read is kept, so LastEvaluatedKey is an exact cursor.
		in.Limit = aws.Int32(int32(q.Limit - len(page.Chats)))
		res, err := s.DB.Query(ctx, in)
		if err != nil {
			return chat.Page{}, fmt.Errorf("dynamo: list chats: %w", err)
		}
		var rows []chatRow
		if err := attributevalue.UnmarshalListOfMaps(res.Items, &rows); err != nil {
			return chat.Page{}, fmt.Errorf("dynamo: decode chats: %w", err)
		}
		for _, r := range rows {
			page.Chats = append(page.Chats, fromChatRow(r))
		}
		page.Next = ""
		if res.LastEvaluatedKey == nil {
			return page, nil
		}
		var k struct {
			SK string `dynamodbav:"sk"`
		}
		if err := attributevalue.UnmarshalMap(res.LastEvaluatedKey, &k); err != nil {
			return chat.Page{}, fmt.Errorf("dynamo: decode cursor: %w", err)
		}
		page.Next = strings.TrimPrefix(k.SK, "CHAT#")
		if len(page.Chats) >= q.Limit {
			return page, nil
		}
		in.ExclusiveStartKey = res.LastEvaluatedKey
	}
	return page, nil
}

// SettingsDocument returns an account's decoded settings: one GetItem.
func (s *Store) SettingsDocument(ctx context.Context, accountID string) (settings.Document, error) {
	rec, err := s.Settings(ctx, accountID)
	if err != nil {
		return settings.Document{}, err
	}
	return settings.Load([]byte(rec.Doc))
}
