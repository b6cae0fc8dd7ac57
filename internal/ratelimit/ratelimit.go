// Package ratelimit keeps the limits on what anyone, an anonymous visitor
// included, can make Parley do: counters in DynamoDB in fixed windows,
// each attempt one conditional ADD, so concurrent attempts on any number
// of warm functions cannot get past a limit between a read and a write
// (nothing is counted in memory). A refusal is apperr.RateLimited with the
// time left in the window (*RetryError), which the HTTP adapter answers
// with 429 and Retry-After and the WebSocket adapter with an error frame.
package ratelimit

import (
	"context"
	"fmt"
	"time"

	"parley/internal/apperr"
)

// Store counts attempts in fixed windows (dynamo.Store).
type Store interface {
	// Hit counts one attempt for key in the window starting at window,
	// unless limit attempts were counted there already, in which case it
	// counts nothing and reports ok false. The counter disappears after
	// expires.
	Hit(ctx context.Context, key string, window, expires time.Time, limit int) (count int, ok bool, err error)
	// AdjustHits adds delta to a window's count (a refund when negative).
	AdjustHits(ctx context.Context, key string, window time.Time, delta int) error
}

// Rule is one limit: at most Limit attempts per key in each Window. A
// zero Limit is no limit. What names the thing counted, for the message.
type Rule struct {
	Name   string
	Limit  int
	Window time.Duration
	What   string
}

// RetryError is apperr.RateLimited with how long to wait, for the
// Retry-After header and the error frame's retryAfter.
type RetryError struct {
	Err        *apperr.Error
	RetryAfter time.Duration
}

func (e *RetryError) Error() string { return e.Err.Error() }

// Unwrap makes apperr.CodeOf and apperr.Public see the inner error.
func (e *RetryError) Unwrap() error { return e.Err }

// Seconds is RetryAfter in whole seconds, at least 1.
func (e *RetryError) Seconds() int { return max(int((e.RetryAfter+time.Second-1)/time.Second), 1) }

// Limiter applies rules.
type Limiter struct {
	Store Store
	Now   func() time.Time
}

// Check is one rule applied to one key.
type Check struct {
	Rule Rule
	Key  string
}

// For applies r to key; an empty key (an unknown source address) is not
// counted.
func For(r Rule, key string) Check { return Check{Rule: r, Key: key} }

// Take counts one attempt against every check, in order. The first that
// is full refuses the attempt with a *RetryError, and the checks counted
// before it get their attempt back, so a refused attempt counts nowhere.
// A nil Limiter limits nothing.
func (l *Limiter) Take(ctx context.Context, checks ...Check) error {
	if l == nil || l.Store == nil {
		return nil
	}
	now := time.Now()
	if l.Now != nil {
		now = l.Now()
	}
	type counted struct {
		key    string
		window time.Time
	}
	var done []counted
	refund := func() {
		for _, c := range done {
			// Best effort: a failed refund leaves the limit stricter,
			// never looser.
			_ = l.Store.AdjustHits(ctx, c.key, c.window, -1)
		}
	}
	for _, c := range checks {
		r := c.Rule
		if r.Limit <= 0 || r.Window <= 0 || c.Key == "" {
			continue
		}
		w := now.UTC().Truncate(r.Window)
		end := w.Add(r.Window)
		key := r.Name + "#" + c.Key
		_, ok, err := l.Store.Hit(ctx, key, w, end.Add(time.Hour), r.Limit)
		if err != nil {
			refund()
			return err
		}
		if !ok {
			refund()
			wait := end.Sub(now)
			return &RetryError{RetryAfter: wait, Err: apperr.New(apperr.RateLimited,
				"too many %s (at most %d %s); try again in %s", r.What, r.Limit, Per(r.Window), Human(wait))}
		}
		done = append(done, counted{key, w})
	}
	return nil
}

// Per names a window: "a minute", "an hour", "a day", "per 15 minutes".
func Per(d time.Duration) string {
	switch d {
	case time.Minute:
		return "a minute"
	case time.Hour:
		return "an hour"
	case 24 * time.Hour:
		return "a day"
	}
	return "per " + Human(d)
}

// Human says how long d is, rounded up to what a person reads.
func Human(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d seconds", max(int((d+time.Second-1)/time.Second), 1))
	case d < 2*time.Hour:
		return fmt.Sprintf("%d minutes", int((d+time.Minute-1)/time.Minute))
	}
	return fmt.Sprintf("%d hours", int((d+time.Hour-1)/time.Hour))
}
