package account_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"parley/internal/account"
	"parley/internal/apperr"
	"parley/internal/auth"
	"parley/internal/dynamo"
	"parley/internal/testkit/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

type world struct {
	svc    *account.Service
	store  *dynamo.Store
	acc    account.Account
	admin  account.Person
	slept  []time.Duration
	mu     sync.Mutex
	actor  account.Actor
	signer *auth.Signer
}

// newWorld is a service on a fresh table of DynamoDB Local with one
// account and its administrator (password "correct horse battery").
func newWorld(t *testing.T) *world {
	t.Helper()
	db, table := testenv.DynamoDB(t)
	store := dynamo.New(db, table)
	signer, err := auth.NewSigner([]byte(strings.Repeat("k", 32)))
	if err != nil {
		t.Fatal(err)
	}
	w := &world{store: store, signer: signer}
	// The clock stands still: the limits count in fixed windows, and a
	// test that crossed a window's end on the real clock would see its
	// attempts split between two counts.
	start := time.Now()
	w.svc = &account.Service{Store: store, Signer: signer, Now: func() time.Time { return start }, Mail: store,
		Sleep: func(_ context.Context, d time.Duration) { w.mu.Lock(); w.slept = append(w.slept, d); w.mu.Unlock() }}
	w.acc, w.admin, err = w.svc.Create(context.Background(), account.SignUp{CompanyName: "Acme", Email: "boss-" + account.NewID()[:8] + "@acme.example", Password: "correct horse battery", Language: "en"})
	if err != nil {
		t.Fatal(err)
	}
	w.actor = account.Actor{AccountID: w.acc.ID, PersonID: w.admin.ID, Role: auth.Administrator}
	return w
}

func TestLoginIsSlowedThenRefused(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	p := account.LoginPerPair
	for i := 1; i <= p.RefuseAt; i++ {
		if _, err := w.svc.Login(ctx, w.admin.Email, "wrong password!", "192.0.2.1"); apperr.CodeOf(err) != apperr.Unauthorized {
			t.Fatalf("attempt %d: %v, want unauthorized", i, err)
		}
	}
	// Slowed from the attempt after SlowAfter on, growing to MaxDelay.
	want := []time.Duration{}
	for i := 1; i <= p.RefuseAt; i++ {
		if d := p.Delay(i); d > 0 {
			want = append(want, d)
		}
	}
	if !slices.Equal(w.slept, want) || len(want) == 0 {
		t.Fatalf("delays %v, want %v", w.slept, want)
	}
	// Then refused, even with the right password, until the window ends.
	_, err := w.svc.Login(ctx, w.admin.Email, "correct horse battery", "192.0.2.1")
	var re *account.RetryError
	if !errors.As(err, &re) || apperr.CodeOf(err) != apperr.RateLimited || re.RetryAfter <= 0 || re.RetryAfter > p.Window {
		t.Fatalf("attempt past the limit: %v, want rate_limited with a wait", err)
	}
	// Another e-mail from the same address is not locked out.
	if _, err := w.svc.Login(ctx, "someone@acme.example", "x", "192.0.2.1"); apperr.CodeOf(err) != apperr.Unauthorized {
		t.Fatalf("another e-mail: %v", err)
	}
	// Nor is the owner, from their own address: the e-mail's count only
	// slows them (at most MaxDelay), and their success clears it.
	w.slept = nil
	if _, err := w.svc.Login(ctx, w.admin.Email, "correct horse battery", "198.51.100.20"); err != nil {
		t.Fatalf("the owner from another address after an attacker's %d guesses: %v", p.RefuseAt, err)
	}
	if len(w.slept) != 1 || w.slept[0] != account.LoginPerEmail.MaxDelay {
		t.Fatalf("the owner waited %v, want one wait of %v", w.slept, account.LoginPerEmail.MaxDelay)
	}
	w.slept = nil
	if _, err := w.svc.Login(ctx, w.admin.Email, "correct horse battery", "198.51.100.20"); err != nil || len(w.slept) != 0 {
		t.Fatalf("after the owner's success: %v, waited %v", err, w.slept)
	}
}

// TestInvitedSignInHashes: signing in as an invited person (no password
// yet) or an unknown e-mail runs the same password hash as a real check,
// so the time of the answer does not tell that an invitation is pending.
// Not parallel: it swaps the package's password check.
func TestInvitedSignInHashes(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	if _, err := w.svc.Invite(ctx, w.actor, account.Invitation{Email: "pending@acme.example", Role: auth.Operator}); err != nil {
		t.Fatal(err)
	}
	// Counted, not timed: one argon2id check per sign-in, whoever asks.
	checks := account.CountPasswordChecks(t.Cleanup)
	for _, email := range []string{w.admin.Email, "pending@acme.example", "nobody@acme.example"} {
		before := checks()
		if _, err := w.svc.Login(ctx, email, "some password!", ""); apperr.CodeOf(err) != apperr.Unauthorized {
			t.Fatalf("sign-in as %s: %v, want unauthorized", email, err)
		}
		if n := checks() - before; n != 1 {
			t.Fatalf("sign-in as %s ran %d password checks, want 1 like any other", email, n)
		}
	}
}

func TestSuccessClearsTheEmailCount(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	for i := 0; i < account.LoginPerPair.RefuseAt-1; i++ {
		_, _ = w.svc.Login(ctx, w.admin.Email, "wrong password!", "")
	}
	if _, err := w.svc.Login(ctx, w.admin.Email, "correct horse battery", ""); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < account.LoginPerPair.RefuseAt-1; i++ {
		if _, err := w.svc.Login(ctx, w.admin.Email, "wrong password!", ""); apperr.CodeOf(err) != apperr.Unauthorized {
			t.Fatalf("after a success, failure %d: %v", i+1, err)
		}
	}
}

// Concurrent attempts cannot get past the limit between a read and a
// write: the count is one conditional update.
func TestConcurrentAttemptsNeverPassTheLimit(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	const n = 40
	var wg sync.WaitGroup
	var mu sync.Mutex
	counts := map[apperr.Code]int{}
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := w.svc.Login(ctx, w.admin.Email, "wrong password!", "")
			mu.Lock()
			counts[apperr.CodeOf(err)]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if counts[apperr.Unauthorized] != account.LoginPerPair.RefuseAt || counts[apperr.RateLimited] != n-account.LoginPerPair.RefuseAt {
		t.Fatalf("outcomes %v: want exactly %d checked passwords", counts, account.LoginPerPair.RefuseAt)
	}
}

func TestRefreshRotatesAndLogoutRevokes(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	s, err := w.svc.Login(ctx, w.admin.Email, "correct horse battery", "")
	if err != nil {
		t.Fatal(err)
	}
	p, err := w.signer.Verify(s.AccessToken, auth.Access)
	if err != nil || p.Session == "" || p.Role != auth.Administrator {
		t.Fatalf("access token %+v, %v", p, err)
	}
	guard := &account.Guard{Sessions: w.store, Allowlists: w.store}
	if err := guard.Allow(ctx, p, "192.0.2.1"); err != nil {
		t.Fatalf("a fresh session is refused: %v", err)
	}
	next, err := w.svc.Refresh(ctx, s.RefreshToken, "")
	if err != nil || next.RefreshToken == s.RefreshToken {
		t.Fatalf("refresh: %+v %v", next, err)
	}
	// Two refreshes with the same token: at most one can win.
	var wg sync.WaitGroup
	wins := 0
	var mu sync.Mutex
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := w.svc.Refresh(ctx, next.RefreshToken, ""); err == nil {
				mu.Lock()
				wins++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if wins > 1 {
		t.Fatalf("%d concurrent refreshes with one token succeeded", wins)
	}
	if err := w.svc.Logout(ctx, "garbage"); err != nil {
		t.Fatalf("logout with garbage: %v", err)
	}
	s2, _ := w.svc.Login(ctx, w.admin.Email, "correct horse battery", "")
	p2, _ := w.signer.Verify(s2.AccessToken, auth.Access)
	// Knowing the ids without the secret does not end a session.
	acc, person, sid, _, _ := account.ParseRefreshToken(s2.RefreshToken)
	if err := w.svc.Logout(ctx, acc+"."+person+"."+sid+".wrong"); err != nil || guard.Allow(ctx, p2, "") != nil {
		t.Fatalf("a wrong secret ended the session: %v", err)
	}
	if err := w.svc.Logout(ctx, s2.RefreshToken); err != nil {
		t.Fatal(err)
	}
	if err := guard.Allow(ctx, p2, ""); apperr.CodeOf(err) != apperr.Unauthorized {
		t.Fatalf("after logout: %v, want unauthorized", err)
	}
}

func TestLinksWorkOnceEvenConcurrently(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	p, err := w.svc.Invite(ctx, w.actor, account.Invitation{Email: "new@acme.example", Role: auth.Operator})
	if err != nil {
		t.Fatal(err)
	}
	if p.Status != account.StatusInvited || p.InterfaceLanguage != "en" || !slices.Equal(p.Languages, []string{"en"}) {
		t.Fatalf("invited person %+v: want invited, with the account's language", p)
	}
	secret, hash := auth.NewSecret()
	if err := w.store.IssueLink(ctx, account.Link{Hash: hash, AccountID: p.AccountID, PersonID: p.ID, Kind: account.LinkInvite, ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for i := 0; i < 5; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := w.svc.SetPassword(ctx, secret, "a good long password", ""); err == nil {
				mu.Lock()
				ok++
				mu.Unlock()
			} else if apperr.CodeOf(err) != apperr.Invalid {
				t.Errorf("SetPassword: %v", err)
			}
		}()
	}
	wg.Wait()
	if ok != 1 {
		t.Fatalf("%d uses of one link succeeded, want 1", ok)
	}
	// An expired link does nothing.
	secret, hash = auth.NewSecret()
	_ = w.store.IssueLink(ctx, account.Link{Hash: hash, AccountID: p.AccountID, PersonID: p.ID, Kind: account.LinkReset, ExpiresAt: time.Now().Add(-time.Second)})
	if _, err := w.svc.SetPassword(ctx, secret, "yet another password", ""); apperr.CodeOf(err) != apperr.Invalid {
		t.Fatalf("expired link: %v", err)
	}
	if _, err := w.svc.Login(ctx, "new@acme.example", "a good long password", ""); err != nil {
		t.Fatalf("the password set through the link: %v", err)
	}
}

func TestDepartmentsAndMembers(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	sales, err := w.svc.CreateDepartment(ctx, w.actor, "  Sales  Team ")
	if err != nil || sales.Name != "Sales Team" {
		t.Fatalf("create: %+v %v", sales, err)
	}
	if _, err := w.svc.CreateDepartment(ctx, w.actor, "sales team"); apperr.CodeOf(err) != apperr.Conflict {
		t.Fatalf("same name in another case: %v", err)
	}
	if _, err := w.svc.CreateDepartment(ctx, w.actor, ""); apperr.CodeOf(err) != apperr.Invalid {
		t.Fatalf("empty name: %v", err)
	}
	support, _ := w.svc.CreateDepartment(ctx, w.actor, "Support")
	op, err := w.svc.Invite(ctx, w.actor, account.Invitation{Email: "op@acme.example", Role: auth.Operator, Departments: []string{sales.ID}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.Invite(ctx, w.actor, account.Invitation{Email: "ghost@acme.example", Role: auth.Operator, Departments: []string{"no-such"}}); apperr.CodeOf(err) != apperr.NotFound {
		t.Fatalf("invite into a missing department: %v", err)
	}
	if _, err := w.store.PersonByEmail(ctx, "ghost@acme.example"); apperr.CodeOf(err) != apperr.NotFound {
		t.Fatal("a refused invitation stored the person")
	}
	if _, err := w.svc.SetMembership(ctx, w.actor, support.ID, op.ID, true, false); err != nil {
		t.Fatal(err)
	}
	got, err := w.store.PersonDepartments(ctx, w.acc.ID, op.ID)
	want := []string{sales.ID, support.ID}
	slices.Sort(want)
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("PersonDepartments = %v %v, want %v", got, err, want)
	}
	if _, members, _ := w.svc.Department(ctx, w.actor, support.ID); !slices.Equal(members, []string{op.ID}) {
		t.Fatalf("support members %v", members)
	}
	if _, err := w.svc.RenameDepartment(ctx, w.actor, support.ID, "Sales team"); apperr.CodeOf(err) != apperr.Conflict {
		t.Fatalf("rename onto a taken name: %v", err)
	}
	if d, err := w.svc.RenameDepartment(ctx, w.actor, support.ID, "Help desk"); err != nil || d.Name != "Help desk" {
		t.Fatalf("rename: %+v %v", d, err)
	}
	if _, err := w.svc.CreateDepartment(ctx, w.actor, "Support"); err != nil {
		t.Fatalf("the old name is free again: %v", err)
	}
	if err := w.svc.DeleteDepartment(ctx, w.actor, sales.ID); err != nil {
		t.Fatal(err)
	}
	if ok, err := w.store.DepartmentExists(ctx, w.acc.ID, sales.ID); ok || err != nil {
		t.Fatalf("DepartmentExists after delete = %v %v", ok, err)
	}
	if got, _ := w.store.PersonDepartments(ctx, w.acc.ID, op.ID); !slices.Equal(got, []string{support.ID}) {
		t.Fatalf("memberships after delete %v", got)
	}
	if _, err := w.svc.SetMembership(ctx, w.actor, sales.ID, op.ID, true, false); apperr.CodeOf(err) != apperr.NotFound {
		t.Fatalf("joining a deleted department: %v", err)
	}

	// Another account sees none of it: the account comes from the actor.
	other := newWorld(t)
	if _, err := other.svc.Person(ctx, other.actor, op.ID, false); apperr.CodeOf(err) != apperr.NotFound {
		t.Fatalf("another account read a person: %v", err)
	}
	if ok, _ := w.store.DepartmentExists(ctx, other.acc.ID, support.ID); ok {
		t.Fatal("another account sees a department")
	}
	if _, err := other.svc.SetMembership(ctx, other.actor, support.ID, op.ID, true, false); apperr.CodeOf(err) != apperr.NotFound {
		t.Fatalf("another account joined a person to a department: %v", err)
	}
}

func TestCanEdit(t *testing.T) {
	op := account.Person{ID: "op", Role: auth.Operator}
	admin := account.Person{ID: "ad", Role: auth.Administrator}
	a := func(id string, r auth.Role) account.Actor { return account.Actor{PersonID: id, Role: r} }
	cases := []struct {
		name   string
		actor  account.Actor
		target account.Person
		patch  account.ProfileChange
		hidden bool
		want   apperr.Code
	}{
		{"operator renames self", a("op", auth.Operator), op, account.ProfileChange{Name: ptr("O")}, false, ""},
		{"operator renames self, hidden", a("op", auth.Operator), op, account.ProfileChange{Name: ptr("O")}, true, apperr.Forbidden},
		{"operator renames another", a("op2", auth.Operator), op, account.ProfileChange{Name: ptr("O")}, false, apperr.Forbidden},
		{"operator sets own departments", a("op", auth.Operator), op, account.ProfileChange{Departments: &[]string{}}, false, apperr.Forbidden},
		{"supervisor renames operator, hidden", a("s", auth.Supervisor), op, account.ProfileChange{Name: ptr("O")}, true, ""},
		{"supervisor renames administrator", a("s", auth.Supervisor), admin, account.ProfileChange{Name: ptr("O")}, false, apperr.Forbidden},
		{"supervisor changes e-mail", a("s", auth.Supervisor), op, account.ProfileChange{Email: ptr("x@y.example")}, false, apperr.Forbidden},
		{"administrator changes role", a("ad2", auth.Administrator), op, account.ProfileChange{Role: rolePtr(auth.Supervisor)}, true, ""},
	}
	for _, c := range cases {
		err := account.CheckChange(c.actor, c.target, c.patch, c.hidden)
		if got := codeOrEmpty(err); got != c.want {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
}

func ptr(s string) *string           { return &s }
func rolePtr(r auth.Role) *auth.Role { return &r }
func codeOrEmpty(err error) apperr.Code {
	if err == nil {
		return ""
	}
	return apperr.CodeOf(err)
}

func FuzzParseRefreshToken(f *testing.F) {
	f.Add("a.b.c.d")
	f.Add("acc.person.session.c2VjcmV0")
	f.Add("...")
	f.Fuzz(func(t *testing.T, token string) {
		acc, person, sid, secret, ok := account.ParseRefreshToken(token)
		if !ok {
			return
		}
		for _, part := range []string{acc, person, sid, secret} {
			// Each part becomes part of a key: it must be non-empty and
			// unable to reach into another key's space.
			if part == "" || strings.ContainsAny(part, ".#") {
				t.Fatalf("ParseRefreshToken(%q) gave part %q", token, part)
			}
		}
		if acc+"."+person+"."+sid+"."+secret != token {
			t.Fatalf("ParseRefreshToken(%q) does not round-trip", token)
		}
	})
}

// TestPrepareRunsFirst: what an account must never be without is stored
// before the account; when that fails nothing of the account is stored, so
// the same sign-up can simply be repeated.
func TestPrepareRunsFirst(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	in := account.SignUp{CompanyName: "Beta", Email: "owner-" + account.NewID()[:8] + "@beta.example", Password: "correct horse battery", Language: "en"}
	var prepared []string
	w.svc.Prepare = func(_ context.Context, a account.Account, admin account.Person) error {
		if _, err := w.store.Account(ctx, a.ID); apperr.CodeOf(err) != apperr.NotFound {
			t.Errorf("the account existed before Prepare: %v", err)
		}
		prepared = append(prepared, a.ID)
		if len(prepared) == 1 {
			return errors.New("the settings could not be stored")
		}
		return nil
	}
	if _, _, err := w.svc.Create(ctx, in); err == nil {
		t.Fatal("a sign-up whose Prepare failed succeeded")
	}
	if _, err := w.store.Account(ctx, prepared[0]); apperr.CodeOf(err) != apperr.NotFound {
		t.Fatalf("the account of the failed sign-up was stored: %v", err)
	}
	a, _, err := w.svc.Create(ctx, in)
	if err != nil {
		t.Fatalf("repeating the sign-up: %v", err)
	}
	if a.ID != prepared[1] {
		t.Fatalf("Prepare saw %v, the account is %s", prepared, a.ID)
	}
}

// TestSignUpsPerAddress: past the limit an address is refused for the rest
// of the hour, before anything is stored; bad input does not count, and
// other addresses are not limited.
func TestSignUpsPerAddress(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	w.svc.SignUpPerAddress = account.SignUpsPerHour(2)
	addr := "203.0.113." + fmt.Sprint(time.Now().UnixNano()%250+1)
	signUp := func(email, from string) (account.Account, error) {
		a, _, err := w.svc.Create(ctx, account.SignUp{CompanyName: "Spam", Email: email, Password: "correct horse battery", Language: "en", SourceIP: from})
		return a, err
	}
	fresh := func() string { return "s-" + account.NewID()[:8] + "@spam.example" }
	if _, _, err := w.svc.Create(ctx, account.SignUp{CompanyName: "", Email: "x", SourceIP: addr}); apperr.CodeOf(err) != apperr.Invalid {
		t.Fatalf("bad sign-up: %v, want invalid", err)
	}
	for i := range 2 {
		if _, err := signUp(fresh(), addr); err != nil {
			t.Fatalf("sign-up %d: %v", i+1, err)
		}
	}
	refused := fresh()
	_, err := signUp(refused, addr)
	var re *account.RetryError
	if !errors.As(err, &re) || apperr.CodeOf(err) != apperr.RateLimited || re.RetryAfter <= 0 || re.RetryAfter > time.Hour {
		t.Fatalf("third sign-up: %v, want rate_limited with a wait", err)
	}
	// The refused sign-up stored nothing: its e-mail is still free.
	if _, err := signUp(refused, "198.51.100.7"); err != nil {
		t.Fatalf("the refused e-mail from another address: %v", err)
	}
	if account.SignUpsPerHour(0) != nil {
		t.Error("a limit of 0 must be no limit")
	}
}

// TestChangePasswordGuessesCountAsSignInFailures: guessing the current
// password through a signed-in session is slowed and refused as sign-in
// guesses are, and counts toward the same limit.
func TestChangePasswordGuessesCountAsSignInFailures(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	p := account.PasswordChangePerPerson
	for i := 1; i <= p.RefuseAt; i++ {
		if _, err := w.svc.ChangePassword(ctx, w.actor, "", "a guess "+fmt.Sprint(i), "a new password!"); apperr.CodeOf(err) != apperr.Invalid {
			t.Fatalf("guess %d: %v, want invalid", i, err)
		}
	}
	if len(w.slept) == 0 {
		t.Fatal("the guesses were not slowed")
	}
	_, err := w.svc.ChangePassword(ctx, w.actor, "", "correct horse battery", "a new password!")
	var re *account.RetryError
	if !errors.As(err, &re) || apperr.CodeOf(err) != apperr.RateLimited {
		t.Fatalf("past the limit: %v, want rate_limited", err)
	}
	// The guesses counted for the e-mail too, which slows the sign-in
	// form but never refuses the owner.
	w.slept = nil
	if _, err := w.svc.Login(ctx, w.admin.Email, "correct horse battery", "192.0.2.9"); err != nil {
		t.Fatalf("sign-in after the guesses: %v", err)
	}
	if len(w.slept) != 1 || w.slept[0] != account.LoginPerEmail.MaxDelay {
		t.Fatalf("sign-in after the guesses waited %v, want %v", w.slept, account.LoginPerEmail.MaxDelay)
	}
}

// TestExpiredInvitationReleasesAddress: a stranger's invitation holds an
// address only while it can be accepted. While the link is live the
// owner's sign-up is refused; once it has expired, the owner signs up and
// the invited person is gone from the stranger's account.
func TestExpiredInvitationReleasesAddress(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	owner := "owner-" + account.NewID()[:8] + "@example.org"
	invited, err := w.svc.Invite(ctx, w.actor, account.Invitation{Email: owner, Role: auth.Operator})
	if err != nil {
		t.Fatal(err)
	}
	signUp := func(svc *account.Service) error {
		_, _, err := svc.Create(ctx, account.SignUp{CompanyName: "Owner's", Email: owner, Password: "correct horse battery", Language: "en"})
		return err
	}
	if err := signUp(w.svc); apperr.CodeOf(err) != apperr.Conflict {
		t.Fatalf("sign-up while the invitation is live: %v, want conflict", err)
	}
	later := *w.svc
	at := time.Now().Add(8 * 24 * time.Hour)
	later.Now = func() time.Time { return at }
	if err := signUp(&later); err != nil {
		t.Fatalf("sign-up after the invitation expired: %v", err)
	}
	got, err := w.store.PersonByEmail(ctx, owner)
	if err != nil || got.AccountID == w.acc.ID || got.Status != account.StatusActive {
		t.Fatalf("the address belongs to %+v (%v), want the owner's new account", got, err)
	}
	if _, err := w.store.Person(ctx, w.acc.ID, invited.ID); apperr.CodeOf(err) != apperr.NotFound {
		t.Fatalf("the expired invitation's person: %v, want gone", err)
	}

	// An expired invitation in one account does not block another
	// account's invitation either.
	other := "other-" + account.NewID()[:8] + "@example.org"
	if _, err := w.svc.Invite(ctx, w.actor, account.Invitation{Email: other, Role: auth.Operator}); err != nil {
		t.Fatal(err)
	}
	acc2, admin2, err := later.Create(ctx, account.SignUp{CompanyName: "Second", Email: "second-" + account.NewID()[:8] + "@example.org", Password: "correct horse battery", Language: "en"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := later.Invite(ctx, account.Actor{AccountID: acc2.ID, PersonID: admin2.ID, Role: auth.Administrator}, account.Invitation{Email: other, Role: auth.Operator})
	if err != nil || p.AccountID != acc2.ID {
		t.Fatalf("inviting an address an expired invitation held: %+v, %v", p, err)
	}
}
