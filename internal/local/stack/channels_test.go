package stack_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"parley/internal/channel"
	"parley/internal/local/messengers"
	"parley/internal/local/stack"
	"parley/internal/testkit"
	"parley/internal/webhook"
)

// channelWorld is the chat world with the dispatcher running every second
// and the channels pointed at local Bot and VK APIs.
func channelWorld(t *testing.T) (*chatWorld, *messengers.Telegram, *messengers.VK) {
	t.Helper()
	tg := messengers.NewTelegram("123456789:" + strings.Repeat("A", 35))
	vkAPI := messengers.NewVK("vk-community-access-key-0123456789")
	t.Cleanup(tg.Close)
	t.Cleanup(vkAPI.Close)
	w := newChatWorldWith(t, func(o *stack.Options) {
		o.ScheduleSpeed, o.SweepWindow, o.OutboundAllowLoopback = 60, 900*time.Millisecond, true
		o.WebhookRetry = &webhook.Retry{First: time.Second, Max: time.Second, GiveUpAfter: time.Hour,
			Jitter: func(d time.Duration) time.Duration { return d }}
		o.TelegramAPIURL, o.VKAPIURL = tg.URL(), vkAPI.URL()
	})
	t.Cleanup(func() {
		if p := tg.Problem(); p != "" {
			t.Errorf("a Bot API request broke the documented shape: %s", p)
		}
		if p := vkAPI.Problem(); p != "" {
			t.Errorf("a VK API request broke the documented shape: %s", p)
		}
	})
	return w, tg, vkAPI
}

// sentTo waits until the messenger has a message to peer containing text.
func sentTo(t *testing.T, sent func() []messengers.Sent, peer int64, text string) {
	t.Helper()
	testkit.Eventually(t, "the message "+text+" at the messenger", func() bool {
		for _, s := range sent() {
			if s.Peer == peer && strings.Contains(s.Text, text) {
				return true
			}
		}
		return false
	})
}

// TestTelegramChannel: saving a bot token Telegram does not know is a
// field error that stores nothing; the right one registers the webhook
// at the account's inbound route with its secret token. A private
// message to the bot becomes a waiting
// chat on channel telegram that operators see at once, with the greeting
// sent back through the Bot API; a resent update_id adds nothing; a wrong
// secret and an unknown account get the same refusal and store nothing;
// the operator's answer reaches the Bot API through a 429 with
// retry_after, and the delivery log shows it. Removing the token
// deletes the webhook.
func TestTelegramChannel(t *testing.T) {
	w, tg, _ := channelWorld(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	stranger := "987654321:" + strings.Repeat("Z", 35) // well-formed; the Bot API answers 401
	bad := testkit.Call(t, "PATCH", w.api+"/settings/integration", w.admin, map[string]any{"telegram": map[string]any{"botToken": stranger}})
	fields, _ := bad.Body["error"].(map[string]any)["fields"].(map[string]any)
	if bad.Status != 422 || fields["integration.telegram.botToken"] == nil {
		t.Fatalf("an unknown bot token: %+v, want 422 with a field error", bad)
	}
	if got := testkit.Call(t, "GET", w.api+"/settings/integration", w.admin, nil).Body["telegram"].(map[string]any)["botToken"]; got != "" {
		t.Fatalf("after a refused token the stored one is %v, want none", got)
	}
	if u, _ := tg.WebhookOf(stranger); u != "" {
		t.Fatalf("a refused token has a webhook at %s", u)
	}
	w.patch(t, "integration", map[string]any{"telegram": map[string]any{"botToken": tg.Token}})
	secret := channel.SecretToken([]byte(strings.Repeat("t", 32)), w.account, tg.Token)
	hook := w.api + "/channels/telegram/" + w.account
	if u, s := tg.Webhook(); u != hook || s != secret {
		t.Fatalf("the registered webhook %q (secret %t), want %q with the bot's secret token", u, s == secret, hook)
	}
	op1 := w.staff(t, ctx, "op1", w.op1.token)

	const peer = 555001
	update := messengers.PrivateText(9001, peer, "Ivan", "ivan_p", "Do you ship to Kazan?")
	if code, err := messengers.Update(hook, secret, update); err != nil || code != 200 {
		t.Fatalf("the update: %d %v", code, err)
	}
	f := op1.Expect("chat", func(f map[string]any) bool { return chatOf(f)["channel"] == "telegram" })
	c := chatOf(f)
	chatID := c["id"].(string)
	if c["status"] != "waiting" || c["visitorId"] != "tg-555001" {
		t.Fatalf("the Telegram chat: %v", c)
	}
	if m := op1.Expect("message", chatIs(chatID)); m["text"] != "Do you ship to Kazan?" {
		t.Fatalf("the operator got %v", m)
	}
	sentTo(t, tg.Sent, peer, "Hello") // the greeting

	// A resend of the same update, a wrong secret, an unknown account.
	if code, _ := messengers.Update(hook, secret, update); code != 200 {
		t.Fatalf("a resent update: %d, want 200 (acknowledged)", code)
	}
	wrong := testkit.Call(t, "POST", hook, "", messengers.PrivateText(9002, peer, "Ivan", "ivan_p", "forged"), "X-Telegram-Bot-Api-Secret-Token", "not-the-secret")
	unknown := testkit.Call(t, "POST", w.api+"/channels/telegram/no-such-account", "", messengers.PrivateText(9003, peer, "Ivan", "ivan_p", "forged"),
		"X-Telegram-Bot-Api-Secret-Token", secret)
	if wrong.Status != 401 || unknown.Status != 401 || mustJSON(wrong.Body) != mustJSON(unknown.Body) {
		t.Fatalf("wrong secret %+v, unknown account %+v: want the same 401", wrong, unknown)
	}

	// The operator answers; Telegram's flood control asks to wait a
	// second first.
	tg.TooManyRequests(1)
	op1.Call("sent", map[string]any{"action": "sendMessage", "chatId": chatID, "text": "Yes, in three days."})
	sentTo(t, tg.Sent, peer, "Yes, in three days.")

	r := testkit.Call(t, "GET", w.api+"/chats/"+chatID, w.admin, nil)
	msgs, _ := r.Body["messages"].([]any)
	var texts []string
	for _, m := range msgs {
		texts = append(texts, m.(map[string]any)["text"].(string))
	}
	if r.Status != 200 || r.Body["chat"].(map[string]any)["channel"] != "telegram" || len(msgs) != 3 || strings.Contains(strings.Join(texts, "|"), "forged") {
		t.Fatalf("the chat's messages %q (%+v): want the greeting, the question once and the answer", texts, r.Body["chat"])
	}
	log := testkit.Call(t, "GET", w.api+"/integrations/deliveries", w.admin, nil)
	found := false
	for _, it := range log.Body["items"].([]any) {
		d := it.(map[string]any)
		if d["event"] == "telegram.message" && d["status"] == "delivered" && d["attempts"] == float64(2) {
			found = true
			if strings.Contains(mustJSON(d), tg.Token) {
				t.Fatalf("the delivery log shows the bot token: %v", d)
			}
		}
	}
	if !found {
		t.Fatalf("no telegram delivery delivered at the second attempt in the log: %v", log.Body["items"])
	}

	// Statistics by channel count it under telegram.
	testkit.Eventually(t, "the chat under telegram in the statistics by channel", func() bool {
		r := testkit.Call(t, "GET", w.api+"/stats?groupBy=channel", w.admin, nil)
		rows, _ := r.Body["rows"].([]any)
		for _, row := range rows {
			if m := row.(map[string]any); m["key"] == "telegram" && m["chats"] == float64(1) {
				return true
			}
		}
		return false
	})

	w.patch(t, "integration", map[string]any{"telegram": nil})
	if u, _ := tg.Webhook(); u != "" {
		t.Fatalf("the webhook is still at %s after the token was removed", u)
	}
	if calls := strings.Join(tg.Calls(), " "); !strings.Contains(calls, "getMe setWebhook") || !strings.HasSuffix(calls, "deleteWebhook") {
		t.Fatalf("the Bot API calls: %s", calls)
	}
}

// TestVKChannel: the callback address answers confirmation with the
// confirmation string, a message_new becomes a chat on channel vk that an
// operator takes by answering, the answer goes out through messages.send
// past VK's "too many requests" error, a repeated event_id adds nothing,
// and a wrong secret is refused and stores nothing.
func TestVKChannel(t *testing.T) {
	w, _, vkAPI := channelWorld(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	w.patch(t, "integration", map[string]any{"vk": map[string]any{"accessKey": vkAPI.AccessKey, "confirmationString": "f00dcafe"}})
	secret := testkit.Call(t, "POST", w.api+"/settings/integration/vk/secret-key/regenerate", w.admin, nil).Body["secretKey"].(string)
	integ := testkit.Call(t, "GET", w.api+"/settings/integration", w.admin, nil).Body
	hook := integ["vk"].(map[string]any)["callbackUrl"].(string)
	if hook != w.api+"/channels/vk/"+w.account {
		t.Fatalf("the callback address shown %q", hook)
	}
	if code, body, err := messengers.Callback(hook, map[string]any{"type": "confirmation", "group_id": 77, "secret": secret}); err != nil || code != 200 || body != "f00dcafe" {
		t.Fatalf("confirmation: %d %q %v", code, body, err)
	}
	op1 := w.staff(t, ctx, "op1", w.op1.token)
	const peer = 31337
	ev := messengers.MessageNew(77, "3f1e0c9a8b7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f", secret, peer, "Здравствуйте, есть доставка?")
	if code, body, err := messengers.Callback(hook, ev); err != nil || code != 200 || body != "ok" {
		t.Fatalf("message_new: %d %q %v", code, body, err)
	}
	c := chatOf(op1.Expect("chat", func(f map[string]any) bool { return chatOf(f)["channel"] == "vk" }))
	chatID := c["id"].(string)
	if c["visitorId"] != "vk-31337" {
		t.Fatalf("the VK chat: %v", c)
	}
	sentTo(t, vkAPI.Sent, peer, "Hello") // the greeting
	if code, body, _ := messengers.Callback(hook, ev); code != 200 || body != "ok" {
		t.Fatalf("a repeated event: %d %q", code, body)
	}
	forged := messengers.MessageNew(77, "ffff", "not-the-secret", peer, "forged")
	if code, _, _ := messengers.Callback(hook, forged); code != 401 {
		t.Fatalf("a wrong secret: %d, want 401", code)
	}

	vkAPI.TooManyRequests(1)
	op1.Call("sent", map[string]any{"action": "sendMessage", "chatId": chatID, "text": "Да, по всей России."})
	sentTo(t, vkAPI.Sent, peer, "Да, по всей России.")
	r := testkit.Call(t, "GET", w.api+"/chats/"+chatID, w.admin, nil)
	if msgs, _ := r.Body["messages"].([]any); len(msgs) != 3 || strings.Contains(mustJSON(msgs), "forged") {
		t.Fatalf("the chat's messages: %v", msgs)
	}
	if n := len(vkAPI.Sent()); n != 2 {
		t.Fatalf("VK got %d messages, want the greeting and the answer once each: %v", n, vkAPI.Sent())
	}
}
