package faults_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"parley/internal/chat"
	"parley/internal/dynamo"
	"parley/internal/lambdas"
	"parley/internal/local/seslocal"
	"parley/internal/realtime"
	"parley/internal/routes"
	"parley/internal/settings"
	"parley/internal/stats"
	"parley/internal/stream"
	"parley/internal/timers"
)

// TestStatsScriptedDay: a scripted day in each of three zones (chats
// answered, one after a busy message, refused, missed, an offline
// request, a rating, a category), the stream consumer counting with every
// batch delivered once and then twice; the daily report runs twice after
// the local midnight. Both give the same figures, the ones the script
// did, on the local day the chats started, and one report in the local
// SES with those figures.
func TestStatsScriptedDay(t *testing.T) {
	for _, zone := range []string{"Europe/Moscow", "America/Los_Angeles", "Asia/Kamchatka"} {
		t.Run(strings.ReplaceAll(zone, "/", "_"), func(t *testing.T) {
			once := scriptedDay(t, zone, false)
			twice := scriptedDay(t, zone, true)
			want := dayFigures{Chats: 4, Answered: 2, Missed: 1, Refusals: 1, Offline: 1, BusyFirst: 1, Excellent: 1, Sales: 1, Op1: 1, Op2: 1,
				VisitorMessages: 6, OperatorMessages: 2, FirstCount: 2, Reports: 1}
			if diff := cmp.Diff(want, once); diff != "" {
				t.Errorf("figures (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(once, twice); diff != "" {
				t.Errorf("replay changed the figures (-once +twice):\n%s", diff)
			}
		})
	}
}

type dayFigures struct {
	Chats, Answered, Missed, Refusals, Offline, BusyFirst, Excellent int64
	Sales, Op1, Op2                                                  int64
	VisitorMessages, OperatorMessages, FirstCount                    int64
	Reports                                                          int // report mails in the local SES with these figures
}

func scriptedDay(t *testing.T, zone string, replay bool) dayFigures {
	w := newWorld(t)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	loc, err := time.LoadLocation(zone)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := settings.NewAccountDocument("en", rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	doc.Company.Name, doc.Company.Timezone = "Acme", zone
	doc.Emails.LeftMessages, doc.Emails.NegativeReviews, doc.Emails.DailyReports = []string{w.addr("left")}, []string{w.addr("neg")}, []string{w.addr("daily")}
	doc.Classification.Categories = "Sales\nSupport"
	raw, _ := json.Marshal(doc)
	if _, err := w.check.SaveSettings(ctx, dynamo.SettingsRecord{AccountID: w.acc, Doc: string(raw), UpdatedBy: "admin"}, 0); err != nil {
		t.Fatal(err)
	}
	// 23:50 local: late, so a day counted in UTC or another zone would
	// show in the wrong day.
	now := time.Date(2030, 1, 15, 23, 50, 0, 0, loc)
	clock := func() time.Time { return now }
	w.check.Now = clock
	svc := lambdas.ChatService(w.check, clock)
	vis := func(name string) chat.Party {
		return chat.Party{AccountID: w.acc, Kind: chat.FromVisitor, ID: "v-" + name}
	}
	op1 := chat.Party{AccountID: w.acc, Kind: chat.FromOperator, ID: "op-1", Role: routes.Operator}
	op2 := chat.Party{AccountID: w.acc, Kind: chat.FromOperator, ID: "op-2", Role: routes.Operator}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	ids := map[string]string{}
	for _, n := range []string{"a", "b", "c", "d"} {
		c, _, _, err := svc.Start(ctx, vis(n), chat.StartInput{Question: "anyone?"})
		must(err)
		ids[n] = c.ID
	}
	now = now.Add(5 * time.Second)
	_, err = svc.Close(ctx, vis("c"), ids["c"]) // a refusal: left within refusalTimeout
	must(err)
	now = now.Add(15 * time.Second)
	_, _, _, _, _, err = svc.Post(ctx, op1, ids["a"], "a1", "hello")
	must(err)
	_, err = svc.SetCategory(ctx, op1, ids["a"], "sales")
	must(err)
	_, _, _, _, _, err = svc.Post(ctx, vis("a"), ids["a"], "v2", "thanks")
	must(err)
	_, err = svc.Rate(ctx, vis("a"), ids["a"], "excellent")
	must(err)
	now = now.Add(40 * time.Second) // d waited a minute: missed
	_, err = svc.Close(ctx, vis("d"), ids["d"])
	must(err)
	now = chat.DueSecond(now.Add(time.Second)) // b's first-response timeout is due
	sw := &timers.Sweeper{Store: w.check, Now: clock, Sleep: func(context.Context, time.Duration) error { return nil }, Lookback: time.Minute}
	_, err = sw.Run(ctx)
	must(err)
	_, err = svc.LeaveMessage(ctx, vis("e"), chat.OfflineInput{Name: "Eve", Contact: "+100", Text: "call me"})
	must(err)

	day := "2030-01-15"
	st := &stats.Service{Store: w.check, Zone: func(context.Context, string) (*time.Location, error) { return loc, nil }, Now: clock}
	report := func() stats.Result {
		res, err := st.Report(ctx, stats.Caller{AccountID: w.acc, Role: routes.Administrator}, stats.Query{From: day, To: "2030-01-16", GroupBy: stats.ByDay})
		must(err)
		return res
	}
	daily := &stats.Daily{Due: w.check, Days: w.check, Histories: w.check, Names: w.check.PeopleNames, Settings: w.check.SettingsDocument, Outbox: w.check, Now: clock}
	answered, reported := false, false
	counted := func() bool {
		r := report()
		return r.Totals.Chats == 4 && r.Totals.Offline == 1 && r.Totals.BusyFirst == 1 && r.Totals.Answered == 2 && r.Totals.Ratings["excellent"] == 1
	}
	w.runWith(ctx, w.clean, w.sesClient(), replay, func() bool {
		if !answered {
			// b's busy message comes from the consumer; then op-2 answers.
			if report().Totals.BusyFirst != 1 {
				return false
			}
			now = now.Add(10 * time.Second)
			_, _, _, _, _, err = svc.Post(ctx, op2, ids["b"], "b1", "sorry for the wait")
			must(err)
			answered = true
		}
		if !reported {
			if !counted() {
				return false
			}
			// After the local midnight: the schedule fires twice.
			now = time.Date(2030, 1, 16, 0, 3, 0, 0, loc)
			for range 2 {
				n, err := daily.Run(ctx)
				if err != nil || n > 1 {
					t.Fatalf("daily run served %d accounts (%v)", n, err)
				}
			}
			reported = true
		}
		sent, err := w.check.Sent(ctx, w.acc, stats.ReportID(day))
		must(err)
		return sent
	}, func(r *stream.Consumer, store *dynamo.Store) {
		store.Now = clock
		r.Stats, r.Zone = store, st.Zone
		live := lambdas.ChatService(store, clock)
		r.Waits = &realtime.Hub{Store: store, Poster: quietPoster{}, Now: clock, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
			Chats: &realtime.Chats{Service: live, Store: store, Settings: store.SettingsDocument, People: store, Timers: store}}
		r.Reports = &stats.Daily{Due: store, Days: store, Histories: store, Names: store.PeopleNames, Settings: store.SettingsDocument, Outbox: store, Now: clock}
	})
	res := report()
	if len(res.Rows) != 2 || res.Rows[0].Chats != 4 || res.Rows[1].Chats != 0 {
		t.Errorf("the chats are not all on the local day %s: %+v", day, res.Rows)
	}
	tot := res.Totals
	f := dayFigures{Chats: tot.Chats, Answered: tot.Answered, Missed: tot.Missed, Refusals: tot.Refusals, Offline: tot.Offline, BusyFirst: tot.BusyFirst,
		Excellent: tot.Ratings["excellent"], VisitorMessages: tot.VisitorMessages, OperatorMessages: tot.OperatorMessages, FirstCount: tot.FirstResponse.Count}
	byCat, err := st.Report(ctx, stats.Caller{AccountID: w.acc, Role: routes.Administrator}, stats.Query{From: day, To: day, GroupBy: stats.Category})
	must(err)
	for _, r := range byCat.Rows {
		if r.Key == "Sales" {
			f.Sales = r.Chats
		}
	}
	byOp, err := st.Report(ctx, stats.Caller{AccountID: w.acc, Role: routes.Administrator}, stats.Query{From: day, To: day, GroupBy: stats.Operator})
	must(err)
	for _, r := range byOp.Rows {
		switch r.Key {
		case "op-1":
			f.Op1 = r.Chats
		case "op-2":
			f.Op2 = r.Chats
		}
	}
	all, err := seslocal.Store(ctx, w.ses)
	must(err)
	for _, m := range all {
		if !strings.Contains(strings.Join(m.To(), ","), w.addr("daily")) {
			continue
		}
		body := m.Body.Text
		if m.Subject == "Statistics for "+day && strings.Contains(body, "Chats: 4, answered: 2, missed: 1, refusals: 1") &&
			strings.Contains(body, "Offline requests: 1") && strings.Contains(body, "Busy messages: first response 1, answer 0") &&
			strings.Contains(body, "Ratings: excellent 1,") && strings.Contains(body, "Sales") && strings.Contains(body, "Powered by Parley") {
			f.Reports++
		} else {
			t.Errorf("an unexpected report: %s\n%s", m.Subject, body)
		}
	}
	return f
}
