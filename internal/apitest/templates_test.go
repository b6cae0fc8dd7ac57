package apitest_test

import (
	"strings"
	"testing"

	"parley/internal/routes"
	"parley/internal/testkit"
)

// Templates over HTTP: who may write and read each level, validation,
// filters, updates with If-Match, deletion.
func TestTemplatesAPI(t *testing.T) {
	e := newEnv(t)
	a := e.signUp("basic")
	op, opID := e.staff(a, routes.Operator)
	op2, _ := e.staff(a, routes.Operator)
	sup, _ := e.staff(a, routes.Supervisor)
	create := func(tok string, body map[string]any, status int) testkit.Reply {
		t.Helper()
		return expect(t, "POST /v1/templates", e.do(testkit.Request{Method: "POST", Path: "/v1/templates", Token: tok, Body: body}), status)
	}

	g := create(a.Admin, map[string]any{"level": "global", "language": "ru", "section": "Приветствие", "title": "Hello", "text": "Здравствуйте!\nЧем помочь?"}, 201)
	gID := g.Body["id"].(string)
	if g.Body["ownerId"] != nil || g.Body["departmentId"] != nil || g.Body["version"] != float64(1) || g.ETag() != `"v1"` {
		t.Errorf("created: %s (ETag %s)", g.Raw, g.ETag())
	}
	create(a.Admin, map[string]any{"level": "global", "language": "en", "section": "Greetings", "text": "Hello!"}, 201)

	// Operators and supervisors may not write global templates.
	for _, tok := range []string{op, sup} {
		if r := create(tok, map[string]any{"level": "global", "language": "ru", "text": "x"}, 403); r.ErrorCode() != "forbidden" {
			t.Errorf("refusal: %s", r.Raw)
		}
	}
	// A department template for a department that does not exist: 403
	// while the service has no department membership wired (departments
	// not set up), 422 on departmentId once it has.
	dep := e.do(testkit.Request{Method: "POST", Path: "/v1/templates", Token: sup, Body: map[string]any{"level": "department", "departmentId": "no-such-department", "language": "ru", "text": "x"}})
	notSetUp := dep.Status == 403 && strings.Contains(string(dep.Raw), "departments are not set up")
	unknown := dep.Status == 422 && dep.ErrorFields()["departmentId"] != nil
	if !notSetUp && !unknown {
		t.Errorf("department template for an unknown department: %d %s", dep.Status, dep.Raw)
	}
	// Anyone keeps personal templates, for themselves.
	p := create(op, map[string]any{"level": "personal", "language": "ru", "text": "Мой шаблон"}, 201)
	pID := p.Body["id"].(string)
	if p.Body["ownerId"] != opID {
		t.Errorf("owner: %v", p.Body["ownerId"])
	}

	// Validation: one message per field, nothing stored.
	bad := create(op, map[string]any{"level": "personal", "language": "de", "title": strings.Repeat("t", 201), "section": strings.Repeat("s", 101), "text": " "}, 422)
	if f := bad.ErrorFields(); len(f) != 4 || f["language"] == nil || f["title"] == nil || f["section"] == nil || f["text"] == nil {
		t.Errorf("fields = %v", f)
	}
	if r := create(op, map[string]any{"level": "personal", "language": "ru", "text": strings.Repeat("я", 4001)}, 422); r.ErrorFields()["text"] == nil {
		t.Errorf("long text: %s", r.Raw)
	}
	if r := create(op, map[string]any{"level": "personal", "language": "ru", "text": "x", "colour": "red"}, 422); !strings.Contains(string(r.Raw), "colour") {
		t.Errorf("unknown field: %s", r.Raw)
	}

	list := func(tok, query string) []string {
		t.Helper()
		r := expect(t, "list "+query, e.do(testkit.Request{Method: "GET", Path: "/v1/templates" + query, Token: tok}), 200)
		var texts []string
		for _, it := range r.Body["items"].([]any) {
			texts = append(texts, it.(map[string]any)["text"].(string))
		}
		return texts
	}
	if got := list(op, ""); strings.Join(got, "|") != "Hello!|Здравствуйте!\nЧем помочь?|Мой шаблон" {
		t.Errorf("operator's list: %q", got)
	}
	if got := list(op2, ""); len(got) != 2 {
		t.Errorf("another operator sees %q", got)
	}
	if got := list(a.Admin, "?language=ru"); len(got) != 1 || !strings.HasPrefix(got[0], "Здравствуйте") {
		t.Errorf("admin, ru: %q", got)
	}
	if got := list(op, "?level=personal"); len(got) != 1 || got[0] != "Мой шаблон" {
		t.Errorf("personal: %q", got)
	}
	if got := list(op, "?section=Greetings"); len(got) != 1 || got[0] != "Hello!" {
		t.Errorf("by section: %q", got)
	}
	expect(t, "bad filter", e.do(testkit.Request{Method: "GET", Path: "/v1/templates?language=de", Token: op}), 422)
	if notSetUp {
		expect(t, "department list", e.do(testkit.Request{Method: "GET", Path: "/v1/templates?level=department", Token: op}), 403)
	}

	// Reading: global for everyone, personal for the owner alone.
	expect(t, "operator reads global", e.do(testkit.Request{Method: "GET", Path: "/v1/templates/" + gID, Token: op}), 200)
	expect(t, "owner reads personal", e.do(testkit.Request{Method: "GET", Path: "/v1/templates/" + pID, Token: op}), 200)
	expect(t, "another operator reads personal", e.do(testkit.Request{Method: "GET", Path: "/v1/templates/" + pID, Token: op2}), 404)
	expect(t, "administrator reads personal", e.do(testkit.Request{Method: "GET", Path: "/v1/templates/" + pID, Token: a.Admin}), 404)
	expect(t, "unknown id", e.do(testkit.Request{Method: "GET", Path: "/v1/templates/nope", Token: op}), 404)

	// Updating, with If-Match.
	up := expect(t, "update", e.do(testkit.Request{Method: "PUT", Path: "/v1/templates/" + gID, Token: a.Admin, Headers: map[string]string{"If-Match": g.ETag()},
		Body: map[string]any{"level": "global", "language": "en", "section": "Greetings", "title": "Hi", "text": "Hi there"}}), 200)
	if up.Body["version"] != float64(2) || up.Body["language"] != "en" || up.ETag() != `"v2"` {
		t.Errorf("updated: %s", up.Raw)
	}
	expect(t, "stale update", e.do(testkit.Request{Method: "PUT", Path: "/v1/templates/" + gID, Token: a.Admin, Headers: map[string]string{"If-Match": g.ETag()},
		Body: map[string]any{"language": "en", "text": "lost"}}), 412)
	expect(t, "operator updates global", e.do(testkit.Request{Method: "PUT", Path: "/v1/templates/" + gID, Token: op, Body: map[string]any{"language": "en", "text": "x"}}), 403)
	expect(t, "level change", e.do(testkit.Request{Method: "PUT", Path: "/v1/templates/" + pID, Token: op, Body: map[string]any{"level": "global", "language": "ru", "text": "x"}}), 422)
	expect(t, "owner updates personal", e.do(testkit.Request{Method: "PUT", Path: "/v1/templates/" + pID, Token: op, Body: map[string]any{"language": "ru", "text": "Новый текст"}}), 200)
	if got := expect(t, "read back", e.do(testkit.Request{Method: "GET", Path: "/v1/templates/" + gID, Token: op}), 200); got.Body["text"] != "Hi there" {
		t.Errorf("read back: %s", got.Raw)
	}

	// Deleting.
	expect(t, "operator deletes global", e.do(testkit.Request{Method: "DELETE", Path: "/v1/templates/" + gID, Token: op}), 403)
	expect(t, "another operator deletes personal", e.do(testkit.Request{Method: "DELETE", Path: "/v1/templates/" + pID, Token: op2}), 404)
	expect(t, "owner deletes personal", e.do(testkit.Request{Method: "DELETE", Path: "/v1/templates/" + pID, Token: op}), 204)
	expect(t, "admin deletes global", e.do(testkit.Request{Method: "DELETE", Path: "/v1/templates/" + gID, Token: a.Admin}), 204)
	expect(t, "deleted", e.do(testkit.Request{Method: "GET", Path: "/v1/templates/" + gID, Token: a.Admin}), 404)
	if got := list(op, ""); len(got) != 1 || got[0] != "Hello!" {
		t.Errorf("after deletes: %q", got)
	}

	// Another account sees none of it.
	b := e.signUp("basic")
	if got := list(b.Admin, ""); len(got) != 0 {
		t.Errorf("another account lists %q", got)
	}
}
