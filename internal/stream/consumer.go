// Package stream is the DynamoDB stream consumer: it does what follows a
// change (the audit trail of settings writes, sending queued mail) so that
// requests stay fast and side effects are retried until they succeed. Every
// reaction is idempotent, because Lambda delivers a record at least once.
package stream

import (
	"context"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"

	"parley/internal/dynamo"
	"parley/internal/mail"
	"parley/internal/stats"
	"parley/internal/templates"
)

// Audit stores audit entries once per settings version.
type Audit interface {
	PutAudit(ctx context.Context, e dynamo.AuditEntry) (bool, error)
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

// removed acts on the removals that matter: an ended session's sockets
// close; a deleted department's or person's templates go.
func (r *Consumer) removed(ctx context.Context, rec events.DynamoDBEventRecord) error {
	typ, ok := rec.Change.OldImage["type"]
	if !ok || typ.DataType() != events.DataTypeString {
		return nil
	}
	var owner struct {
		AccountID string `dynamodbav:"accountId"`
		ID        string `dynamodbav:"id"`
	}
	switch typ.String() {
	case "session":
		return r.sessionEnded(ctx, rec)
	case "connection":
		return r.countOnline(ctx, rec)
	case "department", "person":
		if r.Templates == nil {
			return nil
		}
		if err := dynamo.UnmarshalStreamImage(rec.Change.OldImage, &owner); err != nil {
			return err
		}
		level := templates.Department
		if typ.String() == "person" {
			level = templates.Personal
		}
		return r.Templates.DropScope(ctx, owner.AccountID, templates.Scope{Level: level, Owner: owner.ID})
	}
	return nil
}

// Handle processes a batch in order. On the first failing record it stops
// and reports that record and every later one as failed: Lambda then
// resumes from it, which keeps each item's changes in order.
func (r *Consumer) Handle(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	var resp events.DynamoDBEventResponse
	moves := queueMoves{}
	if r.Live != nil {
		defer moves.tell(ctx, r.Live)
	}
	for i, rec := range ev.Records {
		moves.note(rec)
		if err := r.react(ctx, rec); err != nil {
			r.Log.ErrorContext(ctx, "stream record failed", "eventID", rec.EventID, "sequence", rec.Change.SequenceNumber, "err", err)
			for _, rest := range ev.Records[i:] {
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.DynamoDBBatchItemFailure{ItemIdentifier: rest.Change.SequenceNumber})
			}
			return resp, nil
		}
	}
	return resp, nil
}

func (r *Consumer) react(ctx context.Context, rec events.DynamoDBEventRecord) error {
	img := rec.Change.NewImage
	if rec.EventName == string(events.DynamoDBOperationTypeRemove) {
		return r.removed(ctx, rec)
	}
	if img == nil {
		return nil
	}
	if err := r.webhooks(ctx, rec); err != nil {
		return err
	}
	if err := r.channels(ctx, rec); err != nil {
		return err
	}
	typ, ok := img["type"]
	if !ok || typ.DataType() != events.DataTypeString {
		return nil
	}
	switch typ.String() {
	case "account":
		return r.scheduleReport(ctx, rec)
	case "settings":
		if err := r.audit(ctx, img); err != nil {
			return err
		}
		if err := r.scheduleReport(ctx, rec); err != nil {
			return err
		}
		return r.settingsRouting(ctx, rec)
	case "person":
		return r.personRouting(ctx, rec)
	case "timerFired":
		if rec.EventName == string(events.DynamoDBOperationTypeInsert) {
			return r.timerFired(ctx, img)
		}
	case "mail":
		if rec.EventName == string(events.DynamoDBOperationTypeInsert) {
			return r.sendMail(ctx, img)
		}
	case "chat":
		if err := r.countChat(ctx, rec); err != nil {
			return err
		}
		return r.chatChanged(ctx, rec)
	case "chatEvent":
		if rec.EventName == string(events.DynamoDBOperationTypeInsert) {
			return r.chatEvent(ctx, img)
		}
	}
	return nil
}

func (r *Consumer) audit(ctx context.Context, img map[string]events.DynamoDBAttributeValue) error {
	var s dynamo.SettingsRecord
	if err := dynamo.UnmarshalStreamImage(img, &s); err != nil {
		return err
	}
	if s.Changes == "" || s.Changes == "[]" || s.Changes == "null" {
		return nil
	}
	_, err := r.Audit.PutAudit(ctx, dynamo.AuditEntry{AccountID: s.AccountID, Version: s.Version, At: s.UpdatedAt, By: s.UpdatedBy, Changes: s.Changes})
	return err
}

func (r *Consumer) sendMail(ctx context.Context, img map[string]events.DynamoDBAttributeValue) error {
	var m dynamo.MailRow
	if err := dynamo.UnmarshalStreamImage(img, &m); err != nil {
		return err
	}
	if m.Status != "pending" {
		return nil
	}
	return mail.Deliver(ctx, r.Outbox, r.Mailer, m.ToMessage())
}
