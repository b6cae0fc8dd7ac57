package stream

import (
	"context"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"parley/internal/chat"
	"parley/internal/dynamo"
)

// The consumer's part of the timeouts and of leaving (issue 14): a fired
// timeout or leaving grace is acted on live; a chat that gets its outcome
// gets its event record; a busy event sends the "waited too long" mail.
// Each is idempotent: a timer acts through a conditional write on the
// chat, an event is stored once, a mail is queued once by its id.

// Waits is the live side of timeouts and leaving (realtime.Hub).
type Waits interface {
	// TimedOut acts on a fired timeout timer of a chat, or on the timer
	// that closes it for good (chat/final.go).
	TimedOut(ctx context.Context, accountID, chatID, kind string, due time.Time) error
	// VisitorGone ends a visitor's leaving grace.
	VisitorGone(ctx context.Context, accountID, visitorID string, due time.Time) error
}

// Events stores event records once each (dynamo.Store).
type Events interface {
	RecordEvent(ctx context.Context, e chat.Event) error
}

// Alerts sends the "waited too long" mail of a busy event
// (chat.Service.AlertBusy).
type Alerts interface {
	AlertBusy(ctx context.Context, e chat.Event) error
}

// waitFired acts on a fired timer of a chat's wait or a visitor's grace.
func (r *Consumer) waitFired(ctx context.Context, img map[string]events.DynamoDBAttributeValue) error {
	if r.Waits == nil {
		return nil
	}
	var f dynamo.FiredTimer
	if err := dynamo.UnmarshalStreamImage(img, &f); err != nil {
		return err
	}
	t := f.Timer()
	switch t.Kind {
	case chat.TimerFirstResponse, chat.TimerAnswer, chat.TimerClosedForGood:
		return r.Waits.TimedOut(ctx, t.AccountID, t.Subject, t.Kind, t.Due)
	case chat.TimerVisitorGone:
		return r.Waits.VisitorGone(ctx, t.AccountID, t.Subject, t.Due)
	}
	return nil
}

// chatChanged records the outcome a chat has just got.
func (r *Consumer) chatChanged(ctx context.Context, rec events.DynamoDBEventRecord) error {
	if r.Events == nil {
		return nil
	}
	after, err := dynamo.ChatFromImage(rec.Change.NewImage)
	if err != nil {
		return err
	}
	e, ok := chat.OutcomeEvent(after)
	if !ok {
		return nil
	}
	if rec.Change.OldImage != nil {
		before, err := dynamo.ChatFromImage(rec.Change.OldImage)
		if err != nil {
			return err
		}
		if before.Outcome != "" {
			return nil
		}
	}
	return r.Events.RecordEvent(ctx, e)
}

// chatEvent mails the alert of a new busy event.
func (r *Consumer) chatEvent(ctx context.Context, img map[string]events.DynamoDBAttributeValue) error {
	if r.Alerts == nil {
		return nil
	}
	var row dynamo.EventRow
	if err := dynamo.UnmarshalStreamImage(img, &row); err != nil {
		return err
	}
	e := row.ToEvent()
	if e.Kind != chat.EventBusyFirst && e.Kind != chat.EventBusyAnswer {
		return nil
	}
	return r.Alerts.AlertBusy(ctx, e)
}
