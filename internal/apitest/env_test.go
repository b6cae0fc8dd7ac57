package apitest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	acct "parley/internal/account"
	"parley/internal/auth"
	"parley/internal/local/seslocal"
	"parley/internal/local/stack"
	"parley/internal/local/streams"
	"parley/internal/openapi"
	"parley/internal/routes"
	"parley/internal/testkit/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

const tokenSecret = "api-test-signing-key-of-32-bytes!!"

var (
	specOnce sync.Once
	spec     *openapi.Spec
	specErr  error
)

// loadSpec reads docs/openapi.yaml once per test process.
func loadSpec(t *testing.T) *openapi.Spec {
	t.Helper()
	specOnce.Do(func() {
		var data []byte
		if data, specErr = os.ReadFile("../../docs/openapi.yaml"); specErr == nil {
			spec, specErr = openapi.Load(data)
		}
	})
	if specErr != nil {
		t.Fatal(specErr)
	}
	return spec
}

// env is one test's local stack and a client that checks every exchange
// against the document.
type env struct {
	t      *testing.T
	stack  *stack.Stack
	spec   *openapi.Spec
	signer *auth.Signer

	mu   sync.Mutex
	seen map[string]bool // "METHOD /template" of every checked exchange
}

// newEnv starts a stack; opts change its options (limits a test checks).
func newEnv(t *testing.T, opts ...func(*stack.Options)) *env {
	t.Helper()
	dbEndpoint, sesEndpoint := testenv.Endpoints(t)
	root, err := testenv.Root()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	o := stack.Options{Root: root, DynamoDBEndpoint: dbEndpoint, SESEndpoint: sesEndpoint,
		Table: testenv.TableName(t), TokenSecret: tokenSecret, StreamStart: streams.TrimHorizon,
		// Requests may claim a source address (req.From), for the IP
		// allowlist and the per-address limits; without the header the
		// address is the TCP peer, as in API Gateway.
		TrustForwardedFor: true}
	for _, f := range opts {
		f(&o)
	}
	s, err := stack.Start(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	signer, err := auth.NewSigner([]byte(tokenSecret))
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, stack: s, spec: loadSpec(t), signer: signer, seen: map[string]bool{}}
}

// reply is a response as the tests look at it.
type reply struct {
	Status int
	Header http.Header
	Raw    []byte
	Body   map[string]any // the JSON object, when the body is one
}

func (r reply) ETag() string { return r.Header.Get("ETag") }

// errorFields are the keys of an error body's fields.
func (r reply) errorFields() map[string]any {
	e, _ := r.Body["error"].(map[string]any)
	f, _ := e["fields"].(map[string]any)
	return f
}

func (r reply) errorCode() string {
	e, _ := r.Body["error"].(map[string]any)
	s, _ := e["code"].(string)
	return s
}

// req is one request. Body is JSON-encoded unless it is []byte, which is
// sent as is with ContentType.
type req struct {
	Method, Path string // Path may be a full URL of the stack
	Token        string
	Body         any
	ContentType  string
	Headers      map[string]string
	From         string // the source address the gateway reports; "" is the TCP peer
}

// do sends r through the local gateway and checks the exchange against the
// document; a mismatch fails the test.
func (e *env) do(r req) reply {
	e.t.Helper()
	return e.send(r)
}

func (e *env) send(r req) reply {
	e.t.Helper()
	var body []byte
	contentType := r.ContentType
	switch b := r.Body.(type) {
	case nil:
	case []byte:
		body = b
	default:
		var err error
		if body, err = json.Marshal(b); err != nil {
			e.t.Fatal(err)
		}
		if contentType == "" {
			contentType = "application/json"
		}
	}
	target := r.Path
	if !strings.HasPrefix(target, "http") {
		target = e.stack.HTTPURL + target
	}
	hr, err := http.NewRequest(r.Method, target, bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if contentType != "" {
		hr.Header.Set("Content-Type", contentType)
	}
	if r.Token != "" {
		hr.Header.Set("Authorization", "Bearer "+r.Token)
	}
	for k, v := range r.Headers {
		hr.Header.Set(k, v)
	}
	if r.From != "" {
		hr.Header.Set("X-Forwarded-For", r.From)
	}
	resp, err := http.DefaultClient.Do(hr)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	out := reply{Status: resp.StatusCode, Header: resp.Header}
	if out.Raw, err = io.ReadAll(resp.Body); err != nil {
		e.t.Fatal(err)
	}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") && len(out.Raw) > 0 {
		var v any
		if err := json.Unmarshal(out.Raw, &v); err != nil {
			e.t.Fatalf("%s %s: the body is not JSON: %q", r.Method, r.Path, out.Raw)
		}
		out.Body, _ = v.(map[string]any)
	}
	e.check(r.Method, hr.URL, contentType, body, out)
	return out
}

func (e *env) check(method string, u *url.URL, contentType string, body []byte, r reply) {
	e.t.Helper()
	template, errs := e.spec.CheckResponse(method, u.Path, r.Status, r.Header, r.Raw)
	if r.Status >= 200 && r.Status < 300 && len(body) > 0 {
		errs = append(errs, e.spec.CheckRequestBody(method, u.Path, contentType, body)...)
	}
	for _, err := range errs {
		e.t.Errorf("not as documented: %v\n  body: %s", err, truncate(r.Raw))
	}
	e.mu.Lock()
	e.seen[method+" "+template] = true
	e.mu.Unlock()
}

func truncate(b []byte) string {
	if len(b) > 600 {
		return string(b[:600]) + "…"
	}
	return string(b)
}

// expect fails the test unless r has the status.
func expect(t *testing.T, what string, r reply, status int) reply {
	t.Helper()
	if r.Status != status {
		t.Fatalf("%s: status %d, want %d; body %s", what, r.Status, status, truncate(r.Raw))
	}
	return r
}

// account is a signed-up account with its administrator's e-mail,
// access token and refresh token.
type account struct {
	ID, AdminID, Admin  string
	AdminEmail, Refresh string
}

// adminPassword is every signed-up administrator's password.
const adminPassword = "correct horse battery staple"

var uniques atomic.Int64

// uniqueEmail is an address no other test uses: the local SES is shared by
// every test of the run.
func uniqueEmail(prefix string) string {
	return fmt.Sprintf("%s-%d-%d@example.com", prefix, time.Now().UnixNano(), uniques.Add(1))
}

var signUps sync.Mutex

// signUp creates an account on plan (basic or corporate) whose language
// is ru.
func (e *env) signUp(plan string) account {
	e.t.Helper()
	signUps.Lock() // argon2id is heavy: one at a time leaves the machine to the rest
	defer signUps.Unlock()
	email := uniqueEmail("admin")
	r := e.do(req{Method: "POST", Path: "/v1/accounts", Body: map[string]any{
		"companyName": "Acme", "email": email, "password": adminPassword, "plan": plan, "language": "ru"}})
	expect(e.t, "sign-up", r, 201)
	acc := r.Body["account"].(map[string]any)
	user := r.Body["user"].(map[string]any)
	return account{ID: acc["id"].(string), AdminID: user["id"].(string), Admin: r.Body["token"].(string),
		AdminEmail: email, Refresh: r.Body["refreshToken"].(string)}
}

// staff adds a person with role to the account and signs them in: the
// access token of a real session, as the authorizer requires.
func (e *env) staff(a account, role routes.Role) (token, personID string) {
	e.t.Helper()
	ctx := context.Background()
	p := acct.Person{AccountID: a.ID, ID: acct.NewID(), Email: uniqueEmail(string(role)),
		Name: string(role), Role: role, Status: acct.StatusActive, InterfaceLanguage: "ru", Languages: []string{"ru"}, CreatedAt: time.Now().UTC()}
	if err := e.stack.Store.AddPerson(ctx, p); err != nil {
		e.t.Fatal(err)
	}
	svc := &acct.Service{Store: e.stack.Store, Signer: e.signer, Now: time.Now}
	in, err := svc.StartSession(ctx, p)
	if err != nil {
		e.t.Fatal(err)
	}
	return in.AccessToken, p.ID
}

// eventually polls cond for up to 20 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

var linkPattern = regexp.MustCompile(`#set-password=([A-Za-z0-9_%-]+)`)

// mailedLink waits for a mail to `to` whose subject holds subject and
// whose text holds a set-password link not in seen, and returns the link's
// secret.
func (e *env) mailedLink(to, subject string, seen ...string) string {
	e.t.Helper()
	var secret string
	eventually(e.t, "a mail to "+to+" about "+subject, func() bool {
		for _, m := range e.mails(to) {
			found := linkPattern.FindStringSubmatch(m.Body.Text)
			if !strings.Contains(m.Subject, subject) || found == nil {
				continue
			}
			s, err := url.QueryUnescape(found[1])
			if err != nil || slices.Contains(seen, s) {
				continue
			}
			secret = s
			return true
		}
		return false
	})
	return secret
}

// mails are the mails the local SES holds for one address.
func (e *env) mails(to string) []seslocal.Mail {
	e.t.Helper()
	all, err := seslocal.Store(context.Background(), e.stack.SESEndpoint)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []seslocal.Mail
	for _, m := range all {
		if slices.Contains(m.To(), to) {
			out = append(out, m)
		}
	}
	return out
}

// issueLink stores a set-password link for a person, as an invitation
// would, and returns its secret: for tests that need a link but not the
// mail.
func (e *env) issueLink(accountID, personID string) string {
	e.t.Helper()
	secret, hash := auth.NewSecret()
	if err := e.stack.Store.IssueLink(context.Background(), acct.Link{Hash: hash, AccountID: accountID, PersonID: personID,
		Kind: acct.LinkInvite, ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
		e.t.Fatal(err)
	}
	return secret
}
