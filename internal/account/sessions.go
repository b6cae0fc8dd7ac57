package account

import (
	"context"
	"crypto/subtle"
	"fmt"
	"strings"
	"time"

	"parley/internal/apperr"
	"parley/internal/auth"
)

// RefreshTTL is how long a session lasts without being refreshed; every
// refresh starts it again.
const RefreshTTL = 30 * 24 * time.Hour

// Session is one sign-in of a person: what a refresh token renews and what
// signing out ends. Access tokens name it, and the authorizer refuses them
// once it is gone.
type Session struct {
	AccountID   string
	PersonID    string
	ID          string
	RefreshHash string // hash of the current refresh secret; rotates on every refresh
	// PrevHash is the hash of the secret the last refresh replaced: seeing
	// it again means a copy of a refresh token is in use.
	PrevHash  string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// SessionStore declares what sessions need from storage.
type SessionStore interface {
	// PutSession stores a new session.
	PutSession(ctx context.Context, s Session) error
	// Session returns a session. Errors: apperr.NotFound.
	Session(ctx context.Context, accountID, personID, id string) (Session, error)
	// RotateSession replaces the refresh hash oldHash by newHash (keeping
	// oldHash as the previous one) and the expiry by expires, only if
	// oldHash is still current and the session has not expired at now.
	// Errors: apperr.Unauthorized otherwise.
	RotateSession(ctx context.Context, s Session, oldHash, newHash string, expires, now time.Time) error
	// DeleteSession ends a session; an unknown one is not an error.
	DeleteSession(ctx context.Context, accountID, personID, id string) error
	// DeleteSessions ends every session of a person.
	DeleteSessions(ctx context.Context, accountID, personID string) error
	// DeleteSessionsExcept ends every session of a person but keep.
	DeleteSessionsExcept(ctx context.Context, accountID, personID, keep string) error
}

// SignIn is what a successful sign-in, refresh or sign-up returns.
type SignIn struct {
	Person       Person
	AccessToken  string
	RefreshToken string
	ExpiresIn    time.Duration
}

// errSignIn is the one answer to a failed sign-in, so a caller cannot
// learn which e-mails exist or which accounts are invited.
var errSignIn = apperr.New(apperr.Unauthorized, "wrong e-mail or password")

// errRefresh is the one answer to a refresh token that does not work.
var errRefresh = apperr.New(apperr.Unauthorized, "the session has ended; sign in again")

// Login checks an e-mail and password and starts a session. Attempts are
// counted before the password is checked, per source address
// (LoginPerAddress), per e-mail and address pair (LoginPerPair) and per
// e-mail (LoginPerEmail): past a few failures each attempt is slowed;
// past more from one address, or for one e-mail from one address, it is
// refused with apperr.RateLimited (a *RetryError) until the window ends.
// The e-mail's own count only slows, so guesses from elsewhere never lock
// its owner out. A success clears the pair's and the e-mail's counts. A
// person whose account does not allow sourceIP gets apperr.Forbidden.
// Errors: apperr.Unauthorized, apperr.RateLimited, apperr.Forbidden.
func (s *Service) Login(ctx context.Context, email, password, sourceIP string) (SignIn, error) {
	norm, ok := NormalizeEmail(email)
	if !ok {
		norm = strings.ToLower(strings.TrimSpace(email))
		if len(norm) > 254 {
			norm = norm[:254]
		}
	}
	now := s.Now()
	counts := []struct {
		p      Policy
		key    string
		refund bool // a success gives the attempt back rather than clearing
	}{{LoginPerAddress, "login#ip#" + sourceIP, true}, {LoginPerPair, "login#pair#" + norm + "#" + sourceIP, false}, {LoginPerEmail, "login#email#" + norm, false}}
	if sourceIP == "" {
		counts = counts[1:]
	}
	var delay time.Duration
	for i, c := range counts {
		n, err := s.hit(ctx, c.p, c.key, now)
		if err != nil {
			// Refused: the attempt did not happen for the counts before.
			for _, done := range counts[:i] {
				_ = s.Store.AdjustHits(ctx, done.key, done.p.windowOf(now), -1)
			}
			return SignIn{}, err
		}
		delay = max(delay, c.p.Delay(n))
	}
	s.sleep(ctx, delay)

	var p Person
	if ok {
		var err error
		if p, err = s.Store.PersonByEmail(ctx, norm); err != nil && apperr.CodeOf(err) != apperr.NotFound {
			return SignIn{}, err
		}
	}
	// Unknown e-mails and invited people (who have no password yet) cost
	// the same hash as a real check, so the answer's timing tells nothing.
	hash := p.PasswordHash
	if p.ID == "" || p.Status == StatusInvited || hash == "" {
		hash = dummyHash()
	}
	right := verifyPassword(hash, password)
	if p.ID == "" || p.Status == StatusInvited || !right {
		return SignIn{}, errSignIn
	}
	// Success: the e-mail and the pair start afresh, and the address gets
	// its attempt back so an office's sign-ins do not add up to a lock-out.
	for _, c := range counts {
		var err error
		if c.refund {
			err = s.Store.AdjustHits(ctx, c.key, c.p.windowOf(now), -1)
		} else {
			err = s.Store.ClearHits(ctx, c.key, c.p.windowOf(now))
		}
		if err != nil {
			return SignIn{}, err
		}
	}
	if err := s.allowAddress(ctx, p.AccountID, sourceIP); err != nil {
		return SignIn{}, err
	}
	return s.StartSession(ctx, p)
}

func (s *Service) allowAddress(ctx context.Context, accountID, sourceIP string) error {
	if s.Access == nil {
		return nil
	}
	return s.Access.AllowAddress(ctx, accountID, sourceIP)
}

// StartSession starts a session for p and returns its tokens (sign-in and
// sign-up).
func (s *Service) StartSession(ctx context.Context, p Person) (SignIn, error) {
	secret, hash := auth.NewSecret()
	now := s.Now().UTC()
	sess := Session{AccountID: p.AccountID, PersonID: p.ID, ID: NewID(), RefreshHash: hash, CreatedAt: now, ExpiresAt: now.Add(RefreshTTL)}
	if err := s.Store.PutSession(ctx, sess); err != nil {
		return SignIn{}, err
	}
	return s.tokens(p, sess, secret)
}

func (s *Service) tokens(p Person, sess Session, secret string) (SignIn, error) {
	access, err := s.Signer.Issue(auth.Principal{Kind: auth.Access, AccountID: p.AccountID, Subject: p.ID, Role: p.Role, Session: sess.ID}, auth.AccessTTL)
	if err != nil {
		return SignIn{}, err
	}
	return SignIn{Person: p, AccessToken: access, RefreshToken: formatRefresh(sess, secret), ExpiresIn: auth.AccessTTL}, nil
}

// A refresh token names its session, so using it is a GetItem and not a
// search: account.person.session.secret. Only the secret is secret.
func formatRefresh(s Session, secret string) string {
	return s.AccountID + "." + s.PersonID + "." + s.ID + "." + secret
}

// ParseRefreshToken splits a refresh token into its session's key and
// secret; ok is false for anything not shaped like one.
func ParseRefreshToken(token string) (accountID, personID, sessionID, secret string, ok bool) {
	parts := strings.Split(token, ".")
	if len(parts) != 4 || len(token) > 300 {
		return "", "", "", "", false
	}
	for _, p := range parts {
		if p == "" || strings.ContainsAny(p, "#") {
			return "", "", "", "", false
		}
	}
	return parts[0], parts[1], parts[2], parts[3], true
}

// Refresh exchanges a refresh token for a new access token and a new
// refresh token; the old refresh token stops working. A refresh token
// that was already exchanged ends its session, because only a copy can be
// presented twice. The access token carries the person's current role.
// Errors: apperr.Unauthorized, apperr.Forbidden (address not allowed).
func (s *Service) Refresh(ctx context.Context, token, sourceIP string) (SignIn, error) {
	accID, personID, sid, secret, ok := ParseRefreshToken(token)
	if !ok {
		return SignIn{}, errRefresh
	}
	now := s.Now()
	sess, err := s.Store.Session(ctx, accID, personID, sid)
	if apperr.CodeOf(err) == apperr.NotFound {
		return SignIn{}, errRefresh
	}
	if err != nil {
		return SignIn{}, err
	}
	hash := auth.HashSecret(secret)
	if subtle.ConstantTimeCompare([]byte(hash), []byte(sess.RefreshHash)) != 1 {
		if sess.PrevHash != "" && subtle.ConstantTimeCompare([]byte(hash), []byte(sess.PrevHash)) == 1 {
			// An exchanged token came back: one of its holders is not the
			// person. End the session for both.
			if err := s.Store.DeleteSession(ctx, accID, personID, sid); err != nil {
				return SignIn{}, err
			}
		}
		return SignIn{}, errRefresh
	}
	if !now.Before(sess.ExpiresAt) {
		return SignIn{}, errRefresh
	}
	p, err := s.Store.Person(ctx, accID, personID)
	if apperr.CodeOf(err) == apperr.NotFound {
		return SignIn{}, errRefresh
	}
	if err != nil {
		return SignIn{}, err
	}
	if err := s.allowAddress(ctx, accID, sourceIP); err != nil {
		return SignIn{}, err
	}
	next, nextHash := auth.NewSecret()
	expires := now.UTC().Add(RefreshTTL)
	if err := s.Store.RotateSession(ctx, sess, hash, nextHash, expires, now); err != nil {
		return SignIn{}, err
	}
	sess.RefreshHash, sess.ExpiresAt = nextHash, expires
	return s.tokens(p, sess, next)
}

// Logout ends the session of a refresh token, and with it every access
// token issued in it. An unknown or malformed token changes nothing and is
// not an error: signing out twice is fine.
func (s *Service) Logout(ctx context.Context, token string) error {
	accID, personID, sid, secret, ok := ParseRefreshToken(token)
	if !ok {
		return nil
	}
	sess, err := s.Store.Session(ctx, accID, personID, sid)
	if apperr.CodeOf(err) == apperr.NotFound {
		return nil
	}
	if err != nil {
		return err
	}
	if subtle.ConstantTimeCompare([]byte(auth.HashSecret(secret)), []byte(sess.RefreshHash)) != 1 {
		return nil // knowing a session's ids is not enough to end it
	}
	return s.Store.DeleteSession(ctx, accID, personID, sid)
}

// ChangePassword sets a signed-in person's password once their current
// one is checked, and ends every other session of theirs (whoever knew
// the old password may have used it); the session it is called from goes
// on. Guesses of the current password are refused past
// PasswordChangePerPerson and count as failed sign-ins of the person's
// e-mail (LoginPerEmail, which slows), so a stolen access token is no
// faster a way to find the password than the sign-in form. Errors:
// apperr.Invalid (fields currentPassword, newPassword), apperr.RateLimited
// (a *RetryError), apperr.NotFound.
func (s *Service) ChangePassword(ctx context.Context, a Actor, session, current, next string) (Person, error) {
	p, err := s.Store.Person(ctx, a.AccountID, a.PersonID)
	if err != nil {
		return Person{}, err
	}
	now := s.Now()
	emailKey, personKey := "login#email#"+p.Email, "passwordchange#"+p.AccountID+"#"+p.ID
	n, err := s.hit(ctx, PasswordChangePerPerson, personKey, now)
	if err != nil {
		return Person{}, err
	}
	nEmail, err := s.hit(ctx, LoginPerEmail, emailKey, now)
	if err != nil {
		return Person{}, err
	}
	s.sleep(ctx, max(PasswordChangePerPerson.Delay(n), LoginPerEmail.Delay(nEmail)))
	fields := map[string]string{}
	right := len(current) <= 1024 && auth.CheckPassword(p.PasswordHash, current)
	if !right {
		fields["currentPassword"] = "is not your current password"
	}
	if len([]rune(next)) < MinPasswordLength || len(next) > 1024 {
		fields["newPassword"] = fmt.Sprintf("must be at least %d characters", MinPasswordLength)
	}
	if right {
		if err := s.Store.ClearHits(ctx, emailKey, LoginPerEmail.windowOf(now)); err != nil {
			return Person{}, err
		}
		if err := s.Store.ClearHits(ctx, personKey, PasswordChangePerPerson.windowOf(now)); err != nil {
			return Person{}, err
		}
	}
	if err := apperr.Fields(fields); err != nil {
		return Person{}, err
	}
	hash, err := auth.HashPassword(next)
	if err != nil {
		return Person{}, err
	}
	changed := p
	changed.PasswordHash, changed.Version = hash, p.Version+1
	if err := s.Store.UpdatePerson(ctx, p, changed, nil); err != nil {
		return Person{}, err
	}
	if err := s.Store.DeleteSessionsExcept(ctx, p.AccountID, p.ID, session); err != nil {
		return Person{}, err
	}
	return changed, nil
}

// verifyPassword is auth.CheckPassword, a variable so that a test can count
// the checks a sign-in runs rather than time them.
var verifyPassword = auth.CheckPassword
