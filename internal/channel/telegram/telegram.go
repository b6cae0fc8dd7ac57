// Package telegram is the wire format of the Telegram Bot API that Parley
// speaks: the Update a bot's webhook receives, and the methods it calls
// (getMe, setWebhook, deleteWebhook, sendMessage) with their answers. It
// makes no call itself: it builds requests and reads answers, so the
// caller's SSRF-safe client and delivery engine do the sending.
package telegram

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// DefaultBaseURL is the Bot API's address; tests and the local stack point
// Parley at a local server instead (never a setting users can change).
const DefaultBaseURL = "https://api.telegram.org"

// SecretHeader carries the secret_token given to setWebhook on every
// webhook request.
const SecretHeader = "X-Telegram-Bot-Api-Secret-Token"

// MaxUpdateBytes bounds a webhook body Parley reads; a text message is at
// most 4096 characters, so a real update is far smaller.
const MaxUpdateBytes = 64 << 10

// MaxTextRunes is the longest text sendMessage takes (1-4096 characters
// after entities parsing); longer answers go out in several messages.
const MaxTextRunes = 4096

// User is the sender of a message.
type User struct {
	ID        int64  `json:"id"`
	IsBot     bool   `json:"is_bot"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	Username  string `json:"username"`
	Language  string `json:"language_code"`
}

// Chat is where a message was written; Parley answers private chats only.
type Chat struct {
	ID   int64  `json:"id"`
	Type string `json:"type"`
}

// Message is the part of Telegram's Message that Parley reads: the text,
// or which kind of content it carries instead.
type Message struct {
	MessageID int64           `json:"message_id"`
	From      *User           `json:"from"`
	Chat      Chat            `json:"chat"`
	Date      int64           `json:"date"`
	Text      string          `json:"text"`
	Caption   string          `json:"caption"`
	Photo     json.RawMessage `json:"photo"`
	Sticker   json.RawMessage `json:"sticker"`
	Document  json.RawMessage `json:"document"`
	Voice     json.RawMessage `json:"voice"`
	Video     json.RawMessage `json:"video"`
	Audio     json.RawMessage `json:"audio"`
	Location  json.RawMessage `json:"location"`
	Contact   json.RawMessage `json:"contact"`
}

// Update is one webhook call.
type Update struct {
	UpdateID int64    `json:"update_id"`
	Message  *Message `json:"message"`
}

// Incoming is what Parley keeps of an update: a private message from a
// person, with its text or a note naming what it carried instead.
type Incoming struct {
	UpdateID int64
	ChatID   int64
	Name     string
	Username string
	Language string
	Text     string
	// Kind names non-text content (photo, sticker, document...); "" for
	// text.
	Kind string
	At   time.Time
}

// ErrMalformed is an update that is not Telegram's JSON.
var ErrMalformed = errors.New("telegram: the update is not a JSON Update object")

// Parse reads a webhook body. ok is false for an update Parley does not
// turn into a chat message (an edit, a group message, a bot, a channel
// post): the webhook still acknowledges it, so Telegram does not resend it.
func Parse(body []byte) (in Incoming, ok bool, err error) {
	if len(body) > MaxUpdateBytes {
		return in, false, ErrMalformed
	}
	var u Update
	if err := json.Unmarshal(body, &u); err != nil || u.UpdateID <= 0 {
		return in, false, ErrMalformed
	}
	in.UpdateID = u.UpdateID
	m := u.Message
	if m == nil || m.Chat.Type != "private" || m.Chat.ID == 0 || m.From == nil || m.From.IsBot {
		return in, false, nil
	}
	in.ChatID, in.Username, in.Language = m.Chat.ID, m.From.Username, m.From.Language
	in.Name = strings.TrimSpace(m.From.FirstName + " " + m.From.LastName)
	in.At = time.Unix(m.Date, 0).UTC()
	in.Text = m.Text
	if in.Text == "" {
		in.Kind = kindOf(m)
		in.Text = m.Caption
	}
	if in.Text == "" && in.Kind == "" {
		in.Kind = "message"
	}
	return in, true, nil
}

func kindOf(m *Message) string {
	for _, k := range []struct {
		name string
		raw  json.RawMessage
	}{{"photo", m.Photo}, {"sticker", m.Sticker}, {"document", m.Document}, {"voice message", m.Voice}, {"video", m.Video},
		{"audio", m.Audio}, {"location", m.Location}, {"contact", m.Contact}} {
		if len(k.raw) > 0 && string(k.raw) != "null" {
			return k.name
		}
	}
	return ""
}

// MethodURL is the address of a method called with token: base/bot<token>/<method>.
func MethodURL(base, token, method string) string {
	return strings.TrimRight(base, "/") + "/bot" + token + "/" + method
}

// RedactedURL is MethodURL without the token, for the delivery log.
func RedactedURL(base, method string) string {
	return strings.TrimRight(base, "/") + "/bot…/" + method
}

// SendMessage is sendMessage's body.
type SendMessage struct {
	ChatID int64  `json:"chat_id"`
	Text   string `json:"text"`
}

// SetWebhook is setWebhook's body: only messages are asked for.
type SetWebhook struct {
	URL            string   `json:"url"`
	SecretToken    string   `json:"secret_token"`
	AllowedUpdates []string `json:"allowed_updates"`
}

// Answer is every method's answer: ok with a result, or an error code, a
// description and, for 429, parameters.retry_after.
type Answer struct {
	OK          bool            `json:"ok"`
	Result      json.RawMessage `json:"result"`
	ErrorCode   int             `json:"error_code"`
	Description string          `json:"description"`
	Parameters  *struct {
		RetryAfter int `json:"retry_after"`
	} `json:"parameters"`
}

// ReadAnswer decodes an answer; a body that is not one is an Answer with
// OK false and the HTTP status as its code.
func ReadAnswer(status int, body []byte) Answer {
	var a Answer
	if err := json.Unmarshal(body, &a); err != nil {
		return Answer{ErrorCode: status, Description: "the Bot API answered " + strconv.Itoa(status) + " with a body that is not JSON"}
	}
	if !a.OK && a.ErrorCode == 0 {
		a.ErrorCode = status
	}
	return a
}

// RetryAfter is how long a 429 asks to wait; 0 without.
func (a Answer) RetryAfter() time.Duration {
	if a.Parameters == nil || a.Parameters.RetryAfter <= 0 {
		return 0
	}
	return time.Duration(a.Parameters.RetryAfter) * time.Second
}

// Err is the answer as an error (nil when ok), in words safe to show: the
// token is never in them.
func (a Answer) Err() error {
	if a.OK {
		return nil
	}
	return fmt.Errorf("the Bot API answered %d: %s", a.ErrorCode, a.Description)
}

// Bot is getMe's result.
type Bot struct {
	ID       int64  `json:"id"`
	IsBot    bool   `json:"is_bot"`
	Username string `json:"username"`
}
