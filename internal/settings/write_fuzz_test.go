package settings_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"parley/internal/apperr"
	"parley/internal/settings"
)

// FuzzWrite drives Put and Patch with arbitrary bodies. Invariants: never
// panics; a refused write returns the document untouched with a known code
// and fields under the section; an accepted write changes only keys of the
// section, never shows a secret in its changes, and reads back into a body
// that a PUT accepts with no change at all.
func FuzzWrite(f *testing.F) {
	seeds := []struct {
		section int
		body    string
	}{
		{0, `{"name":"Acme","timezone":"Asia/Tokyo","language":"en","website":"https://a.io/"}`},
		{1, `{"leftMessages":["a@b.io, c@d.io"],"negativeReviews":"x@y.io"}`},
		{2, `{"categories":"A\n b\nC","required":true}`},
		{3, `{"greeting":null,"firstResponseTimeout":0,"busyMessage":"wait"}`},
		{3, `{"greetingByLanguage":{"en":" Hi\r\nthere ","ru":"","de":"x"}}`},
		{3, `{"greetingByLanguage":{"en":null}}`},
		{4, `{"inviteAvatarUrl":null}`},
		{5, `{"priorityPages":["https://a.io/p"],"maxChatsPerOperator":7,"autoAssign":true}`},
		{6, `{"telegram":{"botToken":"1:AAF1kz9Qx_3mPz-8YtQwErTyUiOpAsDfGhJ"},"vk":null,"zendesk":{"subdomain":"a","login":"l@a.io","apiToken":"t"}}`},
		{6, `{"webhooks":{"chatStart":"https://u:p@h.io/x"},"privateKey":"••••abab"}`},
		{7, `{"allowedIps":"10.0.0.1-10.0.0.9"}`},
		{8, `{"buttonProbability":5,"onlineQueueLimit":null,"offlineQueueLimit":2}`},
		{9, `{}`},
		{0, `[1]`},
	}
	for _, s := range seeds {
		f.Add(s.section, []byte(s.body), false)
		f.Add(s.section, []byte(s.body), true)
	}
	base := loadedAccount(f)
	f.Fuzz(func(t *testing.T, sectionIndex int, body []byte, replace bool) {
		section := "unknown"
		if sectionIndex >= 0 && sectionIndex < len(settings.Sections) {
			section = settings.Sections[sectionIndex]
		}
		write := base.Patch
		if replace {
			write = base.Put
		}
		got, changes, err := write(section, body, corporate)
		if err != nil {
			switch apperr.CodeOf(err) {
			case apperr.Invalid, apperr.Forbidden, apperr.NotFound, apperr.TooLarge:
			default:
				t.Fatalf("code %s: %v", apperr.CodeOf(err), err)
			}
			_, fields := fieldsOf(t, err)
			for k, msg := range fields {
				if !strings.HasPrefix(k, section+".") || msg == "" {
					t.Fatalf("field %q: %q", k, msg)
				}
			}
			if diff := cmp.Diff(base, got); diff != "" {
				t.Fatalf("refused write changed the document:\n%s", diff)
			}
			return
		}
		for _, c := range changes {
			if !strings.HasPrefix(c.Key, section+".") {
				t.Fatalf("change outside the section: %v", c)
			}
			for _, v := range []any{c.Old, c.New} {
				s, _ := v.(string)
				for _, secret := range []string{base.Integration.PrivateKey, base.Integration.Telegram.BotToken, base.Integration.Zendesk.APIToken, "s3cret"} {
					if strings.Contains(s, secret) {
						t.Fatalf("change %v shows a secret", c)
					}
				}
			}
		}
		view, err := got.SectionView(section, testView)
		if err != nil {
			t.Fatal(err)
		}
		readBack, err := json.Marshal(view)
		if err != nil {
			t.Fatal(err)
		}
		again, changes, err := got.Put(section, readBack, corporate)
		if err != nil {
			t.Fatalf("PUT of the read form %s refused: %v", readBack, err)
		}
		if len(changes) != 0 {
			t.Fatalf("PUT of the read form changed %v", changes)
		}
		if diff := cmp.Diff(got, again); diff != "" {
			t.Fatalf("PUT of the read form changed the document:\n%s", diff)
		}
	})
}
