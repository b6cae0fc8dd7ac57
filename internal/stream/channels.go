package stream

import (
	"context"

	"github.com/aws/aws-lambda-go/events"

	"parley/internal/channel"
	"parley/internal/dynamo"
)

// Channels act on the messengers' records: an accepted update becomes a
// chat message (channel.Receiver), and an operator's or the system's
// message of a messenger's chat is queued to go out (channel.Outbox).
type Channels interface {
	Receive(ctx context.Context, in channel.Inbound) error
	Posted(ctx context.Context, m channel.Posted) error
}

func (r *Consumer) channels(ctx context.Context, rec events.DynamoDBEventRecord) error {
	if r.Channels == nil {
		return nil
	}
	in, posted, err := dynamo.ChannelChange(rec)
	switch {
	case err != nil:
		return err
	case in != nil:
		return r.Channels.Receive(ctx, *in)
	case posted != nil:
		return r.Channels.Posted(ctx, *posted)
	}
	return nil
}
