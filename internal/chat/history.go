package chat

import (
	"context"
	"parley/internal/apperr"
	"slices"
)

// Messages returns a chat's messages after seq, at most limit of them (0:
// all), for a party of the chat. Errors: apperr.NotFound.
func (s *Service) Messages(ctx context.Context, p Party, chatID string, after int64, limit int) (Chat, []Message, error) {
	c, err := s.participantChat(ctx, p, chatID)
	if err != nil {
		return Chat{}, nil, err
	}
	ms, err := s.Store.Messages(ctx, p.AccountID, c.ID, max(after, 0), max(limit, 0))
	return c, ms, err
}

// Resume is what a reconnecting visitor missed: their latest chat while it
// is open, or closed less than ReadGrace ago with messages they have not
// read, and its messages after seq (at most limit, 0: all). ok is false
// when there is none.
func (s *Service) Resume(ctx context.Context, v Party, after int64, limit int) (c Chat, ms []Message, ok bool, err error) {
	id, err := s.Store.OpenChatID(ctx, v.AccountID, v.ID)
	if err != nil || id == "" {
		return Chat{}, nil, false, err
	}
	c, ms, err = s.Messages(ctx, v, id, after, limit)
	if apperr.CodeOf(err) == apperr.NotFound {
		return Chat{}, nil, false, nil
	}
	if err != nil {
		return Chat{}, nil, false, err
	}
	if !c.Open() && (c.VisitorRead >= c.Seq || s.Now().Sub(c.ClosedAt) > ReadGrace) {
		return Chat{}, nil, false, nil
	}
	return c, ms, true, nil
}

// Get returns one chat with its transcript for the history (staff), when
// the party sees it (Sees). Errors: apperr.NotFound.
func (s *Service) Get(ctx context.Context, p Party, chatID string) (Chat, []Message, error) {
	return s.Messages(ctx, p, chatID, 0, 0)
}

// History lists chats for the history page: only those the party could
// open one by one (Sees: language, department, hideOthersChats), so a
// page may hold fewer than the limit and still have a next one.
// Operators under hideOthersChats are asked only for their own.
// Errors: apperr.Invalid.
func (s *Service) History(ctx context.Context, p Party, q Query) (Page, error) {
	if q.Limit <= 0 || q.Limit > 100 {
		q.Limit = 50
	}
	if !q.To.After(q.From) {
		return Page{}, apperr.New(apperr.Invalid, "to must be after from")
	}
	doc, err := s.Settings(ctx, p.AccountID)
	if err != nil {
		return Page{}, err
	}
	if !SeesOthers(doc, p) {
		if q.OperatorID != "" && q.OperatorID != p.ID {
			return Page{Chats: []Chat{}}, nil
		}
		q.OperatorID = p.ID
	}
	page, err := s.Store.ListChats(ctx, p.AccountID, q)
	if err != nil {
		return Page{}, err
	}
	return s.visiblePage(ctx, doc, p, page)
}

// ParseStatus checks a history status filter. Errors: apperr.Invalid.
func ParseStatus(s string) (Status, error) {
	if slices.Contains([]Status{Waiting, Active, Closed}, Status(s)) {
		return Status(s), nil
	}
	return "", apperr.New(apperr.Invalid, "status must be waiting, active or closed")
}
