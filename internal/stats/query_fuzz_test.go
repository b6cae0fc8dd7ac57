package stats

import (
	"testing"
	"time"

	"parley/internal/apperr"
)

// FuzzQuery: whatever the query string's from, to and groupBy, parse
// either accepts a range of at most MaxDays days in order with a known
// groupBy, or refuses it with apperr.Invalid naming a field; it never
// panics.
func FuzzQuery(f *testing.F) {
	for _, s := range [][3]string{{"", "", ""}, {"2030-01-01", "2030-01-31", "week"}, {"2030-02-30", "x", "year"}, {"2028-01-01", "2030-01-01", "day"}, {"9999-12-31", "0001-01-01", "operator"}} {
		f.Add(s[0], s[1], s[2])
	}
	today := time.Date(2030, 6, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, from, to, groupBy string) {
		a, b, g, err := Query{From: from, To: to, GroupBy: groupBy}.parse(today)
		if err != nil {
			e, ok := err.(*apperr.Error)
			if !ok || e.Code != apperr.Invalid || len(e.Fields) == 0 {
				t.Fatalf("refusal %v is not a field error", err)
			}
			return
		}
		if b.Before(a) || b.Sub(a) >= MaxDays*24*time.Hour || g == "" {
			t.Fatalf("accepted %q..%q by %q: %v..%v", from, to, groupBy, a, b)
		}
	})
}
