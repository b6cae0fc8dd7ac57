package stack_test

import (
	"testing"

	"parley/internal/testkit"
)

// TestInviteSignInRefreshAndRevoke follows a person through the local
// stack: invited by mail (local SES), sets a password through the link
// (which then stops working), signs in, refreshes (the old refresh token
// stops working, and presenting it again ends the session), signs out
// (the access token is refused at once), resets a forgotten password, and
// loses access when an administrator changes their role.
func TestInviteSignInRefreshAndRevoke(t *testing.T) {
	e := newMatrixEnv(t)
	email := e.unique("newcomer") + "@a.example"
	invited := e.admin(t, "POST", "/people", map[string]any{"email": email, "name": "Newcomer", "role": "operator", "languages": []string{"en", "ru"}}, 201)
	if invited.body["status"] != "invited" || invited.body["interfaceLanguage"] != "en" {
		t.Fatalf("invited person: %s", invited.raw)
	}
	id := invited.body["id"].(string)
	if r := e.do(t, "POST", "/auth/login", "", request{body: map[string]any{"email": email, "password": password}}, ""); r.status != 401 {
		t.Fatalf("an invited person without a password signed in: %d", r.status)
	}

	// A second invitation replaces the first link.
	first := testkit.MailedLink(t, e.s.SESEndpoint, email, "invited")
	e.admin(t, "POST", "/people/"+id+"/invitation", nil, 202)
	second := testkit.MailedLink(t, e.s.SESEndpoint, email, "invited", first)
	if r := e.do(t, "POST", "/auth/password", "", request{body: map[string]any{"token": first, "password": password}}, ""); r.status != 422 {
		t.Fatalf("the replaced link worked: %d %s", r.status, r.raw)
	}
	if r := e.do(t, "POST", "/auth/password", "", request{body: map[string]any{"token": second, "password": "short"}}, ""); r.status != 422 {
		t.Fatalf("a short password was accepted: %d", r.status)
	}
	if r := e.do(t, "POST", "/auth/password", "", request{body: map[string]any{"token": second, "password": password}}, ""); r.status != 200 {
		t.Fatalf("set password: %d %s", r.status, r.raw)
	}
	if r := e.do(t, "POST", "/auth/password", "", request{body: map[string]any{"token": second, "password": "another long password"}}, ""); r.status != 422 {
		t.Fatalf("a used link worked again: %d", r.status)
	}

	signIn := e.login(t, email)
	access, refresh := signIn.body["token"].(string), signIn.body["refreshToken"].(string)
	if r := e.do(t, "GET", "/people/"+id, access, request{}, ""); r.status != 200 || r.body["status"] != "active" {
		t.Fatalf("own profile: %d %s", r.status, r.raw)
	}

	renewed := e.do(t, "POST", "/auth/refresh", "", request{body: map[string]any{"refreshToken": refresh}}, "")
	if renewed.status != 200 || renewed.body["refreshToken"] == refresh {
		t.Fatalf("refresh: %d %s", renewed.status, renewed.raw)
	}
	// The old refresh token is a copy now: presenting it ends the session,
	// so the renewed tokens stop working too.
	if r := e.do(t, "POST", "/auth/refresh", "", request{body: map[string]any{"refreshToken": refresh}}, ""); r.status != 401 {
		t.Fatalf("a used refresh token worked again: %d", r.status)
	}
	if r := e.do(t, "GET", "/account", renewed.body["token"].(string), request{}, ""); r.status != 403 {
		t.Fatalf("an access token of a session ended by refresh-token reuse: %d", r.status)
	}

	// Sign out ends the session's access tokens at once.
	signIn = e.login(t, email)
	access, refresh = signIn.body["token"].(string), signIn.body["refreshToken"].(string)
	if r := e.do(t, "POST", "/auth/logout", "", request{body: map[string]any{"refreshToken": refresh}}, ""); r.status != 204 {
		t.Fatalf("logout: %d", r.status)
	}
	if r := e.do(t, "GET", "/account", access, request{}, ""); r.status != 403 {
		t.Fatalf("access token after logout: %d", r.status)
	}
	if r := e.do(t, "POST", "/auth/refresh", "", request{body: map[string]any{"refreshToken": refresh}}, ""); r.status != 401 {
		t.Fatalf("refresh after logout: %d", r.status)
	}

	// A forgotten password: the reset mail's link sets a new one and ends
	// every session.
	signIn = e.login(t, email)
	if r := e.do(t, "POST", "/auth/password-reset", "", request{body: map[string]any{"email": email}}, ""); r.status != 202 {
		t.Fatalf("reset: %d", r.status)
	}
	if r := e.do(t, "POST", "/auth/password-reset", "", request{body: map[string]any{"email": "nobody-" + email}}, ""); r.status != 202 {
		t.Fatalf("reset of an unknown e-mail must look the same: %d", r.status)
	}
	reset := testkit.MailedLink(t, e.s.SESEndpoint, email, "Reset")
	if r := e.do(t, "POST", "/auth/password", "", request{body: map[string]any{"token": reset, "password": "a brand new password"}}, ""); r.status != 200 {
		t.Fatalf("reset password: %d %s", r.status, r.raw)
	}
	if r := e.do(t, "GET", "/account", signIn.body["token"].(string), request{}, ""); r.status != 403 {
		t.Fatalf("a session from before the reset still works: %d", r.status)
	}
	if r := e.do(t, "POST", "/auth/login", "", request{body: map[string]any{"email": email, "password": password}}, ""); r.status != 401 {
		t.Fatalf("the old password still works: %d", r.status)
	}
	signIn = e.do(t, "POST", "/auth/login", "", request{body: map[string]any{"email": email, "password": "a brand new password"}}, "")
	if signIn.status != 200 {
		t.Fatalf("login with the new password: %d", signIn.status)
	}

	// Promoting them signs them out, so the old role cannot linger in a
	// token.
	if r := e.admin(t, "PATCH", "/people/"+id, map[string]any{"role": "supervisor"}, 200); r.body["role"] != "supervisor" {
		t.Fatalf("role change: %s", r.raw)
	}
	if r := e.do(t, "GET", "/account", signIn.body["token"].(string), request{}, ""); r.status != 403 {
		t.Fatalf("a token from before the role change still works: %d", r.status)
	}

	// The last administrator cannot be demoted, nor remove themselves.
	if r := e.do(t, "PATCH", "/people/"+e.adminA.id, e.tokens[asAdmin], request{body: map[string]any{"role": "operator"}}, ""); r.status != 409 {
		t.Fatalf("demoting the last administrator: %d %s", r.status, r.raw)
	}
	if r := e.do(t, "DELETE", "/people/"+e.adminA.id, e.tokens[asAdmin], request{}, ""); r.status != 409 {
		t.Fatalf("an administrator removed themselves: %d", r.status)
	}
}

// TestHiddenProfiles: with features.hiddenProfiles on, an operator sees
// and may not edit even their own profile; off, they edit it.
func TestHiddenProfiles(t *testing.T) {
	e := newMatrixEnv(t)
	op := e.tokens[asOperator]
	me := "/people/" + e.opA.id
	if r := e.do(t, "PATCH", me, op, request{body: map[string]any{"name": "Olga", "languages": []string{"ru", "en"}}}, ""); r.status != 200 || r.body["name"] != "Olga" {
		t.Fatalf("operator edits own profile: %d %s", r.status, r.raw)
	}
	if r := e.do(t, "PATCH", me, op, request{body: map[string]any{"chatLimit": 9}}, ""); r.status != 403 {
		t.Fatalf("operator sets own chat limit: %d", r.status)
	}
	if r := e.do(t, "GET", "/people", op, request{}, ""); r.status != 200 || len(r.body["items"].([]any)) < 3 {
		t.Fatalf("operator lists colleagues: %d %s", r.status, r.raw)
	}
	e.admin(t, "PATCH", "/settings/features", map[string]any{"hiddenProfiles": true}, 200)

	if r := e.do(t, "PATCH", me, op, request{body: map[string]any{"name": "Olga K"}}, ""); r.status != 403 {
		t.Fatalf("operator edits own hidden profile: %d", r.status)
	}
	if r := e.do(t, "PUT", me+"/photo", op, request{body: e.pngBytes, ctype: "image/png"}, ""); r.status != 403 {
		t.Fatalf("operator sets own hidden photo: %d", r.status)
	}
	if r := e.do(t, "GET", me, op, request{}, ""); r.status != 200 || r.body["name"] != "Olga" {
		t.Fatalf("operator views own profile: %d %s", r.status, r.raw)
	}
	if r := e.do(t, "GET", "/people/"+e.supA.id, op, request{}, ""); r.status != 403 {
		t.Fatalf("operator views a colleague's hidden profile: %d", r.status)
	}
	if r := e.do(t, "GET", "/people", op, request{}, ""); r.status != 200 || len(r.body["items"].([]any)) != 1 {
		t.Fatalf("operator lists hidden profiles: %d %s", r.status, r.raw)
	}
	// Personal templates stay theirs to manage.
	if r := e.do(t, "POST", "/templates", op, request{body: map[string]any{"level": "personal", "language": "en", "text": "mine"}}, ""); r.status != 201 {
		t.Fatalf("operator's personal template with hidden profiles: %d %s", r.status, r.raw)
	}
	// Supervisors and administrators edit every profile but, for a
	// supervisor, an administrator's.
	if r := e.do(t, "PATCH", me, e.tokens[asSupervisor], request{body: map[string]any{"name": "Olga S", "chatLimit": 3}}, ""); r.status != 200 || r.body["chatLimit"] != float64(3) {
		t.Fatalf("supervisor edits operator: %d %s", r.status, r.raw)
	}
	if r := e.do(t, "PATCH", "/people/"+e.adminA.id, e.tokens[asSupervisor], request{body: map[string]any{"name": "X"}}, ""); r.status != 403 {
		t.Fatalf("supervisor edits administrator: %d", r.status)
	}
	if r := e.do(t, "PATCH", me, e.tokens[asSupervisor], request{body: map[string]any{"role": "administrator"}}, ""); r.status != 403 {
		t.Fatalf("supervisor changes a role: %d", r.status)
	}
	if r := e.admin(t, "PATCH", me, map[string]any{"chatLimit": nil, "languages": []string{"fr"}}, 422); r.body["error"].(map[string]any)["fields"].(map[string]any)["languages"] == nil {
		t.Fatalf("bad language: %s", r.raw)
	}
	if r := e.do(t, "GET", me, op, request{}, ""); r.body["chatLimit"] != float64(3) {
		t.Fatalf("a refused PATCH changed the profile: %s", r.raw)
	}
}
