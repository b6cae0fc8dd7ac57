package httpapi

import (
	"context"
	"encoding/json"
	"time"

	"parley/internal/apperr"
	"parley/internal/webhook"
)

// The delivery log of the event webhooks (SPEC §4.9) and its two actions.
func registerWebhooks(api *API, d Deps) {
	h := webhookHandlers{d}
	api.Handle("GET /v1/integrations/deliveries", h.log)
	api.Handle("POST /v1/integrations/deliveries/test", h.test)
	api.Handle("POST /v1/integrations/deliveries/{deliveryId}/redeliver", h.redeliver)
}

type webhookHandlers struct{ Deps }

type deliveryJSON struct {
	ID          string     `json:"id"`
	Event       string     `json:"event"`
	ChatID      string     `json:"chatId,omitempty"`
	Test        bool       `json:"test"`
	Status      string     `json:"status"`
	Attempts    int        `json:"attempts"`
	LastCode    *int       `json:"lastResponseCode"`
	LastError   string     `json:"lastError,omitempty"`
	LatencyMS   *int64     `json:"latencyMs"`
	Target      string     `json:"target,omitempty"`
	CreatedAt   time.Time  `json:"createdAt"`
	NextRetryAt *time.Time `json:"nextRetryAt"`
	FinishedAt  *time.Time `json:"finishedAt"`
}

type serviceJSON struct {
	Name       string        `json:"name"`
	Configured bool          `json:"configured"`
	Failing    bool          `json:"failing"`
	Last       *deliveryJSON `json:"last"`
}

type integrationJSON struct {
	Event      string        `json:"event"`
	Configured bool          `json:"configured"`
	Target     string        `json:"target,omitempty"`
	Failing    bool          `json:"failing"`
	Last       *deliveryJSON `json:"last"`
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func toDeliveryJSON(d webhook.Delivery) deliveryJSON {
	j := deliveryJSON{ID: d.ID, Event: string(d.Event), ChatID: d.ChatID, Test: d.Test, Status: string(d.Status), Attempts: d.Attempts,
		LastError: d.LastError, Target: d.Target, CreatedAt: d.CreatedAt.UTC(), FinishedAt: optTime(d.FinishedAt)}
	if d.Status == webhook.Pending {
		j.NextRetryAt = optTime(d.NextAt)
	}
	if d.LastStatus != 0 {
		j.LastCode = &d.LastStatus
	}
	if d.Attempts > 0 {
		ms := d.Latency.Milliseconds()
		j.LatencyMS = &ms
	}
	return j
}

func (h webhookHandlers) log(ctx context.Context, r Request) (Response, error) {
	l, err := h.Webhooks.Log(ctx, r.Caller.AccountID)
	if err != nil {
		return Response{}, err
	}
	out := struct {
		Integrations []integrationJSON `json:"integrations"`
		Services     []serviceJSON     `json:"services"`
		Items        []deliveryJSON    `json:"items"`
	}{Integrations: []integrationJSON{}, Services: []serviceJSON{}, Items: []deliveryJSON{}}
	for _, s := range l.Services {
		j := serviceJSON{Name: s.Name, Configured: s.Configured, Failing: s.Failing}
		if s.Last != nil {
			d := toDeliveryJSON(*s.Last)
			j.Last = &d
		}
		out.Services = append(out.Services, j)
	}
	for _, in := range l.Integrations {
		j := integrationJSON{Event: string(in.Event), Configured: in.Configured, Target: in.Target, Failing: in.Failing}
		if in.Last != nil {
			d := toDeliveryJSON(*in.Last)
			j.Last = &d
		}
		out.Integrations = append(out.Integrations, j)
	}
	for _, d := range l.Deliveries {
		out.Items = append(out.Items, toDeliveryJSON(d))
	}
	return Response{Status: 200, JSON: out}, nil
}

func (h webhookHandlers) test(ctx context.Context, r Request) (Response, error) {
	var in struct {
		Event string `json:"event"`
	}
	if err := json.Unmarshal(r.Body, &in); err != nil {
		return Response{}, apperr.New(apperr.Invalid, "the body must be a JSON object with event")
	}
	ev, ok := webhook.ParseEvent(in.Event)
	if !ok {
		return Response{}, &apperr.Error{Code: apperr.Invalid, Message: "event must be chatStart, chatAssign or chatClose",
			Fields: map[string]string{"event": "must be chatStart, chatAssign or chatClose"}}
	}
	d, err := h.Webhooks.Test(ctx, r.Caller.AccountID, ev)
	if err != nil {
		return Response{}, err
	}
	return Response{Status: 202, JSON: toDeliveryJSON(d)}, nil
}

func (h webhookHandlers) redeliver(ctx context.Context, r Request) (Response, error) {
	d, err := h.Webhooks.Redeliver(ctx, r.Caller.AccountID, r.Path["deliveryId"])
	if err != nil {
		return Response{}, err
	}
	return Response{Status: 202, JSON: toDeliveryJSON(d)}, nil
}
