package stream

import (
	"context"

	"parley/internal/change"
	"parley/internal/webhook"
)

// Webhooks turns a chat's events into deliveries (webhook.Enqueuer). It
// stores them and returns: the dispatcher function makes the calls, so a
// slow receiver never holds up the stream.
type Webhooks interface {
	Enqueue(ctx context.Context, t webhook.Trigger) error
}

// webhook enqueues the delivery of a webhook event. A replayed record
// enqueues nothing new (the delivery id is the record's).
func (r *Consumer) webhook(ctx context.Context, c change.WebhookTrigger) error {
	if r.Webhooks == nil {
		return nil
	}
	return r.Webhooks.Enqueue(ctx, c.Trigger)
}
