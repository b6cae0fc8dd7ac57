package httpapi

import (
	"errors"
	"slices"
	"testing"
	"time"

	"parley/internal/apperr"
	"parley/internal/chat"
)

// FuzzParseChatQuery: the history's query string never panics the parser;
// a refusal is invalid with a message per parameter; an accepted query has
// a period that ends after it starts, a limit of 0 (the default) to 100,
// a cursor that is a chat id or none, and an outcome that is one of
// chat.Outcomes or none.
func FuzzParseChatQuery(f *testing.F) {
	f.Add("2026-01-01", "2026-01-31", "bad", "closed", "50", "", "true", "missed")
	f.Add("2026-01-01T10:00:00+03:00", "", "", "", "", "0190a1b2c3d4e5f60718", "false", "")
	f.Add("yesterday", "2026-13-01", "meh", "open?", "-1", "../x", "1", "Refusal")
	loc, err := time.LoadLocation("Europe/Moscow")
	if err != nil {
		f.Fatal(err)
	}
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, from, to, rating, status, limit, cursor, offline, outcome string) {
		in := map[string]string{"from": from, "to": to, "rating": rating, "status": status, "limit": limit, "cursor": cursor, "offline": offline, "outcome": outcome}
		q, err := parseChatQuery(in, loc, now)
		if err != nil {
			var e *apperr.Error
			if !errors.As(err, &e) || e.Code != apperr.Invalid || len(e.Fields) == 0 {
				t.Fatalf("parseChatQuery(%v): %v is not invalid with fields", in, err)
			}
			return
		}
		if !q.To.After(q.From) || q.Limit < 0 || q.Limit > 100 || (q.Cursor != "" && !chat.ValidID(q.Cursor)) ||
			(offline != "") != (q.Offline != nil) || (q.Offline != nil && *q.Offline != (offline == "true")) ||
			string(q.Outcome) != outcome || (outcome != "" && !slices.Contains(chat.Outcomes, q.Outcome)) {
			t.Fatalf("parseChatQuery(%v) accepted %+v", in, q)
		}
	})
}
