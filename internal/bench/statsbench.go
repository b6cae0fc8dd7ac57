package bench

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"parley/internal/chat"
	"parley/internal/dynamo"
	"parley/internal/lambdas"
	"parley/internal/local/dynamolocal"
	"parley/internal/local/localaws"
	"parley/internal/routes"
	"parley/internal/settings"
	"parley/internal/stats"
)

// StatsOptions shape the statistics run.
type StatsOptions struct {
	Chats       int // chats counted over the year, in two halves
	ReportChats int // chats in the day the daily report covers
}

// StatsResult is what the statistics run measured: the requests (and read
// units) of a 30-day and a 365-day report after half and after all of
// the chats, and the daily report's requests per account.
type StatsResult struct {
	Month, Year         [2]Usage // after Chats/2 and after Chats chats
	ReportEmpty, Report Usage    // one account's daily report: no chats; ReportChats chats
}

// RunStatsAlone runs the statistics figures on a DynamoDB Local of its own
// (cmd/bench -only stats; make bench runs it with the rest).
func RunStatsAlone(ctx context.Context, root string, o StatsOptions, progress func(string)) (StatsResult, error) {
	db, err := dynamolocal.Start(ctx, dynamolocal.Options{Root: root})
	if err != nil {
		return StatsResult{}, err
	}
	defer db.Stop()
	return runStats(ctx, db.Endpoint(), o, progress)
}

// runStats counts o.Chats chats over a year (each chat's contribution
// added as the stream consumer adds it, one transaction per chat, with 20
// operators, 10 categories, 3 departments and 2 languages), then measures
// GET /v1/stats's reads through stats.Service; and the daily report of
// one account through stats.Daily's run.
func runStats(ctx context.Context, endpoint string, o StatsOptions, progress func(string)) (StatsResult, error) {
	var res StatsResult
	meter := &Meter{}
	db := dynamodb.NewFromConfig(localaws.Config(), func(op *dynamodb.Options) {
		op.BaseEndpoint = &endpoint
		op.APIOptions = append(op.APIOptions, meter.APIOptions()...)
	})
	table := fmt.Sprintf("parley-bench-stats-%d", time.Now().UnixNano())
	if err := dynamo.CreateTable(ctx, db, table); err != nil {
		return res, err
	}
	store := dynamo.New(db, table)
	acc := fmt.Sprintf("bench-stats-%d", time.Now().UnixNano())
	loc, _ := time.LoadLocation(settings.DefaultTimezone)
	end := time.Date(2030, 12, 31, 12, 0, 0, 0, loc)
	now := end
	svc := &stats.Service{Store: store, Zone: func(context.Context, string) (*time.Location, error) { return loc, nil }, Now: func() time.Time { return now }}
	measure := func(days int) (Usage, error) {
		before := meter.Snapshot()
		r, err := svc.Report(ctx, stats.Caller{AccountID: acc, Role: routes.Administrator},
			stats.Query{From: end.AddDate(0, 0, -(days - 1)).Format(time.DateOnly), To: end.Format(time.DateOnly)})
		if err == nil && len(r.Rows) != days {
			err = fmt.Errorf("a %d-day report has %d rows", days, len(r.Rows))
		}
		return meter.Snapshot().Sub(before), err
	}
	for half := range 2 {
		progress(fmt.Sprintf("statistics: counting chats %d to %d over a year", half*o.Chats/2, (half+1)*o.Chats/2))
		for i := half * o.Chats / 2; i < (half+1)*o.Chats/2; i++ {
			start := end.Add(-time.Duration(i%365) * 24 * time.Hour).Add(-time.Duration(i%600) * time.Minute)
			c := chat.Chat{AccountID: acc, ID: fmt.Sprintf("c%d", i), Status: chat.Closed, OperatorID: fmt.Sprintf("op-%02d", i%20),
				DepartmentID: fmt.Sprintf("dep-%d", i%3), Category: fmt.Sprintf("Category %d", i%10), Language: []string{"ru", "en"}[i%2],
				Day: chat.DayOf(start, loc), StartedAt: start, AnsweredAt: start.Add(time.Duration(5+i%200) * time.Second),
				ClosedAt: start.Add(10 * time.Minute), Outcome: chat.Answered, Rating: chat.Ratings[i%5], VisitorMessages: 10, OperatorMessages: 10}
			if err := store.Count(ctx, acc, fmt.Sprintf("rec-%d", i), stats.ChatDelta(nil, c)); err != nil {
				return res, err
			}
		}
		var err error
		if res.Month[half], err = measure(30); err != nil {
			return res, err
		}
		if res.Year[half], err = measure(365); err != nil {
			return res, err
		}
	}

	progress("statistics: the daily report of one account")
	doc, err := settings.NewAccountDocument("en", rand.Reader)
	if err != nil {
		return res, err
	}
	doc.Emails.DailyReports = []string{"daily@bench.example"}
	raw, _ := json.Marshal(doc)
	report := func(chats int) (Usage, error) {
		account := fmt.Sprintf("bench-report-%d-%d", chats, time.Now().UnixNano())
		if _, err := store.SaveSettings(ctx, dynamo.SettingsRecord{AccountID: account, Doc: string(raw), UpdatedBy: "bench"}, 0); err != nil {
			return Usage{}, err
		}
		day := time.Date(2030, 6, 1, 10, 0, 0, 0, loc)
		clock := day
		cs := lambdas.ChatService(store, func() time.Time { return clock })
		for i := range chats {
			clock = day.Add(time.Duration(i) * time.Minute)
			v := chat.Party{AccountID: account, Kind: chat.FromVisitor, ID: fmt.Sprintf("v%d", i)}
			if _, _, _, err := cs.Start(ctx, v, chat.StartInput{Question: "hello"}); err != nil {
				return Usage{}, err
			}
		}
		clock = time.Date(2030, 6, 2, 0, 5, 0, 0, loc)
		daily := &stats.Daily{Due: store, Days: store, Histories: store, Names: store.PeopleNames, Settings: store.SettingsDocument, Outbox: store,
			Now: func() time.Time { return clock }}
		if err := store.PutDue(ctx, stats.Due{AccountID: account, At: time.Date(2030, 6, 2, 0, 2, 0, 0, loc)}); err != nil {
			return Usage{}, err
		}
		before := meter.Snapshot()
		n, err := daily.Run(ctx)
		if err == nil && n != 1 {
			err = fmt.Errorf("the daily run served %d accounts, want 1", n)
		}
		return meter.Snapshot().Sub(before), err
	}
	if res.ReportEmpty, err = report(0); err != nil {
		return res, err
	}
	res.Report, err = report(o.ReportChats)
	return res, err
}

func printStats(p Printer, w io.Writer, o StatsOptions, r StatsResult) {
	p.Figure("stats_30d_requests", float64(r.Month[1].Total()), "requests")
	p.Figure("stats_30d_read_units", r.Month[1].ReadUnits, "RCU")
	p.Figure("stats_365d_requests", float64(r.Year[1].Total()), "requests")
	p.Figure("stats_365d_read_units", r.Year[1].ReadUnits, "RCU")
	p.Figure("stats_365d_requests_at_half_the_chats", float64(r.Year[0].Total()), "requests")
	p.Figure("daily_report_requests_per_account_no_chats", float64(r.ReportEmpty.Total()), "requests")
	p.Figure("daily_report_write_units_per_account_no_chats", r.ReportEmpty.WriteUnits, "WCU")
	p.Figure(fmt.Sprintf("daily_report_requests_per_account_%d_chats", o.ReportChats), float64(r.Report.Total()), "requests")
	p.Figure(fmt.Sprintf("daily_report_read_units_per_account_%d_chats", o.ReportChats), r.Report.ReadUnits, "RCU")
	p.Figure(fmt.Sprintf("daily_report_write_units_per_account_%d_chats", o.ReportChats), r.Report.WriteUnits, "WCU")
	fmt.Fprintf(w, "# stats: %d chats counted over 365 days (20 operators, 10 categories, 3 departments, 2 languages); the report reads one item per day whatever the chats (365-day requests with %d chats: %d, with %d: %d)\n",
		o.Chats, o.Chats/2, r.Year[0].Total(), o.Chats, r.Year[1].Total())
	fmt.Fprintf(w, "# daily report: one account's run (4 due-hour Queries, settings, the day item, people, the day's chats and one Query of messages per chat, the mail put, the due item moved); requests by operation with %d chats: %v\n",
		o.ReportChats, r.Report.Requests)
}
