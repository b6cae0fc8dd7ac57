package realtime

import (
	"context"
	"parley/internal/chat"
)

// hello subscribes the connection to what it follows and returns the state
// a (re)connecting client needs: a visitor's chat and the messages after
// since; an operator's workplace.
func (h *Hub) hello(ctx context.Context, c Connection, p chat.Party, f Frame) (ChatFrame, error) {
	s := h.Chats.Service
	if p.Kind == chat.FromVisitor {
		out := ChatFrame{Type: "state", Version: ProtocolVersion, Role: "visitor", ID: p.ID}
		if err := h.announceVisitor(ctx, p, f.Page); err != nil {
			return ChatFrame{}, err
		}
		ch, ms, ok, err := s.Resume(ctx, p, f.Since, framePageMessages)
		if err != nil || !ok {
			return out, err
		}
		if ch.Open() {
			if err := h.Chats.Store.Subscribe(ctx, ch.AccountID, ch.ID, []Connection{c}); err != nil {
				return ChatFrame{}, err
			}
			ch = h.visitorBack(ctx, p, ch)
			// The page the visitor is on now sets the chat's priority flag
			// (a bad one is ignored: the page is advice, the hello is not).
			if page, err := chat.CheckPage(f.Page); err == nil && page != ch.Page {
				if next, changed, err := s.SetPage(ctx, p, page); err == nil && next.ID == ch.ID {
					ch = next
					if changed {
						h.chatChanged(ctx, ch, c.ID)
					}
				}
			}
		}
		out.Chat = h.visitorView(ctx, ch)
		out.Messages, out.More = messagesPage(ms)
		// A visitor back in a queued chat (a reload, a reconnect) is told
		// their place again: it may have moved while they were away.
		if ch.Status == chat.Waiting {
			h.queuedAtStart(ctx, ch)
		}
		return out, nil
	}
	// An operator coming online takes the oldest queued chats they may
	// (SPEC §4.2); they arrive in Mine below and through Assigned.
	if err := h.Drain(ctx, p.AccountID, p.ID); err != nil {
		return ChatFrame{}, err
	}
	h.presenceChanged(ctx, p.AccountID)
	w, err := s.Workplace(ctx, p)
	if err != nil {
		return ChatFrame{}, err
	}
	for _, ch := range w.Mine {
		if err := h.Chats.Store.Subscribe(ctx, ch.AccountID, ch.ID, []Connection{c}); err != nil {
			return ChatFrame{}, err
		}
	}
	mine := viewChats(w.Mine)
	for i := range mine {
		h.identify(ctx, p.AccountID, &mine[i])
	}
	away, err := h.Chats.Store.Away(ctx, p.AccountID, p.ID)
	if err != nil {
		return ChatFrame{}, err
	}
	presence := "online"
	if away {
		presence = "away"
	}
	return ChatFrame{Type: "state", Version: ProtocolVersion, Role: c.Role, ID: p.ID, Presence: presence,
		WorkplaceView: &WorkplaceView{Waiting: viewChats(w.Waiting), Queued: viewChats(w.Queued), Mine: mine, Others: viewChats(w.Others), Missed: viewChats(w.Missed)}}, nil
}

// announceVisitor tells online staff about a visitor seen for the first
// time, when features.notifyNewVisitors is on.
func (h *Hub) announceVisitor(ctx context.Context, p chat.Party, page string) error {
	doc, err := h.Chats.Settings(ctx, p.AccountID)
	if err != nil || !doc.Features.NotifyNewVisitors {
		return err
	}
	first, err := h.Chats.Store.MarkVisitorSeen(ctx, p.AccountID, p.ID, h.Now().UTC())
	if err != nil || !first {
		return err
	}
	staff, err := h.Store.StaffConnections(ctx, p.AccountID)
	if err != nil {
		return err
	}
	// The page is the visitor's word: staff get it only as an http(s) URL
	// within chat.MaxURLBytes (never a javascript: link), else none.
	page, err = chat.CheckPage(page)
	if err != nil {
		page = ""
	}
	frame := encode(ChatFrame{Type: "visitor", VisitorID: p.ID, URL: page})
	for _, t := range staff {
		h.deliver(ctx, t.ID, frame)
	}
	return nil
}
