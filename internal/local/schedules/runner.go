package schedules

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"parley/internal/local/localaws"
	"parley/internal/routes"
)

// Invoker is a function as the runner sees it: JSON in, JSON out.
// lambda.NewHandler(fn) of aws-lambda-go is one.
type Invoker interface {
	Invoke(ctx context.Context, payload []byte) ([]byte, error)
}

// Clock is the time the runner lives by. The real one is the default; a
// test's fake can make After return at once and move Now on.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Runner invokes each schedule's function at its due times. Set the
// fields, then call Run.
type Runner struct {
	// Schedules defaults to routes.Schedules.
	Schedules []routes.Schedule
	// Targets maps a function name to the function. Every schedule's
	// function must have one.
	Targets map[string]Invoker

	// Clock defaults to the real clock.
	Clock Clock
	// Speed runs schedule time faster than the clock: 60 makes a minute
	// pass each second. 0 means 1. Start is schedule time when Run starts
	// (default: the clock's now).
	Speed float64
	Start time.Time

	// Account and Region fill the events; default localaws's.
	Account string
	Region  string
	// Logger defaults to slog.Default(); invocation errors go there, as
	// they would go to the function's logs in AWS.
	Logger *slog.Logger
	// OnInvoke, if set, is told of every invocation and its outcome once
	// it returns (for tests and the dev command's log).
	OnInvoke func(s routes.Schedule, at time.Time, err error)
}

// Run fires the schedules until ctx is cancelled, then waits for the
// invocations in flight and returns nil. It fails at once if an expression
// does not parse or a function has no target.
func (r *Runner) Run(ctx context.Context) error {
	if r.Schedules == nil {
		r.Schedules = routes.Schedules
	}
	if r.Clock == nil {
		r.Clock = realClock{}
	}
	if r.Speed <= 0 {
		r.Speed = 1
	}
	if r.Account == "" {
		r.Account = localaws.AccountID
	}
	if r.Region == "" {
		r.Region = localaws.Region
	}
	if r.Logger == nil {
		r.Logger = slog.Default()
	}
	exprs := make([]Expression, len(r.Schedules))
	for i, s := range r.Schedules {
		e, err := Parse(s.Expression)
		if err != nil {
			return fmt.Errorf("schedules: %s: %w", s.Name, err)
		}
		if r.Targets[s.Function] == nil {
			return fmt.Errorf("schedules: %s: no target for function %q", s.Name, s.Function)
		}
		exprs[i] = e
	}

	realStart := r.Clock.Now()
	start := r.Start
	if start.IsZero() {
		start = realStart
	}
	// now is schedule time: the clock's elapsed time, sped up.
	now := func() time.Time {
		return start.Add(time.Duration(float64(r.Clock.Now().Sub(realStart)) * r.Speed))
	}

	var inflight sync.WaitGroup
	defer inflight.Wait()
	var loops sync.WaitGroup
	defer loops.Wait()
	for i, s := range r.Schedules {
		loops.Add(1)
		go func() {
			defer loops.Done()
			r.loop(ctx, s, exprs[i], now, &inflight)
		}()
	}
	<-ctx.Done()
	return nil
}

func (r *Runner) loop(ctx context.Context, s routes.Schedule, e Expression, now func() time.Time, inflight *sync.WaitGroup) {
	after := now()
	for {
		due, ok := e.Next(after)
		if !ok {
			return // an at(...) in the past, or a cron past its last year
		}
		for {
			n := now()
			if !n.Before(due) {
				break
			}
			wait := max(time.Duration(float64(due.Sub(n))/r.Speed), time.Nanosecond)
			select {
			case <-ctx.Done():
				return
			case <-r.Clock.After(wait):
			}
		}
		// EventBridge invokes asynchronously: a long run of the function
		// (the sweeper's minute) does not delay the next one.
		inflight.Add(1)
		go func() {
			defer inflight.Done()
			r.fire(ctx, s, due)
		}()
		after = due
		// After a stall (a laptop asleep) fire once, not once per missed
		// period. The threshold is in clock time, so a high Speed does not
		// turn scheduling jitter into skipped runs.
		if n := now(); time.Duration(float64(n.Sub(due))/r.Speed) > stallThreshold {
			r.Logger.Warn("schedules: skipped missed runs", "schedule", s.Name, "since", due, "now", n)
			after = n
		}
	}
}

// Event returns the event EventBridge Scheduler sends for schedule s due at
// at.
func (r *Runner) Event(s routes.Schedule, at time.Time) events.EventBridgeEvent {
	return events.EventBridgeEvent{
		Version:    "0",
		ID:         newID(),
		DetailType: "Scheduled Event",
		Source:     "aws.scheduler",
		AccountID:  r.Account,
		Time:       at.UTC().Truncate(time.Second),
		Region:     r.Region,
		Resources:  []string{fmt.Sprintf("arn:aws:scheduler:%s:%s:schedule/default/%s", r.Region, r.Account, s.Name)},
		Detail:     json.RawMessage("{}"),
	}
}

// stallThreshold is how late, on the clock, a run may be before the runs
// it overtook are dropped.
const stallThreshold = 5 * time.Second

// newID returns a random UUID (version 4), the form of EventBridge's ids.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func (r *Runner) fire(ctx context.Context, s routes.Schedule, at time.Time) {
	payload, err := json.Marshal(r.Event(s, at))
	if err == nil {
		// Lambda stops a function at its timeout; a handler that honours
		// its context stops here too.
		if fn, ok := routes.FunctionByName(s.Function); ok && fn.TimeoutSec > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, time.Duration(fn.TimeoutSec)*time.Second)
			defer cancel()
		}
		_, err = r.Targets[s.Function].Invoke(ctx, payload)
	}
	if err != nil && ctx.Err() == nil {
		r.Logger.Error("schedules: invocation failed", "schedule", s.Name, "function", s.Function, "at", at, "err", err)
	}
	if r.OnInvoke != nil {
		r.OnInvoke(s, at, err)
	}
}
