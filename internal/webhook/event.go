package webhook

import (
	"encoding/json"
	"time"

	"parley/internal/account"
	"parley/internal/chat"
	"parley/internal/settings"
	"parley/internal/visitor"
)

// Event is a kind of webhook, named as its setting integration.webhooks.<Event>.
type Event string

// The events of SPEC §4.9.
const (
	ChatStart  Event = "chatStart"  // a chat started (offline requests too; a resumed chat is not a start)
	ChatAssign Event = "chatAssign" // an operator was given the chat: by hand, automatically, or by a redirect
	ChatClose  Event = "chatClose"  // the chat closed for good
)

// Events lists every event, in the console's order.
var Events = []Event{ChatStart, ChatAssign, ChatClose}

// ParseEvent checks an event name; ok false for an unknown one.
func ParseEvent(s string) (Event, bool) {
	for _, e := range Events {
		if string(e) == s {
			return e, true
		}
	}
	return "", false
}

// URL is the handler configured for the event; "" when it is off.
func (e Event) URL(w settings.Webhooks) string {
	switch e {
	case ChatStart:
		return w.ChatStart
	case ChatAssign:
		return w.ChatAssign
	case ChatClose:
		return w.ChatClose
	}
	return ""
}

// Body is the JSON a receiver gets (README "Event webhooks" documents each
// member). It follows Standard Webhooks' envelope: type, timestamp, data.
type Body struct {
	Type      Event     `json:"type"`
	ID        string    `json:"id"` // the same as the webhook-id header
	Timestamp time.Time `json:"timestamp"`
	Test      bool      `json:"test,omitempty"` // sent by "send a test event"
	Data      Data      `json:"data"`
}

// Data is what the event is about.
type Data struct {
	Account  AccountData   `json:"account"`
	Chat     ChatData      `json:"chat"`
	Visitor  VisitorData   `json:"visitor"`
	Operator *OperatorData `json:"operator"` // null while nobody leads the chat
	// Assignment is set on chatAssign: how the operator got the chat.
	Assignment *AssignmentData `json:"assignment,omitempty"`
	// Close is set on chatClose.
	Close *CloseData `json:"close,omitempty"`
}

// AccountData names the account.
type AccountData struct {
	ID string `json:"id"`
}

// ChatData is the chat as it was at the event.
type ChatData struct {
	ID           string     `json:"id"`
	Status       string     `json:"status"`
	Language     string     `json:"language"`
	DepartmentID string     `json:"departmentId,omitempty"`
	Page         string     `json:"page,omitempty"`
	Question     string     `json:"question,omitempty"`
	Offline      bool       `json:"offline"`
	Priority     bool       `json:"priority"`
	StartedAt    time.Time  `json:"startedAt"`
	AssignedAt   *time.Time `json:"assignedAt,omitempty"`
	ClosedAt     *time.Time `json:"closedAt,omitempty"`
}

// VisitorData is the visitor, with the fields the site identified them by
// (SPEC §4.11: id, name, email, phone...) and, for an offline request, the
// name and contact they typed into the form.
type VisitorData struct {
	ID             string            `json:"id"`
	Identified     map[string]string `json:"identified"`
	OfflineName    string            `json:"offlineName,omitempty"`
	OfflineContact string            `json:"offlineContact,omitempty"`
}

// OperatorData is the operator leading the chat.
type OperatorData struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
}

// AssignmentData says how a chatAssign came about: take (an operator
// answered or took it), auto (auto-assignment), queue (auto-assignment
// from the common queue), redirect.
type AssignmentData struct {
	Via string    `json:"via"`
	At  time.Time `json:"at"`
}

// CloseData is the end of the chat: its outcome (answered, missed or
// refusal, SPEC §4.5; offline for an offline request), category, rating
// and the transcript.
type CloseData struct {
	Outcome             string        `json:"outcome"`
	Category            string        `json:"category,omitempty"`
	Rating              string        `json:"rating,omitempty"`
	Transcript          []MessageData `json:"transcript"`
	TranscriptTruncated bool          `json:"transcriptTruncated,omitempty"`
}

// MessageData is one line of the transcript.
type MessageData struct {
	Seq  int64     `json:"seq"`
	From string    `json:"from"` // visitor, operator or system
	Text string    `json:"text"`
	At   time.Time `json:"at"`
}

// Limits of a body: a delivery item must stay far under DynamoDB's 400 KB.
const (
	MaxTranscriptMessages = 500
	MaxBodyBytes          = 200 << 10
)

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func chatData(c chat.Chat) ChatData {
	return ChatData{ID: c.ID, Status: string(c.Status), Language: c.Language, DepartmentID: c.DepartmentID, Page: c.Page, Question: c.Question,
		Offline: c.Offline, Priority: c.Priority, StartedAt: c.StartedAt.UTC(), AssignedAt: timePtr(c.AssignedAt), ClosedAt: timePtr(c.ClosedAt)}
}

func visitorData(c chat.Chat, f visitor.Fields) VisitorData {
	v := VisitorData{ID: c.VisitorID, Identified: map[string]string{}, OfflineName: c.OfflineName, OfflineContact: c.OfflineContact}
	for k, val := range f {
		v.Identified[k] = val
	}
	return v
}

func operatorData(p account.Person) *OperatorData {
	return &OperatorData{ID: p.ID, Name: p.Name, Email: p.Email}
}

// Outcome of a closed chat (SPEC §4.5): answered once an operator wrote;
// otherwise refusal when the visitor left before refusal seconds, missed
// when they waited longer; offline for an offline request.
func outcome(c chat.Chat, refusal time.Duration) string {
	switch {
	case c.Offline:
		return "offline"
	case !c.AnsweredAt.IsZero():
		return "answered"
	case c.VisitorClosed && c.ClosedAt.Sub(c.StartedAt) < refusal:
		return "refusal"
	}
	return "missed"
}

// encode marshals the body, dropping the oldest transcript lines until it
// fits MaxBodyBytes.
func encode(b Body) ([]byte, error) {
	for {
		raw, err := json.Marshal(b)
		if err != nil || len(raw) <= MaxBodyBytes || b.Data.Close == nil || len(b.Data.Close.Transcript) == 0 {
			return raw, err
		}
		t := b.Data.Close.Transcript
		b.Data.Close.Transcript = t[max(1, len(t)/4):]
		b.Data.Close.TranscriptTruncated = true
	}
}
