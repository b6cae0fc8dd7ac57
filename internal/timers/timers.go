// Package timers fires work at a given second. EventBridge schedules fire
// only to the minute and DynamoDB TTL deletes up to days late, so a timer is
// an item keyed by its due second and a sweeper, started every minute,
// ticks each second of its minute and fires what is due (DESIGN §4).
package timers

import (
	"context"
	"time"
)

// Timer is one piece of work due at a second.
type Timer struct {
	AccountID string
	Subject   string // what the timer is about, e.g. a chat id
	Kind      string // what to do, e.g. firstResponse
	Due       time.Time
}

// Store declares what the sweeper needs.
type Store interface {
	// DueTimers lists the timers due at exactly that second: one Query.
	DueTimers(ctx context.Context, second int64) ([]Timer, error)
	// FireTimer removes the timer and records that it fired, in one
	// conditional transaction: false when it was already fired or
	// cancelled, so overlapping sweepers never act twice.
	FireTimer(ctx context.Context, t Timer) (bool, error)
}

// Sweeper fires due timers.
type Sweeper struct {
	Store Store
	Now   func() time.Time
	// Sleep waits until the next tick; injectable so tests need not wait.
	Sleep func(ctx context.Context, d time.Duration) error
	// Window is how long one run keeps ticking (a minute, to meet the
	// next scheduled run). Lookback is how far back the first tick looks,
	// to catch timers of a run that never happened.
	Window   time.Duration
	Lookback time.Duration
}

// Run ticks from Lookback before now until Window after, firing each
// second's timers once that second has come. It returns how many timers
// this run fired.
func (s *Sweeper) Run(ctx context.Context) (int, error) {
	start := s.Now().Truncate(time.Second)
	next := start.Add(-s.Lookback)
	end := start.Add(s.Window)
	fired := 0
	for !next.After(end) {
		now := s.Now()
		if next.After(now) {
			if err := s.Sleep(ctx, next.Sub(now)); err != nil {
				return fired, nil // the invocation is ending: the next run's lookback picks up
			}
		}
		due, err := s.Store.DueTimers(ctx, next.Unix())
		if err != nil {
			return fired, err
		}
		for _, t := range due {
			ok, err := s.Store.FireTimer(ctx, t)
			if err != nil {
				return fired, err
			}
			if ok {
				fired++
			}
		}
		next = next.Add(time.Second)
	}
	return fired, nil
}

// SleepContext waits d or until ctx ends.
func SleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
