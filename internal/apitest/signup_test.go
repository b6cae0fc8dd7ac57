package apitest_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"parley/internal/testkit"
)

// TestSignUpStartsUsable: the company name typed at sign-up is the
// settings' company.name (so the first save of another company key
// passes), the first administrator is on every notification list, and an
// invitation names the company as its signature does, after a rename too.
func TestSignUpStartsUsable(t *testing.T) {
	e := newEnv(t)
	email := testkit.UniqueEmail("signup")
	r := expect(t, "sign-up", e.do(testkit.Request{Method: "POST", Path: "/v1/accounts", Body: map[string]any{
		"companyName": "  Sila Trading  ", "email": strings.ToUpper(email), "password": adminPassword, "language": "en"}}), 201)
	token := r.Body["token"].(string)

	company := expect(t, "GET company", e.do(testkit.Request{Method: "GET", Path: "/v1/settings/company", Token: token}), 200)
	if company.Body["name"] != "Sila Trading" {
		t.Errorf("company.name = %#v, want the sign-up's name, trimmed", company.Body["name"])
	}
	emails := expect(t, "GET emails", e.do(testkit.Request{Method: "GET", Path: "/v1/settings/emails", Token: token}), 200)
	want := map[string]any{"leftMessages": []any{email}, "negativeReviews": []any{email}, "dailyReports": []any{email}}
	if diff := cmp.Diff(want, emails.Body); diff != "" {
		t.Errorf("notification lists of a new account (-want +got):\n%s", diff)
	}
	expect(t, "first save of another company key", e.do(testkit.Request{Method: "PATCH", Path: "/v1/settings/company", Token: token,
		Body: map[string]any{"website": "https://sila.example"}, Headers: map[string]string{"If-Match": company.ETag()}}), 200)

	invitee := testkit.UniqueEmail("invitee")
	expect(t, "invite", e.do(testkit.Request{Method: "POST", Path: "/v1/people", Token: token, Body: map[string]any{"email": invitee, "role": "operator"}}), 201)
	e.mailedLink(invitee, "Sila Trading")

	expect(t, "rename", e.do(testkit.Request{Method: "PATCH", Path: "/v1/settings/company", Token: token, Body: map[string]any{"name": "Sila Group"}}), 200)
	second := testkit.UniqueEmail("invitee")
	expect(t, "invite after the rename", e.do(testkit.Request{Method: "POST", Path: "/v1/people", Token: token, Body: map[string]any{"email": second, "role": "operator"}}), 201)
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

// TestErrorsInCallersLanguage: a refusal is worded in the language the
// request asks for (the console sends its person's interface language),
// whatever the account's language; codes and keys stay the same.
func TestErrorsInCallersLanguage(t *testing.T) {
	e := newEnv(t)
	a := e.signUp("basic") // a Russian account
	bad := map[string]any{"website": "www.sila.com", "timezone": "Mars/Olympus"}
	en := expect(t, "refused, English asked", e.do(testkit.Request{Method: "PATCH", Path: "/v1/settings/company", Token: a.Admin, Body: bad,
		Headers: map[string]string{"Accept-Language": "en-GB,en;q=0.9"}}), 422)
	ru := expect(t, "refused, Russian asked", e.do(testkit.Request{Method: "PATCH", Path: "/v1/settings/company", Token: a.Admin, Body: bad,
		Headers: map[string]string{"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.5"}}), 422)
	none := expect(t, "refused, nothing asked", e.do(testkit.Request{Method: "PATCH", Path: "/v1/settings/company", Token: a.Admin, Body: bad}), 422)
	if ru.ErrorCode() != "invalid" || len(ru.ErrorFields()) != 2 || len(en.ErrorFields()) != 2 {
		t.Fatalf("codes and keys: %s / %s", ru.Raw, en.Raw)
	}
	if got := ru.ErrorFields()["company.timezone"]; got != `"Mars/Olympus" — не часовой пояс: выберите регион и город, например Europe/Moscow` {
		t.Errorf("Russian time zone message: %v", got)
	}
	if got := en.ErrorFields()["company.website"]; got != `"www.sila.com": a URL must start with https:// or http://` {
		t.Errorf("English website message: %v", got)
	}
	if diff := cmp.Diff(en.Body, none.Body); diff != "" {
		t.Errorf("without Accept-Language the messages are English (-en +none):\n%s", diff)
	}
	// A public route too: the sign-up page speaks its visitor's language.
	su := expect(t, "sign-up refused", e.do(testkit.Request{Method: "POST", Path: "/v1/accounts", Body: map[string]any{"companyName": "", "email": "x", "password": "short"},
		Headers: map[string]string{"Accept-Language": "ru"}}), 422)
	if got := su.ErrorFields()["password"]; got != "должно быть не короче 10 символов" {
		t.Errorf("sign-up password message: %v", got)
	}
}
