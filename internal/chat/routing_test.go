package chat_test

import (
	"context"
	"testing"
	"time"

	"parley/internal/chat"
	"parley/internal/settings"
)

// fakeRouting is a RoutingStore whose loads are fixed and whose writes
// succeed unless the operator is listed as full.
type fakeRouting struct {
	loads    map[string]chat.Load
	full     map[string]bool
	assigned []string
	queued   int64
}

func (f *fakeRouting) Loads(_ context.Context, _ string, ids []string) (map[string]chat.Load, error) {
	return f.loads, nil
}
func (f *fakeRouting) AutoAssign(_ context.Context, _ chat.Chat, op string, _ int, _ time.Time) error {
	if f.full[op] {
		return chat.ErrFull
	}
	f.assigned = append(f.assigned, op)
	return nil
}
func (f *fakeRouting) EnqueueChat(context.Context, chat.Chat) (int64, error) {
	f.queued++
	return f.queued, nil
}
func (f *fakeRouting) Queue(context.Context, string, int64, int) ([]chat.Queued, error) {
	return nil, nil
}
func (f *fakeRouting) AssignQueued(context.Context, chat.Queued, string, int, time.Time) error {
	return nil
}
func (f *fakeRouting) QueuePosition(context.Context, string, int64) (int64, error) { return 1, nil }

// TestRoutePicks: the least-loaded eligible operator with room, ties to
// whoever was assigned least recently; a full one is passed over; with
// nobody left the chat is queued; manual mode routes nothing.
func TestRoutePicks(t *testing.T) {
	t0 := time.Unix(1000, 0)
	doc := settings.Defaults("en")
	doc.Features.AutoAssign, doc.Features.Multilingual, doc.Features.MaxChatsPerOperator = true, true, 3
	ops := []chat.Operator{
		{ID: "busy", Languages: []string{"en"}},
		{ID: "recent", Languages: []string{"en"}},
		{ID: "longAgo", Languages: []string{"en"}},
		{ID: "russian", Languages: []string{"ru"}},
		{ID: "atLimit", Languages: []string{"en"}},
		{ID: "personal", Languages: []string{"en"}, Limit: 1},
		{ID: "sales", Languages: []string{"en"}, Departments: []string{"d1"}},
	}
	f := &fakeRouting{full: map[string]bool{}, loads: map[string]chat.Load{
		"busy": {Open: 2}, "recent": {Open: 1, LastAssigned: t0.Add(time.Minute)}, "longAgo": {Open: 1, LastAssigned: t0},
		"russian": {}, "atLimit": {Open: 3}, "personal": {Open: 1}, "sales": {Open: 1},
	}}
	r := &chat.Router{Store: f, Now: time.Now, Online: func(context.Context, string) ([]chat.Operator, error) { return ops, nil }}
	c := chat.Chat{AccountID: "a", ID: "c", Status: chat.Waiting, Language: "en", DepartmentID: "d1"}
	got, err := r.Route(t.Context(), doc, c)
	if err != nil || got.OperatorID != "sales" {
		t.Fatalf("department chat went to %+v (%v), want sales", got, err)
	}
	c.DepartmentID = ""
	f.loads["sales"] = chat.Load{Open: 3} // at the limit: passed over without a try
	if got, err := r.Route(t.Context(), doc, c); err != nil || got.OperatorID != "longAgo" {
		t.Fatalf("chat went to %+v (%v), want longAgo (least loaded, assigned least recently)", got, err)
	}
	f.full["longAgo"], f.full["recent"] = true, true
	if got, _ := r.Route(t.Context(), doc, c); got.OperatorID != "busy" {
		t.Fatalf("chat went to %+v, want busy (the only one with room left)", got)
	}
	f.full["busy"] = true
	if got, _ := r.Route(t.Context(), doc, c); !got.Queued || got.Seq != 1 {
		t.Fatalf("with everyone full the chat went to %+v, want the queue", got)
	}
	doc.Features.AutoAssign = false
	if got, _ := r.Route(t.Context(), doc, c); got != (chat.Routed{}) {
		t.Fatalf("manual mode routed the chat: %+v", got)
	}
}
