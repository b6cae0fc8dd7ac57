package testkit

import (
	"context"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"parley/internal/local/seslocal"
)

// Mails are the mails the local SES at endpoint holds: all of them when to
// is "", else those addressed to to.
func Mails(t testing.TB, endpoint, to string) []seslocal.Mail {
	t.Helper()
	all, err := seslocal.Store(context.Background(), endpoint)
	if err != nil {
		t.Fatal(err)
	}
	if to == "" {
		return all
	}
	var out []seslocal.Mail
	for _, m := range all {
		if slices.Contains(m.To(), to) {
			out = append(out, m)
		}
	}
	return out
}

// WaitMail waits until the local SES holds a mail match accepts and
// returns the first such.
func WaitMail(t testing.TB, endpoint, what string, match func(seslocal.Mail) bool) seslocal.Mail {
	t.Helper()
	var found seslocal.Mail
	Eventually(t, what, func() bool {
		ms := Mails(t, endpoint, "")
		i := slices.IndexFunc(ms, match)
		if i >= 0 {
			found = ms[i]
		}
		return i >= 0
	})
	return found
}

// setPasswordLink is the link an invitation or a reset mail carries.
var setPasswordLink = regexp.MustCompile(`#set-password=([A-Za-z0-9_%-]+)`)

// LinkSecret is the secret of the set-password link a mail's text carries,
// "" when it carries none.
func LinkSecret(m seslocal.Mail) string {
	found := setPasswordLink.FindStringSubmatch(m.Body.Text)
	if found == nil {
		return ""
	}
	s, err := url.QueryUnescape(found[1])
	if err != nil {
		return ""
	}
	return s
}

// MailedLink waits for a mail to `to` whose subject holds subject and whose
// text carries a set-password link not in seen, and returns the link's
// secret.
func MailedLink(t testing.TB, endpoint, to, subject string, seen ...string) string {
	t.Helper()
	var secret string
	Eventually(t, "a mail to "+to+" about "+subject, func() bool {
		for _, m := range Mails(t, endpoint, to) {
			s := LinkSecret(m)
			if !strings.Contains(m.Subject, subject) || s == "" || slices.Contains(seen, s) {
				continue
			}
			secret = s
			return true
		}
		return false
	})
	return secret
}
