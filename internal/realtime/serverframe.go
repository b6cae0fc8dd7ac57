package realtime

import (
	"encoding/json"
	"time"
)

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
	// Error is the error frame's body.
	Error *Problem `json:"error,omitempty"`
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
