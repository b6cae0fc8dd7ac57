package testkit

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var uniques atomic.Int64

// UniqueEmail is an address no other test uses (the local SES is shared by
// every test of the run): prefix-<nanoseconds>-<n>@domain, domain
// example.com unless given.
func UniqueEmail(prefix string, domain ...string) string {
	d := "example.com"
	if len(domain) > 0 {
		d = domain[0]
	}
	return fmt.Sprintf("%s-%d-%d@%s", prefix, time.Now().UnixNano(), uniques.Add(1), d)
}

// Password is the password SignUp gives an administrator unless told.
const Password = "correct horse battery"

// SignUp is a sign-up's fields; empty ones take the defaults: company
// Acme, a unique address, Password, plan basic, language en.
type SignUp struct {
	Company, Email, Password, Plan, Language, Name string
	From                                           string // the source address, as in Request
}

// Account is a signed-up account as POST /v1/accounts answers it.
type Account struct {
	ID       string // account.id
	Token    string // the administrator's access token
	Refresh  string // their refresh token
	PersonID string // user.id, the administrator
	Email    string
	Password string
	Reply    Reply
}

var signUps sync.Mutex

// SignUp creates an account through POST /v1/accounts and fails the test
// unless it answers 201 with an account id, a token and the administrator.
func (c *Client) SignUp(t testing.TB, in SignUp) Account {
	t.Helper()
	if in.Company == "" {
		in.Company = "Acme"
	}
	if in.Email == "" {
		in.Email = UniqueEmail("admin")
	}
	if in.Password == "" {
		in.Password = Password
	}
	if in.Plan == "" {
		in.Plan = "basic"
	}
	if in.Language == "" {
		in.Language = "en"
	}
	body := map[string]any{"companyName": in.Company, "email": in.Email, "password": in.Password, "plan": in.Plan, "language": in.Language}
	if in.Name != "" {
		body["name"] = in.Name
	}
	r := func() Reply {
		signUps.Lock() // argon2id is heavy: one at a time leaves the machine to the rest
		defer signUps.Unlock()
		return c.Do(t, Request{Method: "POST", Path: "/v1/accounts", Body: body, From: in.From})
	}()
	if r.Status != 201 {
		t.Fatalf("sign-up: status %d, want 201; body %s", r.Status, r.Raw)
	}
	acc, _ := r.Body["account"].(map[string]any)
	user, _ := r.Body["user"].(map[string]any)
	a := Account{Email: in.Email, Password: in.Password, Reply: r}
	a.ID, _ = acc["id"].(string)
	a.PersonID, _ = user["id"].(string)
	a.Token, _ = r.Body["token"].(string)
	a.Refresh, _ = r.Body["refreshToken"].(string)
	if a.ID == "" || a.Token == "" || a.PersonID == "" {
		t.Fatalf("sign-up: no account id, token or person in %s", r.Raw)
	}
	return a
}

// SignIn posts the address and password to POST /v1/auth/login and returns
// the reply, whatever its status.
func (c *Client) SignIn(t testing.TB, email, password string) Reply {
	t.Helper()
	return c.Do(t, Request{Method: "POST", Path: "/v1/auth/login", Body: map[string]any{"email": email, "password": password}})
}

// Invite invites a person (body as POST /v1/people takes it) with the
// administrator's token and returns the reply, whatever its status.
func (c *Client) Invite(t testing.TB, token string, person map[string]any) Reply {
	t.Helper()
	return c.Do(t, Request{Method: "POST", Path: "/v1/people", Token: token, Body: person})
}
