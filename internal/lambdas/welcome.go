package lambdas

import (
	"context"
	"fmt"
	"time"

	"parley/internal/account"
	"parley/internal/mail"
)

var welcomeText = map[string][2]string{
	"en": {"Welcome to Parley", "Your account %q is ready. Sign in with %s to set up your chat.\n"},
	"ru": {"Добро пожаловать в Parley", "Ваш аккаунт «%s» готов. Войдите как %s, чтобы настроить чат.\n"},
}

// welcomeMail queues the mail a new administrator gets; the stream consumer
// sends it.
func welcomeMail(out mail.Outbox, now func() time.Time) func(ctx context.Context, a account.Account, admin account.Person) error {
	return func(ctx context.Context, a account.Account, admin account.Person) error {
		t, ok := welcomeText[a.Language]
		if !ok {
			t = welcomeText["en"]
		}
		body := mail.Signer{CompanyName: "Parley", Language: a.Language}.Sign(fmt.Sprintf(t[1], a.Name, admin.Email))
		return out.Enqueue(ctx, mail.Message{AccountID: a.ID, ID: "welcome-" + admin.ID, To: []string{admin.Email}, Subject: t[0], Text: body, CreatedAt: now().UTC()})
	}
}
