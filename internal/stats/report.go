package stats

import (
	"bytes"
	"encoding/csv"
	"math"
	"sort"
	"strconv"
	"time"

	"parley/internal/chat"
)

// Day is one stored day of an account's counters.
type Day struct {
	Date   string // YYYY-MM-DD
	Counts Counters
}

// Figures are the statistics of a row: a period or a dimension value.
type Figures struct {
	Chats            int64            `json:"chats"`
	Answered         int64            `json:"answered"`
	Missed           int64            `json:"missed"`
	Refusals         int64            `json:"refusals"`
	Offline          int64            `json:"offline"`
	BusyFirst        int64            `json:"busyFirstResponse"`
	BusyAnswer       int64            `json:"busyAnswer"`
	Ratings          map[string]int64 `json:"ratings"`
	VisitorMessages  int64            `json:"visitorMessages"`
	OperatorMessages int64            `json:"operatorMessages"`
	FirstResponse    FirstResponse    `json:"firstResponse"`
	// AvgDuration is the mean of closed chats' lengths in seconds; nil
	// with none closed.
	AvgDuration   *float64 `json:"avgDurationSec"`
	OnlineSeconds int64    `json:"onlineSec"`

	closed, durSum, frtSum int64
}

// FirstResponse is the first-response time in seconds: mean, and median
// and p90 read from the merged histogram (Histogram[i] counts responses up
// to Bounds[i]; the last counts the longer ones).
type FirstResponse struct {
	Count     int64    `json:"count"`
	Avg       *float64 `json:"avgSec"`
	Median    *float64 `json:"medianSec"`
	P90       *float64 `json:"p90Sec"`
	Histogram []int64  `json:"histogram"`
}

func newFigures() Figures {
	f := Figures{Ratings: map[string]int64{}}
	for _, r := range chat.Ratings {
		f.Ratings[string(r)] = 0
	}
	f.FirstResponse.Histogram = make([]int64, len(Bounds)+1)
	return f
}

// add counts one metric.
func (f *Figures) add(metric string, n int64) {
	switch metric {
	case Chats:
		f.Chats += n
	case Answered:
		f.Answered += n
	case Missed:
		f.Missed += n
	case Refusals:
		f.Refusals += n
	case Offline:
		f.Offline += n
	case BusyFirst:
		f.BusyFirst += n
	case BusyAnswer:
		f.BusyAnswer += n
	case VisitorMessages:
		f.VisitorMessages += n
	case OperatorMessages:
		f.OperatorMessages += n
	case FirstCount:
		f.FirstResponse.Count += n
	case FirstSum:
		f.frtSum += n
	case Closed:
		f.closed += n
	case DurationSum:
		f.durSum += n
	case OnlineSeconds:
		f.OnlineSeconds += n
	default:
		if r, ok := RatingOf(metric); ok {
			if _, known := f.Ratings[string(r)]; known {
				f.Ratings[string(r)] += n
			}
		} else if i, ok := BucketOf(metric); ok {
			f.FirstResponse.Histogram[i] += n
		}
	}
}

// finish computes the means and quantiles once every day is added.
func (f *Figures) finish() {
	if n := f.FirstResponse.Count; n > 0 {
		f.FirstResponse.Avg = ptr(round1(float64(f.frtSum) / float64(n)))
		f.FirstResponse.Median = Quantile(f.FirstResponse.Histogram, 0.5)
		f.FirstResponse.P90 = Quantile(f.FirstResponse.Histogram, 0.9)
	}
	if f.closed > 0 {
		f.AvgDuration = ptr(round1(float64(f.durSum) / float64(f.closed)))
	}
}

func ptr(v float64) *float64 { return &v }

func round1(v float64) float64 { return math.Round(v*10) / 10 }

// Quantile estimates the q-quantile of a histogram over Bounds, linearly
// within the bucket it falls in; in the open last bucket it is that
// bucket's lower bound. nil for an empty histogram.
func Quantile(h []int64, q float64) *float64 {
	var total int64
	for _, n := range h {
		total += n
	}
	if total == 0 {
		return nil
	}
	rank := q * float64(total)
	var seen int64
	for i, n := range h {
		if n == 0 || float64(seen+n) < rank {
			seen += n
			continue
		}
		lo := 0.0
		if i > 0 {
			lo = float64(Bounds[i-1])
		}
		if i >= len(Bounds) {
			return ptr(lo)
		}
		hi := float64(Bounds[i])
		return ptr(round1(lo + (hi-lo)*(rank-float64(seen))/float64(n)))
	}
	return ptr(float64(Bounds[len(Bounds)-1]))
}

// Row is one line of a report.
type Row struct {
	Key string `json:"key"` // the period's first day, month, or the dimension's value
	Figures
}

// GroupBy values.
const (
	ByDay   = "day"
	ByWeek  = "week"
	ByMonth = "month"
)

// GroupBys lists what a report may be grouped by.
var GroupBys = []string{ByDay, ByWeek, ByMonth, Operator, Department, Category, Language, Channel}

// Period is the key of the period a day falls in: the day, the Monday of
// its ISO week, or its month.
func Period(day time.Time, groupBy string) string {
	switch groupBy {
	case ByWeek:
		wd := (int(day.Weekday()) + 6) % 7 // Monday 0
		return day.AddDate(0, 0, -wd).Format(time.DateOnly)
	case ByMonth:
		return day.Format("2006-01")
	}
	return day.Format(time.DateOnly)
}

// Build makes a report's rows and its totals from the days in
// [from, to]. Periods have a row each, empty ones too (charts need the
// gaps); dimensions have a row per value seen, most chats first. base
// narrows every figure to one dimension value (an operator's own row).
func Build(days []Day, from, to time.Time, groupBy string, base Key) (rows []Row, totals Row) {
	totals = Row{Key: "total", Figures: newFigures()}
	byKey := map[string]*Row{}
	var order []string
	row := func(k string) *Row {
		if r, ok := byKey[k]; ok {
			return r
		}
		r := &Row{Key: k, Figures: newFigures()}
		byKey[k] = r
		order = append(order, k)
		return r
	}
	period := groupBy == ByDay || groupBy == ByWeek || groupBy == ByMonth
	if period {
		for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
			row(Period(d, groupBy))
		}
	}
	for _, day := range days {
		date, err := time.Parse(time.DateOnly, day.Date)
		if err != nil || date.Before(from) || date.After(to) {
			continue
		}
		for k, n := range day.Counts {
			if k.Dim == base.Dim && k.Value == base.Value {
				totals.add(k.Metric, n)
				if period {
					row(Period(date, groupBy)).add(k.Metric, n)
				}
			}
			if !period && k.Dim == groupBy && (base.Dim == Total || k.Value == base.Value) {
				row(k.Value).add(k.Metric, n)
			}
		}
	}
	totals.finish()
	for _, k := range order {
		r := byKey[k]
		r.finish()
		rows = append(rows, *r)
	}
	if !period {
		sort.SliceStable(rows, func(i, j int) bool {
			if rows[i].Chats+rows[i].Offline != rows[j].Chats+rows[j].Offline {
				return rows[i].Chats+rows[i].Offline > rows[j].Chats+rows[j].Offline
			}
			return rows[i].Key < rows[j].Key
		})
	}
	return rows, totals
}

// CSVHeader is the first line of a report's CSV.
var CSVHeader = []string{"key", "chats", "answered", "missed", "refusals", "offline", "busyFirstResponse", "busyAnswer",
	"ratingExcellent", "ratingGood", "ratingSatisfactory", "ratingPoor", "ratingBad", "visitorMessages", "operatorMessages",
	"firstResponseCount", "firstResponseAvgSec", "firstResponseMedianSec", "firstResponseP90Sec", "avgDurationSec", "onlineSec"}

// CSV writes the rows and the totals as CSV, a header first. A key that a
// spreadsheet would run as a formula (a category named "=1+1") is
// prefixed with a quote.
func CSV(rows []Row, totals Row) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write(CSVHeader)
	for _, r := range append(rows, totals) {
		line := []string{safeCell(r.Key)}
		for _, n := range []int64{r.Chats, r.Answered, r.Missed, r.Refusals, r.Offline, r.BusyFirst, r.BusyAnswer} {
			line = append(line, strconv.FormatInt(n, 10))
		}
		for _, rt := range chat.Ratings {
			line = append(line, strconv.FormatInt(r.Ratings[string(rt)], 10))
		}
		line = append(line, strconv.FormatInt(r.VisitorMessages, 10), strconv.FormatInt(r.OperatorMessages, 10),
			strconv.FormatInt(r.FirstResponse.Count, 10), opt(r.FirstResponse.Avg), opt(r.FirstResponse.Median), opt(r.FirstResponse.P90),
			opt(r.AvgDuration), strconv.FormatInt(r.OnlineSeconds, 10))
		_ = w.Write(line)
	}
	w.Flush()
	return b.Bytes()
}

func opt(v *float64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatFloat(*v, 'f', -1, 64)
}

func safeCell(s string) string {
	if s != "" && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r') {
		return "'" + s
	}
	return s
}
