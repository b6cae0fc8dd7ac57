package dynamo

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"parley/internal/chat"
	"parley/internal/settings"
)

// The chat store, by noun: the items, their keys and conversions, one
// chat's read and its plain fields (this file); a chat's start and offline
// requests (chatstart.go); messages (chatmessages.go); take, release and
// close, with the operator's count and the waiting queue
// (chattakeclose.go); the workplace's lists and counts (chatlists.go); the
// history's pages (chathistory.go); who follows a chat (chatconns.go).

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
	r := chatRow{Type: typeChat, AccountID: c.AccountID, ID: c.ID, VisitorID: c.VisitorID, Status: string(c.Status), OperatorID: c.OperatorID,
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
	r := messageRow{Type: typeMessage, AccountID: m.AccountID, ChatID: m.ChatID, Seq: m.Seq, From: string(m.From), SenderID: m.SenderID,
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
	if err := s.get(ctx, accountPK(accountID), chatSK(id), &r, typeChat); err != nil {
		return chat.Chat{}, err
	}
	return fromChatRow(r), nil
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

// SettingsDocument returns an account's decoded settings: one GetItem.
func (s *Store) SettingsDocument(ctx context.Context, accountID string) (settings.Document, error) {
	rec, err := s.Settings(ctx, accountID)
	if err != nil {
		return settings.Document{}, err
	}
	return settings.Load([]byte(rec.Doc))
}
