package dynamo_test

import (
	"testing"
	"time"

	"parley/internal/chat"
	"parley/internal/lambdas"
)

// TestClosedForGood: a chat is closed for good only once both sides closed
// it (SPEC §3): the operator's close of a chat the visitor has not read to
// the end leaves it open on the visitor's side, with a timer due
// chat.ReadGrace later; the visitor reading to the end, closing, or that
// timer firing closes it for good, once, and a later fire changes nothing.
func TestClosedForGood(t *testing.T) {
	s, _, acc := chatService(t)
	ctx := t.Context()
	now := time.Now().UTC().Truncate(time.Millisecond)
	svc := lambdas.ChatService(s, func() time.Time { return now })
	op := operatorParty(acc, "op1")
	start := func(visitor string) (chat.Party, chat.Chat) {
		t.Helper()
		v := visitorParty(acc, visitor)
		c, _, _, err := svc.Start(ctx, v, chat.StartInput{Question: "hello?"})
		if err == nil {
			_, _, _, _, _, err = svc.Post(ctx, op, c.ID, "a-"+visitor, "the answer")
		}
		if err == nil {
			c, err = svc.Close(ctx, op, c.ID)
		}
		if err != nil {
			t.Fatal(err)
		}
		return v, c
	}
	final := func(id string) time.Time {
		t.Helper()
		c, err := s.Chat(ctx, acc, id)
		if err != nil {
			t.Fatal(err)
		}
		return c.FinalAt
	}

	// Unread at the operator's close: not yet, and the timer waits.
	v1, c1 := start("v1")
	if !final(c1.ID).IsZero() {
		t.Fatal("an operator's close of an unread chat closed it for good")
	}
	timer, ok := c1.FinalTimer()
	if !ok || !timer.Due.Equal(chat.DueSecond(c1.ClosedAt.Add(chat.ReadGrace))) {
		t.Fatalf("final timer %v %v, want one due ReadGrace after the close", timer, ok)
	}
	due, err := s.DueTimers(ctx, timer.Due.Unix())
	if err != nil || len(due) != 1 || due[0].Kind != chat.TimerClosedForGood || due[0].Subject != c1.ID {
		t.Fatalf("timers due then: %v (%v)", due, err)
	}
	// The visitor reads to the end: closed for good at that moment.
	now = now.Add(time.Minute)
	if _, err := svc.MarkRead(ctx, v1, c1.ID, c1.Seq); err != nil {
		t.Fatal(err)
	}
	if got := final(c1.ID); !got.Equal(now) {
		t.Fatalf("closed for good at %v after the read, want %v", got, now)
	}
	// The timer fires later and changes nothing.
	at := now
	now = now.Add(chat.ReadGrace)
	if _, _, _, err := svc.TimedOut(ctx, acc, c1.ID, chat.TimerClosedForGood, timer.Due); err != nil {
		t.Fatal(err)
	}
	if got := final(c1.ID); !got.Equal(at) {
		t.Fatalf("the late timer moved the moment to %v", got)
	}

	// The visitor closes their side without reading: closed for good.
	now = now.Add(time.Minute)
	v2, c2 := start("v2")
	if _, err := svc.Close(ctx, v2, c2.ID); err != nil {
		t.Fatal(err)
	}
	if got := final(c2.ID); !got.Equal(now) {
		t.Fatalf("closed for good at %v after the visitor's close, want %v", got, now)
	}

	// Never read nor closed by the visitor: the timer closes it for good.
	_, c3 := start("v3")
	now = now.Add(chat.ReadGrace + time.Second)
	if _, _, _, err := svc.TimedOut(ctx, acc, c3.ID, chat.TimerClosedForGood, chat.DueSecond(c3.ClosedAt.Add(chat.ReadGrace))); err != nil {
		t.Fatal(err)
	}
	if got := final(c3.ID); !got.Equal(now) {
		t.Fatalf("closed for good at %v by the timer, want %v", got, now)
	}

	// A visitor who closes a waiting chat nobody took closes it for good.
	v4 := visitorParty(acc, "v4")
	c4, _, _, err := svc.Start(ctx, v4, chat.StartInput{Question: "anyone?"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Close(ctx, v4, c4.ID); err != nil {
		t.Fatal(err)
	}
	if final(c4.ID).IsZero() {
		t.Fatal("a waiting chat the visitor closed is not closed for good")
	}
}
