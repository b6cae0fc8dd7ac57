package bench

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"parley/internal/chat"
	"parley/internal/local/stack"
	"parley/internal/timers"
)

// BusyOptions shape the busy-message lateness run (SPEC §4.4: "timeouts
// fire within about a second of their due time").
type BusyOptions struct {
	Chats  int           // visitors whose first message nobody answers
	Spread time.Duration // over which their chats start
}

// busyTimeout is the run's autoMessages.firstResponseTimeout, in seconds.
const busyTimeout = 2

const busyText = "bench: all operators are busy"

// BusyResult is what the run measured, per chat: from the timer's due
// second to the busy message's frame read at the visitor's socket (the
// whole path: sweeper tick, FireTimer, the stream poller, the consumer's
// conditional transaction, the post through the gateway), and to the
// timer's FireTimer commit (the sweeper's own part).
type BusyResult struct {
	Late    []time.Duration
	Fired   []time.Duration
	Missing int // chats whose busy message never came
}

// busyFired notes when FireTimer committed each of one account's timers.
type busyFired struct {
	timers.Store
	account string
	mu      sync.Mutex
	late    []time.Duration
}

func (f *busyFired) FireTimer(ctx context.Context, t timers.Timer) (bool, error) {
	ok, err := f.Store.FireTimer(ctx, t)
	if ok && err == nil && t.AccountID == f.account {
		at := time.Now()
		f.mu.Lock()
		f.late = append(f.late, at.Sub(t.Due))
		f.mu.Unlock()
	}
	return ok, err
}

// busyVisitor is one visitor of the run: when its chat's timer is due and
// when the busy message reached its socket.
type busyVisitor struct {
	c       *client
	mu      sync.Mutex
	due     time.Time
	arrived time.Time
	started chan struct{}
	got     chan struct{}
}

func (v *busyVisitor) receive(f frame, at time.Time) {
	v.mu.Lock()
	defer v.mu.Unlock()
	switch {
	case f.Type == "chat" && f.ClientID == "busy-start" && f.Chat != nil && v.due.IsZero():
		v.due = chat.DueSecond(f.Chat.StartedAt.Add(busyTimeout * time.Second))
		close(v.started)
	case f.Type == "message" && f.Text == busyText && v.arrived.IsZero():
		v.arrived = at
		close(v.got)
	}
}

// runBusy signs up an account whose first-response timeout is
// busyTimeout, starts o.Chats chats spread over o.Spread that nobody
// answers, runs a sweeper on the real clock (as the scheduled one does
// once a minute, for a minute), and waits for each visitor's busy message.
func runBusy(ctx context.Context, st *stack.Stack, o BusyOptions) (BusyResult, error) {
	op, err := signUp(ctx, st.HTTPURL, fmt.Sprintf("bench-busy-%d", time.Now().UnixNano()))
	if err != nil {
		return BusyResult{}, err
	}
	var saved map[string]any
	if err := callJSON(ctx, "PATCH", st.HTTPURL+"/v1/settings/autoMessages", op.token,
		map[string]any{"firstResponseTimeout": busyTimeout, "busyMessage": busyText}, http.StatusOK, &saved); err != nil {
		return BusyResult{}, err
	}
	visitors := make([]*busyVisitor, o.Chats)
	errs := make([]error, o.Chats)
	runAll(o.Chats, 8, func(i int) {
		p, err := newVisitor(ctx, st.HTTPURL, op.account)
		if err != nil {
			errs[i] = err
			return
		}
		v := &busyVisitor{started: make(chan struct{}), got: make(chan struct{})}
		v.c, errs[i] = dial(ctx, st.WebSocketURL, p, v.receive)
		visitors[i] = v
	})
	defer func() {
		for _, v := range visitors {
			if v != nil && v.c != nil {
				v.c.close()
			}
		}
	}()
	if err := errors.Join(errs...); err != nil {
		return BusyResult{}, err
	}

	fired := &busyFired{Store: st.Store, account: op.account}
	sweepCtx, stop := context.WithCancel(ctx)
	defer stop()
	var sweeping sync.WaitGroup
	sweeping.Go(func() {
		sw := timers.Sweeper{Store: fired, Now: time.Now, Sleep: timers.SleepContext, Window: o.Spread + time.Minute, Lookback: time.Second}
		_, _ = sw.Run(sweepCtx)
	})
	defer sweeping.Wait()

	gap := o.Spread / time.Duration(max(o.Chats, 1))
	for i, v := range visitors {
		// The question is the visitor's first message: its wait starts.
		if err := v.c.send(ctx, outbound{Action: "startChat", ClientID: "busy-start", Question: "is anyone there?"}); err != nil {
			return BusyResult{}, err
		}
		select {
		case <-v.started:
		case <-time.After(30 * time.Second):
			return BusyResult{}, fmt.Errorf("%w starting busy chat %d", errTimeout, i)
		case <-ctx.Done():
			return BusyResult{}, ctx.Err()
		}
		time.Sleep(gap)
	}
	var r BusyResult
	deadline := time.After(busyTimeout*time.Second + 30*time.Second)
	for _, v := range visitors {
		select {
		case <-v.got:
			v.mu.Lock()
			r.Late = append(r.Late, v.arrived.Sub(v.due))
			v.mu.Unlock()
		case <-deadline:
			r.Missing++
		case <-ctx.Done():
			return r, ctx.Err()
		}
	}
	stop()
	sweeping.Wait()
	fired.mu.Lock()
	r.Fired = append(r.Fired, fired.late...)
	fired.mu.Unlock()
	return r, nil
}

// measureBusy runs runBusy and prints its figures beside the sweeper's.
func measureBusy(ctx context.Context, st *stack.Stack, o Options, out Printer, progress func(string)) error {
	progress(fmt.Sprintf("busy message: %d chats over %s unanswered for a %d s first-response timeout, one sweeper", o.Busy.Chats, o.Busy.Spread, busyTimeout))
	r, err := runBusy(ctx, st, o.Busy)
	if err != nil {
		return err
	}
	fmt.Fprintln(out.W, "# busy_message_lateness: from the timer's due second to the busy message's frame at the visitor's socket; busy_timer_fire: to the same timers' FireTimer commit")
	out.Ms("busy_message_lateness_p50", Percentile(r.Late, 50))
	out.Ms("busy_message_lateness_p99", Percentile(r.Late, 99))
	out.Ms("busy_timer_fire_lateness_p50", Percentile(r.Fired, 50))
	out.Ms("busy_timer_fire_lateness_p99", Percentile(r.Fired, 99))
	out.Figure("busy_message_missing", float64(r.Missing), "chats")
	return nil
}
