package apitest_test

import (
	"strings"
	"testing"
	"time"

	"parley/internal/routes"
	"parley/internal/testkit"
)

// auditChange is one change of GET /v1/audit with its entry's who, when
// and version.
type auditChange struct {
	By       string
	At       time.Time
	Version  float64
	Old, New any
}

// auditChanges reads the first page of the audit and returns its changes
// by key (the newest change of each key) and the raw body.
func (e *env) auditChanges(token string) (map[string]auditChange, []byte) {
	e.t.Helper()
	r := expect(e.t, "GET /v1/audit", e.do(testkit.Request{Method: "GET", Path: "/v1/audit", Token: token}), 200)
	out := map[string]auditChange{}
	for _, it := range r.Body["items"].([]any) { // newest first
		entry := it.(map[string]any)
		at, err := time.Parse(time.RFC3339Nano, entry["at"].(string))
		if err != nil {
			e.t.Fatal(err)
		}
		for _, c := range entry["changes"].([]any) {
			ch := c.(map[string]any)
			key := ch["key"].(string)
			if _, seen := out[key]; !seen {
				out[key] = auditChange{By: entry["by"].(string), At: at, Version: entry["version"].(float64), Old: ch["old"], New: ch["new"]}
			}
		}
	}
	return out, r.Raw
}

// The audit over the API: a PATCH of an ordinary key shows who (the
// administrator's id), when, the key, its old and new value; secrets (a
// Telegram bot token, a webhook URL's password) show only masked, in the
// entry and anywhere in the audit's body, when set and when replaced.
func TestAuditTrail(t *testing.T) {
	e := newEnv(t)
	a := e.signUp("basic")

	before := time.Now().Add(-time.Second)
	expect(t, "PATCH company.name", e.do(testkit.Request{Method: "PATCH", Path: "/v1/settings/company", Token: a.Admin, Body: map[string]any{"name": "Acme Ltd"}}), 200)
	expect(t, "PATCH misc", e.do(testkit.Request{Method: "PATCH", Path: "/v1/settings/misc", Token: a.Admin, Body: map[string]any{"buttonProbability": 40}}), 200)
	after := time.Now().Add(time.Second)
	var changes map[string]auditChange
	testkit.Eventually(t, "the audit entries", func() bool {
		changes, _ = e.auditChanges(a.Admin)
		_, name := changes["company.name"]
		_, prob := changes["misc.buttonProbability"]
		return name && prob
	})
	name := changes["company.name"]
	// The sign-up's company name is the settings' from the start.
	if name.By != a.AdminID || name.Old != "Acme" || name.New != "Acme Ltd" || name.At.Before(before) || name.At.After(after) {
		t.Errorf("company.name: %+v, want by %s between %v and %v, \"Acme\" -> \"Acme Ltd\"", name, a.AdminID, before, after)
	}
	prob := changes["misc.buttonProbability"]
	if prob.By != a.AdminID || prob.Old != float64(100) || prob.New != float64(40) || prob.Version <= name.Version {
		t.Errorf("misc.buttonProbability: %+v (company.name was version %v)", prob, name.Version)
	}

	// Secrets: set, then replaced; never in clear.
	const hookPassword = "hook-Secret-pw-1"
	firstHook := "https://hooks:" + hookPassword + "@hooks.acme.example/start"
	const secondToken = "7098765432:BBG2la0Ry_4nQa-9ZuRxFsUzVjPqBtEgHiK"
	expect(t, "PATCH secrets", e.do(testkit.Request{Method: "PATCH", Path: "/v1/settings/integration", Token: a.Admin, Body: map[string]any{
		"telegram": map[string]any{"botToken": botToken}, "webhooks": map[string]any{"chatStart": firstHook}}}), 200)
	expect(t, "replace them", e.do(testkit.Request{Method: "PATCH", Path: "/v1/settings/integration", Token: a.Admin, Body: map[string]any{
		"telegram": map[string]any{"botToken": secondToken}, "webhooks": map[string]any{"chatStart": "https://hooks:other-pw-2@hooks.acme.example/start"}}}), 200)
	var raw []byte
	testkit.Eventually(t, "the secrets' audit entries", func() bool {
		changes, raw = e.auditChanges(a.Admin)
		// The replacement's entry is the newest: its old value is set.
		tok, hook := changes["integration.telegram.botToken"], changes["integration.webhooks.chatStart"]
		return tok.Old != nil && tok.Old != "" && hook.Old != nil && hook.Old != ""
	})
	tok, hook := changes["integration.telegram.botToken"], changes["integration.webhooks.chatStart"]
	if tok.By != a.AdminID || tok.Old != "••••"+botToken[len(botToken)-4:] || tok.New != "••••"+secondToken[len(secondToken)-4:] {
		t.Errorf("integration.telegram.botToken: %+v", tok)
	}
	if hook.Old != "https://hooks:••••@hooks.acme.example/start" || hook.New != "https://hooks:••••@hooks.acme.example/start" {
		t.Errorf("integration.webhooks.chatStart: %+v", hook)
	}
	for _, secret := range []string{botToken, secondToken, botToken[:20], secondToken[11:30], hookPassword, "other-pw-2"} {
		if strings.Contains(string(raw), secret) {
			t.Errorf("the audit shows %q in clear", secret)
		}
	}

	// Administrators only.
	sup, _ := e.staff(a, routes.Supervisor)
	expect(t, "a supervisor reads the audit", e.do(testkit.Request{Method: "GET", Path: "/v1/audit", Token: sup}), 403)
}
