package lambdas

import (
	"context"
	"net/url"
	"strings"

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
	return &account.Service{Store: store, Signer: signer, Now: d.Now, OnCreated: welcomeMail(store, d.Now),
		Mail: store, Branding: branding(store), LinkURL: linkURL(d.consoleURL()), Access: d.guard(store)}
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
// (SPEC §4.10), falling back to the account's name when the settings
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
		s.Website = doc.Company.Website
		return s
	}
}
