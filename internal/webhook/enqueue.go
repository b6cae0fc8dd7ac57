package webhook

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"time"

	"parley/internal/account"
	"parley/internal/apperr"
	"parley/internal/chat"
	"parley/internal/settings"
	"parley/internal/visitor"
)

// Trigger is a change of a chat that is an event: the stream adapter
// decodes it from a record. Source names the change uniquely and stably
// (the same record replayed gives the same Source), which makes the
// delivery's id.
type Trigger struct {
	Event     Event
	AccountID string
	Chat      chat.Chat // as the change left it (chatStart, chatClose); chatAssign reads it
	ChatID    string
	// OperatorID and Via are the assignment's (chatAssign).
	OperatorID string
	Via        string
	At         time.Time
	Source     string
}

// Facts are the reads that fill a body.
type Facts interface {
	Chat(ctx context.Context, accountID, id string) (chat.Chat, error)
	Messages(ctx context.Context, accountID, chatID string, after int64, limit int) ([]chat.Message, error)
	VisitorIdentity(ctx context.Context, accountID, visitorID string) (visitor.Fields, error)
	Person(ctx context.Context, accountID, personID string) (account.Person, error)
}

// Enqueuer turns triggers into deliveries for the account's handlers.
type Enqueuer struct {
	Store    Store
	Settings func(ctx context.Context, accountID string) (settings.Document, error)
	Facts    Facts
	Now      func() time.Time
	// Services add deliveries of their own to a trigger's (service.go).
	Services []Service
}

// Enqueue stores the deliveries of a trigger: the event webhook's if its
// handler is set, and each configured Service's; the same trigger twice
// stores them once. It makes no outbound call.
func (e *Enqueuer) Enqueue(ctx context.Context, t Trigger) error {
	doc, err := e.Settings(ctx, t.AccountID)
	if err != nil {
		return err
	}
	var evs []Event
	if t.Event.URL(doc.Integration.Webhooks) != "" {
		evs = append(evs, t.Event)
	}
	for _, s := range e.Services {
		if s.Configured(doc) {
			evs = append(evs, s.Deliveries(doc, t.Event)...)
		}
	}
	if len(evs) == 0 {
		return nil
	}
	body, err := e.body(ctx, doc, t)
	if err != nil {
		return err
	}
	now := e.Now().UTC()
	for _, ev := range evs {
		// A webhook's id keeps its old source, so a replay across this
		// change still finds it.
		id := NewID(t.At, t.AccountID+"|"+string(ev)+"|"+t.Source)
		body.ID = id
		raw, err := encode(body)
		if err != nil {
			return err
		}
		if _, err := e.Store.PutDelivery(ctx, NewPending(t.AccountID, id, ev, body.Data.Chat.ID, raw, now, now)); err != nil {
			return err
		}
	}
	return nil
}

// Test stores a test delivery of the event, built from an example chat,
// for "send a test event". Errors: apperr.Invalid (the handler is not
// set).
func (e *Enqueuer) Test(ctx context.Context, accountID string, ev Event) (Delivery, error) {
	doc, err := e.Settings(ctx, accountID)
	if err != nil {
		return Delivery{}, err
	}
	if ev.URL(doc.Integration.Webhooks) == "" {
		return Delivery{}, &apperr.Error{Code: apperr.Invalid, Message: "set the handler's URL first",
			Fields: map[string]string{"integration.webhooks." + string(ev): "is empty"}}
	}
	now := e.Now().UTC()
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return Delivery{}, err
	}
	id := NewID(now, "test|"+hex.EncodeToString(b))
	c := chat.Chat{AccountID: accountID, ID: "test-chat", VisitorID: "test-visitor", Status: chat.Waiting, Language: doc.Company.Language,
		StartedAt: now, Question: "This is a test event from Parley."}
	body := Body{Type: ev, ID: id, Timestamp: now, Test: true, Data: Data{Account: AccountData{ID: accountID}, Chat: chatData(c),
		Visitor: visitorData(c, visitor.Fields{"id": "test-visitor", "name": "Test Visitor"})}}
	op := &OperatorData{ID: "test-operator", Name: "Test Operator", Email: "operator@example.com"}
	switch ev {
	case ChatAssign:
		body.Data.Operator, body.Data.Assignment = op, &AssignmentData{Via: "take", At: now}
	case ChatClose:
		body.Data.Operator = op
		body.Data.Close = &CloseData{Outcome: "answered", Transcript: []MessageData{{Seq: 1, From: "visitor", Text: c.Question, At: now}}}
	}
	raw, err := encode(body)
	if err != nil {
		return Delivery{}, err
	}
	d := Delivery{AccountID: accountID, ID: id, Event: ev, ChatID: c.ID, Body: raw, Test: true, Status: Pending, CreatedAt: now, Since: now, NextAt: dueSecond(now)}
	if _, err := e.Store.PutDelivery(ctx, d); err != nil {
		return Delivery{}, err
	}
	return d, nil
}

// Redeliver sends a finished delivery again, with the same id and body.
// Errors: apperr.NotFound, apperr.Conflict (it is still pending).
func (e *Enqueuer) Redeliver(ctx context.Context, accountID, id string) (Delivery, error) {
	if !ValidID(id) {
		return Delivery{}, apperr.New(apperr.NotFound, "there is no delivery %q", id)
	}
	d, err := e.Store.Delivery(ctx, accountID, id)
	if err != nil {
		return Delivery{}, err
	}
	now := e.Now().UTC()
	ok, err := e.Store.Redeliver(ctx, d, dueSecond(now))
	if err != nil {
		return Delivery{}, err
	}
	if !ok {
		return Delivery{}, apperr.New(apperr.Conflict, "the delivery is still pending: it will be tried again at its next retry")
	}
	d.Status, d.Since, d.NextAt, d.FinishedAt = Pending, now, dueSecond(now), time.Time{}
	return d, nil
}

func (e *Enqueuer) body(ctx context.Context, doc settings.Document, t Trigger) (Body, error) {
	c := t.Chat
	if c.ID == "" {
		var err error
		if c, err = e.Facts.Chat(ctx, t.AccountID, t.ChatID); err != nil {
			return Body{}, err
		}
	}
	fields, err := e.Facts.VisitorIdentity(ctx, t.AccountID, c.VisitorID)
	if err != nil && apperr.CodeOf(err) != apperr.NotFound {
		return Body{}, err
	}
	b := Body{Type: t.Event, Timestamp: t.At.UTC(), Data: Data{Account: AccountData{ID: t.AccountID}, Chat: chatData(c), Visitor: visitorData(c, fields)}}
	opID := c.OperatorID
	if t.Event == ChatAssign {
		opID = t.OperatorID
		b.Data.Assignment = &AssignmentData{Via: t.Via, At: t.At.UTC()}
	}
	if opID != "" {
		p, err := e.Facts.Person(ctx, t.AccountID, opID)
		switch {
		case err == nil:
			b.Data.Operator = operatorData(p)
		case apperr.CodeOf(err) == apperr.NotFound: // deleted since: the id is all there is
			b.Data.Operator = &OperatorData{ID: opID}
		default:
			return Body{}, err
		}
	}
	if t.Event == ChatClose {
		ms, err := e.Facts.Messages(ctx, t.AccountID, c.ID, max(c.Seq-MaxTranscriptMessages, 0), MaxTranscriptMessages)
		if err != nil {
			return Body{}, err
		}
		cl := &CloseData{Outcome: outcome(c, doc.AutoMessages.Refusal()), Category: c.Category, Rating: string(c.Rating),
			Transcript: make([]MessageData, 0, len(ms)), TranscriptTruncated: c.Seq > MaxTranscriptMessages}
		for _, m := range ms {
			cl.Transcript = append(cl.Transcript, MessageData{Seq: m.Seq, From: string(m.From), Text: m.Text, At: m.At.UTC()})
		}
		b.Data.Close = cl
	}
	return b, nil
}
