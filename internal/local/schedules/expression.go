// Package schedules runs the table of EventBridge schedules (routes.Schedules)
// locally: it parses the same expressions the stack deploys and invokes each
// schedule's function with an events.EventBridgeEvent at each due time, on
// a clock that tests can replace and speed up.
package schedules

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"strconv"
	"strings"
	"time"
)

// Years EventBridge accepts in cron expressions.
const (
	minYear = 1970
	maxYear = 2199
)

// Expression is a parsed schedule expression: rate(...), cron(...) or
// at(...). All times are UTC, EventBridge's default time zone.
type Expression struct {
	src   string
	every time.Duration // rate
	at    time.Time     // at
	cron  *cron
}

// Parse parses an EventBridge schedule expression:
//
//	rate(1 minute), rate(5 minutes), rate(1 hour), rate(2 days)
//	cron(minutes hours day-of-month month day-of-week year)
//	at(2026-11-25T12:00:00)
//
// Cron fields follow AWS's rules: day-of-week is 1-7 (SUN-SAT), exactly one
// of day-of-month and day-of-week is "?", and besides , - * / the
// day-of-month takes L (last day), NW (nearest weekday to day N) and LW,
// and the day-of-week takes NL (last weekday N of the month) and N#K (K-th
// weekday N of the month).
func Parse(s string) (Expression, error) {
	e, err := parse(strings.TrimSpace(s))
	if err != nil {
		return Expression{}, fmt.Errorf("schedules: %q: %w", s, err)
	}
	return e, nil
}

func parse(s string) (Expression, error) {
	name, arg, ok := strings.Cut(s, "(")
	if !ok || !strings.HasSuffix(arg, ")") {
		return Expression{}, errors.New("want rate(...), cron(...) or at(...)")
	}
	arg = strings.TrimSuffix(arg, ")")
	e := Expression{src: s}
	var err error
	switch name {
	case "rate":
		e.every, err = parseRate(arg)
	case "cron":
		e.cron, err = parseCron(arg)
	case "at":
		e.at, err = time.Parse("2006-01-02T15:04:05", arg)
		if err != nil {
			err = errors.New("at(...) takes yyyy-mm-ddThh:mm:ss")
		}
	default:
		err = fmt.Errorf("unknown expression type %q: want rate, cron or at", name)
	}
	return e, err
}

// String returns the expression as it was written.
func (e Expression) String() string { return e.src }

// Next returns the first time the schedule fires strictly after t, and
// false if it never fires again. Rate schedules fire on whole multiples of
// their period counted from a fixed midnight UTC (time.Time's zero), so
// rate(1 minute) fires on every minute and rate(1 day) at midnight:
// EventBridge counts from the schedule's creation instead, but nothing may
// depend on the phase, and a fixed one makes runs repeatable.
func (e Expression) Next(t time.Time) (time.Time, bool) {
	t = t.UTC()
	switch {
	case e.every > 0:
		return t.Truncate(e.every).Add(e.every), true
	case e.cron != nil:
		return e.cron.next(t)
	case !e.at.IsZero():
		return e.at, e.at.After(t)
	}
	return time.Time{}, false
}

func parseRate(arg string) (time.Duration, error) {
	f := strings.Fields(arg)
	if len(f) != 2 {
		return 0, errors.New("rate(...) takes a value and a unit, e.g. rate(5 minutes)")
	}
	n, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil || n <= 0 || f[0][0] == '+' {
		return 0, fmt.Errorf("rate value %q is not a positive whole number", f[0])
	}
	var unit time.Duration
	singular := true
	switch f[1] {
	case "minutes", "hours", "days":
		singular = false
	case "minute", "hour", "day":
	default:
		return 0, fmt.Errorf("rate unit %q: want minute(s), hour(s) or day(s)", f[1])
	}
	switch strings.TrimSuffix(f[1], "s") {
	case "minute":
		unit = time.Minute
	case "hour":
		unit = time.Hour
	case "day":
		unit = 24 * time.Hour
	}
	// EventBridge insists on "1 minute" but "2 minutes".
	if (n == 1) != singular {
		return 0, fmt.Errorf("rate(%d %s): the unit is singular for 1 and plural otherwise", n, f[1])
	}
	if n > math.MaxInt64/int64(unit) {
		return 0, fmt.Errorf("rate value %d is too large", n)
	}
	return time.Duration(n) * unit, nil
}

// cron is a parsed cron(...) expression. Sets are bitmasks indexed by value.
type cron struct {
	minutes, hours uint64
	months         uint64    // 1-12
	years          [4]uint64 // bit y-minYear
	anyDOM         bool      // day-of-month is "?": the day-of-week decides
	dom            uint64    // 1-31
	lastDOM        bool      // L
	lastWeekdayDOM bool      // LW
	nearestWeekday uint64    // NW: days whose nearest weekday fires
	dow            uint64    // 1-7 (SUN-SAT)
	lastDOW        uint64    // NL: last such weekday of the month
	nthDOW         [8]uint8  // N#K: bit K-1 of nthDOW[N]
}

// field describes one cron field.
type field struct {
	name     string
	min, max int
	names    []string // names[i] is the value min+i
}

var (
	fMinutes = field{name: "minutes", min: 0, max: 59}
	fHours   = field{name: "hours", min: 0, max: 23}
	fDOM     = field{name: "day-of-month", min: 1, max: 31}
	fMonths  = field{name: "month", min: 1, max: 12, names: []string{"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"}}
	fDOW     = field{name: "day-of-week", min: 1, max: 7, names: []string{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}}
	fYears   = field{name: "year", min: minYear, max: maxYear}
)

func parseCron(arg string) (*cron, error) {
	f := strings.Fields(arg)
	if len(f) != 6 {
		return nil, fmt.Errorf("cron(...) takes 6 fields (minutes hours day-of-month month day-of-week year), got %d", len(f))
	}
	c := &cron{}
	var err error
	if c.minutes, err = fMinutes.parse(f[0]); err != nil {
		return nil, err
	}
	if c.hours, err = fHours.parse(f[1]); err != nil {
		return nil, err
	}
	if c.months, err = fMonths.parse(f[3]); err != nil {
		return nil, err
	}
	if err := c.parseYears(f[5]); err != nil {
		return nil, err
	}
	switch domQ, dowQ := f[2] == "?", f[4] == "?"; {
	case domQ && dowQ:
		return nil, errors.New("day-of-month and day-of-week cannot both be ?")
	case !domQ && !dowQ:
		return nil, errors.New("one of day-of-month and day-of-week must be ?")
	case domQ:
		c.anyDOM = true
		err = c.parseDOW(f[4])
	default:
		err = c.parseDOM(f[2])
	}
	if err != nil {
		return nil, err
	}
	return c, nil
}

// parse reads a field made of , - * / only.
func (fd field) parse(s string) (uint64, error) {
	var set uint64
	for part := range strings.SplitSeq(s, ",") {
		lo, hi, step, err := fd.term(part)
		if err != nil {
			return 0, err
		}
		for v := lo; v <= hi; v += step {
			set |= 1 << uint(v-fd.min)
		}
	}
	return set, nil
}

// term reads one comma-separated term: *, N, N-M, with an optional /step.
// A bare N/step runs from N to the field's maximum.
func (fd field) term(s string) (lo, hi, step int, err error) {
	rng, stepStr, hasStep := strings.Cut(s, "/")
	step = 1
	if hasStep {
		step, err = strconv.Atoi(stepStr)
		if err != nil || step <= 0 || stepStr[0] == '+' {
			return 0, 0, 0, fmt.Errorf("%s: bad step %q", fd.name, stepStr)
		}
	}
	switch a, b, isRange := strings.Cut(rng, "-"); {
	case rng == "*":
		lo, hi = fd.min, fd.max
	case isRange:
		if lo, err = fd.value(a); err != nil {
			return 0, 0, 0, err
		}
		if hi, err = fd.value(b); err != nil {
			return 0, 0, 0, err
		}
		if lo > hi {
			return 0, 0, 0, fmt.Errorf("%s: range %q runs backwards (wrapping ranges are not supported)", fd.name, rng)
		}
	default:
		if lo, err = fd.value(rng); err != nil {
			return 0, 0, 0, err
		}
		hi = lo
		if hasStep {
			hi = fd.max
		}
	}
	return lo, hi, step, nil
}

func (fd field) value(s string) (int, error) {
	for i, n := range fd.names {
		if strings.EqualFold(s, n) {
			return fd.min + i, nil
		}
	}
	v, err := strconv.Atoi(s)
	if err != nil || s == "" || s[0] == '+' || s[0] == '-' {
		return 0, fmt.Errorf("%s: %q is not a value", fd.name, s)
	}
	if v < fd.min || v > fd.max {
		return 0, fmt.Errorf("%s: %d is outside %d-%d", fd.name, v, fd.min, fd.max)
	}
	return v, nil
}

// parseYears is parse for a set wider than 64 values.
func (c *cron) parseYears(s string) error {
	for part := range strings.SplitSeq(s, ",") {
		lo, hi, step, err := fYears.term(part)
		if err != nil {
			return err
		}
		for v := lo; v <= hi; v += step {
			i := v - minYear
			c.years[i/64] |= 1 << uint(i%64)
		}
	}
	return nil
}

func (c *cron) year(y int) bool {
	if y < minYear || y > maxYear {
		return false
	}
	i := y - minYear
	return c.years[i/64]&(1<<uint(i%64)) != 0
}

func (c *cron) parseDOM(s string) error {
	for part := range strings.SplitSeq(s, ",") {
		switch u := strings.ToUpper(part); {
		case u == "L":
			c.lastDOM = true
		case u == "LW":
			c.lastWeekdayDOM = true
		case strings.HasSuffix(u, "W"):
			d, err := fDOM.value(strings.TrimSuffix(u, "W"))
			if err != nil {
				return err
			}
			c.nearestWeekday |= 1 << uint(d)
		default:
			lo, hi, step, err := fDOM.term(part)
			if err != nil {
				return err
			}
			for v := lo; v <= hi; v += step {
				c.dom |= 1 << uint(v)
			}
		}
	}
	return nil
}

func (c *cron) parseDOW(s string) error {
	for part := range strings.SplitSeq(s, ",") {
		u := strings.ToUpper(part)
		switch before, after, isNth := strings.Cut(u, "#"); {
		case u == "L":
			c.dow |= 1 << 7 // L alone is the last day of the week: SAT
		case isNth:
			d, err := fDOW.value(before)
			if err != nil {
				return err
			}
			k, err := strconv.Atoi(after)
			if err != nil || k < 1 || k > 5 || after[0] == '+' {
				return fmt.Errorf("day-of-week: %q: the number after # is 1-5", part)
			}
			c.nthDOW[d] |= 1 << uint(k-1)
		case strings.HasSuffix(u, "L"):
			d, err := fDOW.value(strings.TrimSuffix(u, "L"))
			if err != nil {
				return err
			}
			c.lastDOW |= 1 << uint(d)
		default:
			lo, hi, step, err := fDOW.term(part)
			if err != nil {
				return err
			}
			for v := lo; v <= hi; v += step {
				c.dow |= 1 << uint(v)
			}
		}
	}
	return nil
}

// next steps from the minute after t, skipping a whole year, month, day or
// hour as soon as it cannot match, so even an expression that never fires
// (cron(0 0 30 2 ? *)) is given up on after a few thousand steps.
func (c *cron) next(t time.Time) (time.Time, bool) {
	t = t.Truncate(time.Minute).Add(time.Minute)
	for t.Year() <= maxYear {
		y, m, d := t.Date()
		switch {
		case !c.year(y):
			if y < minYear {
				t = time.Date(minYear, 1, 1, 0, 0, 0, 0, time.UTC)
			} else {
				t = time.Date(y+1, 1, 1, 0, 0, 0, 0, time.UTC)
			}
		case c.months&(1<<uint(m-1)) == 0:
			t = time.Date(y, m+1, 1, 0, 0, 0, 0, time.UTC)
		case !c.day(y, m, d):
			t = time.Date(y, m, d+1, 0, 0, 0, 0, time.UTC)
		case c.hours&(1<<uint(t.Hour())) == 0:
			t = t.Truncate(time.Hour).Add(time.Hour)
		case c.minutes&(1<<uint(t.Minute())) == 0:
			t = t.Add(time.Minute)
		default:
			return t, true
		}
	}
	return time.Time{}, false
}

func (c *cron) day(y int, m time.Month, d int) bool {
	last := time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
	wd := int(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Weekday()) + 1 // 1 = SUN, as in cron
	if c.anyDOM {
		return c.dow&(1<<uint(wd)) != 0 ||
			c.lastDOW&(1<<uint(wd)) != 0 && d+7 > last ||
			c.nthDOW[wd]&(1<<uint((d-1)/7)) != 0
	}
	if c.dom&(1<<uint(d)) != 0 || c.lastDOM && d == last {
		return true
	}
	if c.lastWeekdayDOM && d == nearestWeekday(y, m, last, last) {
		return true
	}
	for w := c.nearestWeekday; w != 0; w &= w - 1 {
		n := bits.TrailingZeros64(w)
		if n <= last && d == nearestWeekday(y, m, n, last) {
			return true
		}
	}
	return false
}

// nearestWeekday is the weekday (MON-FRI) nearest to day n, never leaving
// the month: a Saturday the 1st gives Monday the 3rd, as in Quartz, whose
// rules AWS follows.
func nearestWeekday(y int, m time.Month, n, last int) int {
	switch time.Date(y, m, n, 0, 0, 0, 0, time.UTC).Weekday() {
	case time.Saturday:
		if n == 1 {
			return 3
		}
		return n - 1
	case time.Sunday:
		if n == last {
			return n - 2
		}
		return n + 1
	}
	return n
}
