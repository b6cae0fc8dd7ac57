package stream

import (
	"context"
	"slices"

	"parley/internal/change"
	"parley/internal/chat"
)

// Live is the live side of routing (realtime.Hub) that changes in the
// table set going (issue 6).
type Live interface {
	// Drain gives queued chats to personID, or to anyone with room when
	// personID is empty.
	Drain(ctx context.Context, accountID, personID string) error
	// OperatorOffline ends an operator's offline grace.
	OperatorOffline(ctx context.Context, accountID, personID string) error
	// QueueMoved tells the visitors queued from seq on their new place.
	QueueMoved(ctx context.Context, accountID string, from int64)
	// SessionEnded closes the staff connections of an ended session.
	SessionEnded(ctx context.Context, accountID, personID, sessionID string) error
	// AllowlistChanged closes the staff connections a new IP allowlist
	// leaves out.
	AllowlistChanged(ctx context.Context, accountID string, allows func(ip string) bool) error
	// VisibilityChanged drops the followers of chats they no longer see
	// (personID empty: every staff member's).
	VisibilityChanged(ctx context.Context, accountID, personID string) error
}

// queueMoves collects, over one batch, the lowest queue position that
// moved in each account, so the visitors hear once per batch rather than
// once per record.
type queueMoves map[string]int64

// note records a record's changes to the queue: a chat that joined at
// seq is told its place; one that left moves everyone after it.
func (m queueMoves) note(rec change.Record) {
	for _, c := range rec.Changes {
		q, ok := c.(change.QueueChanged)
		if !ok {
			continue
		}
		from := q.Seq
		if q.Left {
			from++
		}
		if prev, ok := m[q.AccountID]; !ok || from < prev {
			m[q.AccountID] = from
		}
	}
}

// tell sends the queue positions; best effort, since a position is
// advice and the next move sends it again.
func (m queueMoves) tell(ctx context.Context, live Live) {
	for acc, from := range m {
		live.QueueMoved(ctx, acc, from)
	}
}

// timerFired acts on a fired timer the live side owns.
func (r *Consumer) timerFired(ctx context.Context, c change.TimerFired) error {
	if t := c.Timer; t.Kind == chat.TimerOperatorOffline && r.Live != nil {
		return r.Live.OperatorOffline(ctx, t.AccountID, t.Subject)
	}
	return r.waitFired(ctx, c)
}

// settingsRouting drains the queue when a settings write gave operators
// room: auto-assignment switched on, or features.maxChatsPerOperator
// raised (SPEC §4.2: "as soon as ... the limit rises").
func (r *Consumer) settingsRouting(ctx context.Context, c change.SettingsChanged) error {
	if r.Live == nil || c.Before == nil {
		return nil // an unreadable old version has nothing to compare
	}
	doc, old := c.After, *c.Before
	if doc.Security.AllowedIPs != old.Security.AllowedIPs {
		ranges, err := doc.Security.Ranges()
		if err != nil {
			return err // saved only after the same parse succeeded
		}
		if err := r.Live.AllowlistChanged(ctx, c.AccountID, ranges.Allows); err != nil {
			return err
		}
	}
	f, o := doc.Features, old.Features
	if f.HideOthersChats != o.HideOthersChats || f.Multilingual != o.Multilingual {
		if err := r.Live.VisibilityChanged(ctx, c.AccountID, ""); err != nil {
			return err
		}
	}
	if f.AutoAssign && (!o.AutoAssign || f.MaxChatsPerOperator > o.MaxChatsPerOperator || f.Multilingual != o.Multilingual) {
		return r.Live.Drain(ctx, c.AccountID, "")
	}
	return nil
}

// personRouting drains the queue for a person whose own limit rose or who
// now speaks more languages.
func (r *Consumer) personRouting(ctx context.Context, c change.PersonChanged) error {
	if r.Live == nil {
		return nil
	}
	before, after := c.Before, c.After
	// No personal limit means the account's; either way a rise, or a
	// removed lower one, may give room.
	roomier := (before.ChatLimit != nil && (after.ChatLimit == nil || *after.ChatLimit > *before.ChatLimit))
	moreLanguages := slices.ContainsFunc(after.Languages, func(l string) bool { return !slices.Contains(before.Languages, l) })
	lost := func(was, is []string) bool {
		return slices.ContainsFunc(was, func(x string) bool { return !slices.Contains(is, x) })
	}
	if lost(before.Languages, after.Languages) || lost(before.Departments, after.Departments) {
		if err := r.Live.VisibilityChanged(ctx, c.AccountID, c.PersonID); err != nil {
			return err
		}
	}
	if !roomier && !moreLanguages {
		return nil
	}
	return r.Live.Drain(ctx, c.AccountID, c.PersonID)
}
