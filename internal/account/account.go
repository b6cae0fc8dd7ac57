// Package account holds tenants and the people who work in them, and the
// rules for creating them and signing in. Storage is behind Store.
package account

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/mail"
	"strings"
	"time"

	"parley/internal/apperr"
	"parley/internal/auth"
	"parley/internal/routes"
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
	Role         routes.Role
	PasswordHash string
	CreatedAt    time.Time
}

// Store declares what this package needs from storage.
type Store interface {
	// CreateAccount stores the account and its first person atomically.
	// Returns apperr.Conflict if the e-mail is taken.
	CreateAccount(ctx context.Context, a Account, first Person) error
	// AddPerson stores a person of an existing account. Returns
	// apperr.Conflict if the e-mail is taken.
	AddPerson(ctx context.Context, p Person) error
	// PersonByEmail finds a person by lower-cased e-mail. Returns
	// apperr.NotFound.
	PersonByEmail(ctx context.Context, email string) (Person, error)
	// Account returns an account. Returns apperr.NotFound.
	Account(ctx context.Context, id string) (Account, error)
}

// Service creates accounts and people and signs people in.
type Service struct {
	Store  Store
	Signer *auth.Signer
	Now    func() time.Time
	// OnCreated runs after an account is stored, to queue its welcome mail.
	// It is part of the same request, so its failure is reported.
	OnCreated func(ctx context.Context, a Account, admin Person) error
}

// SignUp is the input of POST /v1/accounts.
type SignUp struct {
	CompanyName string `json:"companyName"`
	Email       string `json:"email"`
	Password    string `json:"password"`
	Plan        string `json:"plan"`
	Language    string `json:"language"`
	Name        string `json:"name"`
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
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" || len(s) > 254 {
		return "", false
	}
	return strings.ToLower(s), true
}

// Create validates a sign-up and stores the account with its first
// administrator. Errors: apperr.Invalid (fields companyName, email, password,
// plan, language), apperr.Conflict (e-mail taken).
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
	admin := Person{AccountID: a.ID, ID: NewID(), Email: email, Name: personName, Role: routes.Administrator, PasswordHash: hash, CreatedAt: now}
	if err := s.Store.CreateAccount(ctx, a, admin); err != nil {
		return Account{}, Person{}, err
	}
	if s.OnCreated != nil {
		if err := s.OnCreated(ctx, a, admin); err != nil {
			return Account{}, Person{}, err
		}
	}
	return a, admin, nil
}

// Login checks an e-mail and password and returns an access token. Every
// failure is the same apperr.Unauthorized, so a caller cannot learn which
// e-mails exist.
func (s *Service) Login(ctx context.Context, email, password string) (string, Person, error) {
	fail := apperr.New(apperr.Unauthorized, "wrong e-mail or password")
	norm, ok := NormalizeEmail(email)
	if !ok {
		return "", Person{}, fail
	}
	p, err := s.Store.PersonByEmail(ctx, norm)
	if apperr.CodeOf(err) == apperr.NotFound {
		// Hash anyway so an unknown e-mail takes as long as a known one.
		auth.CheckPassword(dummyHash, password)
		return "", Person{}, fail
	}
	if err != nil {
		return "", Person{}, err
	}
	if !auth.CheckPassword(p.PasswordHash, password) {
		return "", Person{}, fail
	}
	token, err := s.Signer.Issue(auth.Principal{Kind: auth.Access, AccountID: p.AccountID, Subject: p.ID, Role: p.Role}, auth.AccessTTL)
	if err != nil {
		return "", Person{}, err
	}
	return token, p, nil
}

// dummyHash is a valid argon2id hash of a random password, checked when the
// e-mail is unknown.
var dummyHash, _ = auth.HashPassword(NewID())
