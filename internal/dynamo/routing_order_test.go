package dynamo_test

import (
	"context"
	"testing"
	"time"

	"parley/internal/chat"
)

// TestQueueArrivalOrder: the queue is in the order chats started (SPEC
// §4.2), not the order routing gave up on them. Chat a starts 330 ms
// before chat b but is still trying operators when b, with nobody free,
// joins the queue; a must still come first.
func TestQueueArrivalOrder(t *testing.T) {
	w := newRoutingWorld(t, false, nil) // nobody online: every routed chat queues
	ctx := t.Context()
	t0 := time.Now().UTC()
	clock := t0
	w.svc.Now = func() time.Time { return clock }
	router := w.svc.Router
	w.svc.Router = nil // a's routing has not finished yet
	a, _, ok, err := w.svc.Start(ctx, visitorParty(w.acc, "va"), chat.StartInput{Language: "en"})
	if err != nil || !ok {
		t.Fatalf("start a: %v %v", ok, err)
	}
	w.svc.Router = router
	clock = t0.Add(330 * time.Millisecond)
	b, _, ok, err := w.svc.Start(ctx, visitorParty(w.acc, "vb"), chat.StartInput{Language: "en"})
	if err != nil || !ok || b.QueueSeq == 0 {
		t.Fatalf("start b: %+v %v %v", b, ok, err)
	}
	// Now a's routing gives up and queues it.
	seqA, err := w.s.EnqueueChat(context.Background(), a)
	if err != nil {
		t.Fatal(err)
	}
	queue, err := w.s.Queue(ctx, w.acc, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(queue) != 2 || queue[0].ChatID != a.ID || queue[1].ChatID != b.ID {
		t.Fatalf("queue %+v, want a (%s) then b (%s)", queue, a.ID, b.ID)
	}
	if pos, err := w.s.QueuePosition(ctx, w.acc, seqA); err != nil || pos != 1 {
		t.Fatalf("a's position %d %v, want 1", pos, err)
	}
	if pos, err := w.s.QueuePosition(ctx, w.acc, b.QueueSeq); err != nil || pos != 2 {
		t.Fatalf("b's position %d %v, want 2", pos, err)
	}
	// A chat is queued once.
	if _, err := w.s.EnqueueChat(ctx, a); err == nil {
		t.Fatal("a queued twice")
	}
}
