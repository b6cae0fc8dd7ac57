package realtime

import (
	"context"

	"parley/internal/apperr"
	"parley/internal/auth"
)

// VisibilityChanged re-checks who follows the account's open chats after
// a change that can hide chats from staff: features.hideOthersChats or
// multilingual mode (personID empty: every staff member), or one person's
// languages or departments. A staff connection subscribed to a chat its
// person no longer sees (chat.Service.Chat, the rule every single read
// applies) is unsubscribed and sent `gone`, so a watcher stops receiving
// the chat's messages the moment hideOthersChats turns on. One Query of
// the open chats and one of each chat's connections: a settings or
// profile change is rare, a frame is not, so the cost is paid here.
func (h *Hub) VisibilityChanged(ctx context.Context, accountID, personID string) error {
	if h.Chats == nil {
		return nil
	}
	s := h.Chats.Service
	open, err := s.Store.OpenChats(ctx, accountID)
	if err != nil {
		return err
	}
	for _, ch := range open {
		if err := h.recheckChat(ctx, accountID, ch.ID, personID); err != nil {
			return err
		}
	}
	return nil
}

// recheckChat unsubscribes, with a gone frame, the staff connections
// following chat chatID (personID's only, unless empty) whose person no
// longer sees it. VisibilityChanged runs it for a settings or profile
// change; the hub runs it when a chat itself changes in a way that can
// hide it from a follower: it leaves the waiting list (a waiting chat is
// every eligible operator's to watch, a taken one under hideOthersChats
// is its operator's) or is redirected to another operator, department or
// language. Fan-out then reaches only those who may open the chat.
func (h *Hub) recheckChat(ctx context.Context, accountID, chatID, personID string) error {
	s := h.Chats.Service
	conns, err := h.Chats.Store.ChatConnections(ctx, accountID, chatID)
	if err != nil {
		return err
	}
	dropped := map[string]bool{}
	for _, c := range conns {
		if c.Kind != auth.Access || (personID != "" && c.Subject != personID) || c.AccountID != accountID {
			continue
		}
		if !dropped[c.Subject] {
			_, err := s.Chat(ctx, party(c), chatID)
			if apperr.CodeOf(err) != apperr.NotFound {
				if err != nil {
					return err
				}
				continue // still sees it
			}
			if err := h.Chats.Store.Unsubscribe(ctx, accountID, chatID, c.Subject); err != nil {
				return err
			}
			dropped[c.Subject] = true
		}
		h.deliver(ctx, c.ID, encode(ChatFrame{Type: "gone", ChatID: chatID}))
	}
	return nil
}
