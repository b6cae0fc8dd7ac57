package lambdas

import (
	"context"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"parley/internal/channel"
	"parley/internal/crm"
	"parley/internal/dynamo"
	"parley/internal/outbound"
	"parley/internal/timers"
	"parley/internal/webhook"
)

// outbound is the one HTTP client for calls out of Parley. Loopback is
// allowed only when the local stack says so in Deps (make dev, the tests'
// stack); no environment variable can, so a deployed function never does.
func (d Deps) outbound() *outbound.Client {
	// 128 KB of an answer: a CRM's JSON (a list of Unisender lists, an
	// amoCRM contact) is bigger than a webhook receiver's.
	return outbound.New(outbound.Options{AllowLoopback: d.OutboundAllowLoopback, MaxBody: 128 << 10})
}

// crm is the CRM and mailing services, sending through the webhook engine.
func (d Deps) crm(store *dynamo.Store) *crm.Integrations {
	return &crm.Integrations{Config: d.CRM, Links: store, Export: store, Now: d.Now}
}

// exporter is the Unisender contact export's API side.
func (d Deps) exporter(store *dynamo.Store) *crm.Exporter {
	return &crm.Exporter{Store: store, Settings: store.SettingsDocument, Now: d.Now}
}

func (d Deps) webhookRetry() webhook.Retry {
	if d.WebhookRetry != nil {
		return *d.WebhookRetry
	}
	return webhook.DefaultRetry
}

// enqueuer builds the webhook side of the stream consumer and the API.
func (d Deps) enqueuer(store *dynamo.Store) *webhook.Enqueuer {
	return &webhook.Enqueuer{Store: store, Settings: store.SettingsDocument, Facts: store, Now: d.Now, Services: append(d.crm(store).Services(), channel.Services()...)}
}

// Webhooks builds the webhook dispatcher: every minute, ticks each second
// and sends the deliveries due.
func Webhooks(d Deps) (any, error) {
	store := d.store()
	lookback := d.WebhookLookback
	if lookback <= 0 {
		lookback = time.Minute
	}
	disp := &webhook.Dispatcher{Store: store, Settings: store.SettingsDocument, Client: d.outbound(), Retry: d.webhookRetry(), Log: d.Log,
		Now: d.Now, Sleep: timers.SleepContext, Window: d.SweepWindow, Lookback: lookback, Targets: d.targets(store)}
	return func(ctx context.Context, ev events.EventBridgeEvent) (webhook.Result, error) {
		return disp.Run(ctx)
	}, nil
}

// targets are every service's senders: the CRMs' and the channels'.
func (d Deps) targets(store *dynamo.Store) map[webhook.Event]webhook.Target {
	t := d.crm(store).Targets()
	for ev, s := range channel.Targets(d.Config.TelegramAPIURL, d.Config.VKAPIURL) {
		t[ev] = s
	}
	return t
}
