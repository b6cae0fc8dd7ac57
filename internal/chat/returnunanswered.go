package chat

import (
	"context"
	"errors"
	"time"

	"parley/internal/apperr"
)

// OfflineGrace is how long an operator may be without any connection
// before the chats routing gave them and they never answered go back to
// routing (issue 6): long enough for a reload or a network blip, short
// enough that a visitor is not left waiting on someone who left.
const OfflineGrace = time.Minute

// TimerOperatorOffline is the timer kind that ends an operator's grace.
const TimerOperatorOffline = "operatorOffline"

// ReturnUnanswered hands back to routing the chats personID holds but has
// not answered yet: each waits again, their count falls, and it is routed
// anew (a new assignment when someone has room). Chats already in dialog
// stay with them until an administrator moves them. The caller checks
// that the person is still offline. It returns the chats as routed.
func (s *Service) ReturnUnanswered(ctx context.Context, accountID, personID string) ([]Chat, error) {
	ids, err := s.Store.OperatorChatIDs(ctx, accountID, personID)
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	doc, err := s.Settings(ctx, accountID)
	if err != nil {
		return nil, err
	}
	var out []Chat
	for _, id := range ids {
		c, returned, err := s.returnOne(ctx, accountID, personID, id)
		if err != nil {
			return out, err
		}
		if !returned {
			continue
		}
		if c, err = s.route(ctx, doc, c); err != nil {
			return out, err
		}
		out = append(out, c)
	}
	return out, nil
}

// returnOne moves one unanswered chat of personID back to waiting.
func (s *Service) returnOne(ctx context.Context, accountID, personID, chatID string) (Chat, bool, error) {
	for range maxRaces {
		c, err := s.Store.Chat(ctx, accountID, chatID)
		if apperr.CodeOf(err) == apperr.NotFound {
			return Chat{}, false, nil
		}
		if err != nil {
			return Chat{}, false, err
		}
		if c.Status != Active || c.OperatorID != personID || !c.AnsweredAt.IsZero() {
			return Chat{}, false, nil
		}
		next := c
		next.Status, next.OperatorID, next.AssignedAt = Waiting, "", time.Time{}
		err = s.Store.Release(ctx, c, next)
		if errors.Is(err, ErrRace) {
			continue // a message or a redirect meanwhile: look again
		}
		return next, err == nil, err
	}
	return Chat{}, false, ErrRace
}
