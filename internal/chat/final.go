package chat

import (
	"context"
	"errors"
	"time"

	"parley/internal/apperr"
	"parley/internal/timers"
)

// Closed for good (SPEC §3; the source document's chatClose handler): a
// chat is over for both sides only once the operator closed it and the
// visitor did too, where the visitor has closed it when they pressed
// close or read it to the end. A visitor who has not read the operator's
// last message keeps the chat for ReadGrace to come back and read it;
// after that the chat is closed for good anyway, by a timer written with
// the operator's close. FinalAt records the moment, once; it is what the
// chatClose event handler is told of.

// TimerClosedForGood is the kind of the timer that closes a chat for good
// ReadGrace after its operator closed it unread.
const TimerClosedForGood = "closedForGood"

// ClosedForGood reports whether both sides have closed the chat.
func (c Chat) ClosedForGood() bool {
	return c.Status == Closed && (c.VisitorClosed || c.VisitorRead >= c.Seq)
}

// markFinal sets FinalAt at now the first time the chat is closed for
// good; it reports whether it did.
func markFinal(c *Chat, now time.Time) bool {
	if !c.FinalAt.IsZero() || !c.ClosedForGood() {
		return false
	}
	c.FinalAt = now
	return true
}

// FinalTimer is the timer that closes c for good once ReadGrace has passed
// since its close; ok is false when c needs none (not closed, or closed
// for good already).
func (c Chat) FinalTimer() (t timers.Timer, ok bool) {
	if c.Status != Closed || !c.FinalAt.IsZero() {
		return timers.Timer{}, false
	}
	return timers.Timer{AccountID: c.AccountID, Subject: c.ID, Kind: TimerClosedForGood, Due: DueSecond(c.ClosedAt.Add(ReadGrace))}, true
}

// closeForGood acts on a fired TimerClosedForGood: a chat its visitor
// never read to the end is closed for good ReadGrace after its close. A
// chat closed for good meanwhile is left as it is.
func (s *Service) closeForGood(ctx context.Context, accountID, chatID string) error {
	for range maxRaces {
		c, err := s.Store.Chat(ctx, accountID, chatID)
		if apperr.CodeOf(err) == apperr.NotFound {
			return nil
		}
		if err != nil {
			return err
		}
		if c.Status != Closed || !c.FinalAt.IsZero() {
			return nil
		}
		next := c
		next.FinalAt = s.Now().UTC()
		if err := s.Store.SetChatFields(ctx, c, next); !errors.Is(err, ErrRace) {
			return err
		}
	}
	return ErrRace
}
