package chat

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"time"

	"parley/internal/apperr"
	"parley/internal/settings"
)

// Routing (SPEC §4.2, issue 6). With features.autoAssign on, a chat goes at
// its start to the least-loaded eligible online operator with room under
// their limit; with none, it joins the common queue, ordered by arrival,
// and the oldest eligible queued chat goes to an operator the moment they
// have room again. The store holds the invariants: the operator's count
// and the assignment change in one transaction conditional on the count
// being under the limit, and a queued chat leaves the queue in the same
// transaction that assigns it, so no operator exceeds the limit through
// auto-assignment and no chat is assigned twice or lost, under any
// concurrency. What Go reads here (loads, the queue's head) only picks
// whom to try; a stale read costs a failed condition, never a violation.

// Operator is a staff member as routing sees them: whom they may get.
type Operator struct {
	ID   string
	Name string // as mails and the widget name them
	// PhotoVersion is the photo's version (its hash's prefix, as in the
	// photo's URL); "" when the person has none.
	PhotoVersion string

	Languages   []string // the languages they speak (SPEC §4.3)
	Departments []string
	// Limit is their personal chat limit; 0: features.maxChatsPerOperator.
	Limit int
}

// Eligible reports whether op may get c: they speak its language (in
// multilingual mode) and belong to its department (when it has one).
func (op Operator) Eligible(c Chat, multilingual bool) bool {
	if multilingual && !slices.Contains(op.Languages, c.Language) {
		return false
	}
	return c.DepartmentID == "" || slices.Contains(op.Departments, c.DepartmentID)
}

// limit is op's auto-assignment limit under the account's settings.
func (op Operator) limit(doc settings.Document) int {
	if op.Limit > 0 {
		return op.Limit
	}
	return max(doc.Features.MaxChatsPerOperator, 1)
}

// Load is an operator's open-chat count and when auto-assignment last
// gave them a chat (ties go to whoever waited longest).
type Load struct {
	Open         int64
	LastAssigned time.Time
}

// Queued is a chat in the common queue: Seq is its arrival number.
type Queued struct {
	AccountID    string
	Seq          int64
	ChatID       string
	Language     string
	DepartmentID string
}

// Errors of the routing writes.
var (
	// ErrFull: the operator's count reached the limit meanwhile.
	ErrFull = apperr.New(apperr.Conflict, "the operator has no room for another chat")
	// ErrGone: the queued chat left the queue meanwhile (another operator
	// got it, or it closed).
	ErrGone = apperr.New(apperr.Conflict, "the chat is no longer queued")
)

// RoutingStore is what auto-assignment needs from storage.
type RoutingStore interface {
	// Loads returns the counts of the given operators (absent: zero).
	Loads(ctx context.Context, accountID string, ids []string) (map[string]Load, error)
	// AutoAssign gives a waiting, unqueued chat to operator and raises
	// their count, only while the count is under limit and the chat still
	// waits, with a chatAssign event, in one transaction. Errors: ErrFull,
	// ErrTaken.
	AutoAssign(ctx context.Context, c Chat, operatorID string, limit int, at time.Time) error
	// EnqueueChat puts a waiting chat at the end of the common queue, once:
	// it returns the chat's arrival number. Errors: ErrTaken (no longer
	// waiting).
	EnqueueChat(ctx context.Context, c Chat) (int64, error)
	// Queue lists the oldest queued chats, at most limit, after seq.
	Queue(ctx context.Context, accountID string, after int64, limit int) ([]Queued, error)
	// AssignQueued removes a queued chat from the queue and gives it to
	// operator as AutoAssign does, in one transaction. Errors: ErrFull,
	// ErrGone.
	AssignQueued(ctx context.Context, q Queued, operatorID string, limit int, at time.Time) error
	// QueuePosition is how many queued chats arrived before seq, plus one.
	QueuePosition(ctx context.Context, accountID string, seq int64) (int64, error)
}

// Roster returns the account's online operators (presence online, not
// away), for routing.
type Roster func(ctx context.Context, accountID string) ([]Operator, error)

// Router routes chats when features.autoAssign is on.
type Router struct {
	Store    RoutingStore
	Settings Settings
	Online   Roster
	Now      func() time.Time
}

// Routed says where a chat went: to OperatorID, or to the queue at
// Position (1: next).
type Routed struct {
	OperatorID string
	Queued     bool
	Seq        int64
}

// maxAssignTries bounds the candidates one chat tries before it queues;
// each failure means another chat got that slot, and every try after one
// re-reads the loads.
const maxAssignTries = 64

// Route assigns a new waiting chat or queues it. With autoAssign off it
// does nothing (manual mode: the chat is offered to every eligible
// operator). A chat no longer waiting (taken by hand meanwhile) is left
// as it is.
func (r *Router) Route(ctx context.Context, doc settings.Document, c Chat) (Routed, error) {
	if !doc.Features.AutoAssign || c.Status != Waiting || c.Offline {
		return Routed{}, nil
	}
	all, err := r.Online(ctx, c.AccountID)
	if err != nil {
		return Routed{}, err
	}
	// Clone: the roster may be shared, and DeleteFunc works in place.
	ops := slices.DeleteFunc(slices.Clone(all), func(op Operator) bool { return !op.Eligible(c, doc.Features.Multilingual) })
	full := map[string]bool{}
	for try := range maxAssignTries {
		id, limit, err := r.pick(ctx, c.AccountID, ops, full, doc, try > 0)
		if err != nil {
			return Routed{}, err
		}
		if id == "" {
			break
		}
		switch err := r.Store.AutoAssign(ctx, c, id, limit, r.Now().UTC()); {
		case err == nil:
			return Routed{OperatorID: id}, nil
		case errors.Is(err, ErrFull):
			full[id] = true
		case errors.Is(err, ErrTaken):
			return Routed{}, nil
		case errors.Is(err, ErrRace):
			// a transaction conflict: try again with fresh loads
		default:
			return Routed{}, err
		}
	}
	seq, err := r.Store.EnqueueChat(ctx, c)
	if errors.Is(err, ErrTaken) {
		return Routed{}, nil
	}
	if err != nil {
		return Routed{}, err
	}
	// An operator may have got room between the loads read above and the
	// enqueue, and found the queue empty: if fresh loads show one, serve
	// the queue's head again so the chat does not wait beside a free
	// operator (one read when, as usual, everyone is still full).
	if id, _, err := r.pick(ctx, c.AccountID, ops, map[string]bool{}, doc, false); err != nil || id == "" {
		return Routed{Queued: true, Seq: seq}, err
	}
	return Routed{Queued: true, Seq: seq}, r.drain(ctx, c.AccountID, all, doc)
}

// pick chooses whom to try: the least-loaded eligible operator with room,
// ties to whoever was assigned least recently. On a retry (spread) the
// tie among the least loaded is drawn at random instead, so the chats
// that lost the same slot together do not all try the same next one.
func (r *Router) pick(ctx context.Context, accountID string, ops []Operator, full map[string]bool, doc settings.Document, spread bool) (string, int, error) {
	ids := make([]string, 0, len(ops))
	for _, op := range ops {
		if !full[op.ID] {
			ids = append(ids, op.ID)
		}
	}
	if len(ids) == 0 {
		return "", 0, nil
	}
	loads, err := r.Store.Loads(ctx, accountID, ids)
	if err != nil {
		return "", 0, err
	}
	type cand struct {
		op    Operator
		limit int
		load  Load
	}
	var cands []cand
	for _, op := range ops {
		l := loads[op.ID]
		if lim := op.limit(doc); !full[op.ID] && l.Open < int64(lim) {
			cands = append(cands, cand{op, lim, l})
		} else {
			full[op.ID] = true
		}
	}
	if len(cands) == 0 {
		return "", 0, nil
	}
	// Operators tied on both keys (typically never assigned yet) are
	// ordered at random: chats routed at once from the same loads would
	// otherwise all try the same one, and all but its free slots fail.
	rand.Shuffle(len(cands), func(i, j int) { cands[i], cands[j] = cands[j], cands[i] })
	slices.SortStableFunc(cands, func(a, b cand) int {
		if a.load.Open != b.load.Open {
			return int(a.load.Open - b.load.Open)
		}
		return a.load.LastAssigned.Compare(b.load.LastAssigned)
	})
	best := cands[0]
	if spread {
		n := 1
		for n < len(cands) && cands[n].load.Open == best.load.Open {
			n++
		}
		best = cands[rand.IntN(n)]
	}
	return best.op.ID, best.limit, nil
}

// A drain reads the queue firstQueuePage chats at a time, doubling up to
// maxQueuePage while it walks past chats it may not take: an operator who
// closed one chat usually needs only the head, and every read after a lost
// race starts again from the head.
const firstQueuePage, maxQueuePage = 8, 128

// Drain gives queued chats, oldest first, to operators with room: to
// operatorID only when given (they closed a chat, came online), else to
// any online eligible operator (the limit rose, a chat was queued). It
// stops when the operators are full or the queue holds nothing they may
// take.
func (r *Router) Drain(ctx context.Context, accountID, operatorID string) error {
	doc, err := r.Settings(ctx, accountID)
	if err != nil {
		return err
	}
	return r.DrainWith(ctx, doc, accountID, operatorID)
}

// DrainWith is Drain under the account's settings doc, already read.
func (r *Router) DrainWith(ctx context.Context, doc settings.Document, accountID, operatorID string) error {
	if !doc.Features.AutoAssign {
		return nil
	}
	ops, err := r.Online(ctx, accountID)
	if err != nil {
		return err
	}
	if operatorID != "" {
		ops = slices.DeleteFunc(slices.Clone(ops), func(op Operator) bool { return op.ID != operatorID })
	}
	return r.drain(ctx, accountID, ops, doc)
}

func (r *Router) drain(ctx context.Context, accountID string, ops []Operator, doc settings.Document) error {
	full := map[string]bool{}
	// loads is the count of every operator not yet full, read once and then
	// kept up to date with the drain's own assignments; a stale count costs
	// a failed condition (ErrFull, ErrRace), after which it is read again.
	var loads map[string]Load
	var page []Queued
	var after int64
	lost, tries, size := 0, 0, firstQueuePage
	for len(full) < len(ops) {
		if len(page) == 0 {
			var err error
			if page, err = r.Store.Queue(ctx, accountID, after, size); err != nil || len(page) == 0 {
				return err
			}
			size = min(size*2, maxQueuePage)
		}
		q := page[0]
		if loads == nil {
			var err error
			if loads, err = r.loads(ctx, accountID, ops, full, doc); err != nil {
				return err
			}
		}
		op, ok := best(ops, Chat{Language: q.Language, DepartmentID: q.DepartmentID}, full, loads, doc)
		if !ok || tries >= maxAssignTries {
			page, after, tries = page[1:], q.Seq, 0 // nobody with room may take this chat: the next one
			continue
		}
		tries++
		lim, now := op.limit(doc), r.Now().UTC()
		switch err := r.Store.AssignQueued(ctx, q, op.ID, lim, now); {
		case err == nil:
			loads[op.ID] = Load{Open: loads[op.ID].Open + 1, LastAssigned: now}
			if loads[op.ID].Open >= int64(lim) {
				full[op.ID] = true
			}
			page, after, tries, lost = page[1:], q.Seq, 0, 0
		case errors.Is(err, ErrFull):
			full[op.ID] = true
		case errors.Is(err, ErrRace):
			loads = nil
		case errors.Is(err, ErrGone):
			// Another drain took it. The drains that read the same page go
			// for the same next chats, each loser's transaction as costly
			// as a win: rather than walk the stale page into theirs, wait
			// a random moment and read the queue's head again.
			page, after, tries, size = nil, q.Seq, 0, firstQueuePage
			lost++
			drainBackoff(ctx, lost)
		default:
			return err
		}
	}
	return nil
}

// loads reads the counts of the operators not yet full and marks full
// those at their limit.
func (r *Router) loads(ctx context.Context, accountID string, ops []Operator, full map[string]bool, doc settings.Document) (map[string]Load, error) {
	ids := make([]string, 0, len(ops))
	for _, op := range ops {
		if !full[op.ID] {
			ids = append(ids, op.ID)
		}
	}
	loads, err := r.Store.Loads(ctx, accountID, ids)
	if err != nil {
		return nil, err
	}
	for _, op := range ops {
		if loads[op.ID].Open >= int64(op.limit(doc)) {
			full[op.ID] = true
		}
	}
	return loads, nil
}

// best is the operator a drain gives c to: the least-loaded eligible one
// with room, ties to whoever was assigned least recently.
func best(ops []Operator, c Chat, full map[string]bool, loads map[string]Load, doc settings.Document) (Operator, bool) {
	var out Operator
	found := false
	for _, op := range ops {
		if full[op.ID] || !op.Eligible(c, doc.Features.Multilingual) {
			continue
		}
		if !found || lessLoaded(op.ID, loads[op.ID], out.ID, loads[out.ID]) {
			out, found = op, true
		}
	}
	return out, found
}

// lessLoaded orders operators for routing: fewer open chats first, then
// the one assigned least recently, then by id.
func lessLoaded(a string, la Load, b string, lb Load) bool {
	if la.Open != lb.Open {
		return la.Open < lb.Open
	}
	if c := la.LastAssigned.Compare(lb.LastAssigned); c != 0 {
		return c < 0
	}
	return a < b
}

// drainBackoff waits a random moment, its range doubling with each chat
// lost in a row (up to 8 times drainBackoffBase), so the drains that lost
// the queue's head together spread out instead of all trying the next one
// at once. On DynamoDB Local, where transactions run one at a time, the
// range must span several transactions to help.
func drainBackoff(ctx context.Context, lost int) {
	d := time.Duration(rand.Int64N(int64(drainBackoffBase) << min(lost, 3)))
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

const drainBackoffBase = 100 * time.Millisecond
