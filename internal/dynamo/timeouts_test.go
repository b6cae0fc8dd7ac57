package dynamo_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"parley/internal/auth"
	"parley/internal/chat"
	"parley/internal/dynamo"
	"parley/internal/lambdas"
	"parley/internal/mail"
	"parley/internal/realtime"
	"parley/internal/routes"
	"parley/internal/settings"
	"parley/internal/timers"
)

// clock is the injected time of a timeout test, moved by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}
func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// mails records the ids of the mails the service queues, and queues them.
type mails struct {
	mail.Outbox
	mu  sync.Mutex
	ids []string
	to  map[string][]string
}

func (m *mails) Enqueue(ctx context.Context, msg mail.Message) error {
	m.mu.Lock()
	m.ids = append(m.ids, msg.ID)
	if m.to == nil {
		m.to = map[string][]string{}
	}
	m.to[msg.ID] = msg.To
	m.mu.Unlock()
	return m.Outbox.Enqueue(ctx, msg)
}

// timeoutWorld is one store, a clock, and accounts with their own settings.
type timeoutWorld struct {
	t     *testing.T
	s     *dynamo.Store
	clock *clock
	mails *mails
}

func newTimeoutWorld(t *testing.T) *timeoutWorld {
	s := newStore(t)
	c := &clock{t: time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)}
	s.Now = c.Now
	return &timeoutWorld{t: t, s: s, clock: c, mails: &mails{Outbox: s}}
}

// account stores an account's settings, changed by edit, and returns the
// service on it.
func (w *timeoutWorld) account(edit func(d *settings.Document)) (*chat.Service, string) {
	w.t.Helper()
	acc := fmt.Sprintf("acc-%d", time.Now().UnixNano())
	w.setSettings(acc, edit)
	svc := lambdas.ChatService(w.s, w.clock.Now)
	svc.Outbox = w.mails
	return svc, acc
}

func (w *timeoutWorld) setSettings(acc string, edit func(d *settings.Document)) {
	w.t.Helper()
	doc, err := settings.NewAccountDocument("en", rand.Reader)
	if err != nil {
		w.t.Fatal(err)
	}
	doc.AutoMessages.FirstResponseTimeout, doc.AutoMessages.AnswerTimeout, doc.AutoMessages.RefusalTimeout = 60, 120, 30
	doc.AutoMessages.BusyMessage = "All operators are busy, please wait"
	doc.Emails.NegativeReviews = []string{"boss@" + acc + ".example"}
	if edit != nil {
		edit(&doc)
	}
	raw, _ := json.Marshal(doc)
	prev, err := w.s.Settings(w.t.Context(), acc)
	version := int64(0)
	if err == nil {
		version = prev.Version
	}
	if _, err := w.s.SaveSettings(w.t.Context(), dynamo.SettingsRecord{AccountID: acc, Doc: string(raw), UpdatedAt: time.Now()}, version); err != nil {
		w.t.Fatal(err)
	}
}

// sweep runs the real sweeper at the clock's second, then acts on the
// chat timers it fired as the stream consumer does; it returns how many
// timeouts acted.
func (w *timeoutWorld) sweep(svc *chat.Service, acc, chatID string) int {
	w.t.Helper()
	ctx := w.t.Context()
	second := w.clock.Now().Truncate(time.Second)
	due, err := w.s.DueTimers(ctx, second.Unix())
	if err != nil {
		w.t.Fatal(err)
	}
	sw := &timers.Sweeper{Store: w.s, Now: w.clock.Now, Sleep: func(context.Context, time.Duration) error { return nil }}
	if _, err := sw.Run(ctx); err != nil {
		w.t.Fatal(err)
	}
	acted := 0
	for _, tm := range due {
		if fired, err := w.s.TimerFired(ctx, tm); err != nil || !fired || (chatID != "" && tm.Subject != chatID) {
			continue
		}
		// Delivered twice, as the stream may: the second changes nothing.
		for range 2 {
			next, _, ok, err := svc.TimedOut(ctx, tm.AccountID, tm.Subject, tm.Kind, tm.Due)
			if err != nil {
				w.t.Fatal(err)
			}
			if ok {
				acted++
				for range 2 {
					if err := svc.AlertBusy(ctx, chat.BusyEvent(next, tm.Kind)); err != nil {
						w.t.Fatal(err)
					}
				}
			}
		}
	}
	return acted
}

func (w *timeoutWorld) chat(acc, id string) chat.Chat {
	w.t.Helper()
	c, err := w.s.Chat(w.t.Context(), acc, id)
	if err != nil {
		w.t.Fatal(err)
	}
	return c
}

func (w *timeoutWorld) busyMessages(acc, id string) int {
	w.t.Helper()
	ms, err := w.s.Messages(w.t.Context(), acc, id, 0, 0)
	if err != nil {
		w.t.Fatal(err)
	}
	n := 0
	for _, m := range ms {
		if m.From == chat.FromSystem && m.Text == "All operators are busy, please wait" {
			n++
		}
	}
	return n
}

func (w *timeoutWorld) mailCount(prefix string) int {
	w.mails.mu.Lock()
	defer w.mails.mu.Unlock()
	seen := map[string]bool{}
	for _, id := range w.mails.ids {
		if len(id) >= len(prefix) && id[:len(prefix)] == prefix {
			seen[id] = true
		}
	}
	return len(seen)
}

// TestFirstResponseTimeout: the visitor's first message unanswered for
// firstResponseTimeout gets the busy message once, as a system message in
// the history, and the alert mail goes to negativeReviews; a second
// sweep or a redelivery doubles nothing, and the event is recorded once.
func TestFirstResponseTimeout(t *testing.T) {
	w := newTimeoutWorld(t)
	svc, acc := w.account(nil)
	ctx := t.Context()
	t0 := w.clock.Now().Add(300 * time.Millisecond)
	w.clock.Set(t0)
	c, _, _, err := svc.Start(ctx, visitorParty(acc, "v1"), chat.StartInput{Question: "anyone?"})
	if err != nil {
		t.Fatal(err)
	}
	due := chat.DueSecond(t0.Add(time.Minute))
	if got := w.chat(acc, c.ID).Wait; got.Kind != chat.TimerFirstResponse || !got.Due.Equal(due) {
		t.Fatalf("wait after the question: %+v, want a first-response timer at %v", got, due)
	}
	w.clock.Set(due.Add(-time.Second))
	if n := w.sweep(svc, acc, c.ID); n != 0 {
		t.Fatalf("a timeout acted %d times a second early", n)
	}
	w.clock.Set(due)
	if n := w.sweep(svc, acc, c.ID); n != 1 {
		t.Fatalf("the first-response timeout acted %d times, want 1", n)
	}
	w.clock.Set(due.Add(time.Second))
	if n := w.sweep(svc, acc, c.ID); n != 0 {
		t.Fatalf("a second sweep acted %d times", n)
	}
	got := w.chat(acc, c.ID)
	if got.BusyFirstAt.IsZero() || got.Wait.Due != (time.Time{}) || w.busyMessages(acc, c.ID) != 1 {
		t.Fatalf("after the timeout: %+v, %d busy messages", got, w.busyMessages(acc, c.ID))
	}
	if n := w.mailCount("busy-" + c.ID); n != 1 {
		t.Fatalf("%d alert mails, want 1", n)
	}
	if to := w.mails.to["busy-"+c.ID+"-"+chat.EventBusyFirst]; len(to) != 1 || to[0] != "boss@"+acc+".example" {
		t.Fatalf("alert mail to %v", to)
	}
	evs, err := w.s.Events(ctx, acc, t0.Add(-time.Hour), t0.Add(time.Hour))
	if err != nil || len(evs) != 1 || evs[0].Kind != chat.EventBusyFirst || evs[0].ChatID != c.ID {
		t.Fatalf("events: %+v, %v", evs, err)
	}
}

// TestNoTimeoutAfterAnswer: an operator's answer cancels the timer (its
// item is deleted with the message) and a fire of it would not act.
func TestNoTimeoutAfterAnswer(t *testing.T) {
	w := newTimeoutWorld(t)
	svc, acc := w.account(nil)
	ctx := t.Context()
	t0 := w.clock.Now()
	c, _, _, err := svc.Start(ctx, visitorParty(acc, "v1"), chat.StartInput{Question: "anyone?"})
	if err != nil {
		t.Fatal(err)
	}
	due := w.chat(acc, c.ID).Wait.Due
	w.clock.Set(t0.Add(10 * time.Second))
	if _, _, _, _, _, err := svc.Post(ctx, operatorParty(acc, "op1"), c.ID, "a1", "hello!"); err != nil {
		t.Fatal(err)
	}
	if left, _ := w.s.DueTimers(ctx, due.Unix()); len(left) != 0 {
		t.Fatalf("the answer left the timer: %+v", left)
	}
	if _, _, ok, err := svc.TimedOut(ctx, acc, c.ID, chat.TimerFirstResponse, due); err != nil || ok {
		t.Fatalf("a cancelled timer acted: %v %v", ok, err)
	}
	got := w.chat(acc, c.ID)
	if got.Outcome != chat.Answered || w.busyMessages(acc, c.ID) != 0 {
		t.Fatalf("after the answer: outcome %q, %d busy messages", got.Outcome, w.busyMessages(acc, c.ID))
	}
}

// TestAnswerTimeoutOncePerChat: after the first exchange a visitor's
// message unanswered for answerTimeout gets the busy message; the same in
// that chat again does not.
func TestAnswerTimeoutOncePerChat(t *testing.T) {
	w := newTimeoutWorld(t)
	svc, acc := w.account(nil)
	ctx := t.Context()
	v, op := visitorParty(acc, "v1"), operatorParty(acc, "op1")
	t0 := w.clock.Now()
	c, _, _, err := svc.Start(ctx, v, chat.StartInput{Question: "anyone?"})
	if err != nil {
		t.Fatal(err)
	}
	w.clock.Set(t0.Add(5 * time.Second))
	if _, _, _, _, _, err := svc.Post(ctx, op, c.ID, "a1", "yes?"); err != nil {
		t.Fatal(err)
	}
	for round := range 2 {
		start := w.clock.Now().Add(time.Second)
		w.clock.Set(start)
		if _, _, _, _, _, err := svc.Post(ctx, v, c.ID, fmt.Sprint("v", round), "and?"); err != nil {
			t.Fatal(err)
		}
		// A second message while waiting does not restart the wait.
		w.clock.Set(start.Add(30 * time.Second))
		if _, _, _, _, _, err := svc.Post(ctx, v, c.ID, fmt.Sprint("w", round), "hello??"); err != nil {
			t.Fatal(err)
		}
		wait := w.chat(acc, c.ID).Wait
		if round == 0 && (wait.Kind != chat.TimerAnswer || !wait.Due.Equal(chat.DueSecond(start.Add(2*time.Minute)))) {
			t.Fatalf("wait: %+v, want an answer timer from the first message", wait)
		}
		if round == 1 && !wait.Due.IsZero() {
			t.Fatalf("a second answer timer in one chat: %+v", wait)
		}
		w.clock.Set(chat.DueSecond(start.Add(2 * time.Minute)))
		want := 1 - round
		if n := w.sweep(svc, acc, c.ID); n != want {
			t.Fatalf("round %d: the answer timeout acted %d times, want %d", round, n, want)
		}
		w.clock.Set(w.clock.Now().Add(time.Second))
		if _, _, _, _, _, err := svc.Post(ctx, op, c.ID, fmt.Sprint("a", round+2), "sorry"); err != nil {
			t.Fatal(err)
		}
	}
	if n := w.busyMessages(acc, c.ID); n != 1 {
		t.Fatalf("%d busy messages, want 1", n)
	}
	if n := w.mailCount("busy-" + c.ID); n != 1 {
		t.Fatalf("%d alert mails, want 1", n)
	}
}

// TestZeroDisablesTimeouts: 0 schedules nothing; a timeout set to 0 after
// its timer started does not act either.
func TestZeroDisablesTimeouts(t *testing.T) {
	w := newTimeoutWorld(t)
	svc, acc := w.account(func(d *settings.Document) { d.AutoMessages.FirstResponseTimeout, d.AutoMessages.AnswerTimeout = 0, 0 })
	ctx := t.Context()
	v, op := visitorParty(acc, "v1"), operatorParty(acc, "op1")
	c, _, _, err := svc.Start(ctx, v, chat.StartInput{Question: "anyone?"})
	if err != nil {
		t.Fatal(err)
	}
	if wait := w.chat(acc, c.ID).Wait; !wait.Due.IsZero() || wait.Since.IsZero() {
		t.Fatalf("first response 0: %+v", wait)
	}
	if _, _, _, _, _, err := svc.Post(ctx, op, c.ID, "a1", "yes?"); err != nil {
		t.Fatal(err)
	}
	if _, _, _, _, _, err := svc.Post(ctx, v, c.ID, "v2", "and?"); err != nil {
		t.Fatal(err)
	}
	if wait := w.chat(acc, c.ID).Wait; !wait.Due.IsZero() {
		t.Fatalf("answer 0: %+v", wait)
	}

	// Switched off while the timer runs.
	svc2, acc2 := w.account(nil)
	c2, _, _, err := svc2.Start(ctx, visitorParty(acc2, "v1"), chat.StartInput{Question: "anyone?"})
	if err != nil {
		t.Fatal(err)
	}
	due := w.chat(acc2, c2.ID).Wait.Due
	w.setSettings(acc2, func(d *settings.Document) { d.AutoMessages.FirstResponseTimeout = 0 })
	w.clock.Set(due)
	if n := w.sweep(svc2, acc2, c2.ID); n != 0 || w.busyMessages(acc2, c2.ID) != 0 {
		t.Fatalf("a timeout switched off acted %d times", n)
	}
}

// TestAlertOncePerHalfHour: two chats of one account timing out within 30
// minutes send one alert mail; another account's chat sends its own; 30
// minutes later the account gets one again.
func TestAlertOncePerHalfHour(t *testing.T) {
	w := newTimeoutWorld(t)
	svcA, accA := w.account(nil)
	svcB, accB := w.account(nil)
	ctx := t.Context()
	start := func(svc *chat.Service, acc, visitor string) chat.Chat {
		c, _, _, err := svc.Start(ctx, visitorParty(acc, visitor), chat.StartInput{Question: "anyone?"})
		if err != nil {
			t.Fatal(err)
		}
		return w.chat(acc, c.ID)
	}
	t0 := w.clock.Now()
	a1, a2, b1 := start(svcA, accA, "v1"), start(svcA, accA, "v2"), start(svcB, accB, "v3")
	w.clock.Set(a1.Wait.Due)
	if n := w.sweep(svcA, accA, ""); n != 3 {
		t.Fatalf("%d timeouts acted, want 3", n)
	}
	if got := w.mailCount("busy-"+a1.ID) + w.mailCount("busy-"+a2.ID); got != 1 {
		t.Fatalf("account A got %d alert mails within 30 minutes, want 1", got)
	}
	if got := w.mailCount("busy-" + b1.ID); got != 1 {
		t.Fatalf("account B got %d alert mails, want its own", got)
	}
	// 29 minutes after the first alert: still none; 30 minutes: one.
	for _, tc := range []struct {
		after time.Duration
		want  int
	}{{29 * time.Minute, 0}, {30 * time.Minute, 1}} {
		w.clock.Set(t0.Add(tc.after))
		c := start(svcA, accA, fmt.Sprint("late", tc.after))
		w.clock.Set(c.Wait.Due)
		if n := w.sweep(svcA, accA, c.ID); n != 1 {
			t.Fatalf("%d timeouts acted", n)
		}
		if got := w.mailCount("busy-" + c.ID); got != tc.want {
			t.Fatalf("a timeout %v after the first alert's chat start sent %d mails, want %d", tc.after+time.Minute, got, tc.want)
		}
	}
}

// TestRefusalOrMissed: a visitor who leaves unanswered is a refusal if
// they waited less than refusalTimeout and missed from refusalTimeout on,
// whether they close the chat or lose their last connection; either way
// the chat leaves the waiting list for the missed one.
func TestRefusalOrMissed(t *testing.T) {
	w := newTimeoutWorld(t)
	svc, acc := w.account(nil)
	ctx := t.Context()
	posts := &postRecorder{}
	hub := &realtime.Hub{Store: w.s, Poster: posts, Now: w.clock.Now, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Chats: &realtime.Chats{Service: svc, Store: w.s, Settings: w.s.SettingsDocument, People: w.s, Timers: w.s}}
	op := chat.Party{AccountID: acc, Kind: chat.FromOperator, ID: "boss", Role: routes.Administrator}
	for i, tc := range []struct {
		waited     time.Duration
		disconnect bool
		want       chat.Outcome
	}{
		{30*time.Second - time.Millisecond, false, chat.Refusal},
		{30 * time.Second, false, chat.Missed},
		{29 * time.Second, true, chat.Refusal},
		{30 * time.Second, true, chat.Missed},
	} {
		v := visitorParty(acc, fmt.Sprint("v", i))
		t0 := w.clock.Now().Add(time.Minute).Truncate(time.Second)
		w.clock.Set(t0)
		c, _, _, err := svc.Start(ctx, v, chat.StartInput{Question: "anyone?"})
		if err != nil {
			t.Fatal(err)
		}
		if tc.disconnect {
			conn := realtime.Connection{ID: fmt.Sprint("conn-", acc, i), AccountID: acc, Kind: auth.Visitor, Subject: v.ID, ConnectedAt: t0}
			if err := w.s.PutConnection(ctx, conn); err != nil {
				t.Fatal(err)
			}
			w.clock.Set(t0.Add(tc.waited))
			if err := hub.Disconnect(ctx, conn.ID); err != nil {
				t.Fatal(err)
			}
			due := chat.DueSecond(t0.Add(tc.waited + chat.VisitorGrace))
			fired := timers.Timer{AccountID: acc, Subject: v.ID, Kind: chat.TimerVisitorGone, Due: due}
			w.clock.Set(due)
			if _, err := (&timers.Sweeper{Store: w.s, Now: w.clock.Now, Sleep: func(context.Context, time.Duration) error { return nil }}).Run(ctx); err != nil {
				t.Fatal(err)
			}
			if ok, err := w.s.TimerFired(ctx, fired); err != nil || !ok {
				t.Fatalf("the leaving grace did not fire: %v %v", ok, err)
			}
			for range 2 { // delivered twice
				if err := hub.VisitorGone(ctx, acc, v.ID, due); err != nil {
					t.Fatal(err)
				}
			}
		} else {
			w.clock.Set(t0.Add(tc.waited))
			if _, err := svc.Close(ctx, v, c.ID); err != nil {
				t.Fatal(err)
			}
		}
		got := w.chat(acc, c.ID)
		if got.Outcome != tc.want || got.LeftAt.IsZero() {
			t.Fatalf("case %d: waited %v, outcome %q (left %v), want %q", i, tc.waited, got.Outcome, got.LeftAt, tc.want)
		}
		wp, err := svc.Workplace(ctx, op)
		if err != nil {
			t.Fatal(err)
		}
		if hasChat(wp.Waiting, c.ID) || !hasChat(wp.Missed, c.ID) {
			t.Fatalf("case %d: the left chat is not (only) in the missed list: %+v", i, wp)
		}
	}
	// A visitor who comes back within the grace has not left.
	v := visitorParty(acc, "back")
	t0 := w.clock.Now().Add(time.Minute)
	w.clock.Set(t0)
	c, _, _, err := svc.Start(ctx, v, chat.StartInput{Question: "anyone?"})
	if err != nil {
		t.Fatal(err)
	}
	conn := realtime.Connection{ID: "conn-back-" + acc, AccountID: acc, Kind: auth.Visitor, Subject: v.ID, ConnectedAt: t0}
	if err := w.s.PutConnection(ctx, conn); err != nil {
		t.Fatal(err)
	}
	if err := hub.Disconnect(ctx, conn.ID); err != nil {
		t.Fatal(err)
	}
	conn.ID += "-2"
	if err := w.s.PutConnection(ctx, conn); err != nil {
		t.Fatal(err)
	}
	if err := hub.VisitorGone(ctx, acc, v.ID, chat.DueSecond(t0.Add(chat.VisitorGrace))); err != nil {
		t.Fatal(err)
	}
	if got := w.chat(acc, c.ID); got.Outcome != "" || !got.LeftAt.IsZero() {
		t.Fatalf("a visitor back within the grace left: %+v", got)
	}
}

func hasChat(cs []chat.Chat, id string) bool {
	for _, c := range cs {
		if c.ID == id {
			return true
		}
	}
	return false
}

// postRecorder is a Poster that keeps what was posted.
type postRecorder struct {
	mu     sync.Mutex
	frames map[string][][]byte
}

func (p *postRecorder) Post(_ context.Context, id string, frame []byte) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.frames == nil {
		p.frames = map[string][][]byte{}
	}
	p.frames[id] = append(p.frames[id], frame)
	return nil
}

func (p *postRecorder) Close(context.Context, string) error { return nil }
