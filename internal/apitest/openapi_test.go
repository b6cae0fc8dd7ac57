package apitest_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"parley/internal/channel"
	"parley/internal/channel/telegram"
	"parley/internal/chat"
	"parley/internal/lambdas"
	"parley/internal/openapi"
	"parley/internal/routes"
	"parley/internal/settings"
	"parley/internal/testkit"
	"parley/internal/visitor"
)

// instanceOf reports whether a documented path is the route's path, or
// fills some of its parameters (/v1/settings/company for
// /v1/settings/{section}).
func instanceOf(doc, route string) bool {
	d, r := strings.Split(doc, "/"), strings.Split(route, "/")
	if len(d) != len(r) {
		return false
	}
	for i := range d {
		if d[i] != r[i] && !strings.HasPrefix(r[i], "{") {
			return false
		}
	}
	return true
}

// The document and the routes table agree: every route is documented,
// every documented operation is a route, and an operation is public in the
// document exactly when the route has no roles.
func TestDocumentMatchesRoutes(t *testing.T) {
	spec := loadSpec(t)
	ops := spec.Operations()
	for _, r := range routes.HTTP {
		if !slices.ContainsFunc(ops, func(o openapi.Operation) bool { return o.Method == r.Method && instanceOf(o.Path, r.Path) }) {
			t.Errorf("route %s is not documented", r.RouteKey())
		}
	}
	for _, o := range ops {
		i := slices.IndexFunc(routes.HTTP, func(r routes.HTTPRoute) bool { return r.Method == o.Method && instanceOf(o.Path, r.Path) })
		if i < 0 {
			t.Errorf("documented %s is not in the routes table", o.Key())
			continue
		}
		if o.Public != routes.HTTP[i].Public() {
			t.Errorf("%s: public in the document = %v, in the routes table = %v", o.Key(), o.Public, routes.HTTP[i].Public())
		}
	}
	for _, s := range settings.Sections {
		if _, ok := spec.Match("/v1/settings/" + s); !ok || !slices.ContainsFunc(ops, func(o openapi.Operation) bool { return o.Path == "/v1/settings/"+s }) {
			t.Errorf("section %s has no path of its own", s)
		}
	}
}

// Every documented operation is called at least once, and every response
// is checked against the document (by the client, as in every test here).
func TestEveryOperationAsDocumented(t *testing.T) {
	e := newEnv(t)
	a := e.signUp("corporate")
	op, _ := e.staff(a, routes.Operator)
	adm := func(method, path string, body any, status int) testkit.Reply {
		t.Helper()
		return expect(t, method+" "+path, e.do(testkit.Request{Method: method, Path: path, Token: a.Admin, Body: body, ContentType: imageTypeFor(body)}), status)
	}

	// Settings, every section: read, replace, merge.
	all := adm("GET", "/v1/settings", nil, 200)
	for _, s := range settings.Sections {
		path := "/v1/settings/" + s
		sec := adm("GET", path, nil, 200)
		if !jsonEqual(sec.Body, all.Body[s]) {
			t.Errorf("GET %s differs from that section of GET /v1/settings", path)
		}
		body := json.RawMessage(resets[s].body)
		if s == settings.SectionIntegration {
			body = json.RawMessage(`{"telegram":{"botToken":"` + botToken + `"},"vk":{"accessKey":"0123456789abcdef0123"}}`)
		}
		adm("PUT", path, body, 200)
		adm("PATCH", path, body, 200)
	}
	adm("PATCH", "/v1/settings/classification", map[string]any{"categories": "Sales\n Retail\n Wholesale\nSupport", "required": true}, 200)
	adm("PATCH", "/v1/settings/misc", map[string]any{"onlineQueueLimit": 10, "offlineQueueLimit": nil}, 200)
	adm("PATCH", "/v1/settings/features", map[string]any{"priorityPages": []string{"https://acme.example/pricing"}}, 200)
	adm("PATCH", "/v1/settings/integration", map[string]any{"webhooks": map[string]any{"chatStart": "https://u:p@hooks.acme.example/start"},
		"zoho": map[string]any{"email": "crm@acme.example", "password": "pw"}}, 200)
	for _, m := range []string{"GET", "PUT", "PATCH"} {
		var body any
		if m != "GET" {
			body = map[string]any{}
		}
		adm(m, "/v1/settings/general", body, 404)
	}
	adm("PATCH", "/v1/settings/company", map[string]any{"website": "nope"}, 422)
	expect(t, "no token", e.do(testkit.Request{Method: "GET", Path: "/v1/settings"}), 401)
	expect(t, "operator writes", e.do(testkit.Request{Method: "PATCH", Path: "/v1/settings/company", Token: op, Body: map[string]any{}}), 403)

	// Images, secrets, the widget.
	adm("PUT", "/v1/settings/company/logo", pngImage(t, 20, 20), 200)
	av := adm("PUT", "/v1/settings/leads/invite-avatar", pngImage(t, 30, 30), 200)
	adm("PUT", "/v1/settings/leads/invite-avatar", pngImage(t, 300, 30), 422)
	privateKey := adm("POST", "/v1/settings/integration/private-key/regenerate", nil, 200).Body["privateKey"].(string)
	adm("POST", "/v1/settings/integration/vk/secret-key/regenerate", nil, 200)
	adm("POST", "/v1/settings/integration/webhooks/signing-secret/regenerate", nil, 200)
	// Webhooks: the log, a test event (refused until a handler is set), a
	// redelivery (refused while pending, unknown ids not found).
	adm("GET", "/v1/integrations/deliveries", nil, 200)
	adm("PATCH", "/v1/settings/integration", map[string]any{"webhooks": map[string]any{"chatStart": ""}}, 200)
	adm("POST", "/v1/integrations/deliveries/test", map[string]any{"event": "chatStart"}, 422)
	adm("PATCH", "/v1/settings/integration", map[string]any{"webhooks": map[string]any{"chatStart": "http://10.0.0.1/hook"}}, 422)
	adm("PATCH", "/v1/settings/integration", map[string]any{"webhooks": map[string]any{"chatStart": "https://hooks.parley.invalid/x"}}, 200)
	testID := adm("POST", "/v1/integrations/deliveries/test", map[string]any{"event": "chatStart"}, 202).Body["id"].(string)
	adm("POST", "/v1/integrations/deliveries/"+testID+"/redeliver", nil, 409)
	adm("POST", "/v1/integrations/deliveries/msg_nope/redeliver", nil, 404)
	adm("GET", "/v1/integrations/deliveries", nil, 200)
	adm("PATCH", "/v1/settings/integration", map[string]any{"webhooks": map[string]any{"chatStart": ""}}, 200)
	// The Unisender export: refused until Unisender is set up, then
	// started, read, refused again while running, cancelled.
	adm("GET", "/v1/integrations/unisender/export", nil, 404)
	adm("DELETE", "/v1/integrations/unisender/export", nil, 404)
	adm("POST", "/v1/integrations/unisender/export", nil, 422)
	adm("PATCH", "/v1/settings/integration", map[string]any{"unisender": map[string]any{"apiKey": "apitest-key-0123456789", "listName": "Parley"}}, 200)
	adm("POST", "/v1/integrations/unisender/export", nil, 202)
	adm("GET", "/v1/integrations/unisender/export", nil, 200)
	// With no contacts it may finish at once: cancelled or already done.
	if r := e.do(testkit.Request{Method: "DELETE", Path: "/v1/integrations/unisender/export", Token: a.Admin}); r.Status != 200 && r.Status != 409 {
		t.Fatalf("cancel the export: %d %s", r.Status, truncate(r.Raw))
	}
	adm("DELETE", "/v1/integrations/unisender/export", nil, 409)
	// Channels: the messengers' webhooks take what proves itself and
	// refuse the rest alike.
	adm("PATCH", "/v1/settings/integration", map[string]any{"vk": map[string]any{"confirmationString": "a1b2c3d4"}}, 200)
	vkSecret := adm("POST", "/v1/settings/integration/vk/secret-key/regenerate", nil, 200).Body["secretKey"].(string)
	tgSecret := map[string]string{telegram.SecretHeader: channel.SecretToken([]byte(tokenSecret), a.ID, botToken)}
	update := map[string]any{"update_id": 1, "message": map[string]any{"message_id": 1, "date": 1700000000, "text": "hi",
		"from": map[string]any{"id": 42, "is_bot": false, "first_name": "Ann"}, "chat": map[string]any{"id": 42, "type": "private"}}}
	expect(t, "telegram update", e.do(testkit.Request{Method: "POST", Path: "/v1/channels/telegram/" + a.ID, Body: update, Headers: tgSecret}), 200)
	expect(t, "telegram, not an update", e.do(testkit.Request{Method: "POST", Path: "/v1/channels/telegram/" + a.ID, Body: map[string]any{"x": 1}, Headers: tgSecret}), 422)
	expect(t, "telegram, wrong secret", e.do(testkit.Request{Method: "POST", Path: "/v1/channels/telegram/" + a.ID, Body: update,
		Headers: map[string]string{telegram.SecretHeader: "nope"}}), 401)
	expect(t, "telegram, too large", e.do(testkit.Request{Method: "POST", Path: "/v1/channels/telegram/" + a.ID, Body: map[string]any{"pad": strings.Repeat("x", channel.MaxBodyBytes)}, Headers: tgSecret}), 413)
	expect(t, "vk confirmation", e.do(testkit.Request{Method: "POST", Path: "/v1/channels/vk/" + a.ID, Body: map[string]any{"type": "confirmation", "group_id": 1, "secret": vkSecret}}), 200)
	expect(t, "vk, wrong secret", e.do(testkit.Request{Method: "POST", Path: "/v1/channels/vk/" + a.ID, Body: map[string]any{"type": "confirmation", "group_id": 1, "secret": "nope"}}), 401)
	expect(t, "vk, not a callback", e.do(testkit.Request{Method: "POST", Path: "/v1/channels/vk/" + a.ID, Body: []int{1}}), 401)
	expect(t, "vk, too large", e.do(testkit.Request{Method: "POST", Path: "/v1/channels/vk/" + a.ID, Body: map[string]any{"pad": strings.Repeat("x", channel.MaxBodyBytes)}}), 413)
	cfg := expect(t, "widget config", e.do(testkit.Request{Method: "GET", Path: "/v1/widget/" + a.ID + "/config"}), 200)
	expect(t, "widget config, unknown account", e.do(testkit.Request{Method: "GET", Path: "/v1/widget/nope/config"}), 404)
	logo := expect(t, "widget logo", e.do(testkit.Request{Method: "GET", Path: cfg.Body["logoUrl"].(string)}), 200)
	expect(t, "widget logo, cached", e.do(testkit.Request{Method: "GET", Path: cfg.Body["logoUrl"].(string), Headers: map[string]string{"If-None-Match": logo.ETag()}}), 304)
	expect(t, "widget avatar", e.do(testkit.Request{Method: "GET", Path: av.Body["inviteAvatarUrl"].(string)}), 200)
	adm("DELETE", "/v1/settings/company/logo", nil, 200)
	adm("DELETE", "/v1/settings/leads/invite-avatar", nil, 200)
	expect(t, "widget avatar, none", e.do(testkit.Request{Method: "GET", Path: "/v1/widget/" + a.ID + "/invite-avatar"}), 404)

	// Templates.
	tp := adm("POST", "/v1/templates", map[string]any{"level": "global", "language": "ru", "text": "Добрый день!"}, 201)
	id := tp.Body["id"].(string)
	adm("GET", "/v1/templates?language=ru&level=global", nil, 200)
	adm("GET", "/v1/templates/"+id, nil, 200)
	adm("PUT", "/v1/templates/"+id, map[string]any{"language": "ru", "section": "Start", "title": "Hello", "text": "Добрый вечер!"}, 200)
	adm("POST", "/v1/templates", map[string]any{"level": "global", "language": "ru", "text": ""}, 422)
	adm("DELETE", "/v1/templates/"+id, nil, 204)

	// The chat history: an offline request is a chat without a socket.
	left, err := lambdas.ChatService(e.stack.Store, time.Now).LeaveMessage(context.Background(), chat.Party{AccountID: a.ID, Kind: chat.FromVisitor, ID: "visitor-1"},
		chat.OfflineInput{Name: "Ann", Contact: "ann@visitor.example", Text: "Call me back", Page: "https://acme.example/contact"})
	if err != nil {
		t.Fatal(err)
	}
	if r := adm("GET", "/v1/chats?status=closed&limit=10", nil, 200); len(r.Body["items"].([]any)) != 1 {
		t.Errorf("GET /v1/chats: %v, want the offline request", r.Body)
	}
	adm("GET", "/v1/chats?from=yesterday", nil, 422)
	adm("GET", "/v1/chats/"+left.ID, nil, 200)
	adm("GET", "/v1/chats/"+left.ID+"?since=-1&limit=501", nil, 422)
	adm("GET", "/v1/chats/000000000000deadbeef", nil, 404)

	// The audit trail, written by the stream consumer.
	testkit.Eventually(t, "the audit entries", func() bool {
		r := adm("GET", "/v1/audit", nil, 200)
		items, _ := r.Body["items"].([]any)
		return len(items) >= 12
	})
	adm("GET", "/v1/audit?before=x", nil, 422)
	expect(t, "operator reads the audit", e.do(testkit.Request{Method: "GET", Path: "/v1/audit", Token: op}), 403)

	// Sessions, passwords, the account.
	public := func(method, path string, body any, status int) testkit.Reply {
		t.Helper()
		return expect(t, method+" "+path, e.do(testkit.Request{Method: method, Path: path, Body: body}), status)
	}
	public("GET", "/v1/health", nil, 200)
	public("POST", "/v1/accounts", map[string]any{"companyName": "Acme", "email": a.AdminEmail, "password": adminPassword}, 409)
	public("POST", "/v1/accounts", map[string]any{"companyName": "", "email": "nope", "password": "short"}, 422)
	in := public("POST", "/v1/auth/login", map[string]any{"email": a.AdminEmail, "password": adminPassword}, 200)
	public("POST", "/v1/auth/login", map[string]any{"email": a.AdminEmail, "password": "not the password"}, 401)
	public("POST", "/v1/auth/login", map[string]any{"email": a.AdminEmail, "pass": adminPassword}, 422)
	renewed := public("POST", "/v1/auth/refresh", map[string]any{"refreshToken": in.Body["refreshToken"]}, 200)
	public("POST", "/v1/auth/refresh", map[string]any{"refreshToken": "a.b.c.d"}, 401)
	public("POST", "/v1/auth/logout", map[string]any{"refreshToken": renewed.Body["refreshToken"]}, 204)
	public("POST", "/v1/auth/password-reset", map[string]any{"email": a.AdminEmail}, 202)
	public("POST", "/v1/auth/password-reset", map[string]any{"email": "not an e-mail"}, 422)
	adm("GET", "/v1/account", nil, 200)
	adm("POST", "/v1/auth/password/change", map[string]any{"currentPassword": "not the password", "newPassword": adminPassword}, 422)
	adm("POST", "/v1/auth/password/change", map[string]any{"currentPassword": adminPassword, "newPassword": adminPassword}, 200)

	// People, their photos, departments.
	invited := adm("POST", "/v1/people", map[string]any{"email": testkit.UniqueEmail("invitee"), "name": "Olga", "role": "operator"}, 201)
	pid := invited.Body["id"].(string)
	adm("POST", "/v1/people", map[string]any{"email": invited.Body["email"], "role": "operator"}, 409)
	adm("POST", "/v1/people", map[string]any{"email": testkit.UniqueEmail("invitee"), "role": "boss"}, 422)
	adm("POST", "/v1/people", map[string]any{"email": testkit.UniqueEmail("invitee"), "role": "operator", "departments": []string{"nothing"}}, 404)
	adm("GET", "/v1/people", nil, 200)
	adm("GET", "/v1/people/"+pid, nil, 200)
	adm("GET", "/v1/people/nobody", nil, 404)
	adm("PATCH", "/v1/people/"+pid, map[string]any{"name": "Olga K", "chatLimit": 3, "languages": []string{"ru", "en"}}, 200)
	adm("PATCH", "/v1/people/"+pid, map[string]any{"chatLimit": 0}, 422)
	adm("PATCH", "/v1/people/"+a.AdminID, map[string]any{"role": "operator"}, 409)
	adm("POST", "/v1/people/"+pid+"/invitation", nil, 202)
	set := public("POST", "/v1/auth/password", map[string]any{"token": e.issueLink(a.ID, pid), "password": "a long enough password"}, 200)
	if set.Body["user"].(map[string]any)["status"] != "active" {
		t.Errorf("after setting a password: %v", set.Body["user"])
	}
	public("POST", "/v1/auth/password", map[string]any{"token": "used-or-unknown", "password": "a long enough password"}, 422)
	adm("POST", "/v1/people/"+pid+"/invitation", nil, 409)
	photo := adm("PUT", "/v1/people/"+pid+"/photo", pngImage(t, 16, 16), 200)
	adm("PUT", "/v1/people/"+pid+"/photo", pngImage(t, 120, 16), 422)
	expect(t, "operator sets a colleague's photo", e.do(testkit.Request{Method: "PUT", Path: "/v1/people/" + a.AdminID + "/photo", Token: op, Body: pngImage(t, 16, 16), ContentType: "image/png"}), 403)
	expect(t, "widget photo", e.do(testkit.Request{Method: "GET", Path: photo.Body["photoUrl"].(string)}), 200)
	adm("DELETE", "/v1/people/"+pid+"/photo", nil, 200)
	expect(t, "widget photo, none", e.do(testkit.Request{Method: "GET", Path: "/v1/widget/" + a.ID + "/people/" + pid + "/photo"}), 404)
	dept := adm("POST", "/v1/departments", map[string]any{"name": "Sales"}, 201).Body["id"].(string)
	adm("POST", "/v1/departments", map[string]any{"name": " sales "}, 409)
	adm("POST", "/v1/departments", map[string]any{"name": "  "}, 422)
	adm("GET", "/v1/departments", nil, 200)
	adm("GET", "/v1/departments/"+dept, nil, 200)
	adm("GET", "/v1/departments/nothing", nil, 404)
	adm("PATCH", "/v1/departments/"+dept, map[string]any{"name": "Retail"}, 200)
	adm("PUT", "/v1/departments/"+dept+"/members/"+pid, nil, 200)
	adm("PUT", "/v1/departments/nothing/members/"+pid, nil, 404)
	adm("DELETE", "/v1/departments/"+dept+"/members/"+pid, nil, 200)
	adm("DELETE", "/v1/departments/"+dept, nil, 204)
	adm("DELETE", "/v1/departments/"+dept, nil, 404)
	adm("DELETE", "/v1/people/"+pid, nil, 204)
	adm("DELETE", "/v1/people/"+a.AdminID, nil, 409)
	expect(t, "operator invites", e.do(testkit.Request{Method: "POST", Path: "/v1/people", Token: op, Body: map[string]any{"email": testkit.UniqueEmail("x"), "role": "operator"}}), 403)

	// Visitor identification.
	vt := cfg.Body["visitorToken"].(string)
	ident := map[string]string{"id": "42", "name": "Ann"}
	public("POST", "/v1/widget/"+a.ID+"/identify", map[string]any{"visitorToken": vt, "fields": ident, "signature": visitor.Sign([]byte(privateKey), "id=42\nname=Ann")}, 200)
	public("POST", "/v1/widget/"+a.ID+"/identify", map[string]any{"visitorToken": vt, "payload": "id=42\nname=Ann", "signature": visitor.Sign([]byte(privateKey), "id=43\nname=Ann")}, 422)
	public("POST", "/v1/widget/"+a.ID+"/identify", map[string]any{"visitorToken": "forged", "fields": ident, "signature": visitor.Sign([]byte(privateKey), "id=42\nname=Ann")}, 401)

	// Statistics (issue 15; TestStatsAPI has the rest).
	adm("GET", "/v1/stats?groupBy=category", nil, 200)
	adm("GET", "/v1/stats?from=nope", nil, 422)
	expect(t, "operator's stats by department", e.do(testkit.Request{Method: "GET", Path: "/v1/stats?groupBy=department", Token: op}), 403)

	for _, o := range e.spec.Operations() {
		if !e.seen[o.Key()] {
			t.Errorf("%s was never called", o.Key())
		}
	}
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}
