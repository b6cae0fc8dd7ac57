package bench

import (
	"context"
	"fmt"
	"sync"
	"time"

	"parley/internal/dynamo"
	"parley/internal/timers"
)

// TimerOptions shape the timer lateness run.
type TimerOptions struct {
	Timers int           // timers scheduled
	Spread time.Duration // over which their due seconds are spread
}

// firedAt wraps the sweeper's store and notes when each timer's FireTimer
// committed: that is when the timer acted (DESIGN §4), what its lateness
// counts to.
type firedAt struct {
	timers.Store
	mu   sync.Mutex
	late []time.Duration
}

func (f *firedAt) FireTimer(ctx context.Context, t timers.Timer) (bool, error) {
	ok, err := f.Store.FireTimer(ctx, t)
	if ok && err == nil {
		at := time.Now()
		f.mu.Lock()
		f.late = append(f.late, at.Sub(t.Due))
		f.mu.Unlock()
	}
	return ok, err
}

// runTimers schedules o.Timers timers due at whole seconds spread evenly
// over o.Spread, starting timerLead out, and runs one sweeper, as the
// scheduled sweeper function does (timers.Sweeper on the real store),
// with a window that covers them all. It returns each fired timer's
// lateness: from its due second to its FireTimer's commit. What it leaves
// out is the schedule's own start, which AWS runs once a minute and a
// sweeper's window overlaps, and the stream consumer's side effects after
// the fire. The store is the stack's, so a tick queries a table holding
// everything else the run wrote.
// timerLead is how far out the first timer is due: time for the puts,
// which on a loaded machine took more than the two seconds it used to be.
const timerLead = 8 * time.Second

func runTimers(ctx context.Context, s *dynamo.Store, o TimerOptions) (late []time.Duration, scheduled int, err error) {
	first := time.Now().Truncate(time.Second).Add(timerLead)
	seconds := max(int(o.Spread/time.Second), 1)
	account := fmt.Sprintf("bench-timers-%d", time.Now().UnixNano())
	for i := range o.Timers {
		t := timers.Timer{AccountID: account, Subject: fmt.Sprintf("t%04d", i), Kind: "benchLateness",
			Due: first.Add(time.Duration(i*seconds/o.Timers) * time.Second)}
		if err := s.PutTimer(ctx, t); err != nil {
			return nil, 0, err
		}
	}
	if time.Now().After(first) {
		// The sweeper would catch them up through its lookback, but the
		// figure would be the puts' time, not the sweeper's.
		return nil, 0, fmt.Errorf("bench: putting %d timers took past the first due second", o.Timers)
	}
	f := &firedAt{Store: s}
	sw := timers.Sweeper{Store: f, Now: time.Now, Sleep: timers.SleepContext,
		Window: time.Duration(seconds)*time.Second + timerLead, Lookback: time.Second}
	if _, err := sw.Run(ctx); err != nil {
		return nil, 0, err
	}
	return f.late, o.Timers, nil
}
