package dynamo_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"parley/internal/account"
	"parley/internal/apperr"
	"parley/internal/auth"
	"parley/internal/dynamo"
	"parley/internal/mail"
	"parley/internal/realtime"
	"parley/internal/routes"
	"parley/internal/testkit/testenv"
	"parley/internal/timers"
)

func newStore(t *testing.T) *dynamo.Store {
	t.Helper()
	db, table := testenv.DynamoDB(t)
	return dynamo.New(db, table)
}

func TestAccountsAndUniqueEmail(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	a := account.Account{ID: "a1", Name: "Acme", Plan: account.PlanBasic, Language: "en", CreatedAt: time.Now().UTC()}
	p := account.Person{AccountID: "a1", ID: "p1", Email: "boss@acme.example", Name: "Boss", Role: routes.Administrator, PasswordHash: "h"}
	if err := s.CreateAccount(ctx, a, p); err != nil {
		t.Fatal(err)
	}
	got, err := s.PersonByEmail(ctx, "boss@acme.example")
	if err != nil || got.ID != "p1" || got.Role != routes.Administrator {
		t.Fatalf("PersonByEmail = %+v, %v", got, err)
	}
	// The same e-mail in another account is refused, and nothing of that
	// account is written.
	b := account.Account{ID: "b1", Name: "Other", Plan: account.PlanBasic, Language: "en"}
	q := account.Person{AccountID: "b1", ID: "q1", Email: "boss@acme.example", Role: routes.Administrator}
	if err := s.CreateAccount(ctx, b, q); apperr.CodeOf(err) != apperr.Conflict {
		t.Fatalf("duplicate e-mail: err = %v, want conflict", err)
	}
	if _, err := s.Account(ctx, "b1"); apperr.CodeOf(err) != apperr.NotFound {
		t.Fatalf("refused account was stored: %v", err)
	}
	if _, err := s.PersonByEmail(ctx, "nobody@acme.example"); apperr.CodeOf(err) != apperr.NotFound {
		t.Fatalf("unknown e-mail: %v", err)
	}
}

func TestSettingsVersionsRefuseStaleWrites(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	rec, err := s.SaveSettings(ctx, dynamo.SettingsRecord{AccountID: "a1", Doc: `{"v":1}`}, 0)
	if err != nil || rec.Version != 1 {
		t.Fatalf("first save: %+v %v", rec, err)
	}
	if _, err := s.SaveSettings(ctx, dynamo.SettingsRecord{AccountID: "a1", Doc: `{"v":0}`}, 0); apperr.CodeOf(err) != apperr.PreconditionFailed {
		t.Fatalf("second create: %v", err)
	}
	// Two writers on version 1: exactly one wins.
	var wins atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.SaveSettings(ctx, dynamo.SettingsRecord{AccountID: "a1", Doc: `{"v":2}`}, 1); err == nil {
				wins.Add(1)
			} else if apperr.CodeOf(err) != apperr.PreconditionFailed {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d concurrent writers won, want 1", wins.Load())
	}
	got, err := s.Settings(ctx, "a1")
	if err != nil || got.Version != 2 || got.Doc != `{"v":2}` {
		t.Fatalf("Settings = %+v, %v", got, err)
	}
}

func TestAuditOncePerVersionNewestFirst(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	for v := int64(1); v <= 3; v++ {
		if fresh, err := s.PutAudit(ctx, dynamo.AuditEntry{AccountID: "a1", Version: v, By: "p1", Changes: `[]`}); err != nil || !fresh {
			t.Fatalf("PutAudit(%d) = %v, %v", v, fresh, err)
		}
	}
	if fresh, err := s.PutAudit(ctx, dynamo.AuditEntry{AccountID: "a1", Version: 2, By: "p1"}); err != nil || fresh {
		t.Fatalf("replayed PutAudit = %v, %v; want false", fresh, err)
	}
	got, err := s.Audit(ctx, "a1", 0, 10)
	if err != nil || len(got) != 3 || got[0].Version != 3 || got[2].Version != 1 {
		t.Fatalf("Audit = %+v, %v", got, err)
	}
	older, err := s.Audit(ctx, "a1", 3, 10)
	if err != nil || len(older) != 2 || older[0].Version != 2 {
		t.Fatalf("Audit before 3 = %+v, %v", older, err)
	}
	if other, _ := s.Audit(ctx, "b1", 0, 10); len(other) != 0 {
		t.Fatalf("another account sees %d entries", len(other))
	}
}

func TestConnectionsFanOutSetsAndCleanup(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	now := time.Now().UTC()
	conns := []realtime.Connection{
		{ID: "op1", AccountID: "a1", Kind: auth.Access, Subject: "p1", Role: "operator", ConnectedAt: now},
		{ID: "op2", AccountID: "a1", Kind: auth.Access, Subject: "p2", Role: "operator", ConnectedAt: now},
		{ID: "opB", AccountID: "b1", Kind: auth.Access, Subject: "p9", Role: "operator", ConnectedAt: now},
		{ID: "v1", AccountID: "a1", Kind: auth.Visitor, Subject: "vis1", ConnectedAt: now},
	}
	for _, c := range conns {
		if err := s.PutConnection(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	staff, err := s.StaffConnections(ctx, "a1")
	if err != nil || len(staff) != 2 {
		t.Fatalf("StaffConnections = %+v, %v", staff, err)
	}
	vis, err := s.VisitorConnections(ctx, "a1", "vis1")
	if err != nil || len(vis) != 1 || vis[0].ID != "v1" {
		t.Fatalf("VisitorConnections = %+v, %v", vis, err)
	}
	if err := s.DeleteConnection(ctx, "op1"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteConnection(ctx, "never-existed"); err != nil {
		t.Fatal(err)
	}
	staff, _ = s.StaffConnections(ctx, "a1")
	if len(staff) != 1 || staff[0].ID != "op2" {
		t.Fatalf("after delete: %+v", staff)
	}
	if _, err := s.Connection(ctx, "op1"); apperr.CodeOf(err) != apperr.NotFound {
		t.Fatalf("deleted connection still found: %v", err)
	}
}

func TestTimersFireOnceUnderOverlappingSweepers(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	due := time.Now().Truncate(time.Second).Add(-2 * time.Second)
	tm := timers.Timer{AccountID: "a1", Subject: "chat1", Kind: "firstResponse", Due: due}
	if err := s.PutTimer(ctx, tm); err != nil {
		t.Fatal(err)
	}
	var total atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sw := &timers.Sweeper{Store: s, Now: time.Now, Sleep: timers.SleepContext, Window: 0, Lookback: 5 * time.Second}
			n, err := sw.Run(ctx)
			if err != nil {
				t.Error(err)
			}
			total.Add(int32(n))
		}()
	}
	wg.Wait()
	if total.Load() != 1 {
		t.Fatalf("timer fired %d times, want 1", total.Load())
	}
	if fired, err := s.TimerFired(ctx, tm); err != nil || !fired {
		t.Fatalf("TimerFired = %v, %v", fired, err)
	}
	if left, _ := s.DueTimers(ctx, due.Unix()); len(left) != 0 {
		t.Fatalf("%d timers left after firing", len(left))
	}
}

func TestOutboxMarksSentOnce(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	m := mail.Message{AccountID: "a1", ID: "m1", To: []string{"x@example.com"}, Subject: "s", Text: "t"}
	if err := s.Enqueue(ctx, m); err != nil {
		t.Fatal(err)
	}
	if err := s.Enqueue(ctx, m); err != nil {
		t.Fatalf("enqueue twice: %v", err)
	}
	if sent, _ := s.Sent(ctx, "a1", "m1"); sent {
		t.Fatal("a pending mail counts as sent")
	}
	if ok, err := s.MarkSent(ctx, "a1", "m1"); err != nil || !ok {
		t.Fatalf("MarkSent = %v, %v", ok, err)
	}
	if ok, err := s.MarkSent(ctx, "a1", "m1"); err != nil || ok {
		t.Fatalf("second MarkSent = %v, %v; want false", ok, err)
	}
	if sent, _ := s.Sent(ctx, "a1", "m1"); !sent {
		t.Fatal("a sent mail does not count as sent")
	}
}
