package account

import (
	"context"
	"fmt"
	"math"
	"time"

	"parley/internal/apperr"
	"parley/internal/ratelimit"
)

// ThrottleStore counts attempts in fixed time windows. The counting is
// one conditional atomic update in the store, so concurrent attempts can
// never get past a limit between a read and a write.
type ThrottleStore interface {
	// Hit counts one attempt for key in the window that starts at window,
	// unless limit attempts were already counted there, in which case it
	// counts nothing and reports ok false. It returns the count including
	// this attempt. The counter disappears after expires.
	Hit(ctx context.Context, key string, window, expires time.Time, limit int) (count int, ok bool, err error)
	// AdjustHits adds delta to a window's count (a refund when negative).
	AdjustHits(ctx context.Context, key string, window time.Time, delta int) error
	// ClearHits forgets a window's count.
	ClearHits(ctx context.Context, key string, window time.Time) error
}

// Policy limits attempts per key in fixed windows: up to SlowAfter
// attempts go at full speed, each further one waits Step more (at most
// MaxDelay), and once RefuseAt attempts were made the rest of the window
// is refused with apperr.RateLimited (a zero RefuseAt never refuses).
type Policy struct {
	Window    time.Duration
	SlowAfter int
	RefuseAt  int
	Step      time.Duration
	MaxDelay  time.Duration
}

// Sign-in limits. Per e-mail and source address pair they refuse one
// client's guesses at one person's password; per e-mail alone they only
// slow (a refusal there would let anyone lock the owner out by guessing
// wrong ten times); per address they stop one client from trying many
// e-mails, and are looser because an office signs in from one address.
var (
	LoginPerPair    = Policy{Window: 15 * time.Minute, SlowAfter: 3, RefuseAt: 10, Step: time.Second, MaxDelay: 4 * time.Second}
	LoginPerEmail   = Policy{Window: 15 * time.Minute, SlowAfter: 3, Step: time.Second, MaxDelay: 4 * time.Second}
	LoginPerAddress = Policy{Window: 15 * time.Minute, SlowAfter: 20, RefuseAt: 100, Step: 250 * time.Millisecond, MaxDelay: 2 * time.Second}
	// PasswordChangePerPerson refuses guesses of the current password
	// made with a signed-in session (a stolen access token), which are
	// also counted, to slow them, as sign-in failures of the e-mail.
	PasswordChangePerPerson = Policy{Window: 15 * time.Minute, SlowAfter: 3, RefuseAt: 10, Step: time.Second, MaxDelay: 4 * time.Second}
)

// SignUpsPerHour limits the accounts one address may sign up to n an
// hour, refusing the rest of the hour at once (no slowing: a person signs
// up once).
func SignUpsPerHour(n int) *Policy {
	if n <= 0 {
		return nil
	}
	return &Policy{Window: time.Hour, SlowAfter: n, RefuseAt: n}
}

// Delay is how long the count-th attempt of a window waits.
func (p Policy) Delay(count int) time.Duration {
	if count <= p.SlowAfter {
		return 0
	}
	return min(time.Duration(count-p.SlowAfter)*p.Step, p.MaxDelay)
}

// windowOf is the start of the fixed window holding now.
func (p Policy) windowOf(now time.Time) time.Time { return now.UTC().Truncate(p.Window) }

// RetryError is apperr.RateLimited with how long to wait, for the
// Retry-After header: the one type every limit refuses with.
type RetryError = ratelimit.RetryError

// hit counts an attempt under policy p and returns its count, or a
// RetryError when the window's limit is reached.
func (s *Service) hit(ctx context.Context, p Policy, key string, now time.Time) (int, error) {
	w := p.windowOf(now)
	end := w.Add(p.Window)
	limit := p.RefuseAt
	if limit <= 0 {
		limit = math.MaxInt32 // slowed only: the count goes on
	}
	n, ok, err := s.Store.Hit(ctx, key, w, end.Add(time.Hour), limit)
	if err != nil {
		return 0, err
	}
	if !ok {
		wait := end.Sub(now).Round(time.Second)
		return n, &RetryError{RetryAfter: wait, Err: apperr.New(apperr.RateLimited,
			"too many attempts; try again in %s", humanWait(wait))}
	}
	return n, nil
}

func humanWait(d time.Duration) string {
	if d < time.Minute {
		return fmt.Sprintf("%d seconds", max(int(d.Seconds()), 1))
	}
	return fmt.Sprintf("%d minutes", int((d+time.Minute-1)/time.Minute))
}

func (s *Service) sleep(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	if s.Sleep != nil {
		s.Sleep(ctx, d)
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
