package realtime

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"parley/internal/apperr"
)

// MaxFrameBytes is the largest client message Parley reads: API Gateway's
// frame limit. API Gateway passes on messages of up to 128 KB split into
// frames of at most 32 KB (it closes the connection on a larger frame); a
// message over 32 KB is refused with a clear error.
const MaxFrameBytes = 32 * 1024

// Frame is a client frame of protocol v2 (docs/websocket.md): the action
// and every field any action takes. Which fields an action reads is in the
// protocol document; the others must be absent or are ignored.
type Frame struct {
	Action       string `json:"action"`
	ClientID     string `json:"clientId,omitempty"`
	ChatID       string `json:"chatId,omitempty"`
	Text         string `json:"text,omitempty"`
	Seq          int64  `json:"seq,omitempty"`
	Since        int64  `json:"since,omitempty"`
	Typing       bool   `json:"typing,omitempty"`
	Category     string `json:"category,omitempty"`
	Rating       string `json:"rating,omitempty"`
	URL          string `json:"url,omitempty"`
	Email        string `json:"email,omitempty"`
	Name         string `json:"name,omitempty"`
	Contact      string `json:"contact,omitempty"`
	DepartmentID string `json:"departmentId,omitempty"`
	OperatorID   string `json:"operatorId,omitempty"`
	Question     string `json:"question,omitempty"`
	// Language is the chat language of the widget's placement (SPEC
	// §4.3); startChat and a visitor's sendMessage that starts a chat
	// read it.
	Language string `json:"language,omitempty"`
	Page     string `json:"page,omitempty"`
	Status   string `json:"status,omitempty"`
	Title    string `json:"title,omitempty"`
	Section  string `json:"section,omitempty"`
	// To is, for staff, the visitor whose open chat a message is for when
	// the client does not know the chat's id.
	To string `json:"to,omitempty"`
}

// DecodeFrame parses a client frame: one JSON object of at most
// MaxFrameBytes with a string action and only the fields of Frame.
// Errors: apperr.Invalid, apperr.TooLarge; the message says what is wrong.
func DecodeFrame(b []byte) (Frame, error) {
	f, _, err := decodeFrame(b)
	if err != nil {
		return Frame{}, err
	}
	return f, nil
}

// errNotAFrame is how a message that is no JSON object at all (not JSON,
// another value, or more than one value) is answered: under no clientId,
// since none can be read from it.
var errNotAFrame = apperr.New(apperr.Invalid, "a frame must be a JSON object with an action")

// decodeFrame is DecodeFrame for the hub, which reads a frame once: on a
// refusal it still returns what the frame says (its action and clientId,
// so that a frame too large or with an unknown member is answered under
// the sender's id, and a ping is answered whatever else it carries), and
// notObject says the message was no single JSON object (errNotAFrame).
func decodeFrame(b []byte) (f Frame, notObject bool, err error) {
	// The decoder reads the whole value before it fills f, and it keeps
	// filling f past an unknown member or a member of the wrong type,
	// reporting the first.
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	derr := dec.Decode(&f)
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	if errors.As(derr, &se) || errors.Is(derr, io.EOF) || errors.Is(derr, io.ErrUnexpectedEOF) || errors.As(derr, &te) && te.Field == "" {
		return Frame{}, true, errNotAFrame
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Frame{}, true, errNotAFrame
	}
	switch {
	case len(b) > MaxFrameBytes:
		return f, false, apperr.New(apperr.TooLarge, "a frame is at most %d bytes", MaxFrameBytes)
	case derr != nil:
		return f, false, apperr.New(apperr.Invalid, "a frame must be a JSON object with an action: %s", frameProblem(derr))
	case f.Action == "":
		return f, false, apperr.New(apperr.Invalid, "a frame must have an action")
	case f.Seq < 0 || f.Since < 0:
		return f, false, apperr.New(apperr.Invalid, "seq and since must not be negative")
	}
	return f, false, nil
}

func frameProblem(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("%s must be a %s", te.Field, te.Type.Kind())
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return "it is not valid JSON"
	}
	return err.Error() // unknown field "x", which names the field
}
