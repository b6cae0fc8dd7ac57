// Package account holds tenants and the people who work in them, and the
// rules for creating them and signing in. Storage is behind Store.
package account

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	netmail "net/mail"
	"strings"
	"sync"
	"time"

	"parley/internal/apperr"
	"parley/internal/auth"
	"parley/internal/mail"
	"parley/internal/ratelimit"
	"parley/internal/settings"
)

// Plans an account may have. Some settings need a plan (SPEC §2.3).
const (
	PlanBasic     = "basic"
	PlanCorporate = "corporate"
)

// Account is one company: a tenant.
type Account struct {
	ID        string
	Name      string
	Plan      string
	Language  string
	CreatedAt time.Time
}

// Person is an administrator, supervisor or operator of an account.
type Person struct {
	AccountID    string
	ID           string
	Email        string // lower-cased
	Name         string
	Role         auth.Role
	PasswordHash string // empty until an invited person sets a password
	Status       Status
	// InterfaceLanguage is the console's language for this person;
	// Languages are those they answer chats in (SPEC §4.3). Both default
	// to the account's language.
	InterfaceLanguage string
	Languages         []string
	// Departments are the ids of the departments the person belongs to,
	// sorted. The department member items mirror them (see the store).
	Departments []string
	// ChatLimit overrides features.maxChatsPerOperator for this person;
	// nil uses the account's.
	ChatLimit *int
	// Photo describes the uploaded photo; the store keeps the bytes.
	Photo *settings.Image
	// LinkHash is the hash of the one outstanding invitation or reset
	// link: issuing a new link replaces it, so only the latest one works.
	LinkHash  string
	Version   int64 // increases on every write; writes are conditional on it
	CreatedAt time.Time
}

// Status is where a person is in their life in the account.
type Status string

// Statuses of a person.
const (
	// StatusInvited: invited by e-mail, no password yet, cannot sign in.
	StatusInvited Status = "invited"
	// StatusActive: has a password and may sign in.
	StatusActive Status = "active"
)

// Store declares what this package needs from storage. Every method that
// reads or writes an account's items takes the account id from the caller
// (the token), never from a request body.
type Store interface {
	// CreateAccount stores the account and its first person atomically.
	// Returns apperr.Conflict if the e-mail is taken.
	CreateAccount(ctx context.Context, a Account, first Person) error
	// PersonByEmail finds a person by lower-cased e-mail. Returns
	// apperr.NotFound.
	PersonByEmail(ctx context.Context, email string) (Person, error)
	// Account returns an account. Returns apperr.NotFound.
	Account(ctx context.Context, id string) (Account, error)

	PeopleStore
	SessionStore
	LinkStore
	DepartmentStore
	ThrottleStore
}

// Service creates accounts and people, signs people in and manages their
// sessions, invitations, departments and profiles.
type Service struct {
	Store  Store
	Signer *auth.Signer
	Now    func() time.Time
	// Prepare runs before an account is stored, for what the account must
	// never be without (its settings): were it to run after, a failure
	// would leave an account the sign-up cannot be repeated for (its
	// e-mail is taken). A failure before leaves only an item under an id
	// that nobody holds.
	Prepare func(ctx context.Context, a Account, admin Person) error
	// OnCreated runs after an account is stored, to queue its welcome mail.
	// It is part of the same request, so its failure is reported.
	OnCreated func(ctx context.Context, a Account, admin Person) error
	// Mail queues the invitation and reset mails; the stream consumer sends
	// them.
	Mail mail.Outbox
	// Branding signs an account's mails (company name and website, SPEC
	// §4.10) and says their language (company.language), which is also
	// new people's default language. Nil signs with the account's name,
	// in its sign-up language.
	Branding func(ctx context.Context, a Account) mail.Signer
	// LinkURL turns a one-time link secret into the URL mailed to the
	// person. It may fail: in AWS the console's address is looked up once,
	// and a mail without a working link is worse than a refused request.
	LinkURL func(ctx context.Context, secret string) (string, error)
	// Access decides whether an account lets an address in (SPEC §2.9);
	// nil lets every address in.
	Access *Guard
	// Sleep slows repeated failed sign-ins; nil is a real sleep. Tests
	// record the delays instead.
	Sleep func(ctx context.Context, d time.Duration)
	// SignUpPerAddress limits the accounts one address may sign up (each
	// sends a welcome mail to the address it was given); nil is no limit
	// (config SIGNUPS_PER_ADDRESS_PER_HOUR).
	SignUpPerAddress *Policy
	// Limits holds the invitation and set-password limits (limits.go);
	// zero rules limit nothing.
	Limits ratelimit.Limits
}

// SignUp is the input of POST /v1/accounts.
type SignUp struct {
	CompanyName string `json:"companyName"`
	Email       string `json:"email"`
	Password    string `json:"password"`
	Plan        string `json:"plan"`
	Language    string `json:"language"`
	Name        string `json:"name"`
	// SourceIP is the address the request came from, as API Gateway
	// reports it (never read from the body).
	SourceIP string `json:"-"`
}

// MinPasswordLength is the shortest password accepted.
const MinPasswordLength = 10

// NewID returns a random identifier, 128 bits in hex.
func NewID() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return hex.EncodeToString(b)
}

// NormalizeEmail validates an addr-spec and lower-cases it.
func NormalizeEmail(s string) (string, bool) {
	s = strings.TrimSpace(s)
	a, err := netmail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" || len(s) > 254 {
		return "", false
	}
	return strings.ToLower(s), true
}

// Create validates a sign-up and stores the account with its first
// administrator. Errors: apperr.Invalid (fields companyName, email, password,
// plan, language), apperr.Conflict (e-mail taken), a RetryError past
// SignUpPerAddress.
func (s *Service) Create(ctx context.Context, in SignUp) (Account, Person, error) {
	fields := map[string]string{}
	name := strings.TrimSpace(in.CompanyName)
	if name == "" || len([]rune(name)) > 200 {
		fields["companyName"] = "must be 1 to 200 characters"
	}
	email, ok := NormalizeEmail(in.Email)
	if !ok {
		fields["email"] = "must be an e-mail address like name@example.com"
	}
	if len([]rune(in.Password)) < MinPasswordLength || len(in.Password) > 1024 {
		fields["password"] = "must be at least 10 characters"
	}
	plan := in.Plan
	if plan == "" {
		plan = PlanBasic
	}
	if plan != PlanBasic && plan != PlanCorporate {
		fields["plan"] = "must be basic or corporate"
	}
	lang := in.Language
	if lang == "" {
		lang = "ru"
	}
	if lang != "ru" && lang != "en" {
		fields["language"] = "must be ru or en"
	}
	if err := apperr.Fields(fields); err != nil {
		return Account{}, Person{}, err
	}
	// Counted before the password is hashed, so a flood of sign-ups is
	// refused before it costs argon2id's memory and time.
	if s.SignUpPerAddress != nil && in.SourceIP != "" {
		if _, err := s.hit(ctx, *s.SignUpPerAddress, "signup#ip#"+in.SourceIP, s.Now()); err != nil {
			return Account{}, Person{}, err
		}
	}
	hash, err := auth.HashPassword(in.Password)
	if err != nil {
		return Account{}, Person{}, err
	}
	now := s.Now().UTC()
	a := Account{ID: NewID(), Name: name, Plan: plan, Language: lang, CreatedAt: now}
	personName := strings.TrimSpace(in.Name)
	if personName == "" {
		personName = email
	}
	admin := Person{AccountID: a.ID, ID: NewID(), Email: email, Name: personName, Role: auth.Administrator, PasswordHash: hash,
		Status: StatusActive, InterfaceLanguage: lang, Languages: []string{lang}, Version: 1, CreatedAt: now}
	if s.Prepare != nil {
		if err := s.Prepare(ctx, a, admin); err != nil {
			return Account{}, Person{}, err
		}
	}
	if err := s.claimAddress(ctx, email, func() error { return s.Store.CreateAccount(ctx, a, admin) }); err != nil {
		return Account{}, Person{}, err
	}
	if s.OnCreated != nil {
		if err := s.OnCreated(ctx, a, admin); err != nil {
			return Account{}, Person{}, err
		}
	}
	return a, admin, nil
}

// dummyHash is a valid argon2id hash of a random password, checked when the
// e-mail is unknown.
// It is made on first use: hashing at package load would cost every
// function's cold start ~60 ms, including functions that never sign in.
var dummyHash = sync.OnceValue(func() string {
	h, _ := auth.HashPassword(NewID())
	return h
})

// claimAddress runs write, the store call that takes email. When the
// address is held only by an invitation nobody accepted in time (perhaps a
// stranger's), that invitation releases it and write runs once more.
func (s *Service) claimAddress(ctx context.Context, email string, write func() error) error {
	err := write()
	if apperr.CodeOf(err) != apperr.Conflict {
		return err
	}
	released, rerr := s.releaseExpiredInvitation(ctx, email)
	if rerr != nil {
		return rerr
	}
	if !released {
		return err
	}
	return write()
}

// releaseExpiredInvitation frees email when the person holding it is an
// invitation whose link has expired (or was never issued): the invited
// person is deleted, with their reservation of the address, so the
// address's owner can sign up; an invitation is a claim on an address
// only while it can still be accepted. The deletion is conditional on the
// person's version, so a change meanwhile keeps them.
func (s *Service) releaseExpiredInvitation(ctx context.Context, email string) (bool, error) {
	p, err := s.Store.PersonByEmail(ctx, email)
	if apperr.CodeOf(err) == apperr.NotFound {
		return false, nil
	}
	if err != nil || p.Status != StatusInvited {
		return false, err
	}
	if p.LinkHash != "" {
		err := s.Store.LiveLink(ctx, p.LinkHash, s.Now())
		if err == nil {
			return false, nil // still open to accept
		}
		if apperr.CodeOf(err) != apperr.Invalid {
			return false, err
		}
	}
	if err := s.Store.DeletePerson(ctx, p); err != nil {
		if c := apperr.CodeOf(err); c == apperr.PreconditionFailed || c == apperr.Conflict {
			return false, nil
		}
		return false, err
	}
	return true, nil
}
