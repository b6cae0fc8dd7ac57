package account

import (
	"context"
	"fmt"
	"time"

	"parley/internal/apperr"
	"parley/internal/auth"
	"parley/internal/mail"
	"parley/internal/ratelimit"
)

// LinkKind says what a one-time link was mailed for.
type LinkKind string

// Link kinds.
const (
	LinkInvite LinkKind = "invite"
	LinkReset  LinkKind = "reset"
)

// How long a mailed link works: an invitation waits for someone to read
// their mail, a reset is asked for by someone at their screen.
const (
	InviteLinkTTL = 7 * 24 * time.Hour
	ResetLinkTTL  = time.Hour
)

// Link is a one-time link to set a password. Only the hash of its secret
// is stored; the secret travels once, in the mail.
type Link struct {
	Hash      string
	AccountID string
	PersonID  string
	Kind      LinkKind
	ExpiresAt time.Time
}

// LinkStore declares what links need from storage.
type LinkStore interface {
	// IssueLink stores a link and makes it the person's only valid one.
	// Errors: apperr.NotFound (no such person).
	IssueLink(ctx context.Context, l Link) error
	// ConsumeLink uses the link with this hash once: if it exists, has not
	// expired at now and is still the person's latest, it is deleted and
	// the person gets passwordHash and becomes active, in one transaction.
	// Errors: apperr.Invalid (field token) otherwise.
	ConsumeLink(ctx context.Context, hash, passwordHash string, now time.Time) (Person, error)
	// LiveLink checks that a link with this hash exists and has not
	// expired at now, changing nothing (one GetItem). Errors:
	// apperr.Invalid (field token) otherwise.
	LiveLink(ctx context.Context, hash string, now time.Time) error
}

func (s *Service) newLink(p Person, kind LinkKind) (Link, string) {
	secret, hash := auth.NewSecret()
	ttl := InviteLinkTTL
	if kind == LinkReset {
		ttl = ResetLinkTTL
	}
	return Link{Hash: hash, AccountID: p.AccountID, PersonID: p.ID, Kind: kind, ExpiresAt: s.Now().UTC().Add(ttl)}, secret
}

var linkMails = map[string]map[LinkKind][2]string{
	"en": {
		LinkInvite: {"You are invited to %s on Parley", "%s invites you to answer chats on Parley as %s.\n\nSet your password to sign in (the link works once, for 7 days):\n%s\n"},
		LinkReset:  {"Reset your Parley password", "Someone asked to reset the password of %[2]s at %[1]s.\n\nSet a new password (the link works once, for an hour):\n%[3]s\n\nIf it was not you, ignore this mail: your password stays as it is.\n"},
	},
	"ru": {
		LinkInvite: {"Приглашение в %s на Parley", "%s приглашает вас отвечать в чатах Parley как %s.\n\nЗадайте пароль, чтобы войти (ссылка действует один раз, 7 дней):\n%s\n"},
		LinkReset:  {"Сброс пароля Parley", "Кто-то запросил сброс пароля %[2]s в %[1]s.\n\nЗадайте новый пароль (ссылка действует один раз, один час):\n%[3]s\n\nЕсли это были не вы, просто не обращайте внимания на это письмо: пароль останется прежним.\n"},
	},
}

// mailLink queues the mail carrying a link's secret. Its id is derived
// from the link, so a retried request queues it once.
func (s *Service) mailLink(ctx context.Context, a Account, p Person, l Link, secret string) error {
	if s.Mail == nil {
		return apperr.New(apperr.Internal, "no mail outbox configured")
	}
	// In company.language (SPEC §2.1), which the signer carries: the
	// account's sign-up language only until someone changes it.
	signer := s.signer(ctx, a)
	texts, ok := linkMails[signer.Language]
	if !ok {
		texts = linkMails["en"]
	}
	t := texts[l.Kind]
	url := secret
	if s.LinkURL != nil {
		var err error
		if url, err = s.LinkURL(ctx, secret); err != nil {
			return err
		}
	}
	// One name throughout: the settings' company name (what the signature
	// carries), not the account's name of the sign-up, once renamed.
	name := signer.CompanyName
	if name == "" {
		name = a.Name
	}
	body := signer.Sign(fmt.Sprintf(t[1], name, p.Email, url))
	return s.Mail.Enqueue(ctx, mail.Message{AccountID: a.ID, ID: string(l.Kind) + "-" + l.Hash[:32], To: []string{p.Email},
		Subject: fmt.Sprintf(t[0], name), Text: body, CreatedAt: s.Now().UTC()})
}

// signer is how the account's mails are signed and in which language:
// company.language through Branding, else the sign-up language.
func (s *Service) signer(ctx context.Context, a Account) mail.Signer {
	signer := mail.Signer{CompanyName: a.Name, Language: a.Language}
	if s.Branding != nil {
		signer = s.Branding(ctx, a)
	}
	if signer.Language == "" {
		signer.Language = a.Language
	}
	return signer
}

// Reset-request limits: per e-mail, so nobody can flood a mailbox; per
// address, so nobody can probe many e-mails.
var (
	ResetPerEmail   = Policy{Window: time.Hour, SlowAfter: 3, RefuseAt: 3}
	ResetPerAddress = Policy{Window: time.Hour, SlowAfter: 20, RefuseAt: 20}
)

// RequestReset mails a password-reset link to the person with this e-mail,
// if there is one. It answers the same whether or not the e-mail is known,
// so it cannot be used to learn who has an account; over ResetPerEmail
// mails are silently not sent. Errors: apperr.Invalid (field email),
// apperr.RateLimited (too many requests from sourceIP).
func (s *Service) RequestReset(ctx context.Context, email, sourceIP string) error {
	norm, ok := NormalizeEmail(email)
	if !ok {
		return &apperr.Error{Code: apperr.Invalid, Message: "the e-mail is not valid", Fields: map[string]string{"email": "must be an e-mail address like name@example.com"}}
	}
	now := s.Now()
	if sourceIP != "" {
		if _, err := s.hit(ctx, ResetPerAddress, "reset#ip#"+sourceIP, now); err != nil {
			return err
		}
	}
	if _, err := s.hit(ctx, ResetPerEmail, "reset#email#"+norm, now); apperr.CodeOf(err) == apperr.RateLimited {
		return nil
	} else if err != nil {
		return err
	}
	p, err := s.Store.PersonByEmail(ctx, norm)
	if apperr.CodeOf(err) == apperr.NotFound {
		return nil
	}
	if err != nil {
		return err
	}
	acc, err := s.Store.Account(ctx, p.AccountID)
	if err != nil {
		return err
	}
	kind := LinkReset
	if p.Status == StatusInvited {
		kind = LinkInvite // they never set a password: the invitation again
	}
	l, secret := s.newLink(p, kind)
	if err := s.Store.IssueLink(ctx, l); err != nil {
		return err
	}
	return s.mailLink(ctx, acc, p, l, secret)
}

// SetPassword sets a password through a mailed link: the link works once,
// only if it is the latest one mailed to the person, and only until it
// expires. Every session of the person ends, since whoever knew the old
// password may have used it. Attempts are counted per source address
// (Limits.PasswordLinksPerAddress) and the link is looked up before the
// password is hashed, so guessing links costs the guesser, not Parley's
// CPU. Errors: apperr.Invalid (fields token, password),
// apperr.RateLimited.
func (s *Service) SetPassword(ctx context.Context, token, password, sourceIP string) (Person, error) {
	if err := checkPassword(password); err != nil {
		return Person{}, err
	}
	if err := s.take(ctx, ratelimit.For(s.Limits.PasswordLinksPerAddress, sourceIP)); err != nil {
		return Person{}, err
	}
	if token == "" || len(token) > 200 {
		return Person{}, errBadLink
	}
	if err := s.Store.LiveLink(ctx, auth.HashSecret(token), s.Now()); err != nil {
		return Person{}, err
	}
	hash, err := auth.HashPassword(password)
	if err != nil {
		return Person{}, err
	}
	p, err := s.Store.ConsumeLink(ctx, auth.HashSecret(token), hash, s.Now())
	if err != nil {
		return Person{}, err
	}
	if err := s.Store.DeleteSessions(ctx, p.AccountID, p.ID); err != nil {
		return Person{}, err
	}
	return p, nil
}

// errBadLink is the one answer for a link that is unknown, used, replaced
// or expired: which of these it was is of no use to the person, and of
// some use to an attacker.
var errBadLink = &apperr.Error{Code: apperr.Invalid, Message: "this link is invalid, already used, replaced by a newer one or expired: ask for a new one",
	Fields: map[string]string{"token": "is invalid, used or expired"}}

// ErrBadLink is errBadLink for the store, which detects the failure.
func ErrBadLink() error { return errBadLink }

func checkPassword(pw string) error {
	if len([]rune(pw)) < MinPasswordLength || len(pw) > 1024 {
		return &apperr.Error{Code: apperr.Invalid, Message: "the password is too short", Fields: map[string]string{"password": fmt.Sprintf("must be at least %d characters", MinPasswordLength)}}
	}
	return nil
}
