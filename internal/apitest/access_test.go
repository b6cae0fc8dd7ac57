package apitest_test

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"parley/internal/local/stack"
	"parley/internal/testkit"
)

// The whole life of a sign-in over HTTP: sign-up signs the administrator
// in; login, refresh (the old refresh token then ends the session), logout
// (the access token is refused at once); an invitation mailed through the
// local SES, its link setting a password once; a reset mailed the same
// way, which ends the sessions from before it.
func TestSignUpSessionsAndPasswords(t *testing.T) {
	e := newEnv(t)
	public := func(what, path string, body any, status int) testkit.Reply {
		t.Helper()
		return expect(t, what, e.do(testkit.Request{Method: "POST", Path: path, Body: body}), status)
	}

	// Sign-up: the administrator's token works at once.
	a := e.signUp("corporate")
	acc := expect(t, "GET /v1/account", e.do(testkit.Request{Method: "GET", Path: "/v1/account", Token: a.Admin}), 200)
	if acc.Body["id"] != a.ID || acc.Body["name"] != "Acme" || acc.Body["plan"] != "corporate" || acc.Body["language"] != "ru" {
		t.Errorf("GET /v1/account: %v", acc.Body)
	}
	dup := public("sign-up with a taken e-mail (other case)", "/v1/accounts", map[string]any{"companyName": "Other", "email": strings.ToUpper(a.AdminEmail), "password": adminPassword}, 409)
	if dup.ErrorCode() != "conflict" {
		t.Errorf("taken e-mail: %s", dup.Raw)
	}
	bad := public("sign-up with bad fields", "/v1/accounts", map[string]any{"companyName": " ", "email": "Bob <bob@example.com>", "password": "short", "plan": "gold", "language": "de"}, 422)
	if f := bad.ErrorFields(); len(f) != 5 || f["companyName"] == nil || f["email"] == nil || f["password"] == nil || f["plan"] == nil || f["language"] == nil {
		t.Errorf("refused sign-up fields: %v", f)
	}

	// Login; the same 401 for a wrong password and an unknown e-mail.
	in := public("login", "/v1/auth/login", map[string]any{"email": a.AdminEmail, "password": adminPassword}, 200)
	if u := in.Body["user"].(map[string]any); u["id"] != a.AdminID || u["role"] != "administrator" || u["status"] != "active" || in.Body["expiresIn"] != float64(900) {
		t.Errorf("login: %v", in.Body)
	}
	wrong := public("wrong password", "/v1/auth/login", map[string]any{"email": a.AdminEmail, "password": "not the password"}, 401)
	unknown := public("unknown e-mail", "/v1/auth/login", map[string]any{"email": testkit.UniqueEmail("nobody"), "password": adminPassword}, 401)
	if string(wrong.Raw) != string(unknown.Raw) || wrong.ErrorCode() != "unauthorized" {
		t.Errorf("a wrong password (%s) and an unknown e-mail (%s) must answer alike", wrong.Raw, unknown.Raw)
	}

	// Refresh rotates; the old refresh token, presented again, ends the
	// session for both holders.
	renewed := public("refresh", "/v1/auth/refresh", map[string]any{"refreshToken": in.Body["refreshToken"]}, 200)
	if renewed.Body["refreshToken"] == in.Body["refreshToken"] {
		t.Errorf("refresh did not rotate the refresh token")
	}
	expect(t, "renewed token", e.do(testkit.Request{Method: "GET", Path: "/v1/account", Token: renewed.Body["token"].(string)}), 200)
	public("refresh with an exchanged token", "/v1/auth/refresh", map[string]any{"refreshToken": in.Body["refreshToken"]}, 401)
	public("refresh after reuse ended the session", "/v1/auth/refresh", map[string]any{"refreshToken": renewed.Body["refreshToken"]}, 401)
	expect(t, "access token of the ended session", e.do(testkit.Request{Method: "GET", Path: "/v1/account", Token: renewed.Body["token"].(string)}), 403)

	// Logout ends the session at once; twice is fine.
	in = public("login", "/v1/auth/login", map[string]any{"email": a.AdminEmail, "password": adminPassword}, 200)
	public("logout", "/v1/auth/logout", map[string]any{"refreshToken": in.Body["refreshToken"]}, 204)
	public("logout again", "/v1/auth/logout", map[string]any{"refreshToken": in.Body["refreshToken"]}, 204)
	expect(t, "access token after logout", e.do(testkit.Request{Method: "GET", Path: "/v1/account", Token: in.Body["token"].(string)}), 403)
	public("refresh after logout", "/v1/auth/refresh", map[string]any{"refreshToken": in.Body["refreshToken"]}, 401)

	// An invitation: the mailed link sets a password, once.
	email := testkit.UniqueEmail("invitee")
	inv := expect(t, "invite", e.do(testkit.Request{Method: "POST", Path: "/v1/people", Token: a.Admin, Body: map[string]any{"email": email, "name": "Olga", "role": "operator"}}), 201)
	if inv.Body["status"] != "invited" || inv.Body["interfaceLanguage"] != "ru" || fmt.Sprint(inv.Body["languages"]) != "[ru]" {
		t.Errorf("invited person: %v", inv.Body)
	}
	public("an invited person signs in", "/v1/auth/login", map[string]any{"email": email, "password": adminPassword}, 401)
	link := e.mailedLink(email, "Приглашение")
	short := public("a short password", "/v1/auth/password", map[string]any{"token": link, "password": "short"}, 422)
	if f := short.ErrorFields(); f["password"] == nil {
		t.Errorf("short password fields: %v", f)
	}
	set := public("set password", "/v1/auth/password", map[string]any{"token": link, "password": "olga's own password"}, 200)
	if u := set.Body["user"].(map[string]any); u["status"] != "active" || u["id"] != inv.Body["id"] {
		t.Errorf("after the invitation: %v", u)
	}
	again := public("the link again", "/v1/auth/password", map[string]any{"token": link, "password": "another password"}, 422)
	if f := again.ErrorFields(); f["token"] == nil {
		t.Errorf("used link fields: %v", f)
	}
	olga := public("the invitee signs in", "/v1/auth/login", map[string]any{"email": email, "password": "olga's own password"}, 200)

	// A reset: same answer for a known and an unknown e-mail; the link
	// sets a new password and ends the sessions from before.
	known := public("reset", "/v1/auth/password-reset", map[string]any{"email": email}, 202)
	other := public("reset of an unknown e-mail", "/v1/auth/password-reset", map[string]any{"email": testkit.UniqueEmail("nobody")}, 202)
	if string(known.Raw) != string(other.Raw) {
		t.Errorf("reset answers differ: %s / %s", known.Raw, other.Raw)
	}
	reset := e.mailedLink(email, "Сброс пароля")
	public("new password", "/v1/auth/password", map[string]any{"token": reset, "password": "olga's newer password"}, 200)
	expect(t, "a session from before the reset", e.do(testkit.Request{Method: "GET", Path: "/v1/account", Token: olga.Body["token"].(string)}), 403)
	public("the old password", "/v1/auth/login", map[string]any{"email": email, "password": "olga's own password"}, 401)
	public("the new password", "/v1/auth/login", map[string]any{"email": email, "password": "olga's newer password"}, 200)
}

// awayFromWindowEdge waits, when the current fixed window of length w
// ends within margin, for the next one: a test that counts attempts in
// one window must not straddle two.
func awayFromWindowEdge(w, margin time.Duration) {
	now := time.Now()
	if end := now.UTC().Truncate(w).Add(w); end.Sub(now) < margin {
		time.Sleep(end.Sub(now) + time.Second)
	}
}

// retryAfter checks a 429: code rate_limited, a message, and Retry-After
// in whole seconds until the end of the window of length w (a little
// slack for the request's own time).
func retryAfter(t *testing.T, r testkit.Reply, w time.Duration) int {
	t.Helper()
	if r.ErrorCode() != "rate_limited" {
		t.Errorf("429 body: %s", r.Raw)
	}
	s, err := strconv.Atoi(r.Header.Get("Retry-After"))
	if err != nil {
		t.Fatalf("Retry-After = %q, want whole seconds", r.Header.Get("Retry-After"))
	}
	now := time.Now()
	want := now.UTC().Truncate(w).Add(w).Sub(now)
	if s < 1 || s > int(w.Seconds()) || (time.Duration(s)*time.Second-want).Abs() > 5*time.Second {
		t.Errorf("Retry-After = %d s, want about %v (the end of the %v window)", s, want.Round(time.Second), w)
	}
	return s
}

// inParallel runs f(0..n-1) with at most workers at a time.
func inParallel(n, workers int, f func(i int)) {
	var wg sync.WaitGroup
	slots := make(chan struct{}, workers)
	for i := range n {
		wg.Add(1)
		slots <- struct{}{}
		go func() {
			defer func() { <-slots; wg.Done() }()
			f(i)
		}()
	}
	wg.Wait()
}

// Failed sign-ins for one e-mail from one address: the 4th is slowed, the
// 11th refused with 429 and Retry-After until the 15-minute window ends,
// the right password included; from another address the owner is only
// slowed and signs in (guesses never lock them out); other e-mails are
// not affected.
func TestLoginLimitedPerEmailAndAddress(t *testing.T) {
	e := newEnv(t)
	a := e.signUp("basic")
	b := e.signUp("basic")
	awayFromWindowEdge(15*time.Minute, time.Minute)
	login := func(email, password, from string) testkit.Reply {
		return e.do(testkit.Request{Method: "POST", Path: "/v1/auth/login", Body: map[string]any{"email": email, "password": password}, From: from})
	}
	for i := range 3 {
		expect(t, fmt.Sprintf("failure %d", i+1), login(a.AdminEmail, "wrong password "+strconv.Itoa(i), ""), 401)
	}
	start := time.Now()
	expect(t, "failure 4", login(a.AdminEmail, "wrong password 4", ""), 401)
	if d := time.Since(start); d < time.Second {
		t.Errorf("the 4th failure took %v: past 3 failures an attempt waits 1 s more", d)
	}
	var mu sync.Mutex
	statuses := map[int]int{}
	inParallel(6, 6, func(i int) {
		r := login(a.AdminEmail, "wrong password "+strconv.Itoa(5+i), "")
		mu.Lock()
		statuses[r.Status]++
		mu.Unlock()
	})
	if statuses[401] != 6 {
		t.Fatalf("failures 5 to 10: %v, want six 401", statuses)
	}

	// The 11th: refused before the password is even checked.
	r := expect(t, "failure 11", login(a.AdminEmail, "wrong password 11", ""), 429)
	retryAfter(t, r, 15*time.Minute)
	r = expect(t, "the right password, refused", login(a.AdminEmail, adminPassword, ""), 429)
	retryAfter(t, r, 15*time.Minute)
	// The case of the e-mail does not make it another one.
	expect(t, "the e-mail in capitals", login(strings.ToUpper(a.AdminEmail), adminPassword, ""), 429)
	// The owner, from their own address: slowed by the e-mail's count
	// (4 s at most), not refused.
	start = time.Now()
	expect(t, "the owner from another address", login(a.AdminEmail, adminPassword, "203.0.113.77"), 200)
	if d := time.Since(start); d < 4*time.Second {
		t.Errorf("the owner's sign-in after 11 failures took %v: the e-mail's count slows it by 4 s", d)
	}

	// Another e-mail signs in, from the same address.
	expect(t, "another e-mail", login(b.AdminEmail, adminPassword, ""), 200)
}

// Failed sign-ins from one address, each for another e-mail: the 101st
// attempt in the window is refused with 429 and Retry-After, even with a
// right password; the same person from another address signs in.
func TestLoginLimitedPerAddress(t *testing.T) {
	e := newEnv(t)
	a := e.signUp("basic")
	awayFromWindowEdge(15*time.Minute, 2*time.Minute)
	const office = "198.51.100.20"
	var mu sync.Mutex
	statuses := map[int]int{}
	// Past 20 attempts each waits up to 2 s: 20 at a time keeps the test
	// short.
	inParallel(100, 20, func(i int) {
		r := e.do(testkit.Request{Method: "POST", Path: "/v1/auth/login", From: office,
			Body: map[string]any{"email": fmt.Sprintf("guess-%d@example.com", i), "password": "a guessed password"}})
		mu.Lock()
		statuses[r.Status]++
		mu.Unlock()
	})
	if statuses[401] != 100 {
		t.Fatalf("100 failures from one address: %v, want 100 times 401", statuses)
	}
	r := expect(t, "the 101st attempt", e.do(testkit.Request{Method: "POST", Path: "/v1/auth/login", From: office,
		Body: map[string]any{"email": a.AdminEmail, "password": adminPassword}}), 429)
	retryAfter(t, r, 15*time.Minute)
	expect(t, "the same person from another address", e.do(testkit.Request{Method: "POST", Path: "/v1/auth/login", From: "198.51.100.21",
		Body: map[string]any{"email": a.AdminEmail, "password": adminPassword}}), 200)
	// The refused attempt did not count against the e-mail: it is still
	// far from its own limit, and signs in from anywhere else.
	expect(t, "the same person from the test's address", e.do(testkit.Request{Method: "POST", Path: "/v1/auth/login",
		Body: map[string]any{"email": a.AdminEmail, "password": adminPassword}}), 200)
}

// A signed-in person changes their own password: the current one is
// checked (a wrong one and a short new one are field errors that change
// nothing); then their other sessions end, the one they changed it from
// goes on, and only the new password signs in.
func TestChangeOwnPassword(t *testing.T) {
	e := newEnv(t)
	a := e.signUp("basic")
	other := expect(t, "a second sign-in", e.do(testkit.Request{Method: "POST", Path: "/v1/auth/login", Body: map[string]any{"email": a.AdminEmail, "password": adminPassword}}), 200)
	change := func(what string, body map[string]any, status int) testkit.Reply {
		t.Helper()
		return expect(t, what, e.do(testkit.Request{Method: "POST", Path: "/v1/auth/password/change", Token: a.Admin, Body: body}), status)
	}
	const newPassword = "a brand new password"
	if f := change("a wrong current password", map[string]any{"currentPassword": "not my password", "newPassword": newPassword}, 422).ErrorFields(); len(f) != 1 || f["currentPassword"] == nil {
		t.Errorf("wrong current password: fields %v", f)
	}
	if f := change("a short new password", map[string]any{"currentPassword": adminPassword, "newPassword": "short"}, 422).ErrorFields(); len(f) != 1 || f["newPassword"] == nil {
		t.Errorf("short new password: fields %v", f)
	}
	expect(t, "the other session after refused changes", e.do(testkit.Request{Method: "GET", Path: "/v1/account", Token: other.Body["token"].(string)}), 200)
	expect(t, "the old password after refused changes", e.do(testkit.Request{Method: "POST", Path: "/v1/auth/login", Body: map[string]any{"email": a.AdminEmail, "password": adminPassword}}), 200)

	done := change("the change", map[string]any{"currentPassword": adminPassword, "newPassword": newPassword}, 200)
	if u := done.Body["user"].(map[string]any); u["id"] != a.AdminID {
		t.Errorf("changed: %v", done.Body)
	}
	expect(t, "the session it was changed from", e.do(testkit.Request{Method: "GET", Path: "/v1/account", Token: a.Admin}), 200)
	expect(t, "another session's access token", e.do(testkit.Request{Method: "GET", Path: "/v1/account", Token: other.Body["token"].(string)}), 403)
	expect(t, "another session's refresh token", e.do(testkit.Request{Method: "POST", Path: "/v1/auth/refresh", Body: map[string]any{"refreshToken": other.Body["refreshToken"]}}), 401)
	expect(t, "the old password", e.do(testkit.Request{Method: "POST", Path: "/v1/auth/login", Body: map[string]any{"email": a.AdminEmail, "password": adminPassword}}), 401)
	expect(t, "the new password", e.do(testkit.Request{Method: "POST", Path: "/v1/auth/login", Body: map[string]any{"email": a.AdminEmail, "password": newPassword}}), 200)
}

// Sign-ups, as in AWS, are limited per address (each sends a welcome
// mail): past the limit the address gets 429 with Retry-After until the
// hour ends, and other addresses are unaffected.
func TestSignUpsLimitedPerAddress(t *testing.T) {
	e := newEnv(t, func(o *stack.Options) { o.SignUpsPerHour = 2 })
	awayFromWindowEdge(time.Hour, 2*time.Minute)
	const office = "198.51.100.30"
	signUp := func(from string, status int) testkit.Reply {
		return expect(t, "sign-up from "+from, e.do(testkit.Request{Method: "POST", Path: "/v1/accounts", From: from, Body: map[string]any{
			"companyName": "Acme", "email": testkit.UniqueEmail("signup"), "password": adminPassword, "plan": "basic", "language": "en"}}), status)
	}
	signUp(office, 201)
	signUp(office, 201)
	retryAfter(t, signUp(office, 429), time.Hour)
	signUp("198.51.100.31", 201)
}

// Reset requests: per e-mail at most 3 mails an hour, silently (the 4th
// and 5th answer exactly as the first); per address more than 20 requests
// an hour are refused with 429 and Retry-After.
func TestPasswordResetLimits(t *testing.T) {
	e := newEnv(t)
	a := e.signUp("basic")
	awayFromWindowEdge(time.Hour, time.Minute)
	const subject = "Сброс пароля"
	var first testkit.Reply
	for i := range 5 {
		r := expect(t, fmt.Sprintf("reset request %d", i+1), e.do(testkit.Request{Method: "POST", Path: "/v1/auth/password-reset", Body: map[string]any{"email": a.AdminEmail}}), 202)
		if i == 0 {
			first = r
		} else if string(r.Raw) != string(first.Raw) {
			t.Errorf("reset request %d answered %s, the first %s", i+1, r.Raw, first.Raw)
		}
	}
	resets := func() int {
		n := 0
		for _, m := range e.mails(a.AdminEmail) {
			if strings.Contains(m.Subject, subject) {
				n++
			}
		}
		return n
	}
	testkit.Eventually(t, "three reset mails", func() bool { return resets() >= 3 })
	// The stream consumer sends mail as it comes: give a 4th time to
	// arrive, if one was queued.
	for range 30 {
		if n := resets(); n != 3 {
			t.Fatalf("%d reset mails for 5 requests, want 3", n)
		}
		time.Sleep(100 * time.Millisecond)
	}

	// Per address: 20 requests an hour, for any e-mails, then 429.
	const probe = "198.51.100.30"
	for i := range 20 {
		expect(t, fmt.Sprintf("probe %d", i+1), e.do(testkit.Request{Method: "POST", Path: "/v1/auth/password-reset", From: probe,
			Body: map[string]any{"email": testkit.UniqueEmail("probe")}}), 202)
	}
	r := expect(t, "probe 21", e.do(testkit.Request{Method: "POST", Path: "/v1/auth/password-reset", From: probe,
		Body: map[string]any{"email": testkit.UniqueEmail("probe")}}), 429)
	retryAfter(t, r, time.Hour)
	expect(t, "another address", e.do(testkit.Request{Method: "POST", Path: "/v1/auth/password-reset", From: "198.51.100.31",
		Body: map[string]any{"email": testkit.UniqueEmail("probe")}}), 202)
}
