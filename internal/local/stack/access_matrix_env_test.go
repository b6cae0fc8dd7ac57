package stack_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"sync/atomic"
	"testing"
	"time"

	"parley/internal/account"
	"parley/internal/auth"
	"parley/internal/crm"
	"parley/internal/local/stack"
	"parley/internal/routes"
	"parley/internal/testkit"
)

// The callers of the access matrix: every way a request can arrive.
type caller string

const (
	noToken       caller = "no token"
	expiredToken  caller = "expired token"
	otherAccount  caller = "other account's administrator"
	asOperator    caller = "operator"
	asSupervisor  caller = "supervisor"
	asAdmin       caller = "administrator"
	disallowedIPs caller = "administrator from a disallowed address"
)

var callers = []caller{noToken, expiredToken, otherAccount, asOperator, asSupervisor, asAdmin, disallowedIPs}

// Addresses: the test's own requests come from 127.0.0.1, which account A
// allows; disallowedAddr is outside A's list. The stack trusts
// X-Forwarded-For (a test-only option) so a request can claim it.
const (
	allowedIPs     = "127.0.0.1, 203.0.113.1-203.0.113.254"
	disallowedAddr = "198.51.100.7"
	password       = "correct horse battery"
	tokenSecret    = "matrix-token-secret-of-32-bytes!!"
)

// request is one call a cell makes.
type request struct {
	path  string
	body  any // JSON-encoded, or sent as is when []byte
	ctype string
	hdr   map[string]string
}

// cell is what a route expects. ok is the status of an allowed staff
// caller (and of every caller of a public route); byCaller overrides it
// for callers the route's handler treats differently (the account
// package's data-dependent rules, another account's ids, addresses).
type cell struct {
	prep     func(t *testing.T, e *matrixEnv, c caller) request
	ok       int
	byCaller map[caller]int
}

type matrixEnv struct {
	s                       *stack.Stack
	api                     string
	accA, accB              string
	adminA, adminB          personRef
	opA, supA, targetA      personRef
	deptA                   string
	templateA               string
	tokens                  map[caller]string
	seq                     atomic.Int64
	pngBytes                []byte
	markersA, markersB      []string
	bodiesByAccount         map[string][]string // account -> bodies of its staff's responses
	statusesByRouteByCaller map[string]map[caller]int
}

type personRef struct{ id, email string }

func (e *matrixEnv) unique(prefix string) string {
	return fmt.Sprintf("%s-%d-%d", prefix, time.Now().UnixNano(), e.seq.Add(1))
}

type response struct {
	status int
	raw    []byte
	body   map[string]any
}

func (e *matrixEnv) do(t *testing.T, method, path, token string, r request, fromIP string) response {
	t.Helper()
	c := testkit.Client{Base: e.api}
	rep := c.Do(t, testkit.Request{Method: method, Path: path, Token: token, Body: r.body, ContentType: r.ctype, Headers: r.hdr, From: fromIP})
	out := response{status: rep.Status, raw: rep.Raw}
	_ = json.Unmarshal(rep.Raw, &out.body)
	return out
}

// admin is a call made by account A's administrator while preparing.
func (e *matrixEnv) admin(t *testing.T, method, path string, body any, want int) response {
	t.Helper()
	r := e.do(t, method, path, e.tokens[asAdmin], request{body: body}, "")
	if r.status != want {
		t.Fatalf("prepare: %s %s = %d %s, want %d", method, path, r.status, r.raw, want)
	}
	return r
}

func startMatrixStack(t *testing.T) *stack.Stack {
	t.Helper()
	return testkit.Start(t, func(o *stack.Options) { o.TokenSecret, o.ScheduleSpeed, o.TrustForwardedFor = tokenSecret, 1, true })
}

// signUp creates an account and returns its id, administrator and token.
func (e *matrixEnv) signUp(t *testing.T, company string) (string, personRef, string) {
	t.Helper()
	client := testkit.Client{Base: e.s.HTTPURL}
	a := client.SignUp(t, testkit.SignUp{Company: company, Email: e.unique("admin") + "@example.com", Password: password, Plan: "corporate", Name: company + " Boss"})
	return a.ID, personRef{id: a.PersonID, email: a.Email}, a.Token
}

// addPerson invites a person through the API, sets their password through
// a link issued in the store (the mailed secret is not readable here) and
// the public route, as an invitee would.
func (e *matrixEnv) addPerson(t *testing.T, role routes.Role, withPassword bool) personRef {
	t.Helper()
	email := e.unique(string(role)) + "@a.example"
	r := e.admin(t, "POST", "/people", map[string]any{"email": email, "name": "Person " + email, "role": role}, 201)
	p := personRef{id: r.body["id"].(string), email: email}
	if withPassword {
		secret, hash := auth.NewSecret()
		if err := e.s.Store.IssueLink(context.Background(), account.Link{Hash: hash, AccountID: e.accA, PersonID: p.id, Kind: account.LinkInvite, ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		if r := e.do(t, "POST", "/auth/password", "", request{body: map[string]any{"token": secret, "password": password}}, ""); r.status != 200 {
			t.Fatalf("set password: %d %s", r.status, r.raw)
		}
	}
	return p
}

func (e *matrixEnv) login(t *testing.T, email string) response {
	t.Helper()
	r := e.do(t, "POST", "/auth/login", "", request{body: map[string]any{"email": email, "password": password}}, "")
	if r.status != 200 {
		t.Fatalf("login %s: %d %s", email, r.status, r.raw)
	}
	return r
}

func pngImage(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewRGBA(image.Rect(0, 0, 8, 8))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func newMatrixEnv(t *testing.T) *matrixEnv {
	s := startMatrixStack(t)
	e := &matrixEnv{s: s, api: s.HTTPURL + "/v1", tokens: map[caller]string{}, bodiesByAccount: map[string][]string{}, pngBytes: pngImage(t),
		statusesByRouteByCaller: map[string]map[caller]int{}}
	var tokA, tokB string
	e.accA, e.adminA, tokA = e.signUp(t, "Alpha Widgets")
	e.accB, e.adminB, tokB = e.signUp(t, "Beta Gadgets")
	e.tokens[asAdmin], e.tokens[disallowedIPs], e.tokens[otherAccount] = tokA, tokA, tokB

	e.opA = e.addPerson(t, routes.Operator, true)
	e.supA = e.addPerson(t, routes.Supervisor, true)
	e.targetA = e.addPerson(t, routes.Operator, false)
	e.tokens[asOperator] = e.login(t, e.opA.email).body["token"].(string)
	e.tokens[asSupervisor] = e.login(t, e.supA.email).body["token"].(string)

	signer, err := auth.NewSigner([]byte(tokenSecret))
	if err != nil {
		t.Fatal(err)
	}
	signer.Now = func() time.Time { return time.Now().Add(-time.Hour) }
	// A real session, so that only the expiry can refuse it.
	expired, err := signer.Issue(auth.Principal{Kind: auth.Access, AccountID: e.accA, Subject: e.adminA.id, Role: routes.Administrator, Session: sessionOf(t, tokA)}, auth.AccessTTL)
	if err != nil {
		t.Fatal(err)
	}
	e.tokens[expiredToken] = expired

	e.deptA = e.admin(t, "POST", "/departments", map[string]any{"name": "Alpha Sales"}, 201).body["id"].(string)
	e.templateA = e.admin(t, "POST", "/templates", map[string]any{"level": "global", "language": "en", "text": "Alpha canned answer"}, 201).body["id"].(string)

	// A's allowlist admits the test's own address only. The authorizer
	// caches an account's list for a few seconds, so wait until it bites.
	e.admin(t, "PUT", "/settings/security", map[string]any{"allowedIps": allowedIPs}, 200)
	deadline := time.Now().Add(2 * account.AllowlistCacheTTL)
	for e.do(t, "GET", "/account", tokA, request{}, disallowedAddr).status != 403 {
		if time.Now().After(deadline) {
			t.Fatalf("a request from %s is still let in %s after the allowlist was saved", disallowedAddr, 2*account.AllowlistCacheTTL)
		}
		time.Sleep(200 * time.Millisecond)
	}
	e.markersA = []string{e.accA, e.adminA.id, e.adminA.email, e.opA.id, e.supA.id, e.targetA.id, e.deptA, e.templateA, "Alpha"}
	e.markersB = []string{e.accB, e.adminB.id, e.adminB.email, "Beta"}
	return e
}

// sessionOf reads the session id out of an access token's payload.
func sessionOf(t *testing.T, token string) string {
	t.Helper()
	s, err := auth.NewSigner([]byte(tokenSecret))
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.Verify(token, auth.Access)
	if err != nil {
		t.Fatal(err)
	}
	return p.Session
}

// fixed is a prep for a request that needs nothing prepared.
// runningExport leaves account A with a running Unisender export: stored
// directly, with no batch queued, so it stays running until cancelled.
func (e *matrixEnv) runningExport(t *testing.T) {
	t.Helper()
	now := time.Now()
	if _, err := e.s.Store.StartExport(t.Context(), crm.Export{AccountID: e.accA, ID: e.unique("exp"), Status: crm.ExportRunning, StartedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
}

func fixed(path string, body any) func(*testing.T, *matrixEnv, caller) request {
	return func(*testing.T, *matrixEnv, caller) request { return request{path: path, body: body} }
}
