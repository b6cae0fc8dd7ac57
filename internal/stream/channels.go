package stream

import (
	"context"

	"parley/internal/channel"
)

// Channels act on the messengers' records: an accepted update becomes a
// chat message (channel.Receiver), and an operator's or the system's
// message of a messenger's chat is queued to go out (channel.Outbox).
type Channels interface {
	Receive(ctx context.Context, in channel.Inbound) error
	Posted(ctx context.Context, m channel.Posted) error
}
