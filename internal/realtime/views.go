package realtime

import (
	"context"
	"encoding/json"
	"net/url"
	"parley/internal/apperr"
	"parley/internal/chat"
	"parley/internal/templates"
	"time"
)

// ChatView is a chat as a frame shows it. Visitors get the fields that
// concern them; staff get all.
type ChatView struct {
	ID           string      `json:"id"`
	Status       chat.Status `json:"status"`
	VisitorID    string      `json:"visitorId"`
	OperatorID   string      `json:"operatorId,omitempty"`
	DepartmentID string      `json:"departmentId,omitempty"`
	Language     string      `json:"language,omitempty"`
	Category     string      `json:"category,omitempty"`
	Priority     bool        `json:"priority,omitempty"`
	Page         string      `json:"page,omitempty"`
	Rating       chat.Rating `json:"rating,omitempty"`
	Question     string      `json:"question,omitempty"`
	Offline      bool        `json:"offline,omitempty"`
	// Queued marks a chat in the common queue of auto-assignment.
	Queued        bool              `json:"queued,omitempty"`
	Unanswered    bool              `json:"unanswered,omitempty"`
	StartedAt     time.Time         `json:"startedAt"`
	AssignedAt    time.Time         `json:"assignedAt,omitzero"`
	AnsweredAt    time.Time         `json:"answeredAt,omitzero"`
	ClosedAt      time.Time         `json:"closedAt,omitzero"`
	VisitorClosed bool              `json:"visitorClosed,omitempty"`
	Seq           int64             `json:"seq"`
	VisitorRead   int64             `json:"visitorRead"`
	OperatorRead  int64             `json:"operatorRead"`
	Visitor       map[string]string `json:"visitor,omitempty"` // signed identification (SPEC §4.11)
	CRMURL        string            `json:"crmUrl,omitempty"`
	// Staff only: the chat's outcome, when its visitor left unanswered,
	// and when a timeout sent the busy message (issue 14).
	Outcome      chat.Outcome `json:"outcome,omitempty"`
	LeftAt       time.Time    `json:"leftAt,omitzero"`
	BusyFirstAt  time.Time    `json:"busyFirstAt,omitzero"`
	BusyAnswerAt time.Time    `json:"busyAnswerAt,omitzero"`
	// Operator is, for the visitor, who answers them: the widget shows
	// the name and photo in the dialog.
	Operator *OperatorCard `json:"operator,omitempty"`
	// Channel is, for the staff, where the visitor writes from: widget,
	// telegram or vk; a messenger's chat offers no typing, read marks,
	// teleport or transcript by mail.
	Channel string `json:"channel,omitempty"`
}

// OperatorCard is the chat's operator as the visitor sees them. PhotoURL
// is a path under the API (the widget's photo route, versioned), "" when
// the operator has no photo.
type OperatorCard struct {
	Name     string `json:"name"`
	PhotoURL string `json:"photoUrl,omitempty"`
}

// MessageView is a message as a frame shows it.
type MessageView struct {
	ChatID   string    `json:"chatId"`
	Seq      int64     `json:"seq"`
	ClientID string    `json:"clientId,omitempty"`
	From     Party     `json:"from"`
	Text     string    `json:"text"`
	At       time.Time `json:"at"`
}

// TemplateView is a canned answer as the workplace shows it.
type TemplateView struct {
	ID           string          `json:"id"`
	Level        templates.Level `json:"level"`
	DepartmentID string          `json:"departmentId,omitempty"`
	Section      string          `json:"section"`
	Title        string          `json:"title"`
	Text         string          `json:"text"`
}

// SectionView is one section of the templates frame.
type SectionView struct {
	Section   string         `json:"section"`
	Templates []TemplateView `json:"templates"`
}

// TemplatesView is the templates frame's body: always present lists.
type TemplatesView struct {
	Language string        `json:"language"`
	Sections []SectionView `json:"sections"`
}

// SuggestionsView is the suggestions frame's body, best first.
type SuggestionsView struct {
	Suggestions []TemplateView `json:"suggestions"`
}

func viewTemplate(t templates.Template) TemplateView {
	return TemplateView{ID: t.ID, Level: t.Level, DepartmentID: t.DepartmentID, Section: t.Section, Title: t.Title, Text: t.Text}
}

func viewTemplates(ts []templates.Template) []TemplateView {
	out := make([]TemplateView, 0, len(ts))
	for _, t := range ts {
		out = append(out, viewTemplate(t))
	}
	return out
}

func viewChat(c chat.Chat, forVisitor bool) *ChatView {
	v := &ChatView{ID: c.ID, Status: c.Status, VisitorID: c.VisitorID, OperatorID: c.OperatorID, Rating: c.Rating, StartedAt: c.StartedAt,
		AssignedAt: c.AssignedAt, ClosedAt: c.ClosedAt, Seq: c.Seq, VisitorRead: c.VisitorRead, OperatorRead: c.OperatorRead, Offline: c.Offline,
		Queued: c.Status == chat.Waiting && c.QueueSeq > 0, VisitorClosed: c.VisitorClosed}
	if !forVisitor {
		v.DepartmentID, v.Language, v.Category, v.Priority, v.Page, v.Question = c.DepartmentID, c.Language, c.Category, c.Priority, c.Page, c.Question
		v.AnsweredAt, v.Unanswered = c.AnsweredAt, c.Unanswered
		v.Outcome, v.LeftAt, v.BusyFirstAt, v.BusyAnswerAt = c.Outcome, c.LeftAt, c.BusyFirstAt, c.BusyAnswerAt
		v.Channel = c.ChannelName()
	}
	return v
}

func viewChats(cs []chat.Chat) []ChatView {
	out := make([]ChatView, 0, len(cs))
	for _, c := range cs {
		out = append(out, *viewChat(c, false))
	}
	return out
}

func viewMessage(m chat.Message) MessageView {
	return MessageView{ChatID: m.ChatID, Seq: m.Seq, ClientID: m.ClientID, From: Party{Kind: string(m.From), ID: m.SenderID}, Text: m.Text, At: m.At}
}

// framePageMessages and framePageBytes bound the messages one frame
// carries (state, chat, messages): API Gateway refuses a message over 128
// KB, and a long chat of long messages is well over it. The bytes leave
// room for the rest of the frame (the chat, the envelope).
const (
	framePageMessages = 200
	framePageBytes    = 96 << 10
)

// messagesPage views the first of ms that fit in one frame; more reports
// that there are others, which the client asks for with history since the
// last seq it got. At least one message is always included: one text is
// at most chat.MaxTextBytes, well within a frame.
func messagesPage(ms []chat.Message) (out []MessageView, more bool) {
	out = make([]MessageView, 0, len(ms))
	size := 0
	for _, m := range ms {
		v := viewMessage(m)
		b, err := json.Marshal(v)
		if err != nil {
			return out, true
		}
		if size += len(b) + 1; size > framePageBytes && len(out) > 0 {
			return out, true
		}
		out = append(out, v)
	}
	return out, len(ms) >= framePageMessages
}

// identify adds the visitor's signed fields and the CRM link (SPEC §4.11,
// integration.crmUrlTemplate) to a staff view; best effort.
func (h *Hub) identify(ctx context.Context, accountID string, v *ChatView) {
	fields, err := h.Chats.Store.VisitorIdentity(ctx, accountID, v.VisitorID)
	if err != nil || len(fields) == 0 {
		return
	}
	v.Visitor = fields
	doc, err := h.Chats.Settings(ctx, accountID)
	if err == nil && fields["id"] != "" {
		v.CRMURL = doc.Integration.CRMURLTemplate.Expand(fields["id"])
	}
}

// visitorView is the visitor's view of a chat with its operator's card
// (name and photo, one read of their profile). Best effort: without the
// profile the visitor still gets the chat.
func (h *Hub) visitorView(ctx context.Context, ch chat.Chat) *ChatView {
	v := viewChat(ch, true)
	if ch.OperatorID == "" || h.Chats.Service.Profiles == nil {
		return v
	}
	op, err := h.Chats.Service.Profiles(ctx, ch.AccountID, ch.OperatorID)
	if err != nil {
		if apperr.CodeOf(err) != apperr.NotFound {
			h.Log.ErrorContext(ctx, "operator card", "chat", ch.ID, "err", err)
		}
		return v
	}
	v.Operator = &OperatorCard{Name: op.Name}
	if op.PhotoVersion != "" {
		v.Operator.PhotoURL = "/v1/widget/" + url.PathEscape(ch.AccountID) + "/people/" + url.PathEscape(op.ID) + "/photo?v=" + op.PhotoVersion
	}
	return v
}
