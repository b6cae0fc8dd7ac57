package realtime

import (
	"context"
	"parley/internal/apperr"
	"parley/internal/chat"
	"slices"
)

func (h *Hub) sendMessage(ctx context.Context, c Connection, p chat.Party, f Frame) (ChatFrame, error) {
	if p.Kind == chat.FromOperator && f.ChatID == "" {
		if f.To == "" {
			return ChatFrame{}, apperr.New(apperr.Invalid, "chatId is required")
		}
		id, err := h.Chats.Service.Store.OpenChatID(ctx, p.AccountID, f.To)
		if err != nil {
			return ChatFrame{}, err
		}
		if id == "" {
			return ChatFrame{}, apperr.New(apperr.NotFound, "visitor %q has no chat", f.To)
		}
		f.ChatID = id
	}
	start := chat.StartInput{Language: f.Language}
	if page, err := chat.CheckPage(f.Page); err == nil {
		start.Page = page // a bad page is dropped, never the message
	}
	ch, m, dup, took, started, err := h.Chats.Service.PostStarting(ctx, p, f.ChatID, f.ClientID, f.Text, start)
	if err != nil {
		return ChatFrame{}, err
	}
	if started {
		if err := h.visitorJoined(ctx, c, ch, true); err != nil {
			return ChatFrame{}, err
		}
		h.queuedAtStart(ctx, ch)
		// The greeting opened the chat before this message: the visitor's
		// connections get it like any message.
		_, first, err := h.Chats.Service.Messages(ctx, p, ch.ID, 0, int(m.Seq))
		if err != nil {
			return ChatFrame{}, err
		}
		for _, fm := range first {
			if fm.Seq < m.Seq {
				v := viewMessage(fm)
				h.toVisitor(ctx, ch, encode(ChatFrame{Type: "message", ChatID: v.ChatID, Seq: v.Seq, From: &v.From, Text: v.Text, At: v.At}))
			}
		}
	} else if p.Kind == chat.FromVisitor && !slices.Contains(c.Chats, ch.AccountID+"/"+ch.ID) {
		// A connection that wrote before saying hello follows the chat
		// from now on.
		if err := h.Chats.Store.Subscribe(ctx, ch.AccountID, ch.ID, []Connection{c}); err != nil {
			return ChatFrame{}, err
		}
	}
	if took {
		if _, err := h.taken(ctx, c, p, ch); err != nil {
			return ChatFrame{}, err
		}
	}
	// A duplicate is fanned out too: the first try may have been stored
	// and then failed (a lost response, a timeout) before its fanout, and
	// the resend is then the only chance the others have to get it.
	// Clients keep messages by seq, so a second copy changes nothing.
	v := viewMessage(m)
	h.fanout(ctx, ch, encode(ChatFrame{Type: "message", ChatID: v.ChatID, Seq: v.Seq, ClientID: v.ClientID, From: &v.From, Text: v.Text, At: v.At}), c.ID, ch.Status == chat.Waiting)
	return ChatFrame{Type: "sent", ChatID: m.ChatID, Seq: m.Seq, At: m.At, Duplicate: dup}, nil
}
