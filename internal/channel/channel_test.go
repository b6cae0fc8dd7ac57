package channel_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"parley/internal/apperr"
	"parley/internal/channel"
	"parley/internal/chat"
	"parley/internal/dynamo"
	"parley/internal/local/messengers"
	"parley/internal/outbound"
	"parley/internal/ratelimit"
	"parley/internal/settings"
	"parley/internal/testkit/testenv"
	"parley/internal/webhook"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func update(id int64) []byte {
	b, _ := json.Marshal(messengers.PrivateText(id, 42, "Ann", "ann", "hello"))
	return b
}

// TestEndpointsLimitsAndDedupe against DynamoDB Local: the per-address
// limit refuses the call after its count whatever it proves, the
// per-account one counts accepted messages only, a resent update_id is
// stored once, and an unknown account is refused like a wrong secret.
func TestEndpointsLimitsAndDedupe(t *testing.T) {
	db, table := testenv.DynamoDBWithoutStream(t)
	store := dynamo.New(db, table)
	ctx := context.Background()
	token := "123:" + strings.Repeat("B", 35)
	key := []byte(strings.Repeat("k", 32))
	doc := settings.Defaults("en")
	doc.Integration.Telegram.BotToken = token
	limits := ratelimit.Defaults()
	limits.ChannelCallsPerAddress.Limit, limits.ChannelMessagesPerAccount.Limit = 5, 2
	acc := "acct-" + strings.ReplaceAll(t.Name(), "/", "-") + "-" + time.Now().Format("150405.000000")
	acc = strings.ReplaceAll(acc, ".", "")
	e := &channel.Endpoints{Inbox: store, Key: key, Limiter: &ratelimit.Limiter{Store: store}, Limits: limits,
		Settings: func(_ context.Context, id string) (settings.Document, error) {
			if id != acc {
				return settings.Document{}, apperr.New(apperr.NotFound, "no such account")
			}
			return doc, nil
		}}
	secret := channel.SecretToken(key, acc, token)
	ip := "198.51.100." + time.Now().Format("05")
	if err := e.Telegram(ctx, acc, secret, ip, update(1)); err != nil {
		t.Fatal(err)
	}
	if err := e.Telegram(ctx, acc, secret, ip, update(1)); err != nil {
		t.Fatal(err)
	}
	if ok, err := store.PutInbound(ctx, channel.Inbound{AccountID: acc, Channel: chat.ChannelTelegram, ExternalID: "1", VisitorID: "tg-42"}); err != nil || ok {
		t.Fatalf("update 1 was not stored once: %v %v", ok, err)
	}
	wrong := e.Telegram(ctx, acc, "guess", ip, update(2))
	unknown := e.Telegram(ctx, "nobody", secret, ip, update(2))
	if wrong != channel.ErrRefused || unknown != channel.ErrRefused {
		t.Fatalf("wrong secret %v, unknown account %v: want ErrRefused for both", wrong, unknown)
	}
	// Two accepted (1 and its resend), so the account's third is refused.
	if err := e.Telegram(ctx, acc, secret, ip, update(3)); apperr.CodeOf(err) != apperr.RateLimited {
		t.Fatalf("the account's third message: %v, want rate_limited", err)
	}
	// Five calls from ip so far: the sixth is refused before anything.
	if err := e.Telegram(ctx, acc, secret, ip, update(4)); apperr.CodeOf(err) != apperr.RateLimited {
		t.Fatalf("the address's sixth call: %v, want rate_limited", err)
	}
}

// TestTargets: the senders call the local APIs as documented and judge
// their answers: Telegram's 429 waits retry_after and a bad token fails
// for good; VK's error 6 is retried, error 5 is not, and a retry reuses
// its random_id.
func TestTargets(t *testing.T) {
	tg := messengers.NewTelegram("123:" + strings.Repeat("C", 35))
	defer tg.Close()
	v := messengers.NewVK("vk-key")
	defer v.Close()
	targets := channel.Targets(tg.URL(), v.URL())
	client := outbound.New(outbound.Options{AllowLoopback: true})
	ctx, now := context.Background(), time.Now()
	doc := settings.Defaults("en")
	doc.Integration.Telegram.BotToken, doc.Integration.VK.AccessKey = tg.Token, v.AccessKey
	body, _ := json.Marshal(map[string]any{"peer": 42, "text": "hi"})

	d := &webhook.Delivery{ID: "msg_1", Event: channel.EventTelegram, Body: body}
	tg.TooManyRequests(1)
	if o := targets[channel.EventTelegram].Send(ctx, client, doc, d, now); !o.Retry || o.After != time.Second || o.Status != 429 {
		t.Fatalf("429: %+v", o)
	}
	if o := targets[channel.EventTelegram].Send(ctx, client, doc, d, now); !o.Delivered || len(tg.Sent()) != 1 || tg.Sent()[0] != (messengers.Sent{Peer: 42, Text: "hi"}) {
		t.Fatalf("sent: %+v %v", o, tg.Sent())
	}
	bad := doc
	bad.Integration.Telegram.BotToken = "123:" + strings.Repeat("D", 35)
	if o := targets[channel.EventTelegram].Send(ctx, client, bad, d, now); o.Retry || o.Delivered || o.Status != 401 || strings.Contains(o.Error+d.Target, "DDDD") {
		t.Fatalf("bad token: %+v target %s", o, d.Target)
	}

	d = &webhook.Delivery{ID: "msg_2", Event: channel.EventVK, Body: body}
	v.TooManyRequests(1)
	if o := targets[channel.EventVK].Send(ctx, client, doc, d, now); !o.Retry || o.Delivered {
		t.Fatalf("error 6: %+v", o)
	}
	for range 2 { // the retry, and a redelivery with the same random_id
		if o := targets[channel.EventVK].Send(ctx, client, doc, d, now); !o.Delivered {
			t.Fatalf("send: %+v", o)
		}
	}
	if len(v.Sent()) != 1 {
		t.Fatalf("VK has %v: a repeated random_id was sent twice", v.Sent())
	}
	bad = doc
	bad.Integration.VK.AccessKey = "wrong"
	if o := targets[channel.EventVK].Send(ctx, client, bad, d, now); o.Retry || o.Delivered || !strings.Contains(o.Error, "VK error 5") {
		t.Fatalf("bad key: %+v", o)
	}
	if p := tg.Problem() + v.Problem(); p != "" {
		t.Fatal(p)
	}
}

func TestSplit(t *testing.T) {
	long := strings.Repeat("слово ", 2000) // 12000 characters
	parts := channel.Split(long, channel.MaxTextRunes)
	joined := 0
	for _, p := range parts {
		if n := utf8.RuneCountInString(p); n > channel.MaxTextRunes || n == 0 {
			t.Fatalf("a part of %d characters", n)
		}
		joined += utf8.RuneCountInString(p)
	}
	if len(parts) != 3 || joined < 11990 {
		t.Fatalf("%d parts, %d characters", len(parts), joined)
	}
	if p := channel.Split("short", 10); len(p) != 1 || p[0] != "short" {
		t.Fatal(p)
	}
}
