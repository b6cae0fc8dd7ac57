// Package change names what a stored change means to the stream consumer:
// the store's adapter decodes each record of the table's stream into a
// Record holding typed changes (a settings write, a session ended, a timer
// fired, a mail queued...), and the consumer (internal/stream) switches on
// their Go types. Neither the storage rows nor the item types of the table
// leave the store: this package knows only the domain's types.
package change

import (
	"time"

	"parley/internal/channel"
	"parley/internal/chat"
	"parley/internal/mail"
	"parley/internal/settings"
	"parley/internal/timers"
	"parley/internal/webhook"
)

// Record is one stream record decoded.
type Record struct {
	// ID is the record's id (statistics count each record once by it),
	// Sequence its place in the shard (what a failure reports), At when
	// the change was made (approximately; zero when unknown).
	ID, Sequence string
	At           time.Time
	// Changes are what the record means, in the order they are acted on;
	// none for a record nothing reacts to.
	Changes []Change
}

// Change is one of the types below.
type Change interface{ isChange() }

// SettingsAudited: a settings write with its changes for the audit trail
// (Entry.Changes may be empty or an empty list: the write changed nothing).
type SettingsAudited struct{ Entry settings.AuditEntry }

// ZoneChanged: the account's time zone is new (the account was created,
// its settings were first written, or company.timezone changed): its
// daily report is scheduled again.
type ZoneChanged struct{ AccountID string }

// SettingsChanged: an account's settings document was rewritten. Before
// is nil when there was none or it could not be read.
type SettingsChanged struct {
	AccountID string
	Before    *settings.Document
	After     settings.Document
}

// PersonRouting is what routing reads of a person: the languages and
// departments they serve and their own chat limit (nil: the account's).
type PersonRouting struct {
	Languages   []string
	Departments []string
	ChatLimit   *int
}

// PersonChanged: a person's profile was rewritten.
type PersonChanged struct {
	AccountID, PersonID string
	Before, After       PersonRouting
}

// PersonRemoved and DepartmentRemoved: a person or a department is gone.
type PersonRemoved struct{ AccountID, PersonID string }

// DepartmentRemoved: see PersonRemoved.
type DepartmentRemoved struct{ AccountID, DepartmentID string }

// SessionEnded: a staff member's sign-in ended (sign-out, password reset,
// removal, role change, expiry).
type SessionEnded struct{ AccountID, PersonID, SessionID string }

// StaffConnectionEnded: a staff member's WebSocket connection, opened at
// Since, is gone (counted once per connection).
type StaffConnectionEnded struct {
	AccountID, PersonID string
	Since               time.Time
}

// TimerFired: a timer's due second came (the sweeper moved it).
type TimerFired struct{ Timer timers.Timer }

// MailQueued: a mail was queued; Pending is false when it is already
// marked sent.
type MailQueued struct {
	Message mail.Message
	Pending bool
}

// QueueChanged: a chat joined the common queue at Seq, or (Left) a chat
// left it from Seq.
type QueueChanged struct {
	AccountID string
	Seq       int64
	Left      bool
}

// ChatChanged: a chat was written; Before is nil for a new one.
type ChatChanged struct {
	Before *chat.Chat
	After  chat.Chat
}

// EventRecorded: a chat's event record (an outcome, a busy wait) was
// stored.
type EventRecorded struct{ Event chat.Event }

// WebhookTrigger: the change is a webhook event (chatStart, chatAssign,
// chatClose).
type WebhookTrigger struct{ Trigger webhook.Trigger }

// ChannelUpdate: a messenger's update was accepted.
type ChannelUpdate struct{ Inbound channel.Inbound }

// ChannelMessage: a message of a messenger's chat was stored, to go out.
type ChannelMessage struct{ Posted channel.Posted }

func (SettingsAudited) isChange()      {}
func (ZoneChanged) isChange()          {}
func (SettingsChanged) isChange()      {}
func (PersonChanged) isChange()        {}
func (PersonRemoved) isChange()        {}
func (DepartmentRemoved) isChange()    {}
func (SessionEnded) isChange()         {}
func (StaffConnectionEnded) isChange() {}
func (TimerFired) isChange()           {}
func (MailQueued) isChange()           {}
func (QueueChanged) isChange()         {}
func (ChatChanged) isChange()          {}
func (EventRecorded) isChange()        {}
func (WebhookTrigger) isChange()       {}
func (ChannelUpdate) isChange()        {}
func (ChannelMessage) isChange()       {}
