package chat

import (
	"context"
	"slices"
	"strings"
)

// Workplace is an operator's view of the account's open chats.
type Workplace struct {
	// Waiting chats have no operator yet and are not queued: in manual
	// mode the first eligible operator to answer takes them.
	Waiting []Chat
	// Queued is the common queue of auto-assignment, oldest first: every
	// eligible operator sees it and may take a chat from it by hand.
	Queued []Chat
	// Mine are the chats the party leads; one routing gave them that they
	// have not answered yet has a zero AnsweredAt.
	Mine   []Chat
	Others []Chat // led by other operators; empty for operators under hideOthersChats
	// Missed are the chats whose visitors left before any answer
	// (LeftUnanswered): still waiting ones, which leave Waiting and
	// Queued for it, and those closed within MissedWindow, newest first.
	Missed []Chat
}

// Workplace returns the open chats the party may see (see Sees).
func (s *Service) Workplace(ctx context.Context, p Party) (Workplace, error) {
	doc, err := s.Settings(ctx, p.AccountID)
	if err != nil {
		return Workplace{}, err
	}
	open, err := s.Store.OpenChats(ctx, p.AccountID)
	if err != nil {
		return Workplace{}, err
	}
	prof, err := s.Profile(ctx, p)
	if err != nil {
		return Workplace{}, err
	}
	w := Workplace{Waiting: []Chat{}, Queued: []Chat{}, Mine: []Chat{}, Others: []Chat{}, Missed: []Chat{}}
	closed, err := s.Store.MissedChats(ctx, p.AccountID, s.Now().Add(-MissedWindow))
	if err != nil {
		return Workplace{}, err
	}
	for _, c := range slices.Concat(open, closed) {
		switch {
		case !Sees(doc, p, prof, c):
		case c.LeftUnanswered() && c.Status != Active:
			w.Missed = append(w.Missed, c)
		case !c.Open():
		case c.Status == Waiting && c.QueueSeq > 0:
			w.Queued = append(w.Queued, c)
		case c.Status == Waiting:
			w.Waiting = append(w.Waiting, c)
		case c.OperatorID == p.ID:
			w.Mine = append(w.Mine, c)
		default:
			w.Others = append(w.Others, c)
		}
	}
	slices.SortFunc(w.Queued, func(a, b Chat) int { return int(a.QueueSeq - b.QueueSeq) })
	slices.SortFunc(w.Missed, func(a, b Chat) int { return strings.Compare(b.ID, a.ID) })
	return w, nil
}
