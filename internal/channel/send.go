package channel

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"parley/internal/channel/telegram"
	"parley/internal/channel/vk"
	"parley/internal/outbound"
	"parley/internal/settings"
	"parley/internal/webhook"
)

// Targets are the dispatcher's senders of channel deliveries, calling the
// Bot API and VK's API at these base URLs.
func Targets(telegramBase, vkBase string) map[webhook.Event]webhook.Target {
	if telegramBase == "" {
		telegramBase = telegram.DefaultBaseURL
	}
	if vkBase == "" {
		vkBase = vk.DefaultBaseURL
	}
	return map[webhook.Event]webhook.Target{EventTelegram: telegramTarget{base: telegramBase}, EventVK: vkTarget{base: vkBase}}
}

type telegramTarget struct{ base string }

// Send calls sendMessage. ok is delivered; 429 waits retry_after; 5xx and
// no answer are retried; any other refusal (a blocked bot, a chat that is
// gone, a revoked token) fails for good.
func (t telegramTarget) Send(ctx context.Context, client webhook.Sender, doc settings.Document, d *webhook.Delivery, now time.Time) webhook.Outcome {
	d.Target = telegram.RedactedURL(t.base, "sendMessage")
	token := doc.Integration.Telegram.BotToken
	if token == "" {
		return webhook.Outcome{Error: "integration.telegram.botToken is empty: the bot was disconnected"}
	}
	var m outMessage
	if err := json.Unmarshal(d.Body, &m); err != nil {
		return webhook.Outcome{Error: "the delivery's body is not a message"}
	}
	body, _ := json.Marshal(telegram.SendMessage{ChatID: m.Peer, Text: m.Text})
	h := http.Header{}
	h.Set("content-type", "application/json")
	resp, err := client.Do(ctx, outbound.Request{Method: http.MethodPost, URL: telegram.MethodURL(t.base, token, "sendMessage"), Header: h, Body: body})
	d.Latency = resp.Latency
	if err != nil {
		o := webhook.Judge(resp, err, now)
		o.Error = strings.ReplaceAll(o.Error, token, "…") // the token is in the path
		return o
	}
	a := telegram.ReadAnswer(resp.Status, resp.Body)
	o := webhook.Outcome{Status: resp.Status}
	switch {
	case a.OK && resp.Status == http.StatusOK:
		o.Delivered = true
	case resp.Status == http.StatusTooManyRequests || a.ErrorCode == http.StatusTooManyRequests:
		o.Retry, o.After, o.Error = true, a.RetryAfter(), a.Err().Error()
	case resp.Status >= 500:
		o.Retry, o.Error = true, a.Err().Error()
	default:
		o.Error = a.Err().Error() + " (not retried)"
	}
	return o
}

type vkTarget struct{ base string }

// Send calls messages.send with a random_id fixed per delivery, so a
// retry VK already carried out is not a second message. VK reports its
// errors with HTTP 200 and an error object: too many requests, flood
// control and internal errors are retried, others fail for good.
func (t vkTarget) Send(ctx context.Context, client webhook.Sender, doc settings.Document, d *webhook.Delivery, now time.Time) webhook.Outcome {
	d.Target = vk.MethodURL(t.base, "messages.send")
	key := doc.Integration.VK.AccessKey
	if key == "" {
		return webhook.Outcome{Error: "integration.vk.accessKey is empty: the community was disconnected"}
	}
	var m outMessage
	if err := json.Unmarshal(d.Body, &m); err != nil {
		return webhook.Outcome{Error: "the delivery's body is not a message"}
	}
	h := http.Header{}
	h.Set("content-type", "application/x-www-form-urlencoded")
	resp, err := client.Do(ctx, outbound.Request{Method: http.MethodPost, URL: d.Target, Header: h, Body: vk.SendForm(m.Peer, m.Text, vk.RandomID(d.ID), key)})
	d.Latency = resp.Latency
	if err != nil || resp.Status != http.StatusOK {
		return webhook.Judge(resp, err, now)
	}
	o := webhook.Outcome{Status: resp.Status}
	a, err := vk.ReadAnswer(resp.Body)
	switch {
	case err != nil:
		o.Retry, o.Error = true, err.Error()
	case a.Error == nil:
		o.Delivered = true
	default:
		o.Retry, o.After = a.Retry()
		o.Error = strings.ReplaceAll(a.Err().Error(), key, "…")
	}
	return o
}
