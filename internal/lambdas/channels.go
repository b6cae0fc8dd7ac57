package lambdas

import (
	"parley/internal/channel"
	"parley/internal/dynamo"
	"parley/internal/outbound"
	"parley/internal/ratelimit"
	"parley/internal/realtime"
)

// channelEndpoints answer the messengers' webhooks in the API function.
func (d Deps) channelEndpoints(store *dynamo.Store) *channel.Endpoints {
	return &channel.Endpoints{Settings: store.SettingsDocument, Inbox: store, Key: d.TokenKey,
		Limiter: &ratelimit.Limiter{Store: store, Now: d.Now}, Limits: d.limits()}
}

// channelConsumer is the stream consumer's side of the channels: updates
// become messages through the hub (which tells the operators), and
// answers are queued for the webhook dispatcher.
type channelConsumer struct {
	*channel.Receiver
	*channel.Outbox
}

func (d Deps) channelConsumer(store *dynamo.Store, hub *realtime.Hub) channelConsumer {
	return channelConsumer{&channel.Receiver{Poster: hub, Identities: store, Log: d.Log, Now: d.Now}, &channel.Outbox{Queue: store, Now: d.Now}}
}

// telegramConnector checks and connects a bot when its token is saved.
// The Bot API's base is the deployment's configuration, not user input,
// so a configured one (the local stand-in) may be on loopback.
func (d Deps) telegramConnector() *channel.Connector {
	client := outbound.New(outbound.Options{AllowLoopback: d.OutboundAllowLoopback || d.Config.TelegramAPIURL != "", MaxBody: 64 << 10})
	return &channel.Connector{Client: client, Base: d.Config.TelegramAPIURL, Key: d.TokenKey, PublicBaseURL: d.Config.PublicBaseURL}
}
