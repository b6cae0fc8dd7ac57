package realtime

import (
	"context"
	"parley/internal/chat"
)

// fanout delivers a frame to a chat's participants: one Query of its
// subscribed connections, plus the staff's while nobody leads it (a
// waiting chat's messages reach every operator who may take it).
func (h *Hub) fanout(ctx context.Context, ch chat.Chat, frame []byte, except string, toStaff bool) {
	conns, err := h.Chats.Store.ChatConnections(ctx, ch.AccountID, ch.ID)
	if err != nil {
		h.Log.ErrorContext(ctx, "chat connections", "chat", ch.ID, "err", err)
		return
	}
	if toStaff {
		staff, err := h.watchers(ctx, ch)
		if err != nil {
			h.Log.ErrorContext(ctx, "staff connections", "chat", ch.ID, "err", err)
		}
		conns = append(conns, staff...)
	}
	seen := map[string]bool{except: true}
	for _, t := range conns {
		if seen[t.ID] || t.AccountID != ch.AccountID {
			continue // never twice, never the sender, never another tenant
		}
		seen[t.ID] = true
		h.deliver(ctx, t.ID, frame)
	}
}

// toVisitor delivers a frame to the chat's visitor's connections only.
func (h *Hub) toVisitor(ctx context.Context, ch chat.Chat, frame []byte) {
	conns, err := h.Store.VisitorConnections(ctx, ch.AccountID, ch.VisitorID)
	if err != nil {
		h.Log.ErrorContext(ctx, "visitor connections", "chat", ch.ID, "err", err)
		return
	}
	for _, t := range conns {
		h.deliver(ctx, t.ID, frame)
	}
}

// chatChanged sends the chat's new state to its visitor (their view) and
// to the staff who may see it (chat.Sees), so every workplace's lists
// stay current.
func (h *Hub) chatChanged(ctx context.Context, ch chat.Chat, except string) {
	h.chatChangedFrom(ctx, ch, except, false)
}

// chatChangedFrom is chatChanged; when the chat has just left the waiting
// list (taken, or given by routing off the queue), the staff who saw it
// waiting and do not see it now (hideOthersChats) get a "gone" frame, so
// it does not linger in their list. One read of the settings and of the
// staff connections serves both. Best effort.
func (h *Hub) chatChangedFrom(ctx context.Context, ch chat.Chat, except string, leftWaiting bool) {
	h.toVisitor(ctx, ch, encode(ChatFrame{Type: "chat", Chat: h.visitorView(ctx, ch)}))
	aud, err := h.audience(ctx, ch.AccountID)
	if err != nil {
		h.Log.ErrorContext(ctx, "staff connections", "err", err)
		return
	}
	staff, err := aud.watchers(ctx, ch)
	if err != nil {
		h.Log.ErrorContext(ctx, "staff profiles", "err", err)
		return
	}
	if len(staff) > 0 {
		// With the visitor's signed fields and CRM link, so an operator
		// given the chat by routing or a redirect has what a take shows.
		v := viewChat(ch, false)
		if ch.OperatorID != "" {
			h.identify(ctx, ch.AccountID, v)
		}
		frame := encode(ChatFrame{Type: "chat", Chat: v})
		for _, t := range staff {
			if t.ID != except {
				h.deliver(ctx, t.ID, frame)
			}
		}
	}
	if !leftWaiting || ch.Status == chat.Waiting {
		return
	}
	if err := h.recheckChat(ctx, ch.AccountID, ch.ID, ""); err != nil {
		h.Log.ErrorContext(ctx, "chat followers", "chat", ch.ID, "err", err)
	}
	was := ch
	was.Status, was.OperatorID = chat.Waiting, ""
	before, err := aud.watchers(ctx, was)
	if err != nil {
		h.Log.ErrorContext(ctx, "staff profiles", "err", err)
		return
	}
	still := map[string]bool{}
	for _, t := range staff {
		still[t.ID] = true
	}
	gone := encode(ChatFrame{Type: "gone", ChatID: ch.ID})
	for _, t := range before {
		if !still[t.ID] {
			h.deliver(ctx, t.ID, gone)
		}
	}
}
