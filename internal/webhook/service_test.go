package webhook

import (
	"context"
	"crypto/rand"
	"sort"
	"testing"
	"time"

	"parley/internal/account"
	"parley/internal/apperr"
	"parley/internal/chat"
	"parley/internal/settings"
	"parley/internal/visitor"
)

// memStore keeps deliveries in memory: enough of Store for the engine's
// own tests (the DynamoDB one is tested in internal/faults and the stack).
type memStore struct{ ds map[string]Delivery }

func (m *memStore) PutDelivery(_ context.Context, d Delivery) (bool, error) {
	if _, ok := m.ds[d.ID]; ok {
		return false, nil
	}
	m.ds[d.ID] = d
	return true, nil
}
func (m *memStore) DueDeliveries(context.Context, int64) ([]Due, error) { return nil, nil }
func (m *memStore) Delivery(_ context.Context, _, id string) (Delivery, error) {
	d, ok := m.ds[id]
	if !ok {
		return d, apperr.New(apperr.NotFound, "no")
	}
	return d, nil
}
func (m *memStore) Claim(context.Context, Due, Delivery, time.Time) (bool, error) { return true, nil }
func (m *memStore) Finish(_ context.Context, d Delivery, _ time.Time) error {
	m.ds[d.ID] = d
	return nil
}
func (m *memStore) Defer(context.Context, Due, time.Time) error { return nil }
func (m *memStore) RecentDeliveries(context.Context, string, int) ([]Delivery, error) {
	var out []Delivery
	for _, d := range m.ds {
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID > out[j].ID })
	return out, nil
}
func (m *memStore) Redeliver(context.Context, Delivery, time.Time) (bool, error) { return true, nil }

type noFacts struct{}

func (noFacts) Chat(context.Context, string, string) (chat.Chat, error) { return chat.Chat{}, nil }
func (noFacts) Messages(context.Context, string, string, int64, int) ([]chat.Message, error) {
	return nil, nil
}
func (noFacts) VisitorIdentity(context.Context, string, string) (visitor.Fields, error) {
	return visitor.Fields{"email": "v@example.com"}, nil
}
func (noFacts) Person(context.Context, string, string) (account.Person, error) {
	return account.Person{}, nil
}

type fakeService struct{}

func (fakeService) Name() string { return "crm" }
func (fakeService) Configured(doc settings.Document) bool {
	return doc.Integration.Zoho.LeadSource != ""
}
func (fakeService) Deliveries(_ settings.Document, ev Event) []Event {
	if ev == ChatStart {
		return []Event{"crm.lead"}
	}
	return nil
}

type fakeTarget struct{ got []string }

func (f *fakeTarget) Send(_ context.Context, _ Sender, _ settings.Document, d *Delivery, _ time.Time) Outcome {
	f.got = append(f.got, d.ID)
	d.Target = "https://crm.example/leads"
	return Outcome{Status: 401, Error: "the CRM refused the token"}
}

// TestServiceDeliveries: a configured service's deliveries are stored
// beside the webhook's from one trigger, sent by its Target, and its
// failure shows in the log's services; unconfigured, it adds none.
func TestServiceDeliveries(t *testing.T) {
	ctx := t.Context()
	doc, err := settings.NewAccountDocument("en", rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	doc.Integration.Webhooks.ChatStart = "https://hooks.example/s"
	store := &memStore{ds: map[string]Delivery{}}
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	e := &Enqueuer{Store: store, Settings: func(context.Context, string) (settings.Document, error) { return doc, nil }, Facts: noFacts{},
		Now: func() time.Time { return now }, Services: []Service{fakeService{}}}
	tr := Trigger{Event: ChatStart, AccountID: "a1", Chat: chat.Chat{ID: "c1", AccountID: "a1", VisitorID: "v1", StartedAt: now}, ChatID: "c1", At: now, Source: "chat#c1#start"}
	if err := e.Enqueue(ctx, tr); err != nil || len(store.ds) != 1 {
		t.Fatalf("unconfigured service: %v, %d deliveries, want the webhook's alone", err, len(store.ds))
	}
	doc.Integration.Zoho.LeadSource = "chat"
	if err := e.Enqueue(ctx, tr); err != nil || len(store.ds) != 2 {
		t.Fatalf("configured: %v, %d deliveries, want 2", err, len(store.ds))
	}
	var lead Delivery
	for _, d := range store.ds {
		if d.Event == "crm.lead" {
			lead = d
		}
	}
	if lead.ID == "" || lead.ChatID != "c1" || lead.Status != Pending {
		t.Fatalf("the service's delivery: %+v", lead)
	}
	target := &fakeTarget{}
	d := &Dispatcher{Store: store, Settings: e.Settings, Now: e.Now, Retry: DefaultRetry, Targets: map[Event]Target{"crm.lead": target}}
	tried, ok, err := d.Attempt(ctx, Due{AccountID: "a1", ID: lead.ID})
	if !tried || ok || err != nil || len(target.got) != 1 {
		t.Fatalf("attempt: tried %v delivered %v err %v, target got %v", tried, ok, err, target.got)
	}
	l, err := e.Log(ctx, "a1")
	if err != nil || len(l.Services) != 1 {
		t.Fatalf("log: %v %+v", err, l.Services)
	}
	s := l.Services[0]
	if s.Name != "crm" || !s.Configured || !s.Failing || s.Last == nil || s.Last.Status != Failed || s.Last.LastStatus != 401 || s.Last.Target == "" {
		t.Fatalf("service state: %+v last %+v", s, s.Last)
	}
}
