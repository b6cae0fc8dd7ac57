// Package channel connects messengers as chat channels (SPEC §4.12):
// Telegram bots and VK communities. A messenger's webhook is checked and
// its update stored once (Endpoints, the HTTP API); the stream consumer
// turns the stored update into a message of the sender's chat (Receiver)
// and sends the chat's operator and system messages back out through the
// webhook delivery engine, with its retries and delivery log (Outbox and
// the Targets). The wire formats are in the telegram and vk packages.
package channel

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"parley/internal/apperr"
	"parley/internal/channel/telegram"
	"parley/internal/channel/vk"
	"parley/internal/chat"
	"parley/internal/ratelimit"
	"parley/internal/settings"
)

// Inbound is a messenger's message, accepted and stored once; the stream
// consumer makes it a chat message (Receiver).
type Inbound struct {
	AccountID string
	Channel   string // chat.ChannelTelegram or chat.ChannelVK
	// ExternalID is the messenger's id of the update (Telegram's
	// update_id, VK's event_id): a resend with it is dropped.
	ExternalID string
	VisitorID  string // VisitorID(channel, peer)
	Name       string
	Username   string
	Language   string // the user's interface language, when the messenger says
	Text       string
	// Kind names what a message without text carried (photo, sticker...).
	Kind string
	At   time.Time
}

// Posted is a message stored in a messenger's chat, as the stream saw it.
type Posted struct {
	AccountID string
	ChatID    string
	VisitorID string
	Channel   string
	Seq       int64
	From      chat.Kind
	Text      string
	At        time.Time
}

// VisitorID is the visitor a messenger's user is in Parley: the channel's
// prefix and the peer (Telegram's chat id, VK's peer_id), so answers find
// their way back without another lookup.
func VisitorID(channel string, peer int64) string {
	return prefix(channel) + strconv.FormatInt(peer, 10)
}

func prefix(channel string) string {
	if channel == chat.ChannelTelegram {
		return "tg-"
	}
	return "vk-"
}

// Peer is the messenger's id of a visitor of a channel; ok false for a
// visitor who is not of that channel.
func Peer(channel, visitorID string) (int64, bool) {
	rest, ok := strings.CutPrefix(visitorID, prefix(channel))
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(rest, 10, 64)
	return n, err == nil
}

// Inbox stores accepted updates.
type Inbox interface {
	// PutInbound stores in unless an update with its channel and
	// ExternalID was stored already (one conditional write): false for a
	// resend, and nothing changes.
	PutInbound(ctx context.Context, in Inbound) (bool, error)
}

// Endpoints answer the messengers' webhooks.
type Endpoints struct {
	Settings func(ctx context.Context, accountID string) (settings.Document, error)
	Inbox    Inbox
	// Key derives each bot's webhook secret (SecretToken).
	Key     []byte
	Limiter *ratelimit.Limiter
	Limits  ratelimit.Limits
}

// ErrRefused answers every webhook call that is not the account's
// messenger's: an unknown account, a channel not connected and a wrong
// secret get the same words, so nobody learns which accounts exist.
var ErrRefused = apperr.New(apperr.Unauthorized, "this address does not accept the request")

// SecretToken is the secret_token Parley registers with a bot's webhook:
// an HMAC of the account and the token, so it is new with every token and
// needs no storage. 64 hex digits (Telegram takes 1-256 of A-Z a-z 0-9 _ -).
func SecretToken(key []byte, accountID, botToken string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("telegram-webhook\x00" + accountID + "\x00" + botToken))
	return hex.EncodeToString(m.Sum(nil))
}

// MaxBodyBytes bounds a webhook call's body: a messenger's message is at
// most 4096 characters, so a real update is far smaller.
const MaxBodyBytes = 64 << 10

// validAccountID keeps what cannot be an account id away from the store
// and the counters.
func validAccountID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// settingsFor reads the account's settings after the per-address limit;
// an unknown account is ErrRefused.
func (e *Endpoints) settingsFor(ctx context.Context, accountID, sourceIP string, body []byte) (settings.Document, error) {
	if err := e.Limiter.Take(ctx, ratelimit.For(e.Limits.ChannelCallsPerAddress, sourceIP)); err != nil {
		return settings.Document{}, err
	}
	if len(body) > MaxBodyBytes {
		return settings.Document{}, apperr.New(apperr.TooLarge, "the body is larger than %d bytes", MaxBodyBytes)
	}
	if !validAccountID(accountID) {
		return settings.Document{}, ErrRefused
	}
	doc, err := e.Settings(ctx, accountID)
	if apperr.CodeOf(err) == apperr.NotFound {
		return settings.Document{}, ErrRefused
	}
	return doc, err
}

func equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// Telegram accepts one webhook call of the account's bot: refused unless
// secret is the bot's secret token (constant-time), stored once per
// update_id, and answered at once: the stream consumer does the rest.
// Errors: ErrRefused, apperr.Invalid, apperr.RateLimited.
func (e *Endpoints) Telegram(ctx context.Context, accountID, secret, sourceIP string, body []byte) error {
	doc, err := e.settingsFor(ctx, accountID, sourceIP, body)
	if err != nil {
		return err
	}
	token := doc.Integration.Telegram.BotToken
	if token == "" || !equal(secret, SecretToken(e.Key, accountID, token)) {
		return ErrRefused
	}
	in, ok, err := telegram.Parse(body)
	if err != nil {
		return apperr.New(apperr.Invalid, "the body is not a Telegram Update")
	}
	if !ok {
		return nil // acknowledged, so Telegram does not resend it
	}
	if err := e.Limiter.Take(ctx, ratelimit.For(e.Limits.ChannelMessagesPerAccount, accountID)); err != nil {
		return err
	}
	_, err = e.Inbox.PutInbound(ctx, Inbound{AccountID: accountID, Channel: chat.ChannelTelegram, ExternalID: strconv.FormatInt(in.UpdateID, 10),
		VisitorID: VisitorID(chat.ChannelTelegram, in.ChatID), Name: in.Name, Username: in.Username, Language: in.Language, Text: in.Text, Kind: in.Kind, At: in.At})
	return err
}

// VK answers one Callback API call of the account's community: the
// confirmation string to confirmation, "ok" to every other event once its
// secret is the account's secret key (constant-time); a message_new is
// stored once per event_id. Errors: ErrRefused, apperr.Invalid,
// apperr.RateLimited.
func (e *Endpoints) VK(ctx context.Context, accountID, sourceIP string, body []byte) (string, error) {
	doc, err := e.settingsFor(ctx, accountID, sourceIP, body)
	if err != nil {
		return "", err
	}
	c, err := vk.Parse(body)
	if err != nil {
		return "", ErrRefused // it cannot carry the secret: refused like a wrong one
	}
	conf := doc.Integration.VK
	if conf.SecretKey == "" || !equal(c.Secret, conf.SecretKey) {
		return "", ErrRefused
	}
	switch c.Type {
	case vk.TypeConfirmation:
		if conf.ConfirmationString == "" {
			return "", ErrRefused
		}
		return conf.ConfirmationString, nil
	case vk.TypeMessageNew:
	default:
		return "ok", nil
	}
	in, ok, err := c.Message()
	if err != nil {
		return "", apperr.New(apperr.Invalid, "the message_new object is not VK's")
	}
	if !ok {
		return "ok", nil
	}
	if err := e.Limiter.Take(ctx, ratelimit.For(e.Limits.ChannelMessagesPerAccount, accountID)); err != nil {
		return "", err
	}
	_, err = e.Inbox.PutInbound(ctx, Inbound{AccountID: accountID, Channel: chat.ChannelVK, ExternalID: in.EventID,
		VisitorID: VisitorID(chat.ChannelVK, in.PeerID), Text: in.Text, Kind: in.Kind, At: in.At})
	if err != nil {
		return "", err
	}
	return "ok", nil
}
