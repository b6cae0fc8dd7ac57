package webhook

import (
	"context"

	"parley/internal/outbound"
	"parley/internal/settings"
)

// LogLimit is how many recent deliveries the log shows.
const LogLimit = 100

// Integration is one handler's state in the log: its redacted URL and
// whether its latest delivery is failing (failed, or waiting for a retry
// after a failed attempt), which the console's home page reports.
type Integration struct {
	Event      Event
	Configured bool
	Target     string
	Failing    bool
	Last       *Delivery // the latest delivery attempted (test events too), nil without
}

// Log is the delivery log: each handler's state and the recent
// deliveries, newest first.
type Log struct {
	Integrations []Integration
	// Services are the other integrations that send through the engine.
	Services   []ServiceState
	Deliveries []Delivery
}

// Log reads the delivery log of an account: one Query and the settings.
func (e *Enqueuer) Log(ctx context.Context, accountID string) (Log, error) {
	doc, err := e.Settings(ctx, accountID)
	if err != nil {
		return Log{}, err
	}
	ds, err := e.Store.RecentDeliveries(ctx, accountID, LogLimit)
	if err != nil {
		return Log{}, err
	}
	return Log{Integrations: Summarize(doc.Integration.Webhooks, ds), Services: summarizeServices(doc, e.Services, ds), Deliveries: ds}, nil
}

// Summarize is each event's Integration from the recent deliveries
// (newest first): its latest attempted delivery, a test event's too, says
// whether the handler works, so a test that fails shows it failing and one
// that passes clears it.
func Summarize(w settings.Webhooks, recent []Delivery) []Integration {
	out := make([]Integration, 0, len(Events))
	for _, ev := range Events {
		url := ev.URL(w)
		in := Integration{Event: ev, Configured: url != "", Target: outbound.Redact(url)}
		for i := range recent {
			d := recent[i]
			if d.Event != ev || d.Attempts == 0 {
				continue
			}
			in.Last = &d
			in.Failing = url != "" && (d.Status == Failed || (d.Status == Pending && d.LastError != ""))
			break
		}
		out = append(out, in)
	}
	return out
}
