package account_test

import (
	"errors"
	"testing"
	"time"

	"parley/internal/account"
	"parley/internal/apperr"
	"parley/internal/auth"
	"parley/internal/ratelimit"
)

func wantRetry(t *testing.T, what string, err error) {
	t.Helper()
	var re *ratelimit.RetryError
	if !errors.As(err, &re) || apperr.CodeOf(err) != apperr.RateLimited || re.Seconds() < 1 {
		t.Fatalf("%s: %v, want rate_limited with a wait", what, err)
	}
}

// TestSetPasswordChecksTheLinkFirst: a guessed link is refused before the
// password is hashed (so it answers in far less than a hash takes), and
// one address's attempts are limited; another address is not affected.
func TestSetPasswordChecksTheLinkFirst(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	w.svc.Limits.PasswordLinksPerAddress = ratelimit.Rule{Name: "setpassword#ip", Limit: 3, Window: 15 * time.Minute, What: "attempts to set a password"}
	start := time.Now()
	if _, err := auth.HashPassword("a good long password"); err != nil {
		t.Fatal(err)
	}
	hashing := time.Since(start)
	fastest := time.Hour
	for i := range 3 {
		start := time.Now()
		if _, err := w.svc.SetPassword(ctx, "guessed-link-"+string(rune('a'+i)), "a good long password", "203.0.113.5"); apperr.CodeOf(err) != apperr.Invalid {
			t.Fatalf("a guessed link: %v, want invalid", err)
		}
		fastest = min(fastest, time.Since(start))
	}
	if fastest > hashing/2 {
		t.Fatalf("a guessed link took %v, a hash %v: the password was hashed before the link was looked up", fastest, hashing)
	}
	_, err := w.svc.SetPassword(ctx, "guessed-link-d", "a good long password", "203.0.113.5")
	wantRetry(t, "a fourth attempt from one address", err)
	if _, err := w.svc.SetPassword(ctx, "guessed-link-e", "a good long password", "198.51.100.5"); apperr.CodeOf(err) != apperr.Invalid {
		t.Fatalf("another address: %v, want invalid (not limited)", err)
	}
}

// TestInvitationLimits: an account may send so many invitation mails a
// day, and one person may be sent so many; a refused invitation stores no
// person (so mails nobody).
func TestInvitationLimits(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	d := ratelimit.Defaults()
	w.svc.Limits.InvitationsPerAccount, w.svc.Limits.InvitationsPerPerson = d.InvitationsPerAccount, d.InvitationsPerPerson
	w.svc.Limits.InvitationsPerAccount.Limit, w.svc.Limits.InvitationsPerPerson.Limit = 3, 2
	a, err := w.svc.Invite(ctx, w.actor, account.Invitation{Email: "a@stranger.example", Role: auth.Operator})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.svc.ResendInvitation(ctx, w.actor, a.ID); err != nil {
		t.Fatal(err)
	}
	wantRetry(t, "a third mail to one person", w.svc.ResendInvitation(ctx, w.actor, a.ID))
	if _, err := w.svc.Invite(ctx, w.actor, account.Invitation{Email: "b@stranger.example", Role: auth.Operator}); err != nil {
		t.Fatal(err)
	}
	_, err = w.svc.Invite(ctx, w.actor, account.Invitation{Email: "c@stranger.example", Role: auth.Operator})
	wantRetry(t, "a fourth invitation of the account in a day", err)
	if _, err := w.store.PersonByEmail(ctx, "c@stranger.example"); apperr.CodeOf(err) != apperr.NotFound {
		t.Fatalf("the refused invitation stored a person: %v", err)
	}
}
