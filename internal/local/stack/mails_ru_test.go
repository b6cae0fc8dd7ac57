package stack_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"parley/internal/local/seslocal"
	"parley/internal/testkit"
)

// TestMailsInTheAccountLanguage: an account in Russian gets every mail
// in Russian (SPEC §4.10), signed in Russian: the negative rating, the
// visitor's transcript and the offline message. The transcript is refused
// while features.visitorTranscriptEmail is off.
func TestMailsInTheAccountLanguage(t *testing.T) {
	w := newChatWorld(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	w.patch(t, "company", map[string]any{"language": "ru", "name": "Акме"})
	op1 := w.staff(t, ctx, "op1", w.op1.token)
	vis, _ := w.visitor(t, ctx, "visitor")
	chatID := chatOf(vis.Call("chat", map[string]any{"action": "startChat", "question": "Здравствуйте, есть доставка?"}))["id"].(string)
	op1.Call("chat", map[string]any{"action": "take", "chatId": chatID})
	op1.Call("sent", map[string]any{"action": "sendMessage", "chatId": chatID, "text": "Да, по всей стране."})
	vis.Expect("message", func(f map[string]any) bool { return f["text"] == "Да, по всей стране." })

	russian := func(m seslocal.Mail, subject string, body ...string) {
		t.Helper()
		if !strings.HasPrefix(m.Subject, subject) {
			t.Errorf("subject %q, want it to start %q", m.Subject, subject)
		}
		for _, b := range append(body, "С уважением, Акме", "Powered by Parley") {
			if !strings.Contains(m.Body.Text, b) {
				t.Errorf("mail %q lacks %q:\n%s", m.Subject, b, m.Body.Text)
			}
		}
	}
	vis.Call("chat", map[string]any{"action": "rate", "chatId": chatID, "rating": "bad"})
	russian(w.mails(t, func(m seslocal.Mail) bool {
		return slices.Contains(m.To(), "neg@acme.example") && strings.Contains(m.Body.Text, chatID)
	}), "Отрицательная оценка: очень плохо", "Оператор: ", "Посетитель", "Да, по всей стране.")

	w.patch(t, "features", map[string]any{"visitorTranscriptEmail": false})
	if f := vis.Call("error", map[string]any{"action": "sendTranscript", "chatId": chatID, "email": "ivan@visitor.example"}); code(f) != "forbidden" {
		t.Fatalf("a transcript with visitorTranscriptEmail off: %v", f)
	}
	w.patch(t, "features", map[string]any{"visitorTranscriptEmail": true})
	vis.Call("ok", map[string]any{"action": "sendTranscript", "chatId": chatID, "email": "ivan@visitor.example"})
	russian(w.mails(t, func(m seslocal.Mail) bool { return slices.Contains(m.To(), "ivan@visitor.example") }),
		"Ваша переписка", "Здравствуйте, есть доставка?", "Оператор: Да, по всей стране.")

	op1.Conn.CloseNow()
	w.waitButton(t, "offline")
	late, _ := w.visitor(t, ctx, "late-visitor")
	late.Call("chat", map[string]any{"action": "leaveMessage", "name": "Борис", "contact": "+7 900 000-00-00", "text": "Перезвоните мне"})
	russian(w.mails(t, func(m seslocal.Mail) bool { return strings.Contains(m.Body.Text, "Перезвоните мне") }),
		"Сообщение от Борис", "Имя: Борис", "Контакт: +7 900 000-00-00")
}

// TestCompanyLanguageReachesPeople: company.language, changed after
// sign-up, is the language of the invitation and reset mails and new
// people's default languages (SPEC §2.1), not the sign-up language.
func TestCompanyLanguageReachesPeople(t *testing.T) {
	w := newChatWorld(t) // signed up in English
	w.patch(t, "company", map[string]any{"language": "ru"})
	email := fmt.Sprintf("new-%d@acme.example", time.Now().UnixNano())
	kit := testkit.Client{Base: w.s.HTTPURL, StrictJSON: true}
	r := kit.Invite(t, w.admin, map[string]any{"email": email, "name": "Вера", "role": "operator"})
	if r.Status != 201 {
		t.Fatalf("invite: %+v", r)
	}
	if r.Body["interfaceLanguage"] != "ru" || fmt.Sprint(r.Body["languages"]) != "[ru]" {
		t.Errorf("a new person's languages: interface %v, speaks %v; want ru", r.Body["interfaceLanguage"], r.Body["languages"])
	}
	invite := testkit.MailedLink(t, w.s.SESEndpoint, email, "Приглашение в Acme")
	if r := testkit.Call(t, "POST", w.api+"/auth/password", "", map[string]any{"token": invite, "password": "correct horse battery"}); r.Status != 200 {
		t.Fatalf("set password: %+v", r)
	}
	if r := testkit.Call(t, "POST", w.api+"/auth/password-reset", "", map[string]any{"email": email}); r.Status != 202 {
		t.Fatalf("reset: %+v", r)
	}
	testkit.MailedLink(t, w.s.SESEndpoint, email, "Сброс пароля")
}
