package channel

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"parley/internal/chat"
	"parley/internal/settings"
	"parley/internal/webhook"
)

// The delivery events of the channels: a message to a Telegram chat or a
// VK dialog, sent by the webhook dispatcher through Targets (events of a
// webhook.Service are "<service>.<what>").
const (
	EventTelegram webhook.Event = "telegram.message"
	EventVK       webhook.Event = "vk.message"
)

// service is a channel as the delivery log lists it: configured once its
// token or access key is set. Its deliveries come from the chat's
// messages (Outbox), never from the event webhooks' triggers.
type service struct {
	name       string
	configured func(settings.Document) bool
}

func (s service) Name() string                                                { return s.name }
func (s service) Configured(doc settings.Document) bool                       { return s.configured(doc) }
func (s service) Deliveries(settings.Document, webhook.Event) []webhook.Event { return nil }

// Services are the channels for the delivery log (webhook.Enqueuer.Services).
func Services() []webhook.Service {
	return []webhook.Service{
		service{chat.ChannelTelegram, func(d settings.Document) bool { return d.Integration.Telegram.BotToken != "" }},
		service{chat.ChannelVK, func(d settings.Document) bool { return d.Integration.VK.AccessKey != "" }},
	}
}

// MaxTextRunes is the longest message either messenger takes (Telegram's
// sendMessage and VK's messages.send: 4096 characters); a longer answer
// goes out in parts.
const MaxTextRunes = 4096

// Queue stores deliveries (webhook.Store).
type Queue interface {
	PutDelivery(ctx context.Context, d webhook.Delivery) (bool, error)
}

// Outbox queues the operator's and the system's messages of a messenger's
// chat (answers, the greeting, the busy message) for the dispatcher.
type Outbox struct {
	Queue Queue
	Now   func() time.Time
}

// outMessage is a channel delivery's body: where and what. The token or
// access key is read from the settings at each attempt, never stored.
type outMessage struct {
	Peer int64  `json:"peer"`
	Text string `json:"text"`
}

// Posted queues m's delivery; the same record replayed queues it once
// (the delivery's id is the message's). Visitors' messages came from the
// messenger and go nowhere.
func (o *Outbox) Posted(ctx context.Context, m Posted) error {
	if m.From == chat.FromVisitor {
		return nil
	}
	peer, ok := Peer(m.Channel, m.VisitorID)
	if !ok {
		return nil
	}
	ev := EventTelegram
	if m.Channel == chat.ChannelVK {
		ev = EventVK
	}
	now := o.Now().UTC()
	for i, part := range Split(m.Text, MaxTextRunes) {
		body, err := json.Marshal(outMessage{Peer: peer, Text: part})
		if err != nil {
			return err
		}
		id := webhook.NewID(m.At, m.AccountID+"|"+string(ev)+"|"+m.ChatID+"|"+strconv.FormatInt(m.Seq, 10)+"|"+strconv.Itoa(i))
		// A part a second after the one before, so a long answer's parts
		// arrive in order.
		d := webhook.NewPending(m.AccountID, id, ev, m.ChatID, body, now, now.Add(time.Duration(i)*time.Second))
		if _, err := o.Queue.PutDelivery(ctx, d); err != nil {
			return err
		}
	}
	return nil
}

// Split cuts a text into parts of at most max characters, at a line break
// or a space when there is one in the part's last quarter.
func Split(text string, max int) []string {
	var out []string
	for {
		end, n := 0, 0
		for i := range text {
			if n == max {
				end = i
				break
			}
			n++
		}
		if end == 0 {
			break // the rest fits
		}
		if i := strings.LastIndexAny(text[:end], "\n "); i > end*3/4 {
			end = i + 1
		}
		if part := strings.TrimSpace(text[:end]); part != "" {
			out = append(out, part)
		}
		text = text[end:]
	}
	if t := strings.TrimSpace(text); t != "" || len(out) == 0 {
		out = append(out, t)
	}
	return out
}
