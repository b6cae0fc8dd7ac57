package stack_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"parley/internal/account"
	"parley/internal/auth"
	"parley/internal/chat"
	"parley/internal/lambdas"
	"parley/internal/routes"
	"parley/internal/settings"
	"parley/internal/visitor"
	"parley/internal/webhook"
)

// matrix is every HTTP route's cell. A route missing here fails the test.
func matrix() map[string]cell {
	person := func(sub string) func(*testing.T, *matrixEnv, caller) request {
		return func(_ *testing.T, e *matrixEnv, _ caller) request {
			return request{path: "/people/" + e.targetA.id + sub}
		}
	}
	photo := func(t *testing.T, e *matrixEnv, _ caller) request {
		return request{path: "/people/" + e.targetA.id + "/photo", body: e.pngBytes, ctype: "image/png"}
	}
	freshDept := func(t *testing.T, e *matrixEnv) string {
		return e.admin(t, "POST", "/departments", map[string]any{"name": e.unique("Dept")}, 201).body["id"].(string)
	}
	member := func(t *testing.T, e *matrixEnv, _ caller) request {
		return request{path: "/departments/" + freshDept(t, e) + "/members/" + e.targetA.id}
	}
	other404 := map[caller]int{otherAccount: 404}
	managers := map[caller]int{otherAccount: 404, asOperator: 403}
	return map[string]cell{
		"GET /v1/health": {prep: fixed("/health", nil), ok: 200},
		"POST /v1/accounts": {prep: func(_ *testing.T, e *matrixEnv, _ caller) request {
			return request{path: "/accounts", body: map[string]any{"companyName": "Gamma", "email": e.unique("new") + "@example.com", "password": password}}
		}, ok: 201},
		"POST /v1/auth/login": {prep: func(_ *testing.T, e *matrixEnv, _ caller) request {
			return request{path: "/auth/login", body: map[string]any{"email": e.opA.email, "password": password}}
		}, ok: 200, byCaller: map[caller]int{disallowedIPs: 403}},
		"GET /v1/widget/{accountId}/config": {prep: func(_ *testing.T, e *matrixEnv, _ caller) request {
			return request{path: "/widget/" + e.accA + "/config"}
		}, ok: 200},
		"GET /v1/settings":             {prep: fixed("/settings", nil), ok: 200},
		"GET /v1/settings/{section}":   {prep: fixed("/settings/company", nil), ok: 200},
		"PUT /v1/settings/{section}":   {prep: fixed("/settings/misc", map[string]any{"buttonProbability": 100, "onlineQueueLimit": nil, "offlineQueueLimit": nil}), ok: 200},
		"PATCH /v1/settings/{section}": {prep: fixed("/settings/misc", map[string]any{"buttonProbability": 90}), ok: 200},
		"GET /v1/audit":                {prep: fixed("/audit", nil), ok: 200},
		"PUT /v1/settings/company/logo": {prep: func(_ *testing.T, e *matrixEnv, _ caller) request {
			return request{path: "/settings/company/logo", body: e.pngBytes, ctype: "image/png"}
		}, ok: 200},
		"DELETE /v1/settings/company/logo": {prep: fixed("/settings/company/logo", nil), ok: 200},
		"PUT /v1/settings/leads/invite-avatar": {prep: func(_ *testing.T, e *matrixEnv, _ caller) request {
			return request{path: "/settings/leads/invite-avatar", body: e.pngBytes, ctype: "image/png"}
		}, ok: 200},
		"DELETE /v1/settings/leads/invite-avatar":                          {prep: fixed("/settings/leads/invite-avatar", nil), ok: 200},
		"POST /v1/settings/integration/private-key/regenerate":             {prep: fixed("/settings/integration/private-key/regenerate", nil), ok: 200},
		"POST /v1/settings/integration/vk/secret-key/regenerate":           {prep: fixed("/settings/integration/vk/secret-key/regenerate", nil), ok: 200},
		"POST /v1/settings/integration/webhooks/signing-secret/regenerate": {prep: fixed("/settings/integration/webhooks/signing-secret/regenerate", nil), ok: 200},
		"GET /v1/integrations/deliveries":                                  {prep: fixed("/integrations/deliveries", nil), ok: 200},
		"GET /v1/stats":                                                    {prep: fixed("/stats?groupBy=operator", nil), ok: 200},
		// The Unisender export: account A has Unisender set up and no
		// export running when the call comes; B has none (422, 404).
		"POST /v1/integrations/unisender/export": {prep: func(t *testing.T, e *matrixEnv, _ caller) request {
			e.admin(t, "PATCH", "/settings/integration", map[string]any{"unisender": map[string]any{"apiKey": "matrix-key-0123456789", "listName": "Matrix"}}, 200)
			_ = e.do(t, "DELETE", "/integrations/unisender/export", e.tokens[asAdmin], request{}, "")
			return request{path: "/integrations/unisender/export"}
		}, ok: 202, byCaller: map[caller]int{otherAccount: 422}},
		"GET /v1/integrations/unisender/export": {prep: func(t *testing.T, e *matrixEnv, _ caller) request {
			e.runningExport(t)
			return request{path: "/integrations/unisender/export"}
		}, ok: 200, byCaller: map[caller]int{otherAccount: 404}},
		"DELETE /v1/integrations/unisender/export": {prep: func(t *testing.T, e *matrixEnv, _ caller) request {
			e.runningExport(t)
			return request{path: "/integrations/unisender/export"}
		}, ok: 200, byCaller: map[caller]int{otherAccount: 404}},
		// Account A has a handler (a name that never resolves); B has none,
		// so its administrator's test event is refused with a field error.
		"POST /v1/integrations/deliveries/test": {prep: func(t *testing.T, e *matrixEnv, _ caller) request {
			e.admin(t, "PATCH", "/settings/integration", map[string]any{"webhooks": map[string]any{"chatStart": "https://hooks.parley.invalid/x"}}, 200)
			return request{path: "/integrations/deliveries/test", body: map[string]any{"event": "chatStart"}}
		}, ok: 202, byCaller: map[caller]int{otherAccount: 422}},
		"POST /v1/integrations/deliveries/{deliveryId}/redeliver": {prep: func(t *testing.T, e *matrixEnv, _ caller) request {
			// A delivered one of account A: redelivering it is allowed.
			at := time.Now().Add(-time.Hour)
			d := webhook.Delivery{AccountID: e.accA, ID: webhook.NewID(at, e.unique("matrix")), Event: webhook.ChatStart, Body: []byte(`{}`),
				Status: webhook.Delivered, Attempts: 1, CreatedAt: at, Since: at, NextAt: at}
			if _, err := e.s.Store.PutDelivery(t.Context(), d); err != nil {
				t.Fatal(err)
			}
			return request{path: "/integrations/deliveries/" + d.ID + "/redeliver"}
		}, ok: 202, byCaller: other404},
		"GET /v1/widget/{accountId}/logo": {prep: func(t *testing.T, e *matrixEnv, _ caller) request {
			e.do(t, "PUT", "/settings/company/logo", e.tokens[asAdmin], request{body: e.pngBytes, ctype: "image/png"}, "")
			return request{path: "/widget/" + e.accA + "/logo"}
		}, ok: 200},
		"GET /v1/widget/{accountId}/invite-avatar": {prep: func(t *testing.T, e *matrixEnv, _ caller) request {
			e.do(t, "PUT", "/settings/leads/invite-avatar", e.tokens[asAdmin], request{body: e.pngBytes, ctype: "image/png"}, "")
			return request{path: "/widget/" + e.accA + "/invite-avatar"}
		}, ok: 200},
		"GET /v1/chats": {prep: fixed("/chats", nil), ok: 200},
		"GET /v1/chats/{chatId}": {prep: func(t *testing.T, e *matrixEnv, _ caller) request {
			// A waiting chat: every role of the account may open it.
			c, _, _, err := lambdas.ChatService(e.s.Store, time.Now).Start(t.Context(), chat.Party{AccountID: e.accA, Kind: chat.FromVisitor, ID: e.unique("visitor")}, chat.StartInput{})
			if err != nil {
				t.Fatal(err)
			}
			return request{path: "/chats/" + c.ID}
		}, ok: 200, byCaller: other404},
		"GET /v1/templates":      {prep: fixed("/templates", nil), ok: 200},
		"POST /v1/templates":     {prep: fixed("/templates", map[string]any{"level": "personal", "language": "en", "text": "My own answer"}), ok: 201},
		"GET /v1/templates/{id}": {prep: func(_ *testing.T, e *matrixEnv, _ caller) request { return request{path: "/templates/" + e.templateA} }, ok: 200, byCaller: other404},
		"PUT /v1/templates/{id}": {prep: func(_ *testing.T, e *matrixEnv, _ caller) request {
			return request{path: "/templates/" + e.templateA, body: map[string]any{"level": "global", "language": "en", "text": "Alpha canned answer"}}
		}, ok: 200, byCaller: map[caller]int{otherAccount: 404, asOperator: 403, asSupervisor: 403}},
		"DELETE /v1/templates/{id}": {prep: func(t *testing.T, e *matrixEnv, _ caller) request {
			id := e.admin(t, "POST", "/templates", map[string]any{"level": "global", "language": "en", "text": "Alpha to delete"}, 201).body["id"].(string)
			return request{path: "/templates/" + id}
		}, ok: 204, byCaller: map[caller]int{otherAccount: 404, asOperator: 403, asSupervisor: 403}},

		"POST /v1/auth/refresh": {prep: func(t *testing.T, e *matrixEnv, _ caller) request {
			return request{path: "/auth/refresh", body: map[string]any{"refreshToken": e.login(t, e.opA.email).body["refreshToken"]}}
		}, ok: 200, byCaller: map[caller]int{disallowedIPs: 403}},
		"POST /v1/auth/logout": {prep: func(t *testing.T, e *matrixEnv, _ caller) request {
			return request{path: "/auth/logout", body: map[string]any{"refreshToken": e.login(t, e.opA.email).body["refreshToken"]}}
		}, ok: 204},
		"POST /v1/auth/password-reset": {prep: func(_ *testing.T, e *matrixEnv, _ caller) request {
			return request{path: "/auth/password-reset", body: map[string]any{"email": e.opA.email}}
		}, ok: 202},
		"POST /v1/auth/password": {prep: func(t *testing.T, e *matrixEnv, _ caller) request {
			p := e.addPerson(t, routes.Operator, false)
			secret, hash := auth.NewSecret()
			if err := e.s.Store.IssueLink(context.Background(), account.Link{Hash: hash, AccountID: e.accA, PersonID: p.id, Kind: account.LinkInvite, ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
				t.Fatal(err)
			}
			return request{path: "/auth/password", body: map[string]any{"token": secret, "password": password}}
		}, ok: 200},
		// Each caller changes their own password to the same one: their
		// session goes on, so the matrix's tokens keep working.
		"POST /v1/auth/password/change": {prep: fixed("/auth/password/change", map[string]any{"currentPassword": password, "newPassword": password}),
			ok: 200, byCaller: map[caller]int{otherAccount: 200}},
		"GET /v1/account": {prep: fixed("/account", nil), ok: 200},

		"GET /v1/people": {prep: fixed("/people", nil), ok: 200},
		"POST /v1/people": {prep: func(_ *testing.T, e *matrixEnv, _ caller) request {
			return request{path: "/people", body: map[string]any{"email": e.unique("invitee") + "@example.com", "role": "operator"}}
		}, ok: 201},
		"GET /v1/people/{personId}": {prep: person(""), ok: 200, byCaller: other404},
		"PATCH /v1/people/{personId}": {prep: func(_ *testing.T, e *matrixEnv, _ caller) request {
			return request{path: "/people/" + e.targetA.id, body: map[string]any{"name": "Alpha Target"}}
		}, ok: 200, byCaller: managers},
		"DELETE /v1/people/{personId}": {prep: func(t *testing.T, e *matrixEnv, _ caller) request {
			return request{path: "/people/" + e.addPerson(t, routes.Operator, false).id}
		}, ok: 204, byCaller: other404},
		"POST /v1/people/{personId}/invitation": {prep: func(t *testing.T, e *matrixEnv, _ caller) request {
			return request{path: "/people/" + e.addPerson(t, routes.Operator, false).id + "/invitation"}
		}, ok: 202, byCaller: other404},
		"PUT /v1/people/{personId}/photo":    {prep: photo, ok: 200, byCaller: managers},
		"DELETE /v1/people/{personId}/photo": {prep: person("/photo"), ok: 200, byCaller: managers},
		"GET /v1/widget/{accountId}/people/{personId}/photo": {prep: func(t *testing.T, e *matrixEnv, _ caller) request {
			e.admin(t, "PUT", "/people/"+e.targetA.id+"/photo", e.pngBytes, 200)
			return request{path: "/widget/" + e.accA + "/people/" + e.targetA.id + "/photo"}
		}, ok: 200},

		"GET /v1/departments": {prep: fixed("/departments", nil), ok: 200},
		"POST /v1/departments": {prep: func(_ *testing.T, e *matrixEnv, _ caller) request {
			return request{path: "/departments", body: map[string]any{"name": e.unique("Team")}}
		}, ok: 201},
		"GET /v1/departments/{departmentId}": {prep: func(_ *testing.T, e *matrixEnv, _ caller) request { return request{path: "/departments/" + e.deptA} }, ok: 200, byCaller: other404},
		"PATCH /v1/departments/{departmentId}": {prep: func(_ *testing.T, e *matrixEnv, _ caller) request {
			return request{path: "/departments/" + e.deptA, body: map[string]any{"name": e.unique("Alpha Sales")}}
		}, ok: 200, byCaller: other404},
		"DELETE /v1/departments/{departmentId}": {prep: func(t *testing.T, e *matrixEnv, _ caller) request {
			return request{path: "/departments/" + freshDept(t, e)}
		}, ok: 204, byCaller: other404},
		"PUT /v1/departments/{departmentId}/members/{personId}":    {prep: member, ok: 200, byCaller: other404},
		"DELETE /v1/departments/{departmentId}/members/{personId}": {prep: member, ok: 200, byCaller: other404},

		"POST /v1/widget/{accountId}/identify": {prep: func(t *testing.T, e *matrixEnv, _ caller) request {
			cfg := e.do(t, "GET", "/widget/"+e.accA+"/config", "", request{}, "")
			rec, err := e.s.Store.Settings(context.Background(), e.accA)
			if err != nil {
				t.Fatal(err)
			}
			doc, err := settings.Load([]byte(rec.Doc))
			if err != nil {
				t.Fatal(err)
			}
			fields := map[string]string{"id": "crm-42", "name": "Ann"}
			_, canonical, err := visitor.Canonical(fields)
			if err != nil {
				t.Fatal(err)
			}
			return request{path: "/widget/" + e.accA + "/identify", body: map[string]any{"visitorToken": cfg.body["visitorToken"], "fields": fields,
				"signature": visitor.Sign([]byte(doc.Integration.PrivateKey), canonical)}}
		}, ok: 200},
		// The messengers' webhooks take no token: whoever calls, only the
		// messenger's secret counts, and without it the answer is 401.
		"POST /v1/channels/telegram/{accountId}": {prep: func(t *testing.T, e *matrixEnv, _ caller) request {
			return request{path: "/channels/telegram/" + e.accA, body: map[string]any{"update_id": 1}, hdr: map[string]string{"X-Telegram-Bot-Api-Secret-Token": "guess"}}
		}, ok: 401},
		"POST /v1/channels/vk/{accountId}": {prep: func(t *testing.T, e *matrixEnv, _ caller) request {
			return request{path: "/channels/vk/" + e.accA, body: map[string]any{"type": "confirmation", "group_id": 1, "secret": "guess"}}
		}, ok: 401},
	}
}

// expected is the status a caller must get from a route.
func expected(r routes.HTTPRoute, c cell, who caller) int {
	if s, ok := c.byCaller[who]; ok {
		return s
	}
	if r.Public() {
		return c.ok
	}
	switch who {
	case noToken:
		return http.StatusUnauthorized // API Gateway, without the authorizer
	case expiredToken, disallowedIPs:
		return http.StatusForbidden // the authorizer denies
	case otherAccount:
		return c.ok // their own account's data (a role check passes: an administrator)
	}
	role := map[caller]routes.Role{asOperator: routes.Operator, asSupervisor: routes.Supervisor, asAdmin: routes.Administrator}[who]
	if !slices.Contains(r.Roles, role) {
		return http.StatusForbidden
	}
	return c.ok
}

// TestAccessMatrix drives every HTTP route and the WebSocket connect with
// every kind of caller through the local gateway and its authorizer, and
// checks the exact status of each, and that no response to one account's
// staff carries another account's data.
func TestAccessMatrix(t *testing.T) {
	e := newMatrixEnv(t)
	cells := matrix()
	for k := range cells {
		if !slices.ContainsFunc(routes.HTTP, func(r routes.HTTPRoute) bool { return r.RouteKey() == k }) {
			t.Errorf("the matrix has a cell for %s, which is not in routes.HTTP", k)
		}
	}
	total, failed := 0, 0
	for _, r := range routes.HTTP {
		c, ok := cells[r.RouteKey()]
		if !ok {
			t.Errorf("route %s has no cell in the access matrix: add one", r.RouteKey())
			continue
		}
		for _, who := range callers {
			req := c.prep(t, e, who)
			from := ""
			if who == disallowedIPs {
				from = disallowedAddr
			}
			got := e.do(t, r.Method, req.path, e.tokens[who], req, from)
			want := expected(r, c, who)
			total++
			if got.status != want {
				failed++
				t.Errorf("%s as %s: %d %s, want %d", r.RouteKey(), who, got.status, truncate(got.raw), want)
			}
			if !r.Public() && got.status < 300 {
				acc := e.accA
				if who == otherAccount {
					acc = e.accB
				}
				e.bodiesByAccount[acc] = append(e.bodiesByAccount[acc], r.RouteKey()+": "+string(got.raw))
			}
		}
	}

	wsTotal, wsFailed := wsMatrix(t, e)
	total += wsTotal
	failed += wsFailed

	// Tenant isolation: what B's administrator read holds nothing of A,
	// and what A's staff read holds nothing of B.
	for _, body := range e.bodiesByAccount[e.accB] {
		for _, m := range e.markersA {
			if strings.Contains(body, m) {
				t.Errorf("a response to account B holds %q of account A: %s", m, truncate([]byte(body)))
			}
		}
	}
	for _, body := range e.bodiesByAccount[e.accA] {
		for _, m := range e.markersB {
			if strings.Contains(body, m) {
				t.Errorf("a response to account A holds %q of account B: %s", m, truncate([]byte(body)))
			}
		}
	}
	if len(e.bodiesByAccount[e.accB]) == 0 || len(e.bodiesByAccount[e.accA]) == 0 {
		t.Fatal("no successful responses were collected for the isolation check")
	}
	t.Logf("access matrix: %d routes x %d callers + %d WebSocket connects = %d cells, %d failed", len(routes.HTTP), len(callers), wsTotal, total, failed)
}

// wsMatrix opens the WebSocket with each caller; visitors from a
// disallowed address are let in, as the allowlist never limits them.
func wsMatrix(t *testing.T, e *matrixEnv) (total, failed int) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	want := map[caller]int{noToken: 401, expiredToken: 401, otherAccount: 101, asOperator: 101, asSupervisor: 101, asAdmin: 101, disallowedIPs: 403}
	try := func(name, query, from string, want int) {
		total++
		opts := &websocket.DialOptions{HTTPHeader: http.Header{}}
		if from != "" {
			opts.HTTPHeader.Set("x-forwarded-for", from)
		}
		conn, resp, err := websocket.Dial(ctx, e.s.WebSocketURL+query, opts)
		got := 0
		if resp != nil {
			got = resp.StatusCode
		}
		if conn != nil {
			conn.CloseNow()
		}
		if got != want {
			failed++
			t.Errorf("WebSocket $connect as %s: %d (%v), want %d", name, got, err, want)
		}
	}
	for _, who := range callers {
		q := ""
		if tok := e.tokens[who]; tok != "" {
			q = "?token=" + tok
		}
		from := ""
		if who == disallowedIPs {
			from = disallowedAddr
		}
		try(string(who), q, from, want[who])
	}
	cfg := e.do(t, "GET", "/widget/"+e.accA+"/config", "", request{}, "")
	try("visitor from a disallowed address", "?visitorToken="+cfg.body["visitorToken"].(string), disallowedAddr, 101)
	return total, failed
}

func truncate(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "..."
	}
	return string(b)
}
