package stats

import (
	"context"
	"fmt"
	"strings"
	"time"

	"parley/internal/chat"
	"parley/internal/mail"
	"parley/internal/settings"
)

// The daily report (SPEC §4.8). Each account has one due item, keyed by
// the UTC hour its next report is due and the account: it is written when
// the account is created or its zone changes (Schedule), and moved to the
// next local midnight each time it fires (Run). A run reads only the few
// hours' partitions up to now, so finding the accounts due costs the same
// whatever the number of accounts not due. Exactly one mail per account
// per day: its id is the day's, and the outbox stores an id once, so a
// second run, a retried one or a stale due item of the account's old zone
// queue nothing new.

// ReportDelay is how long after local midnight a report waits, so the
// stream consumer has counted the day's last changes.
const ReportDelay = 2 * time.Minute

// MaxReportChats bounds the histories a report carries (and so its cost
// and size); the figures always count every chat.
const MaxReportChats = 300

// inlineHistories is the longest histories text kept in the body; longer
// ones go as an attachment, capped at maxHistoriesBytes.
const (
	inlineHistories   = 8 * 1024
	maxHistoriesBytes = 256 * 1024
)

// Due is an account's next report.
type Due struct {
	AccountID string
	At        time.Time
}

// HourKey is the partition a due time falls in.
func HourKey(t time.Time) string { return t.UTC().Format("2006-01-02T15") }

// DueStore keeps the due items.
type DueStore interface {
	// DueIn lists the due items of one hour's partition: one Query.
	DueIn(ctx context.Context, hour string) ([]Due, error)
	PutDue(ctx context.Context, d Due) error
	DeleteDue(ctx context.Context, d Due) error
}

// Histories reads a day's chats and their messages (dynamo.Store).
type Histories interface {
	ListChats(ctx context.Context, accountID string, q chat.Query) (chat.Page, error)
	Messages(ctx context.Context, accountID, chatID string, after int64, limit int) ([]chat.Message, error)
}

// Names maps an account's person ids to their names.
type Names func(ctx context.Context, accountID string) (map[string]string, error)

// Daily sends the daily reports.
type Daily struct {
	Due       DueStore
	Days      Store
	Histories Histories
	Names     Names
	Settings  func(ctx context.Context, accountID string) (settings.Document, error)
	Outbox    mail.Outbox
	Now       func() time.Time
}

// NextDue is the first local midnight after now, plus ReportDelay.
func NextDue(now time.Time, loc *time.Location) time.Time {
	y, m, d := now.In(loc).Date()
	return time.Date(y, m, d+1, 0, 0, 0, 0, loc).Add(ReportDelay)
}

// Schedule writes an account's due item for its zone's next midnight.
func (s *Daily) Schedule(ctx context.Context, accountID string) error {
	doc, err := s.Settings(ctx, accountID)
	if err != nil {
		return err
	}
	return s.Due.PutDue(ctx, Due{AccountID: accountID, At: NextDue(s.Now(), doc.Company.Location())})
}

// lookback is how many hours back a run looks for due items, so a run
// that failed or was skipped is caught up by the next ones.
const lookback = 3

// Run sends the reports due by now and moves their due items on. It
// returns how many accounts it served.
func (s *Daily) Run(ctx context.Context) (int, error) {
	now := s.Now()
	n := 0
	for h := lookback; h >= 0; h-- {
		dues, err := s.Due.DueIn(ctx, HourKey(now.Add(-time.Duration(h)*time.Hour)))
		if err != nil {
			return n, err
		}
		for _, d := range dues {
			if d.At.After(now) {
				continue
			}
			if err := s.serve(ctx, d, now); err != nil {
				return n, err
			}
			n++
		}
	}
	return n, nil
}

// serve queues the report of the day that has just ended in the account's
// current zone, then moves the due item to the next midnight.
func (s *Daily) serve(ctx context.Context, d Due, now time.Time) error {
	doc, err := s.Settings(ctx, d.AccountID)
	if err != nil {
		return err
	}
	loc := doc.Company.Location()
	y, m, dd := now.In(loc).Date()
	start, end := time.Date(y, m, dd-1, 0, 0, 0, 0, loc), time.Date(y, m, dd, 0, 0, 0, 0, loc)
	if len(doc.Emails.DailyReports) > 0 {
		msg, err := s.Compose(ctx, d.AccountID, doc, start, end)
		if err != nil {
			return err
		}
		if err := s.Outbox.Enqueue(ctx, msg); err != nil {
			return err
		}
	}
	next := Due{AccountID: d.AccountID, At: NextDue(now, loc)}
	if err := s.Due.PutDue(ctx, next); err != nil {
		return err
	}
	if HourKey(next.At) != HourKey(d.At) {
		return s.Due.DeleteDue(ctx, d)
	}
	return nil
}

// ReportID is the mail id of an account's report of day: the key that
// makes it one per day.
func ReportID(day string) string { return "daily-report-" + day }

// Compose builds the report of [start, end) (one local day).
func (s *Daily) Compose(ctx context.Context, accountID string, doc settings.Document, start, end time.Time) (mail.Message, error) {
	day := start.Format(time.DateOnly)
	days, err := s.Days.Days(ctx, accountID, day, day)
	if err != nil {
		return mail.Message{}, err
	}
	names, err := s.Names(ctx, accountID)
	if err != nil {
		return mail.Message{}, err
	}
	d0, _ := time.Parse(time.DateOnly, day)
	_, totals := Build(days, d0, d0, ByDay, Key{Dim: Total})
	byOp, _ := Build(days, d0, d0, Operator, Key{Dim: Total})
	byCat, _ := Build(days, d0, d0, Category, Key{Dim: Total})
	t := reportTexts(doc.Company.Language)
	var b strings.Builder
	fmt.Fprintf(&b, t["title"]+"\n\n", day, doc.Company.Location().String())
	writeFigures(&b, t, totals.Figures, "")
	section := func(title string, rows []Row, label func(string) string) {
		if len(rows) == 0 {
			return
		}
		fmt.Fprintf(&b, "\n%s\n", title)
		for _, r := range rows {
			fmt.Fprintf(&b, "\n%s\n", label(r.Key))
			writeFigures(&b, t, r.Figures, "  ")
		}
	}
	section(t["byOperator"], byOp, func(id string) string {
		if n := names[id]; n != "" {
			return n
		}
		return id
	})
	section(t["byCategory"], byCat, func(c string) string { return c })
	histories, count, err := s.histories(ctx, accountID, doc, start, end)
	if err != nil {
		return mail.Message{}, err
	}
	msg := mail.Message{AccountID: accountID, ID: ReportID(day), To: doc.Emails.DailyReports, Subject: fmt.Sprintf(t["subject"], day),
		CreatedAt: s.Now().UTC()}
	switch {
	case count == 0:
		fmt.Fprintf(&b, "\n%s\n", t["noChats"])
	case len(histories) <= inlineHistories:
		fmt.Fprintf(&b, "\n%s\n\n%s", t["histories"], histories)
	default:
		if len(histories) > maxHistoriesBytes {
			histories = histories[:maxHistoriesBytes] + "\n…\n"
		}
		fmt.Fprintf(&b, "\n%s\n", fmt.Sprintf(t["attached"], count))
		msg.Attachments = []mail.Attachment{{Name: "chats-" + day + ".txt", ContentType: "text/plain; charset=utf-8", Data: []byte(histories)}}
	}
	msg.Text = mail.Signer{CompanyName: doc.Company.Name, Website: doc.Company.Website, Language: doc.Company.Language}.Sign(b.String())
	return msg, nil
}

// histories renders the day's chats (at most MaxReportChats), oldest
// first, each with its transcript.
func (s *Daily) histories(ctx context.Context, accountID string, doc settings.Document, start, end time.Time) (string, int, error) {
	var chats []chat.Chat
	q := chat.Query{From: start, To: end, Limit: 100}
	for len(chats) < MaxReportChats {
		page, err := s.Histories.ListChats(ctx, accountID, q)
		if err != nil {
			return "", 0, err
		}
		chats = append(chats, page.Chats...)
		if page.Next == "" {
			break
		}
		q.Cursor = page.Next
	}
	if len(chats) > MaxReportChats {
		chats = chats[:MaxReportChats]
	}
	var b strings.Builder
	loc := doc.Company.Location()
	for i := len(chats) - 1; i >= 0; i-- { // the history is newest first
		c := chats[i]
		ms, err := s.Histories.Messages(ctx, accountID, c.ID, 0, 0)
		if err != nil {
			return "", 0, err
		}
		fmt.Fprintf(&b, "=== %s %s", c.StartedAt.In(loc).Format("15:04"), c.ID)
		if c.Category != "" {
			fmt.Fprintf(&b, " [%s]", c.Category)
		}
		if c.Outcome != "" {
			fmt.Fprintf(&b, " (%s)", c.Outcome)
		}
		b.WriteString("\n" + chat.Transcript(doc, ms) + "\n")
	}
	return b.String(), len(chats), nil
}

func writeFigures(b *strings.Builder, t map[string]string, f Figures, indent string) {
	fmt.Fprintf(b, indent+t["chats"]+"\n", f.Chats, f.Answered, f.Missed, f.Refusals)
	fmt.Fprintf(b, indent+t["offline"]+"\n", f.Offline)
	fmt.Fprintf(b, indent+t["busy"]+"\n", f.BusyFirst, f.BusyAnswer)
	fmt.Fprintf(b, indent+t["ratings"]+"\n", f.Ratings["excellent"], f.Ratings["good"], f.Ratings["satisfactory"], f.Ratings["poor"], f.Ratings["bad"])
	if f.FirstResponse.Avg != nil {
		fmt.Fprintf(b, indent+t["frt"]+"\n", *f.FirstResponse.Avg, *f.FirstResponse.Median, *f.FirstResponse.P90)
	}
}

var texts = map[string]map[string]string{
	"en": {
		"subject":    "Statistics for %s",
		"title":      "Statistics for %s (%s)",
		"chats":      "Chats: %d, answered: %d, missed: %d, refusals: %d",
		"offline":    "Offline requests: %d",
		"busy":       "Busy messages: first response %d, answer %d",
		"ratings":    "Ratings: excellent %d, good %d, satisfactory %d, poor %d, bad %d",
		"frt":        "First response, s: average %.1f, median %.1f, p90 %.1f",
		"byOperator": "By operator",
		"byCategory": "By category",
		"histories":  "Chat histories",
		"attached":   "The histories of the day's %d chats are attached.",
		"noChats":    "No chats that day.",
	},
	"ru": {
		"subject":    "Статистика за %s",
		"title":      "Статистика за %s (%s)",
		"chats":      "Чатов: %d, отвечено: %d, пропущено: %d, отказов: %d",
		"offline":    "Офлайн-сообщений: %d",
		"busy":       "Сообщений «операторы заняты»: первый ответ %d, ответ %d",
		"ratings":    "Оценки: отлично %d, хорошо %d, удовлетворительно %d, плохо %d, очень плохо %d",
		"frt":        "Первый ответ, с: среднее %.1f, медиана %.1f, p90 %.1f",
		"byOperator": "По операторам",
		"byCategory": "По категориям",
		"histories":  "История чатов",
		"attached":   "История %d чатов за день — во вложении.",
		"noChats":    "Чатов за день не было.",
	},
}

func reportTexts(lang string) map[string]string {
	if t, ok := texts[lang]; ok {
		return t
	}
	return texts["en"]
}
