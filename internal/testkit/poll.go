package testkit

import (
	"context"
	"testing"
	"time"
)

// Poll calls cond every interval until it holds, and fails the test when
// timeout passes or ctx ends first.
func Poll(t testing.TB, ctx context.Context, timeout, interval time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		if cond() {
			return
		}
		time.Sleep(interval)
	}
	t.Fatalf("timed out waiting for %s", what)
}

// Eventually polls cond every 100 ms for up to 20 s: the wait for what the
// stack does asynchronously (the stream, mail, schedules).
func Eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	Poll(t, context.Background(), 20*time.Second, 100*time.Millisecond, what, cond)
}
