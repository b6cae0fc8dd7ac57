package schedules_test

import (
	"context"
	"encoding/json"
	"regexp"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"parley/internal/local/schedules"
	"parley/internal/routes"
)

// gatedClock is a fake clock: each After waits for a token from the test,
// then moves Now on by exactly the duration asked for.
type gatedClock struct {
	mu    sync.Mutex
	now   time.Time
	waits []time.Duration
	gate  chan struct{}
	stop  chan struct{}
}

func (c *gatedClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *gatedClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	c.waits = append(c.waits, d)
	c.mu.Unlock()
	ch := make(chan time.Time, 1)
	go func() {
		select {
		case <-c.gate:
			c.mu.Lock()
			c.now = c.now.Add(d)
			now := c.now
			c.mu.Unlock()
			ch <- now
		case <-c.stop:
		}
	}()
	return ch
}

// The runner fires at each due time of schedule time, Speed times faster
// than its clock, with the event EventBridge Scheduler sends.
func TestRunner(t *testing.T) {
	clock := &gatedClock{now: time.Date(2026, 11, 25, 12, 0, 30, 0, time.UTC), gate: make(chan struct{}), stop: make(chan struct{})}
	defer close(clock.stop)
	got := make(chan events.EventBridgeEvent, 10)
	sweeper := lambda.NewHandler(func(_ context.Context, e events.EventBridgeEvent) error {
		got <- e
		return nil
	})
	r := &schedules.Runner{
		Schedules: []routes.Schedule{{Name: "timer-sweep", Expression: "rate(1 minute)", Function: routes.FnSweeper}},
		Targets:   map[string]schedules.Invoker{routes.FnSweeper: sweeper},
		Clock:     clock,
		Speed:     60,
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()

	var fires []events.EventBridgeEvent
	for range 3 {
		clock.gate <- struct{}{}
		select {
		case e := <-got:
			fires = append(fires, e)
		case <-time.After(5 * time.Second):
			t.Fatal("no invocation")
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	// 30 s, then 60 s, of schedule time, at 60 times the clock's speed.
	clock.mu.Lock()
	waits := clock.waits[:3]
	clock.mu.Unlock()
	if diff := cmp.Diff([]time.Duration{500 * time.Millisecond, time.Second, time.Second}, waits); diff != "" {
		t.Errorf("clock waits (-want +got):\n%s", diff)
	}
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	var want []events.EventBridgeEvent
	for i, e := range fires {
		if !uuid.MatchString(e.ID) {
			t.Errorf("id %q is not a UUID", e.ID)
		}
		want = append(want, events.EventBridgeEvent{
			Version:    "0",
			DetailType: "Scheduled Event",
			Source:     "aws.scheduler",
			AccountID:  "000000000000",
			Time:       time.Date(2026, 11, 25, 12, 1+i, 0, 0, time.UTC),
			Region:     "us-east-1",
			Resources:  []string{"arn:aws:scheduler:us-east-1:000000000000:schedule/default/timer-sweep"},
			Detail:     json.RawMessage(`{}`),
		})
	}
	if diff := cmp.Diff(want, fires, cmpopts.IgnoreFields(events.EventBridgeEvent{}, "ID")); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

// On the real clock, Speed makes minutes pass in a fraction of a second.
func TestRunnerSpeed(t *testing.T) {
	var mu sync.Mutex
	var fired []time.Time
	enough := make(chan struct{})
	r := &schedules.Runner{
		// The sweeper's schedule alone: Run refuses a schedule without a target.
		Schedules: []routes.Schedule{{Name: "timer-sweep", Expression: "rate(1 minute)", Function: routes.FnSweeper}},
		Targets:   map[string]schedules.Invoker{routes.FnSweeper: lambda.NewHandler(func(context.Context, events.EventBridgeEvent) error { return nil })},
		Speed:     600, // a minute each 100 ms
		OnInvoke: func(_ routes.Schedule, at time.Time, err error) {
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			defer mu.Unlock()
			fired = append(fired, at)
			if len(fired) == 3 {
				close(enough)
			}
		},
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	select {
	case <-enough:
	case <-time.After(5 * time.Second):
		t.Fatal("fewer than 3 runs in 5 s at 600 times speed")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	// Each due time fires without waiting for the one before, so OnInvoke
	// reports them in the order the invocations end, not in schedule order.
	slices.SortFunc(fired, func(a, b time.Time) int { return a.Compare(b) })
	for i, at := range fired[:3] {
		if at.Second() != 0 || at.Nanosecond() != 0 || i > 0 && !at.Equal(fired[i-1].Add(time.Minute)) {
			t.Errorf("runs at %v: want consecutive whole minutes", fired)
			break
		}
	}
}

func TestRunnerRefusesUnknownTargets(t *testing.T) {
	for _, r := range []*schedules.Runner{
		{Targets: map[string]schedules.Invoker{}},
		{Schedules: []routes.Schedule{{Name: "x", Expression: "rate(1 fortnight)", Function: "f"}}, Targets: map[string]schedules.Invoker{"f": nil}},
	} {
		if err := r.Run(context.Background()); err == nil {
			t.Errorf("Run(%+v) = nil, want an error", r.Schedules)
		}
	}
}
