package bench

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"parley/internal/local/stack"
)

// LoadOptions shape the relay run and the floor run beside it.
type LoadOptions struct {
	Chats           int           // concurrent chats, each a visitor and an operator alone in an account
	MessagesPerSide int           // each side's messages per chat (a chat of 20 messages is 10)
	Spread          time.Duration // over which each side sends its messages
}

// RelayResult is what the relay run measured.
type RelayResult struct {
	Sent                  int
	VisitorToOperator     []time.Duration // from the scheduled send to the operator's receipt
	OperatorToVisitor     []time.Duration
	Lost, Reordered, Dups int
	Errors                int // error frames, failed writes, frames delivered to the wrong party
	ErrorSamples          []string
	Usage                 Usage // DynamoDB requests of the handlers during the run
}

// relaySide is one connection of the run: it sends its side's messages and
// checks what it receives from the other side.
type relaySide struct {
	pair   int
	prefix string // "v" or "o": the sender's mark in clientId
	peer   *relaySide
	c      *client
	// scheduled[k] is when message k was due, in ns after the run's base;
	// the peer reads it when the message arrives.
	scheduled []atomic.Int64

	chatID  string     // set up before the run
	replies chan frame // replies to the set-up's requests

	mu        sync.Mutex
	next      int // the next sequence number expected from the peer
	got       []bool
	latencies []time.Duration
	reordered int
	dups      int
	errors    int
	samples   []string // the first error frames, for the log
}

// receive checks one frame that reached this side.
func (s *relaySide) receive(f frame, at time.Time, base *atomic.Pointer[time.Time], delivered *atomic.Int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if strings.HasPrefix(f.ClientID, "setup-") {
		select {
		case s.replies <- f:
		default: // a second reply to one request: the set-up fails on the first
		}
		return
	}
	if f.failed() {
		s.errors++
		if s.errors <= 2 {
			s.samples = append(s.samples, f.String())
		}
		return
	}
	if f.Type != "message" {
		return // "sent" acknowledgements, notifications of the chat's changes
	}
	prefix, rest, _ := strings.Cut(f.ClientID, ":")
	pairStr, seqStr, _ := strings.Cut(rest, ":")
	pair, err1 := strconv.Atoi(pairStr)
	seq, err2 := strconv.Atoi(seqStr)
	if prefix != s.peer.prefix || pair != s.pair || err1 != nil || err2 != nil || seq < 0 || seq >= len(s.got) {
		s.errors++ // not from this side's peer: a cross-delivery
		return
	}
	if s.got[seq] {
		s.dups++
		return
	}
	s.got[seq] = true
	if seq < s.next {
		s.reordered++ // arrived after a later one
	} else {
		s.next = seq + 1
	}
	due := base.Load().Add(time.Duration(s.peer.scheduled[seq].Load()))
	s.latencies = append(s.latencies, at.Sub(due))
	delivered.Add(1)
}

// runRelay opens o.Chats chats through the local gateway, has both sides
// of every chat send their messages on a fixed schedule spread over
// o.Spread (open loop: a slow reply does not delay the next send, so
// queueing shows in the latencies instead of hiding), and measures each
// message from when it was due to when the other side received it.
func runRelay(ctx context.Context, st *stack.Stack, m *Meter, o LoadOptions, progress func(string)) (RelayResult, error) {
	var res RelayResult
	var delivered atomic.Int64
	// base is the time every schedule counts from, set once all are
	// connected; readers load it when a message arrives.
	base := &atomic.Pointer[time.Time]{}
	progress(fmt.Sprintf("signing up %d accounts", o.Chats))
	pairs, err := newPairs(ctx, st.HTTPURL, "bench-relay", o.Chats)
	if err != nil {
		return res, err
	}
	sides := make([]*relaySide, 0, 2*o.Chats)
	visitors := make([]*relaySide, o.Chats)
	for i := range o.Chats {
		v := &relaySide{pair: i, prefix: "v", scheduled: make([]atomic.Int64, o.MessagesPerSide), got: make([]bool, o.MessagesPerSide), replies: make(chan frame, 4)}
		op := &relaySide{pair: i, prefix: "o", scheduled: make([]atomic.Int64, o.MessagesPerSide), got: make([]bool, o.MessagesPerSide), replies: make(chan frame, 4)}
		v.peer, op.peer = op, v
		visitors[i] = v
		sides = append(sides, op, v)
	}
	defer closeAll(sides)

	// Operators first, so every visitor's first message finds its
	// operator.
	progress(fmt.Sprintf("connecting %d operators and %d visitors", o.Chats, o.Chats))
	var operators []*relaySide
	for _, s := range sides {
		if s.prefix == "o" {
			operators = append(operators, s)
		}
	}
	if err := dialAll(ctx, st, operators, pairs, base, &delivered); err != nil {
		return res, err
	}
	if err := dialAll(ctx, st, visitors, pairs, base, &delivered); err != nil {
		return res, err
	}
	progress(fmt.Sprintf("starting %d chats, each taken by its operator", o.Chats))
	if err := startChats(ctx, visitors); err != nil {
		return res, err
	}
	// The sign-ups' mail and audit entries and the chats' records go
	// through the stream first.
	waitQuiet(ctx, m, time.Second, time.Minute)

	interval := o.Spread / time.Duration(o.MessagesPerSide)
	start := time.Now().Add(200 * time.Millisecond)
	base.Store(&start)
	before := m.Snapshot()
	var sendErrors atomic.Int64
	var wg sync.WaitGroup
	for _, s := range sides {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Chats start evenly over one interval; a side's operator
			// answers half an interval after its visitor writes.
			offset := interval * time.Duration(s.pair) / time.Duration(o.Chats)
			if s.prefix == "o" {
				offset += interval / 2
			}
			for k := range o.MessagesPerSide {
				due := offset + time.Duration(k)*interval
				time.Sleep(time.Until(start.Add(due)))
				s.scheduled[k].Store(int64(due))
				id := s.prefix + ":" + strconv.Itoa(s.pair) + ":" + strconv.Itoa(k)
				if err := s.c.send(ctx, outbound{Action: "sendMessage", ClientID: id, ChatID: s.chatID, Text: "message " + id}); err != nil {
					sendErrors.Add(1)
				}
			}
		}()
	}
	progress(fmt.Sprintf("sending %d messages over %s", 2*o.Chats*o.MessagesPerSide, o.Spread))
	wg.Wait()
	expected := int64(2 * o.Chats * o.MessagesPerSide)
	deadline := time.Now().Add(30 * time.Second)
	for delivered.Load() < expected && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(20 * time.Millisecond)
	}
	res.Usage = m.Snapshot().Sub(before)
	res.Sent = int(expected)
	res.Errors = int(sendErrors.Load())
	for _, s := range sides {
		s.mu.Lock()
		if s.prefix == "o" {
			res.VisitorToOperator = append(res.VisitorToOperator, s.latencies...)
		} else {
			res.OperatorToVisitor = append(res.OperatorToVisitor, s.latencies...)
		}
		for _, got := range s.got {
			if !got {
				res.Lost++
			}
		}
		res.Reordered += s.reordered
		res.Dups += s.dups
		res.Errors += s.errors
		if len(res.ErrorSamples) < 5 {
			res.ErrorSamples = append(res.ErrorSamples, s.samples...)
		}
		s.mu.Unlock()
	}
	return res, ctx.Err()
}

// startChats has every visitor start a chat and its operator take it, a
// few chats at a time, before the timed run: the relay figure is about
// messages in chats under way.
func startChats(ctx context.Context, visitors []*relaySide) error {
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	errs := make([]error, len(visitors))
	for i, v := range visitors {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			errs[i] = startChat(ctx, v)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func startChat(ctx context.Context, v *relaySide) error {
	reply := func(s *relaySide) (frame, error) {
		select {
		case f := <-s.replies:
			if f.failed() || f.Chat == nil || f.Chat.ID == "" {
				return f, fmt.Errorf("bench: chat set-up of pair %d: %s", s.pair, f)
			}
			return f, nil
		case <-time.After(30 * time.Second):
			return frame{}, fmt.Errorf("%w setting up the chat of pair %d", errTimeout, s.pair)
		case <-ctx.Done():
			return frame{}, ctx.Err()
		}
	}
	if err := v.c.send(ctx, outbound{Action: "startChat", ClientID: "setup-start"}); err != nil {
		return err
	}
	f, err := reply(v)
	if err != nil {
		return err
	}
	v.chatID, v.peer.chatID = f.Chat.ID, f.Chat.ID
	if err := v.peer.c.send(ctx, outbound{Action: "take", ClientID: "setup-take", ChatID: v.chatID}); err != nil {
		return err
	}
	_, err = reply(v.peer)
	return err
}

// dialAll connects every side, a few at a time: a burst of hundreds of
// dials would only measure the listen backlog.
func dialAll(ctx context.Context, st *stack.Stack, sides []*relaySide, pairs []chatPair, base *atomic.Pointer[time.Time], delivered *atomic.Int64) error {
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for _, s := range sides {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			who := pairs[s.pair].operator
			if s.prefix == "v" {
				who = pairs[s.pair].visitor
			}
			c, err := dial(ctx, st.WebSocketURL, who, func(f frame, at time.Time) { s.receive(f, at, base, delivered) })
			mu.Lock()
			defer mu.Unlock()
			if err != nil && first == nil {
				first = err
			}
			s.c = c
		}()
	}
	wg.Wait()
	return first
}

// closeAll closes every connection a few at a time.
func closeAll(sides []*relaySide) {
	sem := make(chan struct{}, 16)
	var wg sync.WaitGroup
	for _, s := range sides {
		if s.c == nil {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			s.c.close()
		}()
	}
	wg.Wait()
}
