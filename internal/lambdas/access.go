package lambdas

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"net/url"
	"strings"
	"time"

	"parley/internal/account"
	"parley/internal/auth"
	"parley/internal/dynamo"
	"parley/internal/mail"
	"parley/internal/settings"
)

// guard is the session and IP allowlist check shared by the authorizer,
// the WebSocket $connect and sign-in.
func (d Deps) guard(store *dynamo.Store) *account.Guard {
	return &account.Guard{Sessions: store, Allowlists: store, Now: d.Now}
}

// accounts builds the account service of the api function.
func (d Deps) accounts(store *dynamo.Store, signer *auth.Signer) *account.Service {
	return &account.Service{Store: store, Signer: signer, Now: d.Now, Prepare: initialSettings(store, d.Now), OnCreated: welcomeMail(store, d.Now),
		Mail: store, Branding: branding(store), LinkURL: linkURL(d.consoleURL()), Access: d.guard(store),
		SignUpPerAddress: account.SignUpsPerHour(d.Config.SignUpsPerHour), Limits: d.limits()}
}

// initialSettings stores a new account's settings, with the defaults of
// SPEC §2, freshly generated keys, the company name of the sign-up and the
// first administrator on the notification lists, before the account itself.
func initialSettings(store *dynamo.Store, now func() time.Time) func(ctx context.Context, a account.Account, admin account.Person) error {
	return func(ctx context.Context, a account.Account, admin account.Person) error {
		doc, err := settings.SignUpDocument(a.Language, a.Name, admin.Email, rand.Reader)
		if err != nil {
			return err
		}
		raw, err := json.Marshal(doc)
		if err != nil {
			return err
		}
		_, err = store.SaveSettings(ctx, dynamo.SettingsRecord{AccountID: a.ID, Doc: string(raw), UpdatedBy: admin.ID, UpdatedAt: now().UTC()}, 0)
		return err
	}
}

// linkURL puts a one-time secret in the console's URL fragment: a fragment
// is never sent to a server, so the secret stays out of access logs and
// CDN logs on its way to the console.
func linkURL(console func(ctx context.Context) (string, error)) func(ctx context.Context, secret string) (string, error) {
	return func(ctx context.Context, secret string) (string, error) {
		base, err := console(ctx)
		if err != nil {
			return "", err
		}
		return strings.TrimRight(base, "/") + "/#set-password=" + url.QueryEscape(secret), nil
	}
}

// branding signs an account's mails with its company name and website
// (SPEC §4.10), in company.language (§2.1), falling back to the account's name when the settings
// cannot be read: a mail is better sent with a plainer signature than not.
func branding(store *dynamo.Store) func(ctx context.Context, a account.Account) mail.Signer {
	return func(ctx context.Context, a account.Account) mail.Signer {
		s := mail.Signer{CompanyName: a.Name, Language: a.Language}
		rec, err := store.Settings(ctx, a.ID)
		if err != nil {
			return s
		}
		doc, err := settings.Load([]byte(rec.Doc))
		if err != nil {
			return s
		}
		if doc.Company.Name != "" {
			s.CompanyName = doc.Company.Name
		}
		if doc.Company.Language != "" {
			s.Language = doc.Company.Language
		}
		s.Website = doc.Company.Website
		return s
	}
}
