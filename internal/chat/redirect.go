package chat

import (
	"context"
	"errors"
	"parley/internal/apperr"
	"parley/internal/settings"
	"slices"
	"strings"
	"time"
)

// RedirectTarget is where a redirect sends a chat: exactly one of another
// operator (who then leads it), a department or a language (it waits
// again, for that department or for operators who speak that language,
// and is routed anew).
type RedirectTarget struct {
	OperatorID   string
	DepartmentID string
	Language     string
}

// Redirect hands an active chat on (SPEC §4.2, §4.3); every redirect is a
// new assignment. A language must be spoken by some online operator.
// Errors: apperr.Invalid, apperr.NotFound, apperr.Conflict.
func (s *Service) Redirect(ctx context.Context, op Party, chatID string, to RedirectTarget, people People) (Chat, error) {
	given := 0
	for _, v := range []string{to.OperatorID, to.DepartmentID, to.Language} {
		if v != "" {
			given++
		}
	}
	if given != 1 {
		return Chat{}, apperr.New(apperr.Invalid, "give exactly one of operatorId, departmentId and language")
	}
	doc, err := s.Settings(ctx, op.AccountID)
	if err != nil {
		return Chat{}, err
	}
	if err := s.checkRedirect(ctx, doc, op, to, people); err != nil {
		return Chat{}, err
	}
	for range maxRaces {
		c, err := s.participantChat(ctx, op, chatID)
		if err != nil {
			return Chat{}, err
		}
		if c.Status != Active || (c.OperatorID != op.ID && !op.Manages()) {
			return Chat{}, apperr.New(apperr.Conflict, "only the operator of an open chat can redirect it")
		}
		if to.Language != "" && to.Language == c.Language {
			return Chat{}, apperr.New(apperr.Invalid, "the chat is already in %s", to.Language)
		}
		next := c
		switch {
		case to.OperatorID != "":
			next.OperatorID, next.AssignedAt = to.OperatorID, s.Now().UTC()
		case to.DepartmentID != "":
			next.Status, next.OperatorID, next.DepartmentID, next.AssignedAt = Waiting, "", to.DepartmentID, time.Time{}
		default:
			next.Status, next.OperatorID, next.Language, next.AssignedAt = Waiting, "", to.Language, time.Time{}
		}
		err = s.Store.Release(ctx, c, next)
		if errors.Is(err, ErrRace) {
			continue
		}
		if err != nil {
			return Chat{}, err
		}
		// The redirecting operator has room again; a chat sent back to
		// waiting is routed anew.
		if err := s.drain(ctx, doc, c.AccountID, c.OperatorID); err != nil {
			return next, err
		}
		return s.route(ctx, doc, next)
	}
	return Chat{}, ErrRace
}

// checkRedirect checks the target exists: a staff member, a department,
// or a language of multilingual mode that some online operator speaks.
func (s *Service) checkRedirect(ctx context.Context, doc settings.Document, op Party, to RedirectTarget, people People) error {
	switch {
	case to.OperatorID != "":
		return people.IsStaff(ctx, op.AccountID, to.OperatorID)
	case to.DepartmentID != "":
		ok, err := s.Departments.DepartmentExists(ctx, op.AccountID, to.DepartmentID)
		if err != nil {
			return err
		}
		if !ok {
			return apperr.New(apperr.NotFound, "department %q not found", to.DepartmentID)
		}
		return nil
	}
	if !doc.Features.Multilingual {
		return apperr.New(apperr.Conflict, "a chat changes language only in multilingual mode (features.multilingual)")
	}
	if !slices.Contains(settings.Languages, to.Language) {
		return apperr.New(apperr.Invalid, "language must be one of %s", strings.Join(settings.Languages, ", "))
	}
	if s.Router == nil || s.Router.Online == nil {
		return nil
	}
	online, err := s.Router.Online(ctx, op.AccountID)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(online, func(o Operator) bool { return slices.Contains(o.Languages, to.Language) }) {
		return apperr.New(apperr.Conflict, "no online operator speaks %s", to.Language)
	}
	return nil
}

// People answers whether someone is staff of the account.
type People interface {
	// IsStaff: apperr.NotFound when the person is not in the account.
	IsStaff(ctx context.Context, accountID, personID string) error
}
