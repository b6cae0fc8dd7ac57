package apitest_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestSignUpStartsUsable: the company name typed at sign-up is the
// settings' company.name (so the first save of another company key
// passes), the first administrator is on every notification list, and an
// invitation names the company as its signature does, after a rename too.
func TestSignUpStartsUsable(t *testing.T) {
	e := newEnv(t)
	email := uniqueEmail("signup")
	r := expect(t, "sign-up", e.do(req{Method: "POST", Path: "/v1/accounts", Body: map[string]any{
		"companyName": "  Sila Trading  ", "email": strings.ToUpper(email), "password": adminPassword, "language": "en"}}), 201)
	token := r.Body["token"].(string)

	company := expect(t, "GET company", e.do(req{Method: "GET", Path: "/v1/settings/company", Token: token}), 200)
	if company.Body["name"] != "Sila Trading" {
		t.Errorf("company.name = %#v, want the sign-up's name, trimmed", company.Body["name"])
	}
	emails := expect(t, "GET emails", e.do(req{Method: "GET", Path: "/v1/settings/emails", Token: token}), 200)
	want := map[string]any{"leftMessages": []any{email}, "negativeReviews": []any{email}, "dailyReports": []any{email}}
	if diff := cmp.Diff(want, emails.Body); diff != "" {
		t.Errorf("notification lists of a new account (-want +got):\n%s", diff)
	}
	expect(t, "first save of another company key", e.do(req{Method: "PATCH", Path: "/v1/settings/company", Token: token,
		Body: map[string]any{"website": "https://sila.example"}, Headers: map[string]string{"If-Match": company.ETag()}}), 200)

	invitee := uniqueEmail("invitee")
	expect(t, "invite", e.do(req{Method: "POST", Path: "/v1/people", Token: token, Body: map[string]any{"email": invitee, "role": "operator"}}), 201)
	e.mailedLink(invitee, "Sila Trading")

	expect(t, "rename", e.do(req{Method: "PATCH", Path: "/v1/settings/company", Token: token, Body: map[string]any{"name": "Sila Group"}}), 200)
	second := uniqueEmail("invitee")
	expect(t, "invite after the rename", e.do(req{Method: "POST", Path: "/v1/people", Token: token, Body: map[string]any{"email": second, "role": "operator"}}), 201)
	e.mailedLink(second, "Sila Group")
	for _, m := range e.mails(second) {
		if strings.Contains(m.Subject+m.Body.Text, "Sila Trading") {
			t.Errorf("the invitation still names the sign-up's name: %q\n%s", m.Subject, m.Body.Text)
		}
		if !strings.Contains(m.Body.Text, "Sila Group invites you") || !strings.Contains(m.Body.Text, "https://sila.example") {
			t.Errorf("the invitation's text and signature: %s", m.Body.Text)
		}
	}
}
