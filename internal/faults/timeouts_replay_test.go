package faults_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"parley/internal/chat"
	"parley/internal/dynamo"
	"parley/internal/lambdas"
	"parley/internal/realtime"
	"parley/internal/routes"
	"parley/internal/stream"
	"parley/internal/timers"
)

// quietPoster takes every frame (no client is connected in this test).
type quietPoster struct{}

func (quietPoster) Post(context.Context, string, []byte) error { return nil }
func (quietPoster) Close(context.Context, string) error        { return nil }

// TestTimeoutsReplay: two chats whose first message nobody answers, one
// answered in time and one its visitor closes after 5 s; the sweeper fires
// the due timers and the stream consumer acts on them, once with every
// batch delivered once and once with every batch delivered twice. Both
// end with one busy message in each timed-out chat, the same event records
// (two busy, one answered, one refusal), the same items, and one alert
// mail in the local SES (both timeouts fall in one 30-minute window).
func TestTimeoutsReplay(t *testing.T) {
	type outcome struct {
		Busy   map[string]int // busy messages by chat name
		Events []string
		Items  map[string]int
		Mails  map[string]int
	}
	scenario := func(t *testing.T, replay bool) outcome {
		w := newWorld(t)
		ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
		defer cancel()
		w.settings(ctx, 1, "Acme")
		now := time.Date(2030, 1, 1, 10, 0, 0, 0, time.UTC)
		clock := func() time.Time { return now }
		w.check.Now = clock
		svc := lambdas.ChatService(w.check, clock)
		ids := map[string]string{}
		for _, name := range []string{"a", "b", "c", "d"} {
			c, _, _, err := svc.Start(ctx, chat.Party{AccountID: w.acc, Kind: chat.FromVisitor, ID: "v-" + name}, chat.StartInput{Question: "anyone?"})
			if err != nil {
				t.Fatal(err)
			}
			ids[name] = c.ID
		}
		now = now.Add(5 * time.Second)
		if _, err := svc.Close(ctx, chat.Party{AccountID: w.acc, Kind: chat.FromVisitor, ID: "v-d"}, ids["d"]); err != nil {
			t.Fatal(err)
		}
		now = now.Add(5 * time.Second)
		op := chat.Party{AccountID: w.acc, Kind: chat.FromOperator, ID: "op-1", Role: routes.Operator}
		if _, _, _, _, _, err := svc.Post(ctx, op, ids["c"], "a1", "here!"); err != nil {
			t.Fatal(err)
		}
		now = chat.DueSecond(now.Add(50 * time.Second))
		sw := &timers.Sweeper{Store: w.check, Now: clock, Sleep: func(context.Context, time.Duration) error { return nil }, Lookback: time.Second}
		if n, err := sw.Run(ctx); err != nil || n != 3 { // a, b, and d's (which finds the chat closed)
			t.Fatalf("the sweeper fired %d timers (%v), want 3", n, err)
		}
		events := func() []chat.Event {
			evs, err := w.check.Events(ctx, w.acc, now.Add(-time.Hour), now.Add(time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			return evs
		}
		allSent := w.allSent(ctx)
		w.mailTo = []string{w.addr("neg")}
		w.runWith(ctx, w.clean, w.sesClient(), replay, func() bool { return len(events()) == 4 && allSent() },
			func(r *stream.Consumer, store *dynamo.Store) {
				store.Now = clock
				live := lambdas.ChatService(store, clock)
				hub := &realtime.Hub{Store: store, Poster: quietPoster{}, Now: clock, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
					Chats: &realtime.Chats{Service: live, Store: store, Settings: store.SettingsDocument, People: store, Timers: store}}
				r.Waits, r.Events, r.Alerts = hub, store, live
			})
		var o outcome
		o.Busy = map[string]int{}
		doc, err := w.check.SettingsDocument(ctx, w.acc)
		if err != nil {
			t.Fatal(err)
		}
		byID := map[string]string{}
		for name, id := range ids {
			byID[id] = name
			ms, err := w.check.Messages(ctx, w.acc, id, 0, 0)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range ms {
				if m.From == chat.FromSystem && m.Text == doc.AutoMessages.BusyMessage {
					o.Busy[name]++
				}
			}
		}
		for _, e := range events() {
			o.Events = append(o.Events, fmt.Sprintf("%s %s %s", byID[e.ChatID], e.Kind, e.Outcome))
		}
		slices.Sort(o.Events)
		o.Items = map[string]int{}
		p := dynamodb.NewScanPaginator(w.clean, &dynamodb.ScanInput{TableName: aws.String(w.table), ConsistentRead: aws.Bool(true)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, it := range page.Items {
				if typ, _ := it["type"].(*ddbtypes.AttributeValueMemberS); typ != nil && typ.Value != "queue" {
					o.Items[typ.Value]++
				}
			}
		}
		o.Mails = w.delivered(ctx)
		return o
	}
	once := scenario(t, false)
	twice := scenario(t, true)
	if diff := cmp.Diff(map[string]int{"a": 1, "b": 1}, once.Busy); diff != "" {
		t.Errorf("busy messages (-want +got):\n%s", diff)
	}
	if len(once.Events) != 4 {
		t.Errorf("events: %v, want a and b busy, c answered, d refusal", once.Events)
	}
	if diff := cmp.Diff(map[string]int{"neg-TAG@acme.example | A visitor waited too long for an answer": 1}, once.Mails); diff != "" {
		t.Errorf("mails (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(once, twice); diff != "" {
		t.Errorf("replay changed the outcome (-once +twice):\n%s", diff)
	}
}
