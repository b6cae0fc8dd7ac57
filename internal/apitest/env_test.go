package apitest_test

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	acct "parley/internal/account"
	"parley/internal/auth"
	"parley/internal/local/seslocal"
	"parley/internal/local/stack"
	"parley/internal/openapi"
	"parley/internal/routes"
	"parley/internal/testkit"
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

	client testkit.Client // checks every exchange against the document

	mu   sync.Mutex
	seen map[string]bool // "METHOD /template" of every checked exchange
}

// newEnv starts a stack; opts change its options (limits a test checks).
func newEnv(t *testing.T, opts ...func(*stack.Options)) *env {
	t.Helper()
	// Requests may claim a source address (From), for the IP allowlist and
	// the per-address limits; without the header the address is the TCP
	// peer, as in API Gateway.
	s := testkit.Start(t, append([]func(*stack.Options){func(o *stack.Options) {
		o.TokenSecret, o.TrustForwardedFor = tokenSecret, true
	}}, opts...)...)
	signer, err := auth.NewSigner([]byte(tokenSecret))
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, stack: s, spec: loadSpec(t), signer: signer, seen: map[string]bool{}}
	e.client = testkit.Client{Base: s.HTTPURL, Check: func(t testing.TB, hr *http.Request, body []byte, r testkit.Reply) {
		t.Helper()
		e.check(hr.Method, hr.URL, hr.Header.Get("Content-Type"), body, r)
	}}
	return e
}

// do sends r through the local gateway and checks the exchange against the
// document; a mismatch fails the test.
func (e *env) do(r testkit.Request) testkit.Reply {
	e.t.Helper()
	return e.client.Do(e.t, r)
}

func (e *env) check(method string, u *url.URL, contentType string, body []byte, r testkit.Reply) {
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
func expect(t *testing.T, what string, r testkit.Reply, status int) testkit.Reply {
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

// signUp creates an account on plan (basic or corporate) whose language
// is ru.
func (e *env) signUp(plan string) account {
	e.t.Helper()
	a := e.client.SignUp(e.t, testkit.SignUp{Password: adminPassword, Plan: plan, Language: "ru"})
	return account{ID: a.ID, AdminID: a.PersonID, Admin: a.Token, AdminEmail: a.Email, Refresh: a.Refresh}
}

// staff adds a person with role to the account and signs them in: the
// access token of a real session, as the authorizer requires.
func (e *env) staff(a account, role routes.Role) (token, personID string) {
	e.t.Helper()
	ctx := context.Background()
	p := acct.Person{AccountID: a.ID, ID: acct.NewID(), Email: testkit.UniqueEmail(string(role)),
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

// mailedLink waits for a mail to `to` whose subject holds subject and
// whose text holds a set-password link not in seen, and returns the link's
// secret.
func (e *env) mailedLink(to, subject string, seen ...string) string {
	e.t.Helper()
	return testkit.MailedLink(e.t, e.stack.SESEndpoint, to, subject, seen...)
}

// mails are the mails the local SES holds for one address.
func (e *env) mails(to string) []seslocal.Mail {
	e.t.Helper()
	return testkit.Mails(e.t, e.stack.SESEndpoint, to)
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
