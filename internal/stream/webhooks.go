package stream

import (
	"context"

	"github.com/aws/aws-lambda-go/events"

	"parley/internal/dynamo"
	"parley/internal/webhook"
)

// Webhooks turns a chat's events into deliveries (webhook.Enqueuer). It
// stores them and returns: the dispatcher function makes the calls, so a
// slow receiver never holds up the stream.
type Webhooks interface {
	Enqueue(ctx context.Context, t webhook.Trigger) error
}

// webhooks enqueues the delivery of a record that is a webhook event. A
// replayed record enqueues nothing new (the delivery id is the record's).
func (r *Consumer) webhooks(ctx context.Context, rec events.DynamoDBEventRecord) error {
	if r.Webhooks == nil {
		return nil
	}
	t, ok, err := dynamo.WebhookTrigger(rec)
	if err != nil || !ok {
		return err
	}
	return r.Webhooks.Enqueue(ctx, t)
}
