package channel

import (
	"context"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"parley/internal/apperr"
	"parley/internal/chat"
	"parley/internal/visitor"
)

// Poster posts a messenger user's message as their visitor's: into their
// open chat, or a new one on the channel, routed like any chat, and tells
// the operators at once (realtime.Hub).
type Poster interface {
	ChannelPost(ctx context.Context, p chat.Party, in chat.StartInput, clientID, text string) error
}

// Identities keeps what a messenger says about its user (the name from
// their profile) as the visitor's fields, which the workplace shows.
type Identities interface {
	SetVisitorIdentity(ctx context.Context, accountID, visitorID string, f visitor.Fields, at time.Time) error
}

// Receiver is the stream consumer's side of an accepted update.
type Receiver struct {
	Poster     Poster
	Identities Identities
	Log        *slog.Logger
	Now        func() time.Time
}

// Receive makes a stored update a chat message. A replayed record posts
// nothing new: the message's client id is the update's. A message the
// visitor may not send now (their per-minute limit, a chat at its cap) is
// dropped, as a widget's would be refused, rather than retried forever.
func (r *Receiver) Receive(ctx context.Context, in Inbound) error {
	if in.Name != "" || in.Username != "" {
		f := visitor.Fields{}
		if in.Name != "" {
			f["name"] = clip(in.Name, chat.MaxNameBytes)
		}
		if in.Username != "" {
			f[in.Channel] = "@" + clip(in.Username, chat.MaxNameBytes)
		}
		if err := r.Identities.SetVisitorIdentity(ctx, in.AccountID, in.VisitorID, f, r.Now().UTC()); err != nil {
			return err
		}
	}
	p := chat.Party{AccountID: in.AccountID, Kind: chat.FromVisitor, ID: in.VisitorID}
	err := r.Poster.ChannelPost(ctx, p, chat.StartInput{Channel: in.Channel, Language: in.Language}, in.Channel+"-"+in.ExternalID, Text(in))
	switch apperr.CodeOf(err) {
	case apperr.RateLimited, apperr.Invalid, apperr.TooLarge:
		r.Log.WarnContext(ctx, "messenger message dropped", "account", in.AccountID, "channel", in.Channel, "err", err)
		return nil
	}
	return err
}

// Text is the chat message an update makes: its text, and for content
// the workplace cannot show (a photo, a sticker, a file) a note saying
// what came, so it does not vanish.
func Text(in Inbound) string {
	t := strings.TrimSpace(in.Text)
	if in.Kind != "" {
		note := "[" + in.Kind + ": open " + channelTitle(in.Channel) + " to see it]"
		if t == "" {
			t = note
		} else {
			t = note + "\n" + t
		}
	}
	return clip(t, chat.MaxTextBytes)
}

func channelTitle(c string) string {
	if c == chat.ChannelTelegram {
		return "Telegram"
	}
	return "VK"
}

// clip cuts s to at most n bytes on a character boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
