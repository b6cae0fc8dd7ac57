package realtime

import (
	"context"
	"time"

	"parley/internal/auth"
	"parley/internal/chat"
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

func party(c Connection) chat.Party {
	p := chat.Party{AccountID: c.AccountID, ID: c.Subject, Kind: chat.FromOperator, Role: auth.Role(c.Role)}
	if c.Kind == auth.Visitor {
		p.Kind, p.SourceIP = chat.FromVisitor, c.SourceIP
	}
	return p
}
