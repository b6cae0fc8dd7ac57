package webhook

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"parley/internal/apperr"
	"parley/internal/outbound"
	"parley/internal/settings"
)

// Sender makes an outbound call; *outbound.Client is the one.
type Sender interface {
	Do(ctx context.Context, r outbound.Request) (outbound.Response, error)
}

// Dispatcher sends due deliveries. A run ticks each second of its window,
// like the timer sweeper (DESIGN §4), and sends what is due without
// waiting: each send runs on its own, bounded by Concurrency overall and
// PerAccount for one account, so a slow or dead endpoint holds back only
// its own account's deliveries, and those only by the client's timeout.
type Dispatcher struct {
	Store    Store
	Settings func(ctx context.Context, accountID string) (settings.Document, error)
	Client   Sender
	Retry    Retry
	Log      *slog.Logger
	Now      func() time.Time
	Sleep    func(ctx context.Context, d time.Duration) error
	Window   time.Duration
	Lookback time.Duration
	// Concurrency bounds sends in flight (default 64); PerAccount bounds
	// one account's (default 4), whose other due deliveries queue for them.
	Concurrency int
	PerAccount  int
	// Lease is how long a claimed attempt may take before its pointer
	// brings it back (default the client's timeout plus 30 s).
	Lease time.Duration
	// Targets send the deliveries of events that are not event webhooks
	// (a Service's), with the same queue, retries and log.
	Targets map[Event]Target

	mu sync.Mutex // guards Run's account queues
}

// Result is what one run did.
type Result struct {
	Attempts  int `json:"attempts"`
	Delivered int `json:"delivered"`
}

// Run ticks from Lookback before now until Window after, starting the due
// deliveries' attempts, and returns once they all finished.
func (d *Dispatcher) Run(ctx context.Context) (Result, error) {
	var (
		res  Result
		mu   sync.Mutex
		wg   sync.WaitGroup
		sem  = make(chan struct{}, 64)
		errs error
	)
	if d.Concurrency > 0 {
		sem = make(chan struct{}, d.Concurrency)
	}
	perAccount := d.PerAccount
	if perAccount <= 0 {
		perAccount = 4
	}
	// Each account has its queue and at most perAccount workers draining
	// it: an account's slow receiver keeps its own workers busy, never
	// another account's, and never the tick.
	type queue struct {
		items   []Due
		workers int
	}
	queues := map[string]*queue{}
	attempt := func(p Due) {
		sem <- struct{}{}
		defer func() { <-sem }()
		tried, ok, err := d.Attempt(context.WithoutCancel(ctx), p)
		mu.Lock()
		defer mu.Unlock()
		if tried {
			res.Attempts++
		}
		if ok {
			res.Delivered++
		}
		if err != nil {
			d.Log.ErrorContext(ctx, "webhook attempt", "account", p.AccountID, "delivery", p.ID, "err", err)
		}
	}
	worker := func(account string) {
		defer wg.Done()
		for {
			d.mu.Lock()
			q := queues[account]
			if len(q.items) == 0 {
				if q.workers--; q.workers == 0 {
					delete(queues, account)
				}
				d.mu.Unlock()
				return
			}
			p := q.items[0]
			q.items = q.items[1:]
			d.mu.Unlock()
			attempt(p)
		}
	}
	// enqueue is false when the account has maxQueued waiting already.
	enqueue := func(p Due) bool {
		d.mu.Lock()
		defer d.mu.Unlock()
		q := queues[p.AccountID]
		if q == nil {
			q = &queue{}
			queues[p.AccountID] = q
		}
		if len(q.items) >= maxQueued {
			return false
		}
		q.items = append(q.items, p)
		if q.workers < perAccount {
			q.workers++
			wg.Add(1)
			go worker(p.AccountID)
		}
		return true
	}
	defer wg.Wait()
	start := d.Now().Truncate(time.Second)
	next, end := start.Add(-d.Lookback), start.Add(d.Window)
	for !next.After(end) {
		if now := d.Now(); next.After(now) {
			if err := d.Sleep(ctx, next.Sub(now)); err != nil {
				return res, nil // the invocation is ending: the next run's lookback picks up
			}
		}
		// The second before too: a pointer written just after that
		// second's tick (the stream consumer's write took a moment) would
		// otherwise wait for the next run's lookback. A pointer seen twice
		// is claimed once.
		due, err := d.Store.DueDeliveries(ctx, next.Unix()-1)
		if err != nil {
			return res, err
		}
		now, err := d.Store.DueDeliveries(ctx, next.Unix())
		if err != nil {
			return res, err
		}
		for _, p := range append(due, now...) {
			if !enqueue(p) {
				// Too many of the account's waiting: a second later.
				if err := d.Store.Defer(ctx, p, next.Add(time.Second)); err != nil {
					errs = err
				}
			}
		}
		next = next.Add(time.Second)
	}
	wg.Wait()
	return res, errs
}

// maxQueued bounds an account's deliveries waiting for one of its workers
// in a run; past it they wait a second in the store.
const maxQueued = 256

// Attempt makes one attempt of a due delivery: tried is false when another
// dispatcher claimed it or it is no longer pending; delivered when the
// receiver answered 2xx.
func (d *Dispatcher) Attempt(ctx context.Context, p Due) (tried, delivered bool, err error) {
	dl, err := d.Store.Delivery(ctx, p.AccountID, p.ID)
	if apperr.CodeOf(err) == apperr.NotFound {
		return false, false, nil // expired: its pointer's TTL clears it
	}
	if err != nil || dl.Status != Pending {
		return false, false, err
	}
	now := d.Now().UTC()
	lease := now.Add(d.lease())
	ok, err := d.Store.Claim(ctx, p, dl, lease)
	if err != nil || !ok {
		return false, false, err
	}
	dl.Attempts++
	doc, err := d.Settings(ctx, p.AccountID)
	if err != nil {
		return true, false, err // the lease pointer retries it
	}
	o := d.send(ctx, doc, &dl, now)
	d.record(&dl, o)
	return true, o.Delivered, d.Store.Finish(ctx, dl, lease)
}

func (d *Dispatcher) lease() time.Duration {
	if d.Lease > 0 {
		return d.Lease
	}
	return outbound.DefaultTimeout + 30*time.Second
}

// send signs and posts the body to the event's current URL: the URL is read
// at each attempt, so the delivery log never holds credentials and a fixed
// URL applies to deliveries already waiting.
func (d *Dispatcher) send(ctx context.Context, doc settings.Document, dl *Delivery, now time.Time) Outcome {
	if t, ok := d.Targets[dl.Event]; ok {
		return t.Send(ctx, d.Client, doc, dl, now)
	}
	url := dl.Event.URL(doc.Integration.Webhooks)
	if url == "" {
		return Outcome{Error: fmt.Sprintf("integration.webhooks.%s is empty: the handler was turned off", dl.Event)}
	}
	dl.Target = outbound.Redact(url)
	secret := doc.Integration.Webhooks.SigningSecret
	ts := now
	sig, err := Sign(secret, dl.ID, ts, dl.Body)
	if err != nil {
		return Outcome{Error: "no signing secret: regenerate integration.webhooks.signingSecret"}
	}
	h := http.Header{}
	h.Set("content-type", "application/json")
	h.Set("user-agent", "Parley-Webhooks/1")
	h.Set(HeaderID, dl.ID)
	h.Set(HeaderTimestamp, strconv.FormatInt(ts.Unix(), 10))
	h.Set(HeaderSignature, sig)
	resp, err := d.Client.Do(ctx, outbound.Request{Method: http.MethodPost, URL: url, Header: h, Body: dl.Body})
	o := Judge(resp, err, now)
	dl.Latency = resp.Latency
	return o
}

// record applies an outcome: delivered, retried after the back-off, or
// failed (for good, or given up after GiveUpAfter).
func (d *Dispatcher) record(dl *Delivery, o Outcome) {
	now := d.Now().UTC()
	dl.LastStatus, dl.LastError = o.Status, o.Error
	switch {
	case o.Delivered:
		dl.Status, dl.FinishedAt, dl.NextAt = Delivered, now, time.Time{}
	case o.Retry:
		next := now.Add(d.Retry.Delay(dl.Attempts, o.After))
		if d.Retry.GiveUpAfter > 0 && next.Sub(dl.Since) > d.Retry.GiveUpAfter {
			dl.Status, dl.FinishedAt, dl.NextAt = Failed, now, time.Time{}
			dl.LastError = fmt.Sprintf("given up after %d attempts: %s", dl.Attempts, o.Error)
			return
		}
		dl.NextAt = dueSecond(next)
	default:
		dl.Status, dl.FinishedAt, dl.NextAt = Failed, now, time.Time{}
	}
}
