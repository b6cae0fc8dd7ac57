package realtime

import (
	"context"
	"parley/internal/chat"
	"slices"
)

// visitorJoined subscribes the visitor's connections to their chat and,
// for a new chat, tells the staff it waits.
func (h *Hub) visitorJoined(ctx context.Context, c Connection, ch chat.Chat, started bool) error {
	conns, err := h.Store.VisitorConnections(ctx, ch.AccountID, ch.VisitorID)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(conns, func(x Connection) bool { return x.ID == c.ID }) {
		conns = append(conns, c)
	}
	if err := h.Chats.Store.Subscribe(ctx, ch.AccountID, ch.ID, conns); err != nil {
		return err
	}
	// A chat routing gave an operator at its start was announced by
	// Assigned already.
	if started && ch.OperatorID == "" {
		h.chatChanged(ctx, ch, "")
	}
	return nil
}

// taken subscribes the operator's connections to the chat they took and
// tells everyone concerned.
func (h *Hub) taken(ctx context.Context, c Connection, p chat.Party, ch chat.Chat) (ChatFrame, error) {
	if err := h.subscribePerson(ctx, ch, p.ID); err != nil {
		return ChatFrame{}, err
	}
	h.chatChangedFrom(ctx, ch, "", true)
	v := viewChat(ch, false)
	h.identify(ctx, p.AccountID, v)
	return ChatFrame{Type: "chat", Chat: v}, nil
}

func (h *Hub) subscribePerson(ctx context.Context, ch chat.Chat, personID string) error {
	conns, err := h.Chats.Store.PersonConnections(ctx, ch.AccountID, personID)
	if err != nil {
		return err
	}
	return h.Chats.Store.Subscribe(ctx, ch.AccountID, ch.ID, conns)
}

// forget stops delivering a chat's messages to a person who no longer
// leads it; best effort, as a stale copy only costs a post.
func (h *Hub) forget(ctx context.Context, ch chat.Chat, personID string) {
	if personID == "" {
		return
	}
	if err := h.Chats.Store.Unsubscribe(ctx, ch.AccountID, ch.ID, personID); err != nil {
		h.Log.ErrorContext(ctx, "unsubscribe", "chat", ch.ID, "err", err)
	}
}
