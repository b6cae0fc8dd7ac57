// Package stream is the DynamoDB stream consumer: it does what follows a
// change (the audit trail of settings writes, sending queued mail) so that
// requests stay fast and side effects are retried until they succeed. Every
// reaction is idempotent, because Lambda delivers a record at least once.
// It reads no storage rows: the store's adapter decodes each record into
// typed changes (internal/change), and the consumer switches on their
// types; internal/lambdas joins the two.
package stream

import (
	"context"
	"log/slog"

	"parley/internal/change"
	"parley/internal/mail"
	"parley/internal/settings"
	"parley/internal/stats"
	"parley/internal/templates"
)

// Audit stores audit entries once per settings version.
type Audit interface {
	RecordAudit(ctx context.Context, e settings.AuditEntry) (bool, error)
}

// Consumer handles stream batches.
type Consumer struct {
	Audit  Audit
	Outbox mail.Outbox
	Mailer mail.Sender
	Log    *slog.Logger
	// Live acts on routing's changes (routing.go); nil: none.
	Live Live
	// Templates drops the templates of a deleted department or person;
	// nil: they stay.
	Templates TemplateScopes
	// Waits, Events and Alerts act on timeouts, leaving and outcomes
	// (timeouts.go); nil: nothing does.
	Waits  Waits
	Events Events
	Alerts Alerts
	// Webhooks enqueues the deliveries of chat events (webhooks.go); nil: none.
	Webhooks Webhooks
	// Stats counts chats and online time (stats.go), Zone gives the
	// account's zone for the online time's days; nil: no statistics.
	Stats Stats
	Zone  stats.Zone
	// Reports schedules daily reports as accounts appear or change zone;
	// nil: none.
	Reports Reports
	// Channels receive messengers' updates and send channel chats'
	// answers out (channels.go); nil: none.
	Channels Channels
}

// TemplateScopes deletes the templates of an owner that is gone.
type TemplateScopes interface {
	DropScope(ctx context.Context, accountID string, scope templates.Scope) error
}

// Handle reacts to a batch of records in order and returns how many
// succeeded: on the first failing record it stops, and that record and
// every later one are to be reported as failed, so that Lambda resumes
// from it and each item's changes stay in order.
func (r *Consumer) Handle(ctx context.Context, batch []change.Record) int {
	moves := queueMoves{}
	if r.Live != nil {
		defer moves.tell(ctx, r.Live)
	}
	for i, rec := range batch {
		moves.note(rec)
		if err := r.react(ctx, rec); err != nil {
			r.Log.ErrorContext(ctx, "stream record failed", "eventID", rec.ID, "sequence", rec.Sequence, "err", err)
			return i
		}
	}
	return len(batch)
}

func (r *Consumer) react(ctx context.Context, rec change.Record) error {
	for _, c := range rec.Changes {
		if err := r.act(ctx, rec, c); err != nil {
			return err
		}
	}
	return nil
}

func (r *Consumer) act(ctx context.Context, rec change.Record, c change.Change) error {
	switch c := c.(type) {
	case change.WebhookTrigger:
		return r.webhook(ctx, c)
	case change.ChannelUpdate:
		if r.Channels != nil {
			return r.Channels.Receive(ctx, c.Inbound)
		}
	case change.ChannelMessage:
		if r.Channels != nil {
			return r.Channels.Posted(ctx, c.Posted)
		}
	case change.ZoneChanged:
		if r.Reports != nil {
			return r.Reports.Schedule(ctx, c.AccountID)
		}
	case change.SettingsAudited:
		return r.audit(ctx, c.Entry)
	case change.SettingsChanged:
		return r.settingsRouting(ctx, c)
	case change.PersonChanged:
		return r.personRouting(ctx, c)
	case change.PersonRemoved:
		return r.dropTemplates(ctx, c.AccountID, templates.Scope{Level: templates.Personal, Owner: c.PersonID})
	case change.DepartmentRemoved:
		return r.dropTemplates(ctx, c.AccountID, templates.Scope{Level: templates.Department, Owner: c.DepartmentID})
	case change.SessionEnded:
		if r.Live != nil {
			return r.Live.SessionEnded(ctx, c.AccountID, c.PersonID, c.SessionID)
		}
	case change.StaffConnectionEnded:
		return r.countOnline(ctx, rec, c)
	case change.TimerFired:
		return r.timerFired(ctx, c)
	case change.MailQueued:
		if c.Pending {
			return mail.Deliver(ctx, r.Outbox, r.Mailer, c.Message)
		}
	case change.ChatChanged:
		if err := r.countChat(ctx, rec, c); err != nil {
			return err
		}
		return r.chatChanged(ctx, c)
	case change.EventRecorded:
		return r.chatEvent(ctx, c)
	}
	return nil
}

// dropTemplates deletes the templates of a deleted department or person.
func (r *Consumer) dropTemplates(ctx context.Context, accountID string, scope templates.Scope) error {
	if r.Templates == nil {
		return nil
	}
	return r.Templates.DropScope(ctx, accountID, scope)
}

func (r *Consumer) audit(ctx context.Context, e settings.AuditEntry) error {
	if ch := string(e.Changes); ch == "" || ch == "[]" || ch == "null" {
		return nil
	}
	_, err := r.Audit.RecordAudit(ctx, e)
	return err
}
