package apitest_test

import (
	"strings"
	"testing"

	"parley/internal/routes"
	"parley/internal/testkit"
)

// GET /v1/stats over the API: the default range is 30 days a row each,
// CSV on Accept: text/csv, bad dates refused with their field, and an
// operator limited to their own figures.
func TestStatsAPI(t *testing.T) {
	e := newEnv(t)
	a := e.signUp("corporate")
	r := expect(t, "GET /v1/stats", e.do(testkit.Request{Method: "GET", Path: "/v1/stats", Token: a.Admin}), 200)
	if rows := r.Body["rows"].([]any); len(rows) != 30 || r.Body["timezone"] != "Europe/Moscow" {
		t.Errorf("default report: %d rows, zone %v", len(rows), r.Body["timezone"])
	}
	csv := expect(t, "GET /v1/stats CSV", e.do(testkit.Request{Method: "GET", Path: "/v1/stats?from=2030-01-01&to=2030-01-06&groupBy=week", Token: a.Admin,
		Headers: map[string]string{"Accept": "text/csv"}}), 200)
	lines := strings.Split(strings.TrimSpace(string(csv.Raw)), "\n")
	if !strings.HasPrefix(csv.Header.Get("Content-Type"), "text/csv") || len(lines) != 3 || !strings.HasPrefix(lines[0], "key,chats,answered") ||
		!strings.HasPrefix(lines[1], "2029-12-31,0,") || !strings.HasPrefix(lines[2], "total,0,") {
		t.Errorf("CSV %s: %q", csv.Header.Get("Content-Type"), lines)
	}
	bad := expect(t, "GET /v1/stats bad", e.do(testkit.Request{Method: "GET", Path: "/v1/stats?from=2030-02-30&groupBy=year", Token: a.Admin}), 422)
	if f := bad.ErrorFields(); f["from"] == nil || f["groupBy"] == nil {
		t.Errorf("fields: %v", f)
	}
	op, _ := e.staff(a, routes.Operator)
	expect(t, "operator by category", e.do(testkit.Request{Method: "GET", Path: "/v1/stats?groupBy=category", Token: op}), 403)
	mine := expect(t, "operator by day", e.do(testkit.Request{Method: "GET", Path: "/v1/stats?groupBy=operator", Token: op}), 200)
	if rows := mine.Body["rows"].([]any); len(rows) != 0 {
		t.Errorf("an operator with no chats sees rows: %v", rows)
	}
}
