package webhook

import (
	"context"
	"strings"
	"time"

	"parley/internal/settings"
)

// Target sends a delivery that is not a signed event webhook: one call,
// judged. It reads what it needs (a token, an access key) from doc at each
// attempt, so no credential is stored with the delivery, and sets
// d.Target (redacted) and d.Latency.
type Target interface {
	Send(ctx context.Context, client Sender, doc settings.Document, d *Delivery, now time.Time) Outcome
}

// Service is an integration other than the event webhooks that sends
// through this engine (a CRM, a mailing service, a chat channel): the
// Enqueuer stores its deliveries beside the webhooks' from the same
// triggers, and the Dispatcher's Targets send them, with the same queue,
// retries, redelivery and log.
type Service interface {
	// Name names the service in the log ("zendesk"); its deliveries'
	// events are "<Name>.<something>" ("zendesk.ticket").
	Name() string
	// Configured reports whether the account set the service up.
	Configured(doc settings.Document) bool
	// Deliveries names the deliveries a trigger makes for the account (none
	// while the service is off or the event is not its). Each carries the
	// trigger's Body, as an event webhook would.
	Deliveries(doc settings.Document, ev Event) []Event
}

// ServiceState is one service's line in the log: whether the account set
// it up and whether its latest attempted delivery is failing.
type ServiceState struct {
	Name       string
	Configured bool
	Failing    bool
	Last       *Delivery
}

// NewPending is a new delivery of body, due from at (the next whole
// second): for senders of deliveries other than the event webhooks.
func NewPending(accountID, id string, ev Event, chatID string, body []byte, now, at time.Time) Delivery {
	return Delivery{AccountID: accountID, ID: id, Event: ev, ChatID: chatID, Body: body, Status: Pending, CreatedAt: now, Since: now, NextAt: dueSecond(at)}
}

// summarizeServices is each service's state from the recent deliveries,
// newest first, like Summarize.
func summarizeServices(doc settings.Document, services []Service, recent []Delivery) []ServiceState {
	out := make([]ServiceState, 0, len(services))
	for _, s := range services {
		st := ServiceState{Name: s.Name(), Configured: s.Configured(doc)}
		prefix := s.Name() + "."
		for i := range recent {
			d := recent[i]
			if !strings.HasPrefix(string(d.Event), prefix) || d.Attempts == 0 {
				continue
			}
			st.Last = &d
			st.Failing = st.Configured && (d.Status == Failed || (d.Status == Pending && d.LastError != ""))
			break
		}
		out = append(out, st)
	}
	return out
}
