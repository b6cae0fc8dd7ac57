package realtime

import (
	"context"
	"time"

	"parley/internal/auth"
	"parley/internal/chat"
	"parley/internal/timers"
)

// The live side of the timeouts and of leaving (SPEC §4.4, §4.5, issue
// 14): the busy message reaches the chat's participants as any message
// does, and a visitor whose last connection is gone for chat.VisitorGrace
// has left: their unanswered chat gets its outcome and moves from the
// waiting lists to the missed one.

// TimedOut acts on a fired timeout timer (chat.Service.TimedOut) and
// delivers the busy message; a timer that no longer applies does nothing.
func (h *Hub) TimedOut(ctx context.Context, accountID, chatID, kind string, due time.Time) error {
	if h.Chats == nil {
		return nil
	}
	ch, m, acted, err := h.Chats.Service.TimedOut(ctx, accountID, chatID, kind, due)
	if err != nil || !acted {
		return err
	}
	if m.Seq > 0 {
		v := viewMessage(m)
		h.fanout(ctx, ch, encode(ChatFrame{Type: "message", ChatID: v.ChatID, Seq: v.Seq, From: &v.From, Text: v.Text, At: v.At}), "", ch.Status == chat.Waiting)
	}
	// The workplaces mark the chat: a timeout acted.
	h.chatChanged(ctx, ch, "")
	return nil
}

// visitorGone starts a visitor's leaving grace when their last connection
// closed while their open chat waits for an answer.
func (h *Hub) visitorGone(ctx context.Context, c Connection) error {
	if h.Chats == nil || h.Chats.Timers == nil || c.Kind != auth.Visitor {
		return nil
	}
	left, err := h.Store.VisitorConnections(ctx, c.AccountID, c.Subject)
	if err != nil || len(left) > 0 {
		return err
	}
	id, err := h.Chats.Service.Store.OpenChatID(ctx, c.AccountID, c.Subject)
	if err != nil || id == "" {
		return err
	}
	ch, err := h.Chats.Service.Store.Chat(ctx, c.AccountID, id)
	if err != nil || !ch.Open() || !ch.AnsweredAt.IsZero() || !ch.LeftAt.IsZero() {
		return nil // nothing to record: not an error of the disconnect
	}
	return h.Chats.Timers.PutTimer(ctx, timers.Timer{AccountID: c.AccountID, Subject: c.Subject, Kind: chat.TimerVisitorGone,
		Due: chat.DueSecond(h.Now().Add(chat.VisitorGrace))})
}

// VisitorGone ends a visitor's leaving grace (its timer fired at due): if
// they are still without a connection, they left when the grace began.
func (h *Hub) VisitorGone(ctx context.Context, accountID, visitorID string, due time.Time) error {
	if h.Chats == nil {
		return nil
	}
	conns, err := h.Store.VisitorConnections(ctx, accountID, visitorID)
	if err != nil || len(conns) > 0 {
		return err
	}
	v := chat.Party{AccountID: accountID, Kind: chat.FromVisitor, ID: visitorID}
	ch, changed, err := h.Chats.Service.Gone(ctx, v, due.Add(-chat.VisitorGrace))
	if err != nil || !changed {
		return err
	}
	h.chatChanged(ctx, ch, "")
	return nil
}

// visitorBack puts the chat of a visitor who had left and came back into
// the waiting lists again; best effort, it returns the chat as it is.
func (h *Hub) visitorBack(ctx context.Context, p chat.Party, ch chat.Chat) chat.Chat {
	if ch.LeftAt.IsZero() {
		return ch
	}
	next, changed, err := h.Chats.Service.Back(ctx, p, ch.ID)
	if err != nil {
		h.Log.ErrorContext(ctx, "visitor back", "chat", ch.ID, "err", err)
		return ch
	}
	if changed {
		h.chatChanged(ctx, next, "")
		return next
	}
	return ch
}
