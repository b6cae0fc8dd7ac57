package schedules_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"parley/internal/local/schedules"
	"parley/internal/routes"
)

func at(s string) time.Time {
	t, err := time.Parse("2006-01-02T15:04", s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestNext(t *testing.T) {
	tests := []struct {
		expr string
		from string
		want []string // successive fire times; fewer than asked means "then never"
		n    int      // how many to ask for; 0 means len(want)
	}{
		{"rate(1 minute)", "2026-11-25T12:00", []string{"2026-11-25T12:01", "2026-11-25T12:02"}, 0},
		{"rate(5 minutes)", "2026-11-25T12:03", []string{"2026-11-25T12:05", "2026-11-25T12:10"}, 0},
		{"rate(1 hour)", "2026-11-25T12:03", []string{"2026-11-25T13:00", "2026-11-25T14:00"}, 0},
		{"rate(1 day)", "2026-11-25T12:03", []string{"2026-11-26T00:00", "2026-11-27T00:00"}, 0},
		{"cron(0 12 * * ? *)", "2026-11-25T12:00", []string{"2026-11-26T12:00", "2026-11-27T12:00"}, 0},
		{"cron(0/15 * * * ? *)", "2026-11-25T12:07", []string{"2026-11-25T12:15", "2026-11-25T12:30", "2026-11-25T12:45", "2026-11-25T13:00"}, 0},
		{"cron(*/20 9-10 * * ? *)", "2026-11-25T10:41", []string{"2026-11-26T09:00", "2026-11-26T09:20"}, 0},
		{"cron(0 18 ? * MON-FRI *)", "2026-11-27T18:00", []string{"2026-11-30T18:00", "2026-12-01T18:00"}, 0},
		{"cron(0 8 1 * ? *)", "2026-11-25T00:00", []string{"2026-12-01T08:00", "2027-01-01T08:00"}, 0},
		{"cron(0 0 L * ? *)", "2028-02-01T00:00", []string{"2028-02-29T00:00", "2028-03-31T00:00"}, 0},
		{"cron(0 9 15W * ? *)", "2026-11-01T00:00", []string{"2026-11-16T09:00"}, 1}, // Sunday the 15th
		{"cron(0 9 15W * ? *)", "2026-08-01T00:00", []string{"2026-08-14T09:00"}, 1}, // Saturday the 15th
		{"cron(0 9 1W * ? *)", "2026-07-31T12:00", []string{"2026-08-03T09:00"}, 1},  // Saturday the 1st
		{"cron(0 9 LW * ? *)", "2026-01-01T00:00", []string{"2026-01-30T09:00"}, 1},  // Saturday the 31st
		{"cron(0 10 ? * 3#2 *)", "2026-11-25T00:00", []string{"2026-12-08T10:00", "2027-01-12T10:00"}, 0},
		{"cron(0 0 ? jan,JUL MON#1 *)", "2026-11-25T00:00", []string{"2027-01-04T00:00"}, 1},
		{"cron(0 0 ? * L *)", "2026-11-25T00:00", []string{"2026-11-28T00:00", "2026-12-05T00:00"}, 0},
		{"cron(15 10 ? * 6L 2026)", "2026-11-25T00:00", []string{"2026-11-27T10:15", "2026-12-25T10:15"}, 3},
		{"cron(0 0 30 2 ? *)", "2026-11-25T00:00", nil, 1},
		{"cron(0 0 1 1 ? 2020)", "2026-11-25T00:00", nil, 1},
		{"cron(0 0 1 1 ? 2199)", "2026-11-25T00:00", []string{"2199-01-01T00:00"}, 2},
		{"at(2026-12-01T10:00:00)", "2026-11-25T00:00", []string{"2026-12-01T10:00"}, 2},
	}
	for _, tc := range tests {
		t.Run(tc.expr+" from "+tc.from, func(t *testing.T) {
			e, err := schedules.Parse(tc.expr)
			if err != nil {
				t.Fatal(err)
			}
			n := tc.n
			if n == 0 {
				n = len(tc.want)
			}
			var got []string
			next := at(tc.from)
			for range n {
				var ok bool
				if next, ok = e.Next(next); !ok {
					break
				}
				got = append(got, next.Format("2006-01-02T15:04"))
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("fire times (-want +got):\n%s", diff)
			}
		})
	}
}

// Next is strictly after its argument, whatever the seconds.
func TestNextIsStrictlyAfter(t *testing.T) {
	e, _ := schedules.Parse("rate(1 minute)")
	for _, from := range []time.Time{at("2026-11-25T12:00"), at("2026-11-25T12:00").Add(59*time.Second + 999*time.Millisecond)} {
		if got, _ := e.Next(from); !got.Equal(at("2026-11-25T12:01")) {
			t.Errorf("Next(%v) = %v", from, got)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ expr, want string }{
		{"", "want rate(...)"},
		{"rate(1 minutes)", "singular"},
		{"rate(2 minute)", "singular"},
		{"rate(0 minutes)", "positive"},
		{"rate(-1 minutes)", "positive"},
		{"rate(5 seconds)", "unit"},
		{"rate(5)", "value and a unit"},
		{"cron(0 12 * * *)", "6 fields"},
		{"cron(0 12 * * * *)", "must be ?"},
		{"cron(0 12 ? * ? *)", "both be ?"},
		{"cron(60 12 * * ? *)", "outside 0-59"},
		{"cron(0 24 * * ? *)", "outside 0-23"},
		{"cron(0 0 32 * ? *)", "outside 1-31"},
		{"cron(0 0 ? 13 MON *)", "outside 1-12"},
		{"cron(0 0 ? * 8 *)", "outside 1-7"},
		{"cron(0 0 ? * 2#6 *)", "1-5"},
		{"cron(0 0 1 * ? 2200)", "outside 1970-2199"},
		{"cron(0 0 ? * FRI-MON *)", "backwards"},
		{"cron(0/0 0 * * ? *)", "step"},
		{"cron(0 0 L-2 * ? *)", "not a value"},
		{"cron(0 0 ? * MON#1#2 *)", "1-5"},
		{"at(2026-12-01 10:00)", "yyyy-mm-dd"},
		{"every(1 minute)", "unknown"},
	}
	for _, tc := range tests {
		_, err := schedules.Parse(tc.expr)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q) = %v, want an error containing %q", tc.expr, err, tc.want)
		}
	}
}

// Every schedule of the stack runs locally, and fires within a day.
func TestRouteSchedules(t *testing.T) {
	for _, s := range routes.Schedules {
		e, err := schedules.Parse(s.Expression)
		if err != nil {
			t.Errorf("%s: %v", s.Name, err)
			continue
		}
		from := at("2026-11-25T12:00")
		if next, ok := e.Next(from); !ok || next.Sub(from) > 24*time.Hour {
			t.Errorf("%s (%s): next fire %v, %v", s.Name, s.Expression, next, ok)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"rate(1 minute)", "rate(10 days)", "cron(0 12 * * ? *)", "cron(0/15 9-17 ? * MON-FRI 2026-2030)",
		"cron(0 9 LW,15W,L * ? *)", "cron(0 10 ? * 6L,3#2 *)", "at(2026-12-01T10:00:00)", "cron(1,2,3 */4 1-31/2 JAN-DEC ? */3)",
	} {
		f.Add(s)
	}
	from := time.Date(2026, 11, 25, 12, 0, 30, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		e, err := schedules.Parse(s)
		if err != nil {
			return
		}
		again, err := schedules.Parse(e.String())
		if err != nil {
			t.Fatalf("Parse(%q).String() = %q does not parse: %v", s, e.String(), err)
		}
		prev := from
		for range 3 {
			next, ok := e.Next(prev)
			if !ok {
				break
			}
			if !next.After(prev) {
				t.Fatalf("%q: Next(%v) = %v, not after", s, prev, next)
			}
			if next2, _ := again.Next(prev); !next2.Equal(next) {
				t.Fatalf("%q: reparsed expression fires at %v, not %v", s, next2, next)
			}
			prev = next
		}
	})
}
