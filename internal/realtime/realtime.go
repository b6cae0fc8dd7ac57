// Package realtime is the live side of Parley: who is connected over the
// WebSocket API, and the frames they exchange: protocol v2, the chat
// lifecycle of SPEC §3 (docs/websocket.md describes every frame).
//
// Where things are: connections and the hub (realtime.go); what the chat
// protocol needs (chat.go); a client frame and its decoding
// (chatframe.go); the server frame and its size limit (serverframe.go);
// the views of chats, messages and templates frames carry (views.go);
// who may send which action and what each does (dispatch.go); a client's
// hello and its state (hello.go); a message sent (sending.go); who follows
// a chat (subscriptions.go); delivering a chat's frames to everyone
// concerned (fanout.go) and which staff see a chat (audience.go); routing,
// presence, timeouts, visibility and revocation in files of those names.
package realtime

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"parley/internal/apperr"
	"parley/internal/auth"
	"parley/internal/chat"
	"parley/internal/ratelimit"
)

// ProtocolVersion is sent in the hello frame so clients can refuse a
// server they do not understand.
const ProtocolVersion = 2

// Connection is one open WebSocket of a visitor or an operator.
type Connection struct {
	ID        string
	AccountID string
	Kind      auth.Kind // auth.Visitor or auth.Access (staff)
	Subject   string    // visitor id or person id
	Role      string
	SourceIP  string
	// Session is the sign-in a staff connection was opened under: when it
	// ends (sign-out, password reset, removal, role change) the connection
	// is closed (SessionEnded).
	Session     string
	ConnectedAt time.Time
	// Chats are the "account/chat" ids the connection is subscribed to
	// (set by the store; see Chats).
	Chats []string
}

// Store declares what realtime needs from storage.
type Store interface {
	// PutConnection records a connection and its membership in the set the
	// fan-out queries. It carries a TTL, since $disconnect is best-effort.
	PutConnection(ctx context.Context, c Connection) error
	// DeleteConnection forgets a connection; a missing one is not an error.
	DeleteConnection(ctx context.Context, id string) error
	// Connection returns one connection. Errors: apperr.NotFound.
	Connection(ctx context.Context, id string) (Connection, error)
	// StaffConnections lists an account's operator connections: one Query.
	StaffConnections(ctx context.Context, accountID string) ([]Connection, error)
	// VisitorConnections lists one visitor's connections: one Query.
	VisitorConnections(ctx context.Context, accountID, visitorID string) ([]Connection, error)
}

// ErrGone is what a Poster returns when the connection no longer exists.
var ErrGone = errors.New("realtime: connection gone")

// Poster sends a frame to one connection, or closes it (API Gateway's
// @connections POST and DELETE).
type Poster interface {
	Post(ctx context.Context, connectionID string, frame []byte) error
	// Close disconnects a client; one already gone is not an error.
	Close(ctx context.Context, connectionID string) error
}

// Hub handles connects, disconnects and frames.
type Hub struct {
	Store  Store
	Poster Poster
	Tokens *auth.Signer
	Now    func() time.Time
	Log    *slog.Logger
	// Staff checks a staff connection's session and the account's IP
	// allowlist (SPEC §4.15), as the HTTP authorizer does; visitors never
	// pass through it. nil checks the token alone.
	Staff StaffGuard
	// Chats runs the chat protocol (dispatch.go); nil answers only ping.
	Chats *Chats
}

// StaffGuard is the check staff connections pass besides their token
// (account.Guard). Errors: apperr.Unauthorized, apperr.Forbidden.
type StaffGuard interface {
	Allow(ctx context.Context, p auth.Principal, sourceIP string) error
}

// Connect authenticates a new connection from its query string (browsers
// cannot set headers on a WebSocket): `token` for staff, `visitorToken` for
// visitors. Errors: apperr.Unauthorized.
func (h *Hub) Connect(ctx context.Context, id string, query map[string]string, sourceIP string) (Connection, error) {
	var p auth.Principal
	var err error
	switch {
	case query["token"] != "":
		p, err = h.Tokens.Verify(query["token"], auth.Access)
	case query["visitorToken"] != "":
		p, err = h.Tokens.Verify(query["visitorToken"], auth.Visitor)
	default:
		err = apperr.New(apperr.Unauthorized, "a token or visitorToken query parameter is required")
	}
	if err == nil && p.Kind == auth.Access && h.Staff != nil {
		err = h.Staff.Allow(ctx, p, sourceIP)
	}
	if err != nil {
		return Connection{}, err
	}
	c := Connection{ID: id, AccountID: p.AccountID, Kind: p.Kind, Subject: p.Subject, Role: string(p.Role), SourceIP: sourceIP, Session: p.Session, ConnectedAt: h.Now().UTC()}
	if err := h.Store.PutConnection(ctx, c); err != nil {
		return Connection{}, err
	}
	return c, nil
}

// Disconnect forgets a connection.
func (h *Hub) Disconnect(ctx context.Context, id string) error {
	return h.forgetConnection(ctx, id)
}

// forgetConnection deletes a connection (closed, or found gone by a post).
// A staff member's last one starts their offline grace (OperatorOffline).
func (h *Hub) forgetConnection(ctx context.Context, id string) error {
	c, err := h.Store.Connection(ctx, id)
	if apperr.CodeOf(err) == apperr.NotFound {
		return nil // forgotten already
	}
	if err != nil {
		return err
	}
	if err := h.Store.DeleteConnection(ctx, id); err != nil {
		return err
	}
	if c.Kind == auth.Visitor {
		return h.visitorGone(ctx, c)
	}
	if c.Kind == auth.Access {
		h.presenceChanged(ctx, c.AccountID)
	}
	return h.staffGone(ctx, c)
}

// Party names the sender of a message.
type Party struct {
	Kind string `json:"kind"` // visitor or operator
	ID   string `json:"id"`
}

// Problem is the error frame's body: the same codes as the HTTP API.
type Problem struct {
	Code    apperr.Code `json:"code"`
	Message string      `json:"message"`
	// Fields names the offending members, as the HTTP API's errors do
	// (e.g. category when classification.required refuses a close).
	Fields map[string]string `json:"fields,omitempty"`
	// RetryAfter is how many seconds a rate_limited action should wait,
	// as the HTTP API's Retry-After header says.
	RetryAfter int `json:"retryAfter,omitempty"`
}

// ErrorFrame encodes err for a client, hiding internal causes.
func ErrorFrame(err error, clientID string) []byte {
	e := apperr.Public(err)
	p := &Problem{Code: e.Code, Message: e.Message, Fields: e.Fields}
	var re *ratelimit.RetryError
	if errors.As(err, &re) {
		p.RetryAfter = re.Seconds()
	}
	return encode(ChatFrame{Type: "error", ClientID: clientID, Error: p})
}

// Handle processes one frame from connection id and returns the reply to
// send back on the same connection (nil for none). The frame is decoded
// once: a ping is answered whatever else it carries; any other refusal
// waits until the connection is known.
func (h *Hub) Handle(ctx context.Context, id string, frame []byte) ([]byte, error) {
	f, notObject, ferr := decodeFrame(frame)
	if notObject {
		return ErrorFrame(ferr, ""), nil
	}
	c, err := h.Store.Connection(ctx, id)
	if err != nil {
		return ErrorFrame(err, f.ClientID), err
	}
	switch {
	case f.Action == "ping":
		// Every reply echoes the frame's clientId (docs/websocket.md), pong too.
		return encode(ChatFrame{Type: "pong", Version: ProtocolVersion, ClientID: echoID(f.ClientID)}), nil
	case ferr != nil:
		return ErrorFrame(ferr, echoID(f.ClientID)), nil
	case h.Chats != nil:
		return h.handleChat(ctx, c, f)
	default:
		return ErrorFrame(apperr.New(apperr.Invalid, "unknown action %q", f.Action), echoID(f.ClientID)), nil
	}
}

// echoID is the clientId a reply echoes: the frame's own when it is a
// valid one (chat.CheckClientID), else none, so that a frame refused
// before it is fully decoded (too large, an unknown member) is still
// answered under the sender's id.
func echoID(s string) string {
	if chat.CheckClientID(s) != nil {
		return ""
	}
	return s
}

// deliver posts a frame; a gone connection is forgotten, other failures are
// logged (the message is not lost: history keeps it once chats land).
func (h *Hub) deliver(ctx context.Context, id string, frame []byte) {
	err := h.Poster.Post(ctx, id, frame)
	if errors.Is(err, ErrGone) {
		if err := h.forgetConnection(ctx, id); err != nil {
			h.Log.ErrorContext(ctx, "forget gone connection", "connection", id, "err", err)
		}
		return
	}
	if err != nil {
		h.Log.ErrorContext(ctx, "post to connection", "connection", id, "err", err)
	}
}
