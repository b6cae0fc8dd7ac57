package channel

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"parley/internal/apperr"
	"parley/internal/channel/telegram"
	"parley/internal/outbound"
	"parley/internal/settings"
	"parley/internal/webhook"
)

// TelegramPath is the inbound route a bot's webhook is registered at.
const TelegramPath = "/v1/channels/telegram/"

const keyBotToken = "integration.telegram.botToken"

// Connector connects an account's Telegram bot when an administrator
// saves integration.telegram.botToken (settings.Connector): a new token is
// checked with getMe and its webhook registered with setWebhook, at the
// account's inbound route with the bot's secret token, before the token
// is stored; a removed or replaced token's webhook is deleted after.
type Connector struct {
	Client webhook.Sender
	// Base is the Bot API's base URL ("": Telegram's).
	Base string
	// Key derives each bot's secret token (SecretToken), as Endpoints does.
	Key []byte
	// PublicBaseURL is this deployment's own base URL, where Telegram
	// posts the bot's updates.
	PublicBaseURL string
}

func (c *Connector) base() string {
	if c.Base == "" {
		return telegram.DefaultBaseURL
	}
	return c.Base
}

// call calls a Bot API method with token and a JSON body; the answer's
// error never contains the token.
func (c *Connector) call(ctx context.Context, token, method string, body any) (telegram.Answer, error) {
	b, _ := json.Marshal(body)
	h := http.Header{}
	h.Set("content-type", "application/json")
	resp, err := c.Client.Do(ctx, outbound.Request{Method: http.MethodPost, URL: telegram.MethodURL(c.base(), token, method), Header: h, Body: b})
	if err != nil {
		return telegram.Answer{}, err
	}
	return telegram.ReadAnswer(resp.Status, resp.Body), nil
}

func botField(message string) error { return apperr.Fields(map[string]string{keyBotToken: message}) }

// Check runs before a write is stored: a new bot token must be one the
// Bot API knows (getMe), and its webhook is registered (setWebhook). A
// refusal is a field error on integration.telegram.botToken, and the
// write is not stored.
func (c *Connector) Check(ctx context.Context, accountID string, before, after settings.Document) error {
	token := after.Integration.Telegram.BotToken
	if token == "" || token == before.Integration.Telegram.BotToken {
		return nil
	}
	a, err := c.call(ctx, token, "getMe", struct{}{})
	if err != nil {
		return botField("the Bot API could not be reached to check the token; try again")
	}
	if !a.OK {
		if a.ErrorCode == http.StatusUnauthorized || a.ErrorCode == http.StatusNotFound {
			return botField("Telegram does not know this bot token (revoked or mistyped): copy it again from BotFather")
		}
		return botField("the Bot API refused to check the token: " + a.Description)
	}
	var bot telegram.Bot
	if err := json.Unmarshal(a.Result, &bot); err != nil || !bot.IsBot {
		return botField("the Bot API's answer to getMe is not a bot")
	}
	hook := telegram.SetWebhook{URL: strings.TrimRight(c.PublicBaseURL, "/") + TelegramPath + accountID,
		SecretToken: SecretToken(c.Key, accountID, token), AllowedUpdates: []string{"message"}}
	if a, err = c.call(ctx, token, "setWebhook", hook); err != nil || !a.OK {
		why := "no answer"
		if err == nil {
			why = a.Description
		}
		return botField("the bot's webhook could not be registered (" + why + "); try again")
	}
	return nil
}

// Stored runs after a write was stored: the webhook of a bot token that
// was removed or replaced is deleted, so Telegram stops posting its
// updates. A failure changes nothing stored (a revoked token has no
// webhook to delete), so it is reported only to the caller's log.
func (c *Connector) Stored(ctx context.Context, accountID string, before, after settings.Document) error {
	old := before.Integration.Telegram.BotToken
	if old == "" || old == after.Integration.Telegram.BotToken {
		return nil
	}
	a, err := c.call(ctx, old, "deleteWebhook", map[string]any{"drop_pending_updates": false})
	if err != nil {
		return errors.New(strings.ReplaceAll(err.Error(), old, "…")) // the token is in the path
	}
	return a.Err()
}
