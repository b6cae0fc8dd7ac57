package stats

import (
	"context"
	"slices"
	"time"

	"parley/internal/apperr"
	"parley/internal/auth"
)

// MaxDays is the longest range a report covers: a leap year and a day, so
// "the same date a year ago" to today fits.
const MaxDays = 367

// Store keeps the day items: one per account and day, holding every
// dimension's counters.
type Store interface {
	// Days returns the stored days of [from, to] (YYYY-MM-DD): one Query
	// (a page per 1 MB), whatever the number of chats.
	Days(ctx context.Context, accountID, from, to string) ([]Day, error)
	// Count adds deltas to their days once per recordID: a second call
	// with the same id changes nothing.
	Count(ctx context.Context, accountID, recordID string, deltas []DayDelta) error
}

// Zone returns an account's time zone (company.timezone).
type Zone func(ctx context.Context, accountID string) (*time.Location, error)

// Service answers GET /v1/stats.
type Service struct {
	Store Store
	Zone  Zone
	Now   func() time.Time
}

// Caller is who asks.
type Caller struct {
	AccountID string
	PersonID  string
	Role      auth.Role
}

// Query is a report's range and grouping as the request gives them.
type Query struct {
	From, To string // YYYY-MM-DD, both included; default the last 30 days
	GroupBy  string // default day
}

// Result is a report.
type Result struct {
	From    string  `json:"from"`
	To      string  `json:"to"`
	GroupBy string  `json:"groupBy"`
	Zone    string  `json:"timezone"`
	Bounds  []int64 `json:"histogramBoundsSec"`
	Rows    []Row   `json:"rows"`
	Totals  Row     `json:"totals"`
}

// Report reads the days of q's range and groups them. An operator sees
// only their own figures. Errors: apperr.Invalid (with fields from, to,
// groupBy), apperr.Forbidden.
func (s *Service) Report(ctx context.Context, c Caller, q Query) (Result, error) {
	loc, err := s.Zone(ctx, c.AccountID)
	if err != nil {
		return Result{}, err
	}
	from, to, groupBy, err := q.parse(s.Now().In(loc))
	if err != nil {
		return Result{}, err
	}
	base := Key{Dim: Total}
	if c.Role == auth.Operator {
		if groupBy != ByDay && groupBy != ByWeek && groupBy != ByMonth && groupBy != Operator {
			return Result{}, apperr.New(apperr.Forbidden, "operators see their own figures only: group them by day, week, month or operator")
		}
		base = Key{Dim: Operator, Value: c.PersonID}
	}
	days, err := s.Store.Days(ctx, c.AccountID, from.Format(time.DateOnly), to.Format(time.DateOnly))
	if err != nil {
		return Result{}, err
	}
	rows, totals := Build(days, from, to, groupBy, base)
	if rows == nil {
		rows = []Row{}
	}
	return Result{From: from.Format(time.DateOnly), To: to.Format(time.DateOnly), GroupBy: groupBy, Zone: loc.String(),
		Bounds: Bounds, Rows: rows, Totals: totals}, nil
}

// parse checks the query against today (in the account's zone).
func (q Query) parse(today time.Time) (from, to time.Time, groupBy string, err error) {
	fields := map[string]string{}
	day := func(name, s string, def time.Time) time.Time {
		if s == "" {
			return def
		}
		t, perr := time.Parse(time.DateOnly, s)
		if perr != nil {
			fields[name] = "must be a date YYYY-MM-DD"
		}
		return t
	}
	t0 := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, time.UTC)
	to = day("to", q.To, t0)
	from = day("from", q.From, to.AddDate(0, 0, -29))
	groupBy = q.GroupBy
	if groupBy == "" {
		groupBy = ByDay
	}
	if !slices.Contains(GroupBys, groupBy) {
		fields["groupBy"] = "must be one of day, week, month, operator, department, category, language, channel"
	}
	if len(fields) == 0 {
		switch {
		case to.Before(from):
			fields["to"] = "must not be before from"
		case to.Sub(from) >= MaxDays*24*time.Hour:
			fields["from"] = "the range must be at most 367 days"
		}
	}
	if len(fields) > 0 {
		return from, to, groupBy, &apperr.Error{Code: apperr.Invalid, Message: "the statistics query is not valid", Fields: fields}
	}
	return from, to, groupBy, nil
}
