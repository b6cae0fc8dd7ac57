package realtime

import (
	"context"
	"encoding/json"
	"net/url"
	"slices"
	"time"

	"parley/internal/apperr"
	"parley/internal/auth"
	"parley/internal/chat"
	"parley/internal/settings"
	"parley/internal/templates"
	"parley/internal/visitor"
)

// Chats is what the hub needs to run chats over the WebSocket API.
type Chats struct {
	Service  *chat.Service
	Store    ChatStore
	Settings chat.Settings
	People   chat.People
	// Templates answers the operator's canned-answer actions (SPEC §2.4);
	// nil refuses them.
	Templates *templates.Service
	// Timers starts an operator's offline grace when their last
	// connection closes; nil: their chats stay with them.
	Timers TimerStore
	// Queue tells queued visitors their position; nil: it does not.
	Queue QueueStore
	// Presence pushes the button's changes to visitors (presence.go);
	// nil: it does not.
	Presence PresenceStore
}

// ChatStore declares the connection bookkeeping of chats.
type ChatStore interface {
	// Subscribe adds connections to a chat's fan-out set; gone ones are
	// skipped.
	Subscribe(ctx context.Context, accountID, chatID string, conns []Connection) error
	// ChatConnections lists a chat's subscribed connections: one Query.
	ChatConnections(ctx context.Context, accountID, chatID string) ([]Connection, error)
	// Unsubscribe removes subject's connections from a chat's set.
	Unsubscribe(ctx context.Context, accountID, chatID, subject string) error
	// PersonConnections lists one staff member's connections: one Query.
	PersonConnections(ctx context.Context, accountID, personID string) ([]Connection, error)
	// SetAway records whether a staff member is away.
	SetAway(ctx context.Context, accountID, personID string, away bool) error
	// Away reports whether a staff member said they are away.
	Away(ctx context.Context, accountID, personID string) (bool, error)
	// VisitorIdentity returns what the site signed about a visitor; nil
	// for an anonymous one.
	VisitorIdentity(ctx context.Context, accountID, visitorID string) (visitor.Fields, error)
	// MarkVisitorSeen records that a visitor was seen and reports whether
	// it was the first time (SPEC §2.7 notifyNewVisitors).
	MarkVisitorSeen(ctx context.Context, accountID, visitorID string, at time.Time) (bool, error)
}

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

// ChatFrame is every server frame of the chat protocol; Type says which
// members it carries (docs/websocket.md).
type ChatFrame struct {
	Type     string        `json:"type"`
	Version  int           `json:"version,omitempty"`
	ClientID string        `json:"clientId,omitempty"`
	Role     string        `json:"role,omitempty"`
	ID       string        `json:"id,omitempty"` // the visitor or person id on state
	Chat     *ChatView     `json:"chat,omitempty"`
	Messages []MessageView `json:"messages,omitempty"`
	*WorkplaceView
	ChatID    string    `json:"chatId,omitempty"`
	Seq       int64     `json:"seq,omitempty"`
	From      *Party    `json:"from,omitempty"`
	Text      string    `json:"text,omitempty"`
	At        time.Time `json:"at,omitzero"`
	Typing    *bool     `json:"typing,omitempty"`
	URL       string    `json:"url,omitempty"`
	Presence  string    `json:"presence,omitempty"`
	VisitorID string    `json:"visitorId,omitempty"`
	Duplicate bool      `json:"duplicate,omitempty"`
	// More says a frame's messages are the first of several pages: ask
	// history with since = the last seq received for the next.
	More       bool   `json:"more,omitempty"`
	Action     string `json:"action,omitempty"`
	Transcript bool   `json:"transcript,omitempty"`
	// Position is a queued chat's place in the common queue (1: next),
	// WaitSeconds the estimated wait, absent when the pace is unknown.
	Position    int64 `json:"position,omitempty"`
	WaitSeconds int64 `json:"waitSeconds,omitempty"`
	// Template is the template saveTemplate stored.
	Template *TemplateView `json:"template,omitempty"`
	// Online and Away answer staff: who of the account's staff has a live
	// connection, not away and away (ids, sorted).
	Online []string `json:"online,omitempty"`
	Away   []string `json:"away,omitempty"`
	*TemplatesView
	*SuggestionsView
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

// WorkplaceView is an operator's state: the lists are always present.
// Omitted counts what did not fit in the frame (see fit), by list.
type WorkplaceView struct {
	Waiting []ChatView `json:"waiting"`
	Queued  []ChatView `json:"queued"`
	Mine    []ChatView `json:"mine"`
	Others  []ChatView `json:"others"`
	// Missed are the chats whose visitors left unanswered (chat.Workplace).
	Missed  []ChatView     `json:"missed"`
	Omitted map[string]int `json:"omitted,omitempty"`
}

// MaxMessageBytes is API Gateway's limit on one WebSocket message.
const MaxMessageBytes = 128 << 10

// fit drops chats from the ends of the lists until the frame f (holding
// w) encodes within MaxMessageBytes, and counts them in Omitted, so a
// busy account's workplace still arrives: others' chats go first, then
// the newest of the queue, then the newest waiting; the operator's own
// chats always stay. It returns the encoding.
func (w *WorkplaceView) fit(f ChatFrame) []byte {
	b := encode(f)
	for _, list := range []struct {
		name  string
		chats *[]ChatView
	}{{"missed", &w.Missed}, {"others", &w.Others}, {"queued", &w.Queued}, {"waiting", &w.Waiting}} {
		for len(b) > MaxMessageBytes && len(*list.chats) > 0 {
			// Drop in proportion to the excess, at least one: a few
			// encodings, not one per chat.
			n := max(1, len(*list.chats)*(len(b)-MaxMessageBytes)/len(b))
			n = min(n, len(*list.chats))
			*list.chats = (*list.chats)[:len(*list.chats)-n]
			if w.Omitted == nil {
				w.Omitted = map[string]int{}
			}
			w.Omitted[list.name] += n
			b = encode(f)
		}
	}
	return b
}

func encode(f ChatFrame) []byte {
	b, err := json.Marshal(f)
	if err != nil {
		panic(err) // every member marshals
	}
	return b
}

func party(c Connection) chat.Party {
	p := chat.Party{AccountID: c.AccountID, ID: c.Subject, Kind: chat.FromOperator, Role: auth.Role(c.Role)}
	if c.Kind == auth.Visitor {
		p.Kind, p.SourceIP = chat.FromVisitor, c.SourceIP
	}
	return p
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
// at most MaxTextBytes, well within a frame.
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

// visitorActions and staffActions are who may send what; anything else is
// refused with a clear error rather than ignored.
var (
	visitorActions = []string{"hello", "startChat", "sendMessage", "typing", "read", "closeChat", "rate", "leaveMessage", "sendTranscript", "page", "history"}
	staffActions   = []string{"hello", "sendMessage", "typing", "read", "closeChat", "take", "setCategory", "teleport", "redirect", "setPresence", "staff", "history",
		"templates", "suggest", "saveTemplate", "watch", "unwatch"}
)

// handleChat runs one chat action for connection c and returns the reply
// frame. Errors a client can act on become error frames; internal ones are
// returned for the adapter to log.
func (h *Hub) handleChat(ctx context.Context, c Connection, raw []byte, clientID string) ([]byte, error) {
	f, err := DecodeFrame(raw)
	if err != nil {
		return ErrorFrame(err, clientID), nil
	}
	allowed := staffActions
	if c.Kind == auth.Visitor {
		allowed = visitorActions
	}
	if !slices.Contains(allowed, f.Action) {
		return ErrorFrame(apperr.New(apperr.Invalid, "unknown action %q", f.Action), f.ClientID), nil
	}
	reply, err := h.chatAction(ctx, c, party(c), f)
	if err != nil {
		if apperr.CodeOf(err) == apperr.Internal {
			// The adapter logs it; the client still learns which of its
			// frames failed.
			return ErrorFrame(err, f.ClientID), err
		}
		return ErrorFrame(err, f.ClientID), nil
	}
	if reply.Type == "" {
		reply = ChatFrame{Type: "ok", Action: f.Action}
	}
	reply.ClientID = f.ClientID
	out := encode(reply)
	if len(out) > MaxMessageBytes && reply.WorkplaceView != nil {
		out = reply.WorkplaceView.fit(reply)
	}
	if len(out) > MaxMessageBytes {
		// API Gateway would refuse it and the client would hear nothing.
		h.Log.ErrorContext(ctx, "reply frame over the message limit", "action", f.Action, "bytes", len(out))
		return ErrorFrame(apperr.New(apperr.TooLarge, "the answer does not fit in one message"), f.ClientID), nil
	}
	return out, nil
}

func (h *Hub) chatAction(ctx context.Context, c Connection, p chat.Party, f Frame) (ChatFrame, error) {
	s := h.Chats.Service
	switch f.Action {
	case "hello":
		return h.hello(ctx, c, p, f)
	case "startChat":
		ch, first, started, err := s.Start(ctx, p, chat.StartInput{DepartmentID: f.DepartmentID, Question: f.Question, Page: f.Page, Language: f.Language})
		if err != nil {
			return ChatFrame{}, err
		}
		if err := h.visitorJoined(ctx, c, ch, started); err != nil {
			return ChatFrame{}, err
		}
		if started {
			h.queuedAtStart(ctx, ch)
		}
		if !started {
			_, first, err = s.Messages(ctx, p, ch.ID, 0, framePageMessages)
			if err != nil {
				return ChatFrame{}, err
			}
		}
		out := ChatFrame{Type: "chat", Chat: h.visitorView(ctx, ch)}
		out.Messages, out.More = messagesPage(first)
		return out, nil
	case "sendMessage":
		return h.sendMessage(ctx, c, p, f)
	case "typing":
		ch, err := s.Chat(ctx, p, f.ChatID)
		if err != nil {
			return ChatFrame{}, err
		}
		if p.Kind == chat.FromOperator && ch.OperatorID != "" && ch.OperatorID != p.ID {
			// Only the one who answers types to the visitor (anyone may
			// while it waits: the first to answer takes it); a colleague
			// looking on would show the visitor a reply that never comes.
			return ChatFrame{}, apperr.New(apperr.Conflict, "only the chat's operator can type in it")
		}
		typing := f.Typing
		h.fanout(ctx, ch, encode(ChatFrame{Type: "typing", ChatID: f.ChatID, From: &Party{Kind: string(p.Kind), ID: p.ID}, Typing: &typing}), c.ID, false)
		return ChatFrame{}, nil
	case "read":
		ch, err := s.MarkRead(ctx, p, f.ChatID, f.Seq)
		if err != nil {
			return ChatFrame{}, err
		}
		h.fanout(ctx, ch, encode(ChatFrame{Type: "read", ChatID: ch.ID, From: &Party{Kind: string(p.Kind), ID: p.ID}, Seq: f.Seq}), c.ID, false)
		return ChatFrame{}, nil
	case "closeChat":
		ch, err := s.Close(ctx, p, f.ChatID)
		if err != nil {
			return ChatFrame{}, err
		}
		h.chatChanged(ctx, ch, c.ID)
		if ch.Status == chat.Closed && ch.OperatorID != "" {
			h.forget(ctx, ch, ch.OperatorID)
		}
		return ChatFrame{Type: "chat", Chat: viewChat(ch, p.Kind == chat.FromVisitor)}, nil
	case "rate":
		ch, err := s.Rate(ctx, p, f.ChatID, f.Rating)
		if err != nil {
			return ChatFrame{}, err
		}
		h.chatChanged(ctx, ch, c.ID)
		return ChatFrame{Type: "chat", Chat: h.visitorView(ctx, ch)}, nil
	case "leaveMessage":
		ch, err := s.LeaveMessage(ctx, p, chat.OfflineInput{Name: f.Name, Contact: f.Contact, Text: f.Text, Page: f.Page, ClientID: f.ClientID})
		if err != nil {
			return ChatFrame{}, err
		}
		return ChatFrame{Type: "chat", Chat: h.visitorView(ctx, ch)}, nil
	case "sendTranscript":
		ch, err := s.SendTranscript(ctx, p, f.ChatID, f.Email)
		if err != nil {
			return ChatFrame{}, err
		}
		return ChatFrame{Type: "ok", Action: f.Action, ChatID: ch.ID, Transcript: true}, nil
	case "page":
		ch, changed, err := s.SetPage(ctx, p, f.URL)
		if err != nil {
			return ChatFrame{}, err
		}
		if changed {
			h.chatChanged(ctx, ch, c.ID)
		}
		return ChatFrame{}, nil
	case "history":
		ch, ms, err := s.Messages(ctx, p, f.ChatID, f.Since, framePageMessages)
		if err != nil {
			return ChatFrame{}, err
		}
		out := ChatFrame{Type: "messages", Chat: viewChat(ch, p.Kind == chat.FromVisitor)}
		out.Messages, out.More = messagesPage(ms)
		return out, nil
	case "watch":
		// A supervisor (or a colleague, unless hideOthersChats) follows a
		// chat they see but do not lead: its messages, typing and read
		// marks reach this connection from now on.
		ch, err := s.Chat(ctx, p, f.ChatID)
		if err != nil {
			return ChatFrame{}, err
		}
		if !ch.Open() {
			return ChatFrame{}, apperr.New(apperr.Conflict, "the chat is closed: read it with history")
		}
		if err := h.Chats.Store.Subscribe(ctx, ch.AccountID, ch.ID, []Connection{c}); err != nil {
			return ChatFrame{}, err
		}
		return ChatFrame{Type: "chat", Chat: viewChat(ch, false)}, nil
	case "unwatch":
		ch, err := s.Chat(ctx, p, f.ChatID)
		if err != nil {
			return ChatFrame{}, err
		}
		if ch.OperatorID == p.ID {
			return ChatFrame{}, apperr.New(apperr.Conflict, "you lead this chat: its messages keep coming to you")
		}
		h.forget(ctx, ch, p.ID)
		return ChatFrame{}, nil
	case "take":
		ch, err := s.Take(ctx, p, f.ChatID)
		if err != nil {
			return ChatFrame{}, err
		}
		return h.taken(ctx, c, p, ch)
	case "setCategory":
		ch, err := s.SetCategory(ctx, p, f.ChatID, f.Category)
		if err != nil {
			return ChatFrame{}, err
		}
		h.chatChanged(ctx, ch, c.ID)
		return ChatFrame{Type: "chat", Chat: viewChat(ch, false)}, nil
	case "teleport":
		ch, url, err := s.Teleport(ctx, p, f.ChatID, f.URL)
		if err != nil {
			return ChatFrame{}, err
		}
		h.toVisitor(ctx, ch, encode(ChatFrame{Type: "teleport", ChatID: ch.ID, URL: url}))
		return ChatFrame{}, nil
	case "redirect":
		before, err := h.Chats.Service.Store.Chat(ctx, p.AccountID, f.ChatID)
		if err != nil && apperr.CodeOf(err) != apperr.NotFound {
			return ChatFrame{}, err
		}
		ch, err := s.Redirect(ctx, p, f.ChatID, chat.RedirectTarget{OperatorID: f.OperatorID, DepartmentID: f.DepartmentID, Language: f.Language}, h.Chats.People)
		if err != nil {
			return ChatFrame{}, err
		}
		h.forget(ctx, ch, before.OperatorID)
		if ch.Status == chat.Active {
			if err := h.subscribePerson(ctx, ch, ch.OperatorID); err != nil {
				return ChatFrame{}, err
			}
		}
		h.chatChanged(ctx, ch, "")
		// The new operator, department or language may hide the chat
		// from those who watched it.
		if err := h.recheckChat(ctx, ch.AccountID, ch.ID, ""); err != nil {
			h.Log.ErrorContext(ctx, "chat followers", "chat", ch.ID, "err", err)
		}
		v := viewChat(ch, false)
		h.identify(ctx, p.AccountID, v)
		return ChatFrame{Type: "chat", Chat: v}, nil
	case "staff":
		return h.staffList(ctx, p)
	case "setPresence":
		if f.Status != "online" && f.Status != "away" {
			return ChatFrame{}, apperr.New(apperr.Invalid, "status must be online or away")
		}
		if err := h.Chats.Store.SetAway(ctx, p.AccountID, p.ID, f.Status == "away"); err != nil {
			return ChatFrame{}, err
		}
		h.presenceChanged(ctx, p.AccountID)
		if f.Status == "online" {
			// Back from away: the oldest queued chats they may take.
			if err := h.Drain(ctx, p.AccountID, p.ID); err != nil {
				return ChatFrame{}, err
			}
		}
		return ChatFrame{Type: "presence", Presence: f.Status}, nil
	case "templates", "suggest", "saveTemplate":
		return h.templateAction(ctx, c, p, f)
	}
	return ChatFrame{}, apperr.New(apperr.Invalid, "unknown action %q", f.Action)
}

// templateAction answers the operator's canned-answer actions in the
// language of the chat they are answering (SPEC §2.4: the chat's language
// picks the set).
func (h *Hub) templateAction(ctx context.Context, c Connection, p chat.Party, f Frame) (ChatFrame, error) {
	ts := h.Chats.Templates
	if ts == nil {
		return ChatFrame{}, apperr.New(apperr.Forbidden, "templates are not available here")
	}
	ch, err := h.Chats.Service.Chat(ctx, p, f.ChatID)
	if err != nil {
		return ChatFrame{}, err
	}
	caller := templates.Caller{AccountID: p.AccountID, PersonID: p.ID, Role: auth.Role(c.Role)}
	switch f.Action {
	case "templates":
		sections, err := ts.ForChat(ctx, caller, ch.Language)
		if err != nil {
			return ChatFrame{}, err
		}
		view := &TemplatesView{Language: ch.Language, Sections: make([]SectionView, 0, len(sections))}
		for _, s := range sections {
			view.Sections = append(view.Sections, SectionView{Section: s.Name, Templates: viewTemplates(s.Templates)})
		}
		return ChatFrame{Type: "templates", ChatID: ch.ID, TemplatesView: view}, nil
	case "suggest":
		found, err := ts.Suggest(ctx, caller, ch.Language, f.Text, templates.DefaultSuggestions)
		if err != nil {
			return ChatFrame{}, err
		}
		return ChatFrame{Type: "suggestions", ChatID: ch.ID, SuggestionsView: &SuggestionsView{Suggestions: viewTemplates(found)}}, nil
	default: // saveTemplate
		t, err := ts.SaveAnswer(ctx, caller, ch.Language, f.Section, f.Title, f.Text)
		if err != nil {
			return ChatFrame{}, err
		}
		v := viewTemplate(t)
		return ChatFrame{Type: "template", ChatID: ch.ID, Template: &v}, nil
	}
}

// hello subscribes the connection to what it follows and returns the state
// a (re)connecting client needs: a visitor's chat and the messages after
// since; an operator's workplace.
func (h *Hub) hello(ctx context.Context, c Connection, p chat.Party, f Frame) (ChatFrame, error) {
	s := h.Chats.Service
	if p.Kind == chat.FromVisitor {
		out := ChatFrame{Type: "state", Version: ProtocolVersion, Role: "visitor", ID: p.ID}
		if err := h.announceVisitor(ctx, p, f.Page); err != nil {
			return ChatFrame{}, err
		}
		ch, ms, ok, err := s.Resume(ctx, p, f.Since, framePageMessages)
		if err != nil || !ok {
			return out, err
		}
		if ch.Open() {
			if err := h.Chats.Store.Subscribe(ctx, ch.AccountID, ch.ID, []Connection{c}); err != nil {
				return ChatFrame{}, err
			}
			ch = h.visitorBack(ctx, p, ch)
			// The page the visitor is on now sets the chat's priority flag
			// (a bad one is ignored: the page is advice, the hello is not).
			if page, err := chat.CheckPage(f.Page); err == nil && page != ch.Page {
				if next, changed, err := s.SetPage(ctx, p, page); err == nil && next.ID == ch.ID {
					ch = next
					if changed {
						h.chatChanged(ctx, ch, c.ID)
					}
				}
			}
		}
		out.Chat = h.visitorView(ctx, ch)
		out.Messages, out.More = messagesPage(ms)
		// A visitor back in a queued chat (a reload, a reconnect) is told
		// their place again: it may have moved while they were away.
		if ch.Status == chat.Waiting {
			h.queuedAtStart(ctx, ch)
		}
		return out, nil
	}
	// An operator coming online takes the oldest queued chats they may
	// (SPEC §4.2); they arrive in Mine below and through Assigned.
	if err := h.Drain(ctx, p.AccountID, p.ID); err != nil {
		return ChatFrame{}, err
	}
	h.presenceChanged(ctx, p.AccountID)
	w, err := s.Workplace(ctx, p)
	if err != nil {
		return ChatFrame{}, err
	}
	for _, ch := range w.Mine {
		if err := h.Chats.Store.Subscribe(ctx, ch.AccountID, ch.ID, []Connection{c}); err != nil {
			return ChatFrame{}, err
		}
	}
	mine := viewChats(w.Mine)
	for i := range mine {
		h.identify(ctx, p.AccountID, &mine[i])
	}
	away, err := h.Chats.Store.Away(ctx, p.AccountID, p.ID)
	if err != nil {
		return ChatFrame{}, err
	}
	presence := "online"
	if away {
		presence = "away"
	}
	return ChatFrame{Type: "state", Version: ProtocolVersion, Role: c.Role, ID: p.ID, Presence: presence,
		WorkplaceView: &WorkplaceView{Waiting: viewChats(w.Waiting), Queued: viewChats(w.Queued), Mine: mine, Others: viewChats(w.Others), Missed: viewChats(w.Missed)}}, nil
}

// announceVisitor tells online staff about a visitor seen for the first
// time, when features.notifyNewVisitors is on.
func (h *Hub) announceVisitor(ctx context.Context, p chat.Party, page string) error {
	doc, err := h.Chats.Settings(ctx, p.AccountID)
	if err != nil || !doc.Features.NotifyNewVisitors {
		return err
	}
	first, err := h.Chats.Store.MarkVisitorSeen(ctx, p.AccountID, p.ID, h.Now().UTC())
	if err != nil || !first {
		return err
	}
	staff, err := h.Store.StaffConnections(ctx, p.AccountID)
	if err != nil {
		return err
	}
	// The page is the visitor's word: staff get it only as an http(s) URL
	// within chat.MaxURLBytes (never a javascript: link), else none.
	page, err = chat.CheckPage(page)
	if err != nil {
		page = ""
	}
	frame := encode(ChatFrame{Type: "visitor", VisitorID: p.ID, URL: page})
	for _, t := range staff {
		h.deliver(ctx, t.ID, frame)
	}
	return nil
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

func (h *Hub) sendMessage(ctx context.Context, c Connection, p chat.Party, f Frame) (ChatFrame, error) {
	if p.Kind == chat.FromOperator && f.ChatID == "" {
		if f.To == "" {
			return ChatFrame{}, apperr.New(apperr.Invalid, "chatId is required")
		}
		id, err := h.Chats.Service.Store.OpenChatID(ctx, p.AccountID, f.To)
		if err != nil {
			return ChatFrame{}, err
		}
		if id == "" {
			return ChatFrame{}, apperr.New(apperr.NotFound, "visitor %q has no chat", f.To)
		}
		f.ChatID = id
	}
	start := chat.StartInput{Language: f.Language}
	if page, err := chat.CheckPage(f.Page); err == nil {
		start.Page = page // a bad page is dropped, never the message
	}
	ch, m, dup, took, started, err := h.Chats.Service.PostStarting(ctx, p, f.ChatID, f.ClientID, f.Text, start)
	if err != nil {
		return ChatFrame{}, err
	}
	if started {
		if err := h.visitorJoined(ctx, c, ch, true); err != nil {
			return ChatFrame{}, err
		}
		h.queuedAtStart(ctx, ch)
		// The greeting opened the chat before this message: the visitor's
		// connections get it like any message.
		_, first, err := h.Chats.Service.Messages(ctx, p, ch.ID, 0, int(m.Seq))
		if err != nil {
			return ChatFrame{}, err
		}
		for _, fm := range first {
			if fm.Seq < m.Seq {
				v := viewMessage(fm)
				h.toVisitor(ctx, ch, encode(ChatFrame{Type: "message", ChatID: v.ChatID, Seq: v.Seq, From: &v.From, Text: v.Text, At: v.At}))
			}
		}
	} else if p.Kind == chat.FromVisitor && !slices.Contains(c.Chats, ch.AccountID+"/"+ch.ID) {
		// A connection that wrote before saying hello follows the chat
		// from now on.
		if err := h.Chats.Store.Subscribe(ctx, ch.AccountID, ch.ID, []Connection{c}); err != nil {
			return ChatFrame{}, err
		}
	}
	if took {
		if _, err := h.taken(ctx, c, p, ch); err != nil {
			return ChatFrame{}, err
		}
	}
	// A duplicate is fanned out too: the first try may have been stored
	// and then failed (a lost response, a timeout) before its fanout, and
	// the resend is then the only chance the others have to get it.
	// Clients keep messages by seq, so a second copy changes nothing.
	v := viewMessage(m)
	h.fanout(ctx, ch, encode(ChatFrame{Type: "message", ChatID: v.ChatID, Seq: v.Seq, ClientID: v.ClientID, From: &v.From, Text: v.Text, At: v.At}), c.ID, ch.Status == chat.Waiting)
	return ChatFrame{Type: "sent", ChatID: m.ChatID, Seq: m.Seq, At: m.At, Duplicate: dup}, nil
}

// visitorJoined subscribes the visitor's connections to their chat and,
// for a new chat, tells the staff it waits.
func (h *Hub) visitorJoined(ctx context.Context, c Connection, ch chat.Chat, started bool) error {
	conns, err := h.Store.VisitorConnections(ctx, ch.AccountID, ch.VisitorID)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(conns, func(x Connection) bool { return x.ID == c.ID }) {
		conns = append(conns, c)
	}
	if err := h.Chats.Store.Subscribe(ctx, ch.AccountID, ch.ID, conns); err != nil {
		return err
	}
	// A chat routing gave an operator at its start was announced by
	// Assigned already.
	if started && ch.OperatorID == "" {
		h.chatChanged(ctx, ch, "")
	}
	return nil
}

// taken subscribes the operator's connections to the chat they took and
// tells everyone concerned.
func (h *Hub) taken(ctx context.Context, c Connection, p chat.Party, ch chat.Chat) (ChatFrame, error) {
	if err := h.subscribePerson(ctx, ch, p.ID); err != nil {
		return ChatFrame{}, err
	}
	h.chatChangedFrom(ctx, ch, "", true)
	v := viewChat(ch, false)
	h.identify(ctx, p.AccountID, v)
	return ChatFrame{Type: "chat", Chat: v}, nil
}

func (h *Hub) subscribePerson(ctx context.Context, ch chat.Chat, personID string) error {
	conns, err := h.Chats.Store.PersonConnections(ctx, ch.AccountID, personID)
	if err != nil {
		return err
	}
	return h.Chats.Store.Subscribe(ctx, ch.AccountID, ch.ID, conns)
}

// forget stops delivering a chat's messages to a person who no longer
// leads it; best effort, as a stale copy only costs a post.
func (h *Hub) forget(ctx context.Context, ch chat.Chat, personID string) {
	if personID == "" {
		return
	}
	if err := h.Chats.Store.Unsubscribe(ctx, ch.AccountID, ch.ID, personID); err != nil {
		h.Log.ErrorContext(ctx, "unsubscribe", "chat", ch.ID, "err", err)
	}
}

// fanout delivers a frame to a chat's participants: one Query of its
// subscribed connections, plus the staff's while nobody leads it (a
// waiting chat's messages reach every operator who may take it).
func (h *Hub) fanout(ctx context.Context, ch chat.Chat, frame []byte, except string, toStaff bool) {
	conns, err := h.Chats.Store.ChatConnections(ctx, ch.AccountID, ch.ID)
	if err != nil {
		h.Log.ErrorContext(ctx, "chat connections", "chat", ch.ID, "err", err)
		return
	}
	if toStaff {
		staff, err := h.watchers(ctx, ch)
		if err != nil {
			h.Log.ErrorContext(ctx, "staff connections", "chat", ch.ID, "err", err)
		}
		conns = append(conns, staff...)
	}
	seen := map[string]bool{except: true}
	for _, t := range conns {
		if seen[t.ID] || t.AccountID != ch.AccountID {
			continue // never twice, never the sender, never another tenant
		}
		seen[t.ID] = true
		h.deliver(ctx, t.ID, frame)
	}
}

// toVisitor delivers a frame to the chat's visitor's connections only.
func (h *Hub) toVisitor(ctx context.Context, ch chat.Chat, frame []byte) {
	conns, err := h.Store.VisitorConnections(ctx, ch.AccountID, ch.VisitorID)
	if err != nil {
		h.Log.ErrorContext(ctx, "visitor connections", "chat", ch.ID, "err", err)
		return
	}
	for _, t := range conns {
		h.deliver(ctx, t.ID, frame)
	}
}

// chatChanged sends the chat's new state to its visitor (their view) and
// to the staff who may see it (chat.Sees), so every workplace's lists
// stay current.
func (h *Hub) chatChanged(ctx context.Context, ch chat.Chat, except string) {
	h.chatChangedFrom(ctx, ch, except, false)
}

// chatChangedFrom is chatChanged; when the chat has just left the waiting
// list (taken, or given by routing off the queue), the staff who saw it
// waiting and do not see it now (hideOthersChats) get a "gone" frame, so
// it does not linger in their list. One read of the settings and of the
// staff connections serves both. Best effort.
func (h *Hub) chatChangedFrom(ctx context.Context, ch chat.Chat, except string, leftWaiting bool) {
	h.toVisitor(ctx, ch, encode(ChatFrame{Type: "chat", Chat: h.visitorView(ctx, ch)}))
	aud, err := h.audience(ctx, ch.AccountID)
	if err != nil {
		h.Log.ErrorContext(ctx, "staff connections", "err", err)
		return
	}
	staff, err := aud.watchers(ctx, ch)
	if err != nil {
		h.Log.ErrorContext(ctx, "staff profiles", "err", err)
		return
	}
	if len(staff) > 0 {
		// With the visitor's signed fields and CRM link, so an operator
		// given the chat by routing or a redirect has what a take shows.
		v := viewChat(ch, false)
		if ch.OperatorID != "" {
			h.identify(ctx, ch.AccountID, v)
		}
		frame := encode(ChatFrame{Type: "chat", Chat: v})
		for _, t := range staff {
			if t.ID != except {
				h.deliver(ctx, t.ID, frame)
			}
		}
	}
	if !leftWaiting || ch.Status == chat.Waiting {
		return
	}
	if err := h.recheckChat(ctx, ch.AccountID, ch.ID, ""); err != nil {
		h.Log.ErrorContext(ctx, "chat followers", "chat", ch.ID, "err", err)
	}
	was := ch
	was.Status, was.OperatorID = chat.Waiting, ""
	before, err := aud.watchers(ctx, was)
	if err != nil {
		h.Log.ErrorContext(ctx, "staff profiles", "err", err)
		return
	}
	still := map[string]bool{}
	for _, t := range staff {
		still[t.ID] = true
	}
	gone := encode(ChatFrame{Type: "gone", ChatID: ch.ID})
	for _, t := range before {
		if !still[t.ID] {
			h.deliver(ctx, t.ID, gone)
		}
	}
}

// watchers are the staff connections that see a chat (chat.Sees).
func (h *Hub) watchers(ctx context.Context, ch chat.Chat) ([]Connection, error) {
	aud, err := h.audience(ctx, ch.AccountID)
	if err != nil {
		return nil, err
	}
	return aud.watchers(ctx, ch)
}

// audience is what decides which of an account's staff connections see a
// chat: the settings and the connections (one GetItem, one Query), and
// each person's profile, read only when a chat's language or department
// decides, once.
type audience struct {
	h        *Hub
	doc      settings.Document
	staff    []Connection
	profiles map[string]chat.Operator
}

func (h *Hub) audience(ctx context.Context, accountID string) (*audience, error) {
	doc, err := h.Chats.Settings(ctx, accountID)
	if err != nil {
		return nil, err
	}
	staff, err := h.Store.StaffConnections(ctx, accountID)
	if err != nil {
		return nil, err
	}
	return &audience{h: h, doc: doc, staff: staff, profiles: map[string]chat.Operator{}}, nil
}

func (a *audience) watchers(ctx context.Context, ch chat.Chat) ([]Connection, error) {
	needProfile := a.doc.Features.Multilingual || (ch.OperatorID == "" && ch.DepartmentID != "")
	out := a.staff[:0:0]
	for _, t := range a.staff {
		p := party(t)
		prof, ok := a.profiles[p.ID]
		if !ok && !needProfile {
			prof = chat.Operator{ID: p.ID}
		} else if !ok {
			var err error
			if prof, err = a.h.Chats.Service.Profile(ctx, p); err != nil {
				if apperr.CodeOf(err) != apperr.NotFound {
					return nil, err
				}
				prof = chat.Operator{ID: p.ID} // deleted meanwhile: sees only what anyone sees
			}
			a.profiles[p.ID] = prof
		}
		if chat.Sees(a.doc, p, prof, ch) {
			out = append(out, t)
		}
	}
	return out, nil
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
