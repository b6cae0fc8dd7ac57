package webhook

import (
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	"parley/internal/outbound"
)

// Retry is the back-off of failed attempts: First after the first failure,
// doubling up to Max, with jitter, until GiveUpAfter has passed since the
// delivery's first attempt (about a day: with the defaults, some 30
// attempts).
type Retry struct {
	First       time.Duration
	Max         time.Duration
	GiveUpAfter time.Duration
	// Jitter returns a random duration in [0, d); nil uses math/rand.
	// Tests pin it.
	Jitter func(d time.Duration) time.Duration
}

// DefaultRetry is the deployed back-off.
var DefaultRetry = Retry{First: 10 * time.Second, Max: time.Hour, GiveUpAfter: 24 * time.Hour}

// maxRetryAfter bounds how long a receiver's Retry-After may hold a
// delivery back.
const maxRetryAfter = 6 * time.Hour

// Delay is the wait before the attempt after the given number of failed
// ones: half the exponential step plus up to the other half at random
// ("equal jitter"), so a receiver coming back is not hit by every delivery
// at once, and never less than what Retry-After asked.
func (r Retry) Delay(failed int, retryAfter time.Duration) time.Duration {
	step := r.First
	for i := 1; i < failed && step < r.Max; i++ {
		step *= 2
	}
	step = min(step, r.Max)
	jitter := r.Jitter
	if jitter == nil {
		jitter = func(d time.Duration) time.Duration {
			if d <= 0 {
				return 0
			}
			return rand.N(d)
		}
	}
	d := step/2 + jitter(step-step/2)
	return max(d, min(retryAfter, maxRetryAfter))
}

// Outcome is what one attempt came to.
type Outcome struct {
	Delivered bool
	Retry     bool          // worth trying again
	After     time.Duration // the receiver's Retry-After, 0 without
	Status    int           // the HTTP status, 0 when there was no answer
	Error     string        // why it failed, safe to show (no credentials)
}

// Judge sorts an answer: 2xx is delivered, never retried; timeouts,
// connection errors, 5xx, 408 and 429 are retried; anything else (a 3xx,
// since redirects are not followed, a 4xx, a refused address) fails for
// good, since the same request will fail the same way.
func Judge(resp outbound.Response, err error, now time.Time) Outcome {
	if err != nil {
		o := Outcome{Error: err.Error()}
		if oe, ok := err.(*outbound.Error); ok {
			o.Retry = oe.Kind != outbound.KindRefused
		}
		return o
	}
	o := Outcome{Status: resp.Status}
	switch {
	case resp.Status >= 200 && resp.Status < 300:
		o.Delivered = true
	case resp.Status >= 500, resp.Status == http.StatusRequestTimeout, resp.Status == http.StatusTooManyRequests:
		o.Retry = true
		o.After = retryAfter(resp.Header.Get("Retry-After"), now)
		o.Error = "the receiver answered " + strconv.Itoa(resp.Status)
	default:
		o.Error = "the receiver answered " + strconv.Itoa(resp.Status) + ", which is not retried"
	}
	return o
}

// retryAfter reads Retry-After as seconds or an HTTP date.
func retryAfter(h string, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	if n, err := strconv.Atoi(h); err == nil && n > 0 {
		return time.Duration(min(n, int(maxRetryAfter/time.Second))) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
