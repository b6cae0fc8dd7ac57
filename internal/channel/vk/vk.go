// Package vk is the wire format of VK's Callback API and of the one API
// method Parley calls, messages.send: it parses callbacks and builds and
// reads requests, and makes no call itself.
package vk

import (
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// DefaultBaseURL is the API's address; tests and the local stack point
// Parley at a local server instead (never a setting users can change).
const DefaultBaseURL = "https://api.vk.com"

// Version is the API version Parley asks for and whose message_new shape
// it reads.
const Version = "5.199"

// MaxCallbackBytes bounds a callback body Parley reads; a message is at
// most 4096 characters, so a real callback is far smaller.
const MaxCallbackBytes = 64 << 10

// MaxTextRunes is the longest message messages.send takes.
const MaxTextRunes = 4096

// The callback types Parley acts on.
const (
	TypeConfirmation = "confirmation"
	TypeMessageNew   = "message_new"
)

// Callback is one Callback API request.
type Callback struct {
	Type    string          `json:"type"`
	GroupID int64           `json:"group_id"`
	EventID string          `json:"event_id"`
	V       string          `json:"v"`
	Secret  string          `json:"secret"`
	Object  json.RawMessage `json:"object"`
}

// Message is the part of a message_new object's message that Parley reads.
type Message struct {
	ID          int64             `json:"id"`
	Date        int64             `json:"date"`
	PeerID      int64             `json:"peer_id"`
	FromID      int64             `json:"from_id"`
	Out         int               `json:"out"`
	Text        string            `json:"text"`
	Attachments []json.RawMessage `json:"attachments"`
}

// Incoming is what Parley keeps of a message_new: a person's private
// message with its text or a note naming what it carried instead.
type Incoming struct {
	EventID string
	PeerID  int64
	FromID  int64
	Text    string
	// Kind names non-text content (photo, sticker, doc...); "" for text.
	Kind string
	At   time.Time
}

// ErrMalformed is a body that is not a Callback API request.
var ErrMalformed = errors.New("vk: the body is not a Callback API JSON object")

// Parse reads a callback's envelope. The secret is checked by the caller
// before anything else is believed.
func Parse(body []byte) (Callback, error) {
	var c Callback
	if len(body) > MaxCallbackBytes {
		return c, ErrMalformed
	}
	if err := json.Unmarshal(body, &c); err != nil || c.Type == "" {
		return Callback{}, ErrMalformed
	}
	return c, nil
}

// Message reads a message_new callback's message. ok is false for one
// Parley does not turn into a chat message (its own outgoing message, a
// group conversation, a community writing).
func (c Callback) Message() (in Incoming, ok bool, err error) {
	var obj struct {
		Message *Message `json:"message"`
	}
	if err := json.Unmarshal(c.Object, &obj); err != nil || obj.Message == nil || c.EventID == "" || len(c.EventID) > 64 {
		return in, false, ErrMalformed
	}
	m := obj.Message
	// Private dialogs only: peer ids of users are below 2e9, group chats
	// above, and a negative from_id is a community.
	if m.Out != 0 || m.PeerID <= 0 || m.PeerID >= 2000000000 || m.FromID <= 0 {
		return in, false, nil
	}
	in = Incoming{EventID: c.EventID, PeerID: m.PeerID, FromID: m.FromID, Text: m.Text, At: time.Unix(m.Date, 0).UTC()}
	if in.Text == "" {
		in.Kind = "message"
		for _, a := range m.Attachments {
			var t struct {
				Type string `json:"type"`
			}
			if json.Unmarshal(a, &t) == nil && t.Type != "" && len(t.Type) <= 32 {
				in.Kind = t.Type
				break
			}
		}
	}
	return in, true, nil
}

// MethodURL is a method's address.
func MethodURL(base, method string) string { return strings.TrimRight(base, "/") + "/method/" + method }

// RandomID is messages.send's random_id for a delivery: the same on every
// attempt, so VK drops a retry of a message it already sent.
func RandomID(deliveryID string) int32 {
	h := fnv.New32a()
	h.Write([]byte(deliveryID))
	return int32(h.Sum32() & 0x7fffffff)
}

// SendForm is messages.send's form body.
func SendForm(peerID int64, text string, randomID int32, accessToken string) []byte {
	v := url.Values{}
	v.Set("peer_id", strconv.FormatInt(peerID, 10))
	v.Set("message", text)
	v.Set("random_id", strconv.FormatInt(int64(randomID), 10))
	v.Set("access_token", accessToken)
	v.Set("v", Version)
	return []byte(v.Encode())
}

// Answer is a method's answer: VK reports errors with HTTP 200 and an
// error object.
type Answer struct {
	Response json.RawMessage `json:"response"`
	Error    *struct {
		Code int    `json:"error_code"`
		Msg  string `json:"error_msg"`
	} `json:"error"`
}

// ReadAnswer decodes an answer.
func ReadAnswer(body []byte) (Answer, error) {
	var a Answer
	if err := json.Unmarshal(body, &a); err != nil || (a.Error == nil && len(a.Response) == 0) {
		return Answer{}, errors.New("VK answered with a body that is neither a response nor an error")
	}
	return a, nil
}

// Retry says whether an error is worth trying again and after how long:
// too many requests per second (6), flood control (9), an internal error
// (10) and an unknown one (1); any other (authorization, permissions, a
// user who does not allow the community's messages) fails the same way
// again.
func (a Answer) Retry() (bool, time.Duration) {
	if a.Error == nil {
		return false, 0
	}
	switch a.Error.Code {
	case 6:
		return true, time.Second
	case 9:
		return true, time.Minute
	case 1, 10:
		return true, 0
	}
	return false, 0
}

// Err is the error in words safe to show (never the access key).
func (a Answer) Err() error {
	if a.Error == nil {
		return nil
	}
	return fmt.Errorf("VK error %d: %s", a.Error.Code, a.Error.Msg)
}
