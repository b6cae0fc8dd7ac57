package chat

import (
	"context"
	"slices"

	"parley/internal/apperr"
	"parley/internal/settings"
)

// visiblePage keeps the chats of a history page that p sees under the
// same rule as a single read (Sees): the store's query narrows by
// operator for hideOthersChats, but languages and departments are the
// profile's, which no index holds, so they are applied here.
func (s *Service) visiblePage(ctx context.Context, doc settings.Document, p Party, page Page) (Page, error) {
	prof, err := s.Profile(ctx, p)
	if err != nil {
		return Page{}, err
	}
	kept := make([]Chat, 0, len(page.Chats))
	for _, c := range page.Chats {
		if p.Kind != FromOperator || Sees(doc, p, prof, c) {
			kept = append(kept, c)
		}
	}
	page.Chats = kept
	return page, nil
}

// participantChat reads a chat the party may act on: the visitor's own,
// or for staff a chat they see (Sees), so hideOthersChats, multilingual
// mode and departments bind every action, reads included, and not only
// the workplace's lists. Whether the action itself is theirs (leading
// the chat, managing) is the caller's check. Errors: apperr.NotFound, for
// a chat hidden from the party too, so its existence is never confirmed.
func (s *Service) participantChat(ctx context.Context, p Party, id string) (Chat, error) {
	notFound := apperr.New(apperr.NotFound, "chat not found")
	if !ValidID(id) {
		return Chat{}, notFound
	}
	c, err := s.Store.Chat(ctx, p.AccountID, id)
	if err != nil {
		return Chat{}, err
	}
	if p.Kind == FromVisitor && c.VisitorID != p.ID {
		return Chat{}, notFound
	}
	if ok, err := s.sees(ctx, p, c); err != nil || !ok {
		if err == nil {
			err = notFound
		}
		return Chat{}, err
	}
	return c, nil
}

// sees is Sees for staff member p, reading only what decides: nothing for
// a visitor, a manager or the chat's own operator (the message path), the
// settings otherwise, and p's profile only when a language or department
// can hide the chat.
func (s *Service) sees(ctx context.Context, p Party, c Chat) (bool, error) {
	if p.Kind != FromOperator || p.Manages() || (c.OperatorID != "" && c.OperatorID == p.ID) {
		return true, nil
	}
	doc, err := s.Settings(ctx, p.AccountID)
	if err != nil {
		return false, err
	}
	prof := Operator{ID: p.ID}
	if doc.Features.Multilingual || c.DepartmentID != "" {
		if prof, err = s.Profile(ctx, p); err != nil {
			return false, err
		}
	}
	return Sees(doc, p, prof, c), nil
}

// tookFirst reports whether a chat hidden from op now is one they saw
// while it waited and another operator took it (hideOthersChats hides it
// the moment it is taken): the loser of a take race is told it was taken,
// not that it does not exist.
func (s *Service) tookFirst(ctx context.Context, op Party, chatID string) bool {
	c, err := s.Store.Chat(ctx, op.AccountID, chatID)
	if err != nil || c.Status == Waiting || c.OperatorID == "" {
		return false
	}
	c.Status, c.OperatorID = Waiting, ""
	ok, err := s.sees(ctx, op, c)
	return err == nil && ok
}

// Chat returns a chat the party belongs to: the visitor's own, any of the
// account's for staff. Errors: apperr.NotFound.
func (s *Service) Chat(ctx context.Context, p Party, chatID string) (Chat, error) {
	return s.participantChat(ctx, p, chatID)
}

// Profile is what decides which chats a staff member sees: the languages
// they speak and their departments. Managers see every chat, so theirs is
// not read.
func (s *Service) Profile(ctx context.Context, p Party) (Operator, error) {
	if p.Kind != FromOperator || p.Manages() || s.Profiles == nil {
		return Operator{ID: p.ID}, nil
	}
	return s.Profiles(ctx, p.AccountID, p.ID)
}

// Sees reports whether staff member p (with profile prof) sees chat c:
// their own always; managers every chat; an operator only chats in a
// language they speak in multilingual mode (SPEC §4.3), chats waiting for
// a department only when they belong to it (SPEC §4.2), and other
// operators' chats unless hideOthersChats (SPEC §2.7).
func Sees(doc settings.Document, p Party, prof Operator, c Chat) bool {
	if c.OperatorID == p.ID && c.OperatorID != "" {
		return true
	}
	if p.Manages() {
		return true
	}
	if doc.Features.Multilingual && !slices.Contains(prof.Languages, c.Language) {
		return false
	}
	if c.Status == Waiting || c.OperatorID == "" {
		// Nobody's yet (or ever, as an offline request): offered to the
		// department's operators, or to every operator.
		return c.DepartmentID == "" || slices.Contains(prof.Departments, c.DepartmentID)
	}
	return SeesOthers(doc, p)
}

// SeesOthers reports whether p sees chats other operators lead.
func SeesOthers(doc settings.Document, p Party) bool {
	return !doc.Features.HideOthersChats || p.Manages()
}
