package stats

import (
	"context"
	"crypto/rand"
	"testing"
	"time"

	"parley/internal/chat"
	"parley/internal/mail"
	"parley/internal/settings"
)

type memDue map[string]map[string]Due // hour -> account -> due

func (m memDue) DueIn(_ context.Context, hour string) ([]Due, error) {
	var out []Due
	for _, d := range m[hour] {
		out = append(out, d)
	}
	return out, nil
}
func (m memDue) PutDue(_ context.Context, d Due) error {
	if m[HourKey(d.At)] == nil {
		m[HourKey(d.At)] = map[string]Due{}
	}
	m[HourKey(d.At)][d.AccountID] = d
	return nil
}
func (m memDue) DeleteDue(_ context.Context, d Due) error {
	delete(m[HourKey(d.At)], d.AccountID)
	return nil
}

// memOutbox stores a mail id once, as the table's outbox does.
type memOutbox map[string]mail.Message

func (m memOutbox) Enqueue(_ context.Context, msg mail.Message) error {
	if _, ok := m[msg.ID]; !ok {
		m[msg.ID] = msg
	}
	return nil
}
func (m memOutbox) MarkSent(context.Context, string, string) (bool, error) { return true, nil }
func (m memOutbox) Sent(context.Context, string, string) (bool, error)     { return false, nil }

type noDays struct{}

func (noDays) Days(context.Context, string, string, string) ([]Day, error) { return nil, nil }
func (noDays) Count(context.Context, string, string, []DayDelta) error     { return nil }
func (noDays) ListChats(context.Context, string, chat.Query) (chat.Page, error) {
	return chat.Page{}, nil
}
func (noDays) Messages(context.Context, string, string, int64, int) ([]chat.Message, error) {
	return nil, nil
}

// The daily report across a change of zone on the day: Moscow's report
// of the 15th goes at Moscow's midnight; the account moves to Los Angeles
// that evening, whose midnight ends the 15th again (nothing new), while
// the stale Moscow item fires once more and finds the 15th sent; Los
// Angeles' next midnight sends the 16th. Runs twice each time.
func TestDailyReportOncePerDayAcrossAZoneChange(t *testing.T) {
	doc, err := settings.NewAccountDocument("en", rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	doc.Emails.DailyReports = []string{"daily@acme.example"}
	doc.Company.Timezone = "Europe/Moscow"
	now := time.Date(2030, 1, 15, 9, 0, 0, 0, time.UTC)
	due, out := memDue{}, memOutbox{}
	var hours []string
	spy := spyDue{memDue: due, hours: &hours}
	d := &Daily{Due: spy, Days: noDays{}, Histories: noDays{}, Outbox: out, Now: func() time.Time { return now },
		Names:    func(context.Context, string) (map[string]string, error) { return nil, nil },
		Settings: func(context.Context, string) (settings.Document, error) { return doc, nil }}
	ctx := t.Context()
	if err := d.Schedule(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	run := func(at time.Time) {
		t.Helper()
		now = at
		for range 2 {
			if _, err := d.Run(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	run(time.Date(2030, 1, 15, 21, 3, 0, 0, time.UTC)) // 00:03 in Moscow on the 16th
	if _, ok := out[ReportID("2030-01-15")]; !ok || len(out) != 1 {
		t.Fatalf("after Moscow's midnight: %v", keys(out))
	}
	now = time.Date(2030, 1, 16, 3, 0, 0, 0, time.UTC)
	doc.Company.Timezone = "America/Los_Angeles" // 19:00 on the 15th there
	if err := d.Schedule(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	run(time.Date(2030, 1, 16, 8, 3, 0, 0, time.UTC))  // 00:03 in LA on the 16th: the 15th again
	run(time.Date(2030, 1, 16, 21, 3, 0, 0, time.UTC)) // Moscow's item, if any were left
	if len(out) != 1 {
		t.Fatalf("a second mail for a day: %v", keys(out))
	}
	run(time.Date(2030, 1, 17, 8, 3, 0, 0, time.UTC))
	if _, ok := out[ReportID("2030-01-16")]; !ok || len(out) != 2 {
		t.Fatalf("after LA's next midnight: %v", keys(out))
	}
	if m := out[ReportID("2030-01-15")]; m.Subject != "Statistics for 2030-01-15" || m.To[0] != "daily@acme.example" {
		t.Errorf("report mail: %+v", m)
	}
	if len(hours) != 4*2*(lookback+1) {
		t.Errorf("the runs read %d hour partitions, want %d: the work must not grow with accounts not due", len(hours), 4*2*(lookback+1))
	}
}

type spyDue struct {
	memDue
	hours *[]string
}

func (s spyDue) DueIn(ctx context.Context, hour string) ([]Due, error) {
	*s.hours = append(*s.hours, hour)
	return s.memDue.DueIn(ctx, hour)
}

func keys(m memOutbox) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
