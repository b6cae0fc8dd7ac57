package stream

import (
	"context"
	"time"

	"parley/internal/change"
	"parley/internal/chat"
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

// Events stores event records once each (the store).
type Events interface {
	RecordEvent(ctx context.Context, e chat.Event) error
}

// Alerts sends the "waited too long" mail of a busy event
// (chat.Service.AlertBusy).
type Alerts interface {
	AlertBusy(ctx context.Context, e chat.Event) error
}

// waitFired acts on a fired timer of a chat's wait or a visitor's grace.
func (r *Consumer) waitFired(ctx context.Context, c change.TimerFired) error {
	if r.Waits == nil {
		return nil
	}
	t := c.Timer
	switch t.Kind {
	case chat.TimerFirstResponse, chat.TimerAnswer, chat.TimerClosedForGood:
		return r.Waits.TimedOut(ctx, t.AccountID, t.Subject, t.Kind, t.Due)
	case chat.TimerVisitorGone:
		return r.Waits.VisitorGone(ctx, t.AccountID, t.Subject, t.Due)
	}
	return nil
}

// chatChanged records the outcome a chat has just got.
func (r *Consumer) chatChanged(ctx context.Context, c change.ChatChanged) error {
	if r.Events == nil {
		return nil
	}
	e, ok := chat.OutcomeEvent(c.After)
	if !ok || c.Before != nil && c.Before.Outcome != "" {
		return nil
	}
	return r.Events.RecordEvent(ctx, e)
}

// chatEvent mails the alert of a new busy event.
func (r *Consumer) chatEvent(ctx context.Context, c change.EventRecorded) error {
	if r.Alerts == nil {
		return nil
	}
	if e := c.Event; e.Kind == chat.EventBusyFirst || e.Kind == chat.EventBusyAnswer {
		return r.Alerts.AlertBusy(ctx, e)
	}
	return nil
}
