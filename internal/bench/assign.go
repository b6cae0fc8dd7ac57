package bench

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"parley/internal/chat"
	"parley/internal/dynamo"
	"parley/internal/lambdas"
	"parley/internal/local/dynamolocal"
	"parley/internal/local/localaws"
	"parley/internal/routes"
	"parley/internal/settings"
)

// AssignOptions shape the auto-assignment run (DESIGN §8: 1,000 chats
// arriving at once on 50 operators with a limit of 5).
type AssignOptions struct {
	Chats, Operators, Limit int
	// Concurrency is how many starts are in flight at once: "at once" as
	// far as DynamoDB Local allows. It serialises transactions on a shared
	// item where AWS would cancel one, and lets waiters time out when too
	// many queue on one lock (internal/dynamo's routing test uses 32).
	Concurrency int
	// CloseConcurrency is how many closes run at once while draining:
	// concurrent drains all reach for the queue's head and each loser
	// walks on, so k at once cost about k²/2 transactions.
	CloseConcurrency int
}

// AssignResult is what the auto-assignment run measured.
type AssignResult struct {
	Started      time.Duration // the 1,000 starts, from the first to the last reply
	Assigned     int           // at start
	Queued       int           // at start
	Drained      int           // queued chats assigned by the closes
	DrainTime    time.Duration // the close rounds, without the checks between them
	Rounds       int
	Violations   Violations // summed over every check
	StartUsage   Usage      // DynamoDB requests of the starts
	CloseUsage   Usage      // and of the closes, with the drains they set off
	FailedStarts int
}

// runAssignmentAlone is runAssignment on a DynamoDB Local of its own, in
// memory, stopped afterwards.
func runAssignmentAlone(ctx context.Context, root string, o AssignOptions, progress func(string)) (AssignResult, error) {
	db, err := dynamolocal.Start(ctx, dynamolocal.Options{Root: root})
	if err != nil {
		return AssignResult{}, err
	}
	defer db.Stop()
	return runAssignment(ctx, db.Endpoint(), o, progress)
}

// runAssignment starts o.Chats chats at once on o.Operators online
// operators of one account (one language) through chat.Service and its
// Router on DynamoDB Local, checks the invariants, then closes the
// assigned chats round after round, each close handing its operator the
// queue's oldest chat, checking again after every round until the queue is
// empty. It uses a table of its own, which no stream consumer reads, so
// the figure is routing's DynamoDB work alone; and a fixed roster, as
// internal/dynamo's routing test does, so the roster's own reads
// (Store.OnlineOperators, measured in chat_start_auto_assign) are not in it.
func runAssignment(ctx context.Context, endpoint string, o AssignOptions, progress func(string)) (AssignResult, error) {
	var res AssignResult
	meter := &Meter{}
	db := dynamodb.NewFromConfig(localaws.Config(), func(do *dynamodb.Options) {
		do.BaseEndpoint = aws.String(endpoint)
		do.APIOptions = append(do.APIOptions, meter.APIOptions()...)
	})
	const table = "parley-bench-routing"
	if err := dynamo.CreateTable(ctx, db, table); err != nil {
		return res, err
	}
	// Without its stream: nothing reads it here, and DynamoDB Local's
	// stream bookkeeping grows slower with every record written (see
	// testenv.DynamoDBWithoutStream), a cost AWS does not have.
	if _, err := db.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String(table),
		StreamSpecification: &types.StreamSpecification{StreamEnabled: aws.Bool(false)}}); err != nil {
		return res, fmt.Errorf("bench: switch the routing table's stream off: %w", err)
	}
	s := dynamo.New(db, table)
	acc := fmt.Sprintf("bench-routing-%d", time.Now().UnixNano())
	doc, err := settings.NewAccountDocument("en", rand.Reader)
	if err != nil {
		return res, err
	}
	doc.Features.AutoAssign, doc.Features.MaxChatsPerOperator = true, o.Limit
	raw, err := json.Marshal(doc)
	if err != nil {
		return res, err
	}
	if _, err := s.SaveSettings(ctx, dynamo.SettingsRecord{AccountID: acc, Doc: string(raw), UpdatedAt: time.Now()}, 0); err != nil {
		return res, err
	}
	ops := make([]chat.Operator, o.Operators)
	for i := range ops {
		ops[i] = chat.Operator{ID: fmt.Sprintf("op%03d", i), Languages: []string{"en"}}
	}
	svc := lambdas.ChatService(s, time.Now)
	svc.Router = &chat.Router{Store: s, Settings: s.SettingsDocument, Now: time.Now,
		Online: func(context.Context, string) ([]chat.Operator, error) { return ops, nil }}

	started := make([]string, o.Chats)
	before := meter.Snapshot()
	begin := time.Now()
	var failed []error
	var mu sync.Mutex
	runAll(o.Chats, o.Concurrency, func(i int) {
		c, _, ok, err := svc.Start(ctx, chat.Party{AccountID: acc, Kind: chat.FromVisitor, ID: fmt.Sprintf("v%04d", i)}, chat.StartInput{Language: "en"})
		if err == nil && !ok {
			err = errors.New("the visitor's open chat was resumed, not started")
		}
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			failed = append(failed, fmt.Errorf("start %d: %w", i, err))
			return
		}
		started[i] = c.ID
	})
	res.Started = time.Since(begin)
	res.StartUsage = meter.Snapshot().Sub(before)
	res.FailedStarts = len(failed)
	if len(failed) > 0 {
		// A start that failed is a chat the visitor never got: not a
		// violation of routing's invariants, but no figure either.
		return res, fmt.Errorf("bench: %d of %d starts failed, the first: %w", len(failed), o.Chats, failed[0])
	}

	state, err := readAssignState(ctx, s, acc, ops)
	if err != nil {
		return res, err
	}
	arrivals := make([]string, len(state.Queue))
	for i, q := range state.Queue {
		arrivals[i] = q.ChatID
	}
	closed := map[string]bool{}
	res.Violations = CountViolations(state, o.Limit, started, closed, arrivals)
	res.Assigned, res.Queued = state.heldCount(), len(state.Queue)
	progress(fmt.Sprintf("assignment: %d assigned, %d queued in %s; closing the held chats round after round", res.Assigned, res.Queued, res.Started.Round(time.Millisecond)))

	// Every round closes what is held; each close drains one queued chat
	// to its operator. The rounds needed are the queue over the slots,
	// plus the last round that empties the operators; a few more are
	// allowed before giving up (the checks then count what is stuck).
	maxRounds := o.Chats/max(o.Operators*o.Limit, 1) + 3
	for res.Rounds = 0; state.heldCount() > 0 && res.Rounds < maxRounds; res.Rounds++ {
		var jobs []struct{ chat, op string }
		for op, chats := range state.Held {
			for _, c := range chats {
				jobs = append(jobs, struct{ chat, op string }{c, op})
				closed[c] = true
			}
		}
		begin, before := time.Now(), meter.Snapshot()
		runAll(len(jobs), o.CloseConcurrency, func(i int) {
			_, err := svc.Close(ctx, chat.Party{AccountID: acc, Kind: chat.FromOperator, ID: jobs[i].op, Role: routes.Operator}, jobs[i].chat)
			if err != nil {
				mu.Lock()
				failed = append(failed, fmt.Errorf("close %s: %w", jobs[i].chat, err))
				mu.Unlock()
			}
		})
		took := time.Since(begin)
		res.DrainTime += took
		res.CloseUsage = res.CloseUsage.Add(meter.Snapshot().Sub(before))
		if len(failed) > 0 {
			return res, fmt.Errorf("bench: %d closes failed, the first: %w", len(failed), failed[0])
		}
		queuedBefore := len(state.Queue)
		if state, err = readAssignState(ctx, s, acc, ops); err != nil {
			return res, err
		}
		res.Drained += queuedBefore - len(state.Queue)
		progress(fmt.Sprintf("assignment: round %d closed %d chats in %s, %d still queued", res.Rounds+1, len(jobs), took.Round(time.Millisecond), len(state.Queue)))
		res.Violations = res.Violations.Add(CountViolations(state, o.Limit, started, closed, arrivals))
	}
	return res, ctx.Err()
}

// runAll calls f(0) … f(n-1) with at most k calls running at once.
func runAll(n, k int, f func(i int)) {
	sem := make(chan struct{}, max(k, 1))
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			f(i)
		}()
	}
	wg.Wait()
}

// readAssignState reads the operators' counts and chats and the whole
// queue through the store's public reads.
func readAssignState(ctx context.Context, s *dynamo.Store, acc string, ops []chat.Operator) (AssignState, error) {
	st := AssignState{Count: map[string]int64{}, Held: map[string][]string{}}
	ids := make([]string, len(ops))
	for i, op := range ops {
		ids[i] = op.ID
	}
	loads, err := s.Loads(ctx, acc, ids)
	if err != nil {
		return st, err
	}
	for _, id := range ids {
		chats, err := s.OperatorChatIDs(ctx, acc, id)
		if err != nil {
			return st, err
		}
		st.Count[id], st.Held[id] = loads[id].Open, chats
	}
	for after := int64(0); ; {
		page, err := s.Queue(ctx, acc, after, 100)
		if err != nil {
			return st, err
		}
		if len(page) == 0 {
			return st, nil
		}
		st.Queue = append(st.Queue, page...)
		after = page[len(page)-1].Seq
	}
}

// AssignState is what the store holds at a quiet moment: each operator's
// count and the chats they hold, and the queue oldest first.
type AssignState struct {
	Count map[string]int64
	Held  map[string][]string
	Queue []chat.Queued
}

func (s AssignState) heldCount() int {
	n := 0
	for _, chats := range s.Held {
		n += len(chats)
	}
	return n
}

// Violations counts breaches of routing's invariants (SPEC §4.2), each
// found by reading the store afterwards.
type Violations struct {
	OverLimit     int // operators holding more than the limit
	CountMismatch int // operators whose count is not the number of chats they hold
	HeldTwice     int // chats held by two operators, or held and queued
	Lost          int // open chats neither held nor queued
	Reassigned    int // closed chats held or queued again
	OutOfOrder    int // queue entries out of arrival order, or not the latest arrivals
	Idle          int // operators under the limit while chats wait in the queue
}

// Total is the number of violations of every kind.
func (v Violations) Total() int {
	return v.OverLimit + v.CountMismatch + v.HeldTwice + v.Lost + v.Reassigned + v.OutOfOrder + v.Idle
}

// Add sums two counts.
func (v Violations) Add(w Violations) Violations {
	return Violations{v.OverLimit + w.OverLimit, v.CountMismatch + w.CountMismatch, v.HeldTwice + w.HeldTwice,
		v.Lost + w.Lost, v.Reassigned + w.Reassigned, v.OutOfOrder + w.OutOfOrder, v.Idle + w.Idle}
}

// CountViolations checks s, read at a quiet moment, against the chats
// started, the ones closed since, and arrivals, the queue as it stood after
// the starts (oldest first): with one language every operator may take
// every chat, so the drains must serve the queue from its head, leaving
// the latest arrivals, and no operator may stay under the limit while the
// queue holds a chat.
func CountViolations(s AssignState, limit int, started []string, closed map[string]bool, arrivals []string) Violations {
	var v Violations
	seen := map[string]int{}
	for op, chats := range s.Held {
		if len(chats) > limit {
			v.OverLimit++
		}
		if s.Count[op] != int64(len(chats)) {
			v.CountMismatch++
		}
		if len(chats) < limit && len(s.Queue) > 0 {
			v.Idle++
		}
		for _, c := range chats {
			seen[c]++
		}
	}
	for op, n := range s.Count {
		if _, ok := s.Held[op]; !ok && n != 0 {
			v.CountMismatch++
		}
	}
	for i, q := range s.Queue {
		seen[q.ChatID]++
		if i > 0 && q.Seq <= s.Queue[i-1].Seq {
			v.OutOfOrder++
		} else if k := len(arrivals) - len(s.Queue) + i; k < 0 || arrivals[k] != q.ChatID {
			v.OutOfOrder++
		}
	}
	for _, n := range seen {
		if n > 1 {
			v.HeldTwice++
		}
	}
	for _, c := range started {
		switch {
		case closed[c] && seen[c] > 0:
			v.Reassigned++
		case !closed[c] && seen[c] == 0:
			v.Lost++
		}
	}
	return v
}

// String lists every kind, for the log.
func (v Violations) String() string {
	return fmt.Sprintf("over limit %d, count mismatch %d, held twice %d, lost %d, reassigned %d, out of order %d, idle beside the queue %d",
		v.OverLimit, v.CountMismatch, v.HeldTwice, v.Lost, v.Reassigned, v.OutOfOrder, v.Idle)
}
