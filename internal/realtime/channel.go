package realtime

import (
	"context"

	"parley/internal/chat"
)

// ChannelPost posts a messenger user's message (SPEC §4.12) and tells the
// staff as a widget visitor's message would: a new chat appears as
// waiting (or reaches the operator routing gave it), and the message
// reaches the chat's operator, or every operator who may take it. The
// visitor has no connection: their side of the chat is the messenger,
// which the stream consumer sends the greeting and answers to.
func (h *Hub) ChannelPost(ctx context.Context, p chat.Party, in chat.StartInput, clientID, text string) error {
	ch, m, _, _, started, err := h.Chats.Service.PostStarting(ctx, p, "", clientID, text, in)
	if err != nil {
		return err
	}
	if started && ch.OperatorID == "" {
		h.chatChanged(ctx, ch, "")
	}
	// A duplicate is fanned out too, as sendMessage does: a replayed
	// record may be the first to get that far.
	v := viewMessage(m)
	h.fanout(ctx, ch, encode(ChatFrame{Type: "message", ChatID: v.ChatID, Seq: v.Seq, ClientID: v.ClientID, From: &v.From, Text: v.Text, At: v.At}), "", ch.Status == chat.Waiting)
	return nil
}
