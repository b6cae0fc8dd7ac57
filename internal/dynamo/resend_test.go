package dynamo_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"parley/internal/mail"
)

// flakySender is SES that refuses while down and counts what it accepts.
type flakySender struct {
	mu   sync.Mutex
	down bool
	sent map[string]int
}

func (f *flakySender) Send(_ context.Context, m mail.Message) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		return errors.New("ses: service unavailable")
	}
	f.sent[m.ID]++
	return nil
}

// TestSweeperSendsMailTheStreamGaveUpOn: a mail whose every stream try
// failed stays pending; the sweeper's resender, once it is older than
// ResendAfter, sends it exactly once (two overlapping runs and later runs
// included), leaves younger mail to the stream, and takes it out of the
// index of pending mail.
func TestSweeperSendsMailTheStreamGaveUpOn(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	now := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	s.Now = clock
	ses := &flakySender{down: true, sent: map[string]int{}}

	stuck := mail.Message{AccountID: "acc-resend", ID: "m-stuck", To: []string{"reviewer@acme.example"}, Subject: "Transcript", Text: "hello", CreatedAt: now}
	if err := s.Enqueue(ctx, stuck); err != nil {
		t.Fatal(err)
	}
	// The stream's tries (its MaxRetries and the first) all fail.
	for range 6 {
		if err := mail.Deliver(ctx, s, ses, stuck); err == nil {
			t.Fatal("a send while SES is down succeeded")
		}
	}
	if st, _ := s.MailStatus(ctx, stuck.AccountID, stuck.ID); st != "pending" {
		t.Fatalf("after the stream gave up the mail is %q, want pending", st)
	}
	ses.mu.Lock()
	ses.down = false
	ses.mu.Unlock()

	r := &mail.Resender{Store: s, Via: ses, Now: clock}
	if n, err := r.Run(ctx); err != nil || n != 0 {
		t.Fatalf("a fresh pending mail: resent %d, %v; want it left to the stream", n, err)
	}
	mu.Lock()
	now = now.Add(mail.ResendAfter + time.Minute)
	mu.Unlock()
	young := mail.Message{AccountID: "acc-resend", ID: "m-young", To: []string{"x@acme.example"}, Subject: "s", Text: "t", CreatedAt: clock()}
	if err := s.Enqueue(ctx, young); err != nil {
		t.Fatal(err)
	}

	// Two sweeper runs at once, then two more later.
	var wg sync.WaitGroup
	var total int
	var tmu sync.Mutex
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := r.Run(ctx)
			if err != nil {
				t.Error(err)
			}
			tmu.Lock()
			total += n
			tmu.Unlock()
		}()
	}
	wg.Wait()
	for range 2 {
		mu.Lock()
		now = now.Add(time.Minute)
		mu.Unlock()
		n, err := r.Run(ctx)
		if err != nil {
			t.Fatal(err)
		}
		total += n
	}
	if total != 1 || ses.sent[stuck.ID] != 1 {
		t.Fatalf("resent %d in all, SES got the stuck mail %d times; want exactly once", total, ses.sent[stuck.ID])
	}
	if ses.sent[young.ID] != 0 {
		t.Fatalf("a mail younger than %v was resent", mail.ResendAfter)
	}
	if st, _ := s.MailStatus(ctx, stuck.AccountID, stuck.ID); st != "sent" {
		t.Fatalf("the resent mail is %q, want sent", st)
	}
	left, err := s.PendingMail(ctx, clock().Add(time.Hour), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 1 || left[0].ID != young.ID {
		t.Fatalf("pending mail left: %+v, want only the young one", left)
	}
}
