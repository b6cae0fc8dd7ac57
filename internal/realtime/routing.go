package realtime

import (
	"context"
	"time"

	"parley/internal/apperr"
	"parley/internal/auth"
	"parley/internal/chat"
	"parley/internal/timers"
)

// The live side of routing (SPEC §4.2, issue 6): an operator given a chat
// is subscribed to it and told at once; a visitor in the common queue
// learns their position and an estimated wait as it moves; an operator
// who comes online gets the oldest queued chats they may take; one whose
// every connection is gone for chat.OfflineGrace has their unanswered
// chats routed again.

// TimerStore schedules timers (the end of an operator's offline grace).
type TimerStore interface {
	PutTimer(ctx context.Context, t timers.Timer) error
}

// QueueStore reads the common queue and its pace.
type QueueStore interface {
	// Queue lists the oldest queued chats after seq, at most limit.
	Queue(ctx context.Context, accountID string, after int64, limit int) ([]chat.Queued, error)
	// QueueAssignmentsSince counts the chats routing took off the queue
	// since a moment.
	QueueAssignmentsSince(ctx context.Context, accountID string, since time.Time) (int, error)
}

// queueNotices bounds how many queued visitors hear of a move: past the
// first hundred the position changes nothing a visitor would act on, and
// every notice is a post.
const queueNotices = 100

// paceWindow is how far back the queue's pace is measured, and minPace
// the fewest chats taken off it in that window for an estimate: with
// fewer, a guess would mislead more than silence.
const (
	paceWindow = 15 * time.Minute
	minPace    = 3
)

// Assigned is told of every assignment routing commits in this process
// (chat.ObserveAssignments): the operator's connections follow the chat
// from now on, and the visitor and the staff who may see it get its new
// state. Best effort: the assignment is stored whatever happens here.
func (h *Hub) Assigned(ctx context.Context, a chat.Assignment) {
	if h.Chats == nil {
		return
	}
	ch, err := h.Chats.Service.Store.Chat(ctx, a.AccountID, a.ChatID)
	if err != nil {
		h.Log.ErrorContext(ctx, "assigned chat", "chat", a.ChatID, "err", err)
		return
	}
	if ch.Status != chat.Active || ch.OperatorID != a.OperatorID {
		return // moved on meanwhile: whoever moved it told everyone
	}
	if err := h.subscribePerson(ctx, ch, a.OperatorID); err != nil {
		h.Log.ErrorContext(ctx, "subscribe assigned operator", "chat", ch.ID, "err", err)
	}
	// Off the queue, everyone eligible saw it waiting.
	h.chatChangedFrom(ctx, ch, "", a.FromQueue)
}

// Drain gives queued chats to personID (they came online or their limit
// rose), or to any operator with room when personID is empty (the
// account's limit rose, auto-assignment was switched on). The
// assignments reach everyone through Assigned.
func (h *Hub) Drain(ctx context.Context, accountID, personID string) error {
	if h.Chats == nil || h.Chats.Service.Router == nil {
		return nil
	}
	// Usually nobody is queued: one Query rather than the roster's reads.
	if h.Chats.Queue != nil {
		head, err := h.Chats.Queue.Queue(ctx, accountID, 0, 1)
		if err != nil || len(head) == 0 {
			return err
		}
	}
	return h.Chats.Service.Router.Drain(ctx, accountID, personID)
}

// staffGone starts an operator's offline grace when their last connection
// closed.
func (h *Hub) staffGone(ctx context.Context, c Connection) error {
	if h.Chats == nil || h.Chats.Timers == nil || c.Kind != auth.Access {
		return nil
	}
	left, err := h.Chats.Store.PersonConnections(ctx, c.AccountID, c.Subject)
	if err != nil || len(left) > 0 {
		return err
	}
	return h.Chats.Timers.PutTimer(ctx, timers.Timer{AccountID: c.AccountID, Subject: c.Subject, Kind: chat.TimerOperatorOffline,
		Due: h.Now().Add(chat.OfflineGrace).Truncate(time.Second)})
}

// OperatorOffline ends an operator's grace: if they are still without a
// connection, the chats they hold unanswered go back to routing, and
// those nobody got meanwhile show as waiting (or queued) again.
func (h *Hub) OperatorOffline(ctx context.Context, accountID, personID string) error {
	if h.Chats == nil {
		return nil
	}
	conns, err := h.Chats.Store.PersonConnections(ctx, accountID, personID)
	if err != nil || len(conns) > 0 {
		return err
	}
	// Offline now: the next connection starts online, not away as they
	// left it.
	if err := h.Chats.Store.SetAway(ctx, accountID, personID, false); err != nil {
		return err
	}
	returned, err := h.Chats.Service.ReturnUnanswered(ctx, accountID, personID)
	for _, ch := range returned {
		h.forget(ctx, ch, personID)
		if ch.Status == chat.Waiting {
			h.chatChanged(ctx, ch, "")
		}
	}
	return err
}

// QueueMoved tells the visitors queued from seq on (among the first
// queueNotices) their position and estimated wait: the queue gained a chat
// at seq, or lost one before it. Best effort.
func (h *Hub) QueueMoved(ctx context.Context, accountID string, from int64) {
	if h.Chats == nil || h.Chats.Queue == nil {
		return
	}
	queue, err := h.Chats.Queue.Queue(ctx, accountID, 0, queueNotices)
	if err != nil {
		h.Log.ErrorContext(ctx, "queue", "err", err)
		return
	}
	var perChat time.Duration
	for i, q := range queue {
		if q.Seq < from {
			continue
		}
		if perChat == 0 {
			perChat = h.queuePace(ctx, accountID)
		}
		h.queueNotice(ctx, accountID, q.ChatID, int64(i+1), perChat)
	}
}

// queuePace is the time between two chats leaving the queue lately; -1
// when too few left it to tell.
func (h *Hub) queuePace(ctx context.Context, accountID string) time.Duration {
	n, err := h.Chats.Queue.QueueAssignmentsSince(ctx, accountID, h.Now().Add(-paceWindow))
	if err != nil {
		h.Log.ErrorContext(ctx, "queue pace", "err", err)
		return -1
	}
	if n < minPace {
		return -1
	}
	return paceWindow / time.Duration(n)
}

// queueNotice sends a queued chat's visitor their place: position 1 is
// next. The wait is omitted when the pace is unknown.
func (h *Hub) queueNotice(ctx context.Context, accountID, chatID string, position int64, perChat time.Duration) {
	f := ChatFrame{Type: "queue", ChatID: chatID, Position: position}
	if perChat > 0 {
		f.WaitSeconds = int64((time.Duration(position) * perChat).Round(time.Second) / time.Second)
	}
	conns, err := h.Chats.Store.ChatConnections(ctx, accountID, chatID)
	if err != nil {
		h.Log.ErrorContext(ctx, "chat connections", "chat", chatID, "err", err)
		return
	}
	frame := encode(f)
	for _, t := range conns {
		if t.Kind == auth.Visitor && t.AccountID == accountID {
			h.deliver(ctx, t.ID, frame)
		}
	}
}

// queuedAtStart tells a visitor whose chat just joined the queue where it
// stands, without waiting for the stream.
func (h *Hub) queuedAtStart(ctx context.Context, ch chat.Chat) {
	if ch.QueueSeq == 0 || h.Chats.Queue == nil {
		return
	}
	pos, err := h.Chats.Service.Router.Store.QueuePosition(ctx, ch.AccountID, ch.QueueSeq)
	if err != nil {
		if apperr.CodeOf(err) != apperr.NotFound {
			h.Log.ErrorContext(ctx, "queue position", "chat", ch.ID, "err", err)
		}
		return
	}
	h.queueNotice(ctx, ch.AccountID, ch.ID, pos, h.queuePace(ctx, ch.AccountID))
}
