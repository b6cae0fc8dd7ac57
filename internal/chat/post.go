package chat

import (
	"context"
	"errors"
	"parley/internal/apperr"
)

// Post adds a message to a chat. A visitor without an open chat starts one
// (chatID may be empty for a visitor: their open chat). An operator
// answering a waiting chat takes it first: the first to answer wins
// (SPEC §4.2), the others get ErrTaken. A resend with the same clientID
// returns the stored message and stores nothing. took reports that this
// message took the chat; started that it started it.
// Errors: apperr.Invalid, apperr.TooLarge, apperr.NotFound, apperr.Conflict.
func (s *Service) Post(ctx context.Context, p Party, chatID, clientID, text string) (c Chat, m Message, dup, took, started bool, err error) {
	return s.PostStarting(ctx, p, chatID, clientID, text, StartInput{})
}

// PostStarting is Post whose visitor, when the message starts a chat,
// starts it with in (the placement's language).
func (s *Service) PostStarting(ctx context.Context, p Party, chatID, clientID, text string, in StartInput) (c Chat, m Message, dup, took, started bool, err error) {
	if text, err = CheckText(text); err != nil {
		return
	}
	if err = CheckClientID(clientID); err != nil {
		return
	}
	if err = s.limitMessage(ctx, p); err != nil {
		return
	}
	if p.Kind == FromVisitor && chatID == "" {
		var first []Message
		if c, first, started, err = s.Start(ctx, p, in); err != nil {
			return
		}
		_ = first
		chatID = c.ID
	}
	for attempt := range maxAppendRaces {
		if attempt > 0 {
			backoff(ctx, attempt)
		}
		if c, err = s.participantChat(ctx, p, chatID); err != nil {
			if apperr.CodeOf(err) == apperr.NotFound && p.Kind == FromOperator && s.tookFirst(ctx, p, chatID) {
				err = ErrTaken
			}
			return
		}
		if p.Kind == FromVisitor && (!c.Open() || c.VisitorClosed) {
			// The chat closed (or the visitor ended it) while they typed:
			// their words start the next one rather than being lost.
			if c, _, started, err = s.Start(ctx, p, in); err != nil {
				return
			}
		}
		if err = s.chatFull(p, c); err != nil {
			return
		}
		if p.Kind == FromOperator && c.Status == Waiting {
			if c, err = s.Take(ctx, p, c.ID); err != nil {
				return
			}
			took = true
		}
		if p.Kind == FromOperator && (c.Status != Active || c.OperatorID != p.ID) {
			err = apperr.New(apperr.Conflict, "this chat is not yours: take it first")
			return
		}
		m = Message{AccountID: c.AccountID, ChatID: c.ID, Seq: c.Seq + 1, From: p.Kind, SenderID: p.ID, ClientID: clientID, Text: text, At: s.Now().UTC()}
		w := waitAfter(c, m)
		m, dup, err = s.Store.AppendMessage(ctx, c, m, w)
		if errors.Is(err, ErrRace) {
			continue
		}
		if err != nil {
			return
		}
		if !dup {
			c.Seq, c.LastMessageAt, c.Wait = m.Seq, m.At, w
			if p.Kind == FromOperator && c.AnsweredAt.IsZero() {
				c.AnsweredAt = m.At
			}
			if p.Kind == FromOperator && c.Outcome == "" {
				c.Outcome, c.OutcomeAt = Answered, m.At
			}
		}
		return
	}
	err = ErrRace
	return
}

// MarkRead records that the party has read the chat up to seq; marks only
// move forward. Errors: apperr.NotFound, apperr.Invalid.
func (s *Service) MarkRead(ctx context.Context, p Party, chatID string, seq int64) (Chat, error) {
	return s.update(ctx, p, chatID, func(c Chat) (Chat, error) {
		if seq < 1 || seq > c.Seq {
			return c, apperr.New(apperr.Invalid, "seq must be between 1 and %d", c.Seq)
		}
		switch {
		case p.Kind == FromVisitor:
			c.VisitorRead = max(c.VisitorRead, seq)
		case c.OperatorID == p.ID:
			c.OperatorRead = max(c.OperatorRead, seq)
		default:
			// A manager or colleague looking on has not read it for the
			// chat's operator.
			return c, apperr.New(apperr.Conflict, "only the chat's operator marks it read")
		}
		return c, nil
	})
}
