package chat

import (
	"context"
	"errors"
	"parley/internal/apperr"
)

// Take assigns a waiting chat to the operator; exactly one of several
// racing operators wins. Errors: apperr.NotFound, ErrTaken (conflict).
func (s *Service) Take(ctx context.Context, op Party, chatID string) (Chat, error) {
	for range maxRaces {
		c, err := s.participantChat(ctx, op, chatID)
		if apperr.CodeOf(err) == apperr.NotFound && s.tookFirst(ctx, op, chatID) {
			return Chat{}, ErrTaken
		}
		if err != nil {
			return Chat{}, err
		}
		if c.Status != Waiting {
			if c.Status == Active && c.OperatorID == op.ID {
				return c, nil
			}
			return Chat{}, ErrTaken
		}
		now := s.Now().UTC()
		err = s.Store.Take(ctx, c, op.ID, now)
		if errors.Is(err, ErrRace) || errors.Is(err, ErrTaken) {
			// a transaction conflict, or the chat changed (taken, or
			// queued meanwhile): look again
			continue
		}
		if err != nil {
			return Chat{}, err
		}
		c.Status, c.OperatorID, c.AssignedAt = Active, op.ID, now
		return c, nil
	}
	return Chat{}, ErrRace
}

// Close closes a chat. The operator closes their chat (with a category
// when classification.required: SPEC §2.3); a visitor closes theirs: a
// waiting one closes for good, an active one stays with the operator, who
// is told, until they close it. Staff closing an unanswered offline
// request mark it answered (it leaves misc.offlineQueueLimit's count).
// Errors: apperr.NotFound, apperr.Conflict (not the closer's, category
// required).
func (s *Service) Close(ctx context.Context, p Party, chatID string) (Chat, error) {
	for range maxRaces {
		c, err := s.participantChat(ctx, p, chatID)
		if err != nil {
			return Chat{}, err
		}
		if c.Status == Closed && c.Unanswered && p.Kind == FromOperator {
			next := c
			next.Unanswered = false
			if err := s.Store.AnswerOffline(ctx, c); errors.Is(err, ErrRace) {
				continue
			} else if err != nil {
				return Chat{}, err
			}
			return next, nil
		}
		if c.Status == Closed {
			if p.Kind != FromVisitor || c.VisitorClosed {
				return c, nil
			}
			// The visitor closes their side of a chat the operator closed.
			next := c
			next.VisitorClosed = true
			markFinal(&next, s.Now().UTC())
			if err := s.Store.SetChatFields(ctx, c, next); errors.Is(err, ErrRace) {
				continue
			} else if err != nil {
				return Chat{}, err
			}
			return next, nil
		}
		next := c
		now := s.Now().UTC()
		if p.Kind == FromVisitor && c.AnsweredAt.IsZero() && c.Outcome == "" {
			// Closing it unanswered is leaving (SPEC §4.5).
			doc, derr := s.Settings(ctx, p.AccountID)
			if derr != nil {
				return Chat{}, derr
			}
			leave(doc, &next, now)
		}
		switch {
		case p.Kind == FromVisitor && c.Status == Active:
			next.VisitorClosed = true
			err = s.Store.SetChatFields(ctx, c, next)
		case c.Status == Waiting:
			next.Status, next.ClosedAt, next.VisitorClosed = Closed, now, next.VisitorClosed || p.Kind == FromVisitor
			markFinal(&next, now)
			err = s.Store.CloseWaiting(ctx, c, next)
		default: // an operator closes an active chat
			if c.OperatorID != p.ID && !p.Manages() {
				return Chat{}, apperr.New(apperr.Conflict, "only the chat's operator can close it")
			}
			doc, derr := s.Settings(ctx, p.AccountID)
			if derr != nil {
				return Chat{}, derr
			}
			if doc.Classification.Required && c.Category == "" {
				return Chat{}, &apperr.Error{Code: apperr.Conflict, Message: "choose a category before closing the chat (classification.required)",
					Fields: map[string]string{"category": "is required to close the chat"}}
			}
			next.Status, next.ClosedAt = Closed, now
			markFinal(&next, now)
			if err = s.Store.Release(ctx, c, next); err == nil {
				return next, s.drain(ctx, doc, c.AccountID, c.OperatorID)
			}
		}
		if errors.Is(err, ErrRace) {
			continue
		}
		return next, err
	}
	return Chat{}, ErrRace
}

// SetCategory sets the chat's category from the account's tree (SPEC
// §2.3); "" clears it. Only the chat's operator, or a manager, may.
// Errors: apperr.Invalid, apperr.NotFound, apperr.Conflict.
func (s *Service) SetCategory(ctx context.Context, op Party, chatID, category string) (Chat, error) {
	doc, err := s.Settings(ctx, op.AccountID)
	if err != nil {
		return Chat{}, err
	}
	if category, err = CheckCategory(doc.Classification.Tree(), category); err != nil {
		return Chat{}, err
	}
	return s.update(ctx, op, chatID, func(c Chat) (Chat, error) {
		if c.OperatorID != op.ID && !op.Manages() {
			return c, apperr.New(apperr.Conflict, "only the chat's operator can categorise it")
		}
		c.Category = category
		return c, nil
	})
}

// update applies change to a chat with an optimistic conditional write,
// retrying when a concurrent change to the chat's status came first.
func (s *Service) update(ctx context.Context, p Party, chatID string, change func(Chat) (Chat, error)) (Chat, error) {
	for range maxRaces {
		c, err := s.participantChat(ctx, p, chatID)
		if err != nil {
			return Chat{}, err
		}
		next, err := change(c)
		if err != nil {
			return Chat{}, err
		}
		markFinal(&next, s.Now().UTC()) // a read to the end closes a closed chat for good
		err = s.Store.SetChatFields(ctx, c, next)
		if errors.Is(err, ErrRace) {
			continue
		}
		return next, err
	}
	return Chat{}, ErrRace
}
