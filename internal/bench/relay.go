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
	Chats int // concurrent chats, each a visitor of its own
	// Operators serve the chats, Chats/Operators each over one connection,
	// each alone in an account with their visitors.
	Operators       int
	MessagesPerSide int           // each side's messages per chat (a chat of 20 messages is 10)
	Spread          time.Duration // over which each side sends its messages
}

// RelayResult is what the relay run measured.
type RelayResult struct {
	Sent                  int
	Delivered             int             // messages received by the other side, once each
	Elapsed               time.Duration   // from the first message due to the last received
	VisitorToOperator     []time.Duration // from the scheduled send to the operator's receipt
	OperatorToVisitor     []time.Duration
	Lost, Reordered, Dups int
	Errors                int // error frames, failed writes, frames delivered to the wrong party
	ErrorSamples          []string
	Usage                 Usage // DynamoDB requests of the handlers during the run
}

// relaySide is one side of one chat of the run: it sends its side's
// messages and checks what it receives from the other side. A visitor's
// side has a connection of its own; an operator's sides share their
// operator's.
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

// relayClock is what every side's receipts share: when the schedules
// start, how many messages arrived, and when the last did.
type relayClock struct {
	base      atomic.Pointer[time.Time] // set once all are connected
	delivered atomic.Int64
	last      atomic.Int64 // UnixNano of the latest receipt
}

// receive checks one frame that reached this side.
func (s *relaySide) receive(f frame, at time.Time, clock *relayClock) {
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
	due := clock.base.Load().Add(time.Duration(s.peer.scheduled[seq].Load()))
	s.latencies = append(s.latencies, at.Sub(due))
	clock.delivered.Add(1)
	for t := at.UnixNano(); ; {
		if old := clock.last.Load(); old >= t || clock.last.CompareAndSwap(old, t) {
			break
		}
	}
}

// pairOf reads the chat a clientId names: "v:pair:seq", "o:pair:seq",
// "setup-take:pair".
func pairOf(clientID string) (int, bool) {
	_, rest, ok := strings.Cut(clientID, ":")
	if !ok {
		return 0, false
	}
	s, _, _ := strings.Cut(rest, ":")
	n, err := strconv.Atoi(s)
	return n, err == nil
}

// runRelay opens o.Chats chats through the local gateway, served by
// o.Operators operators, has both sides of every chat send their messages
// on a fixed schedule spread over o.Spread (open loop: a slow reply does
// not delay the next send, so queueing shows in the latencies instead of
// hiding), and measures each message from when it was due to when the
// other side received it. Every side checks that it got each of its
// peer's messages once, in order.
func runRelay(ctx context.Context, st *stack.Stack, m *Meter, o LoadOptions, progress func(string)) (RelayResult, error) {
	var res RelayResult
	clock := &relayClock{}
	progress(fmt.Sprintf("signing up %d accounts, one per operator, and %d visitors", o.Operators, o.Chats))
	pairs, err := newTeams(ctx, st.HTTPURL, "bench-relay", o.Operators, o.Chats)
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
	var conns []*client
	defer func() { closeAll(conns) }()

	// Operators first, so every visitor's first message finds its
	// operator. An operator's frames go to the side of the chat their
	// clientId names; others (a message from a chat not theirs, an error
	// without a clientId) to their first chat's, to be counted.
	progress(fmt.Sprintf("connecting %d operators and %d visitors", o.Operators, o.Chats))
	opConns := make([]*client, o.Operators)
	err = dialAll(o.Operators, func(k int) error {
		mine := map[int]*relaySide{}
		for i := k; i < o.Chats; i += o.Operators {
			mine[i] = visitors[i].peer
		}
		first := mine[k]
		c, err := dial(ctx, st.WebSocketURL, pairs[k].operator, func(f frame, at time.Time) {
			s := first
			if pair, ok := pairOf(f.ClientID); ok && mine[pair] != nil {
				s = mine[pair]
			}
			s.receive(f, at, clock)
		})
		opConns[k] = c
		for _, s := range mine {
			s.c = c
		}
		return err
	})
	conns = append(conns, opConns...)
	if err != nil {
		return res, err
	}
	visConns := make([]*client, o.Chats)
	err = dialAll(o.Chats, func(i int) error {
		v := visitors[i]
		c, err := dial(ctx, st.WebSocketURL, pairs[i].visitor, func(f frame, at time.Time) { v.receive(f, at, clock) })
		v.c, visConns[i] = c, c
		return err
	})
	conns = append(conns, visConns...)
	if err != nil {
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
	clock.base.Store(&start)
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
	for clock.delivered.Load() < expected && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(20 * time.Millisecond)
	}
	res.Usage = m.Snapshot().Sub(before)
	res.Sent = int(expected)
	res.Delivered = int(clock.delivered.Load())
	// The first message was due at offset 0 after start.
	res.Elapsed = time.Unix(0, clock.last.Load()).Sub(start)
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
	errs := make([]error, len(visitors))
	runAll(len(visitors), 8, func(i int) { errs[i] = startChat(ctx, visitors[i]) })
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
	if err := v.peer.c.send(ctx, outbound{Action: "take", ClientID: "setup-take:" + strconv.Itoa(v.pair), ChatID: v.chatID}); err != nil {
		return err
	}
	_, err = reply(v.peer)
	return err
}

// dialAll makes n connections with connect, a few at a time: a burst of
// hundreds of dials would only measure the listen backlog.
func dialAll(n int, connect func(i int) error) error {
	errs := make([]error, n)
	runAll(n, 8, func(i int) { errs[i] = connect(i) })
	return errors.Join(errs...)
}

// closeAll closes every connection a few at a time.
func closeAll(conns []*client) {
	runAll(len(conns), 16, func(i int) {
		if conns[i] != nil {
			conns[i].close()
		}
	})
}
