package httpapi

import (
	"context"

	"parley/internal/apperr"
	"parley/internal/channel/telegram"
)

// ChannelEndpoints are the messengers' webhooks (channel.Endpoints).
type ChannelEndpoints interface {
	Telegram(ctx context.Context, accountID, secret, sourceIP string, body []byte) error
	VK(ctx context.Context, accountID, sourceIP string, body []byte) (string, error)
}

// The messengers' webhooks (SPEC §4.12): public, each call proves itself
// with the secret the messenger was given.
func registerChannels(api *API, d Deps) {
	// Registered whatever the deployment wires, as every route of the
	// table is; without channels a call finds nothing there.
	none := apperr.New(apperr.NotFound, "there is no such channel")
	api.Handle("POST /v1/channels/telegram/{accountId}", func(ctx context.Context, r Request) (Response, error) {
		if d.Channels == nil {
			return Response{}, none
		}
		if err := d.Channels.Telegram(ctx, r.Path["accountId"], r.Header(telegram.SecretHeader), r.SourceIP, r.Body); err != nil {
			return Response{}, err
		}
		return OK(map[string]bool{"ok": true}), nil
	})
	api.Handle("POST /v1/channels/vk/{accountId}", func(ctx context.Context, r Request) (Response, error) {
		if d.Channels == nil {
			return Response{}, none
		}
		reply, err := d.Channels.VK(ctx, r.Path["accountId"], r.SourceIP, r.Body)
		if err != nil {
			return Response{}, err
		}
		// VK reads the body as plain text: "ok", or the confirmation string.
		return Response{Status: 200, Raw: []byte(reply), Headers: map[string]string{"content-type": "text/plain; charset=utf-8"}}, nil
	})
}
