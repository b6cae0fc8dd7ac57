package bench

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"parley/internal/local/localaws"
	"parley/internal/local/stack"
	"parley/internal/routes"
)

// Operation names, as they appear in the printed figures, in the order a
// chat does them.
const (
	OpVisitorConnect    = "visitor_connect"
	OpChatStart         = "chat_start"
	OpChatTake          = "chat_take"
	OpChatStartAuto     = "chat_start_auto_assign" // features.autoAssign on: the start assigns the chat
	OpVisitorMessage    = "visitor_message"
	OpOperatorMessage   = "operator_message"
	OpChatClose         = "chat_close"
	OpChatCloseAuto     = "chat_close_auto_assign" // features.autoAssign on: the close drains the queue
	OpVisitorDisconnect = "visitor_disconnect"
)

// chatOps lists every operation measured, in the order a chat does them:
// manual chats (start, take, close) and auto-assigned ones (start
// assigning, close draining) have the rest in common.
var chatOps = []string{OpVisitorConnect, OpChatStart, OpChatTake, OpChatStartAuto, OpVisitorMessage, OpOperatorMessage,
	OpChatClose, OpChatCloseAuto, OpVisitorDisconnect}

// autoChatOps are the operations of one auto-assigned chat, which the
// cost prices: auto-assignment is how DESIGN §8 counts a chat.
var autoChatOps = []string{OpVisitorConnect, OpChatStartAuto, OpVisitorMessage, OpOperatorMessage, OpChatCloseAuto, OpVisitorDisconnect}

// opSample is what n occurrences of one operation used in total.
type opSample struct {
	name      string
	n         int
	usage     Usage
	durations []time.Duration // each invocation as the client saw it
	messages  int             // WebSocket frames in and out
	function  string
}

func (s opSample) cost() OpCost {
	if s.n == 0 {
		return OpCost{Name: s.name}
	}
	n := float64(s.n)
	mem := 0
	if f, ok := routes.FunctionByName(s.function); ok {
		mem = f.MemoryMB
	}
	return OpCost{Name: s.name, Requests: float64(s.usage.Total()) / n, ReadUnits: s.usage.ReadUnits / n, WriteUnits: s.usage.WriteUnits / n,
		Invocations: 1, MemoryMB: mem, Duration: Percentile(s.durations, 50), Messages: float64(s.messages) / n}
}

// measureOps runs whole chats one at a time on a quiet stack, one
// operation after another, and takes the meter's difference across each:
// what one occurrence costs, with nothing else in flight to blur the
// count. A chat is the visitor connecting, starting it, the operator
// taking it, perSide messages from each side in turn, the operator closing
// it and the visitor disconnecting. chats such chats run with
// features.autoAssign off (manual mode, the default), then as many with
// it on, where the start assigns the chat to the one online operator (no
// take) and the close drains the (empty) queue. The start's routing reads
// the roster of online operators, one Query per online person among them
// (Store.OnlineOperators), so with more operators online it costs more
// than here.
func measureOps(ctx context.Context, st *stack.Stack, m *Meter, chats, perSide int) (map[string]opSample, error) {
	// One operation at a time: the meter can size transactions by reading
	// their items around them (see Meter).
	m.SizeTransactions(localaws.NewDynamoDBClient(st.DynamoDBEndpoint))
	defer m.SizeTransactions(nil)
	p, err := newPair(ctx, st.HTTPURL, "bench-ops")
	if err != nil {
		return nil, err
	}
	// settle waits out what an operation sets off after its reply (stream
	// records the consumer handles, polled every 100 ms), so that it is
	// counted against the operation and not the next one.
	settle := func() { waitQuiet(ctx, m, 250*time.Millisecond, 10*time.Second) }
	type arrival struct {
		f  frame
		at time.Time
	}
	inbox := map[string]chan arrival{"visitor": make(chan arrival, 256), "operator": make(chan arrival, 256)}
	on := func(who string) func(frame, time.Time) {
		return func(f frame, at time.Time) { inbox[who] <- arrival{f, at} }
	}
	// expect reads who's frames until one of type typ for clientID; other
	// frames (notifications of the chat's changes) pass by.
	expect := func(who, typ, clientID string) (frame, time.Time, error) {
		timeout := time.After(10 * time.Second)
		for {
			select {
			case a := <-inbox[who]:
				if a.f.failed() {
					return frame{}, time.Time{}, fmt.Errorf("bench: the %s got an error frame: %s", who, a.f)
				}
				if a.f.Type == typ && a.f.ClientID == clientID {
					return a.f, a.at, nil
				}
			case <-timeout:
				return frame{}, time.Time{}, fmt.Errorf("%w waiting for %s %s on the %s's connection", errTimeout, typ, clientID, who)
			case <-ctx.Done():
				return frame{}, time.Time{}, ctx.Err()
			}
		}
	}

	op, err := dial(ctx, st.WebSocketURL, p.operator, on("operator"))
	if err != nil {
		return nil, err
	}
	defer op.close()
	// Sign-up's welcome mail and audit entry go through the stream first.
	waitQuiet(ctx, m, time.Second, time.Minute)

	out := map[string]opSample{}
	for _, name := range chatOps {
		out[name] = opSample{name: name, function: routes.FnRealtime}
	}
	var vis *client
	frames := func() int64 {
		n := op.sent.Load() + op.received.Load()
		if vis != nil {
			n += vis.sent.Load() + vis.received.Load()
		}
		return n
	}
	// step measures one operation: act returns once its reply is in.
	step := func(name string, act func() (time.Duration, error)) error {
		before, framesBefore := m.Snapshot(), frames()
		d, err := act()
		if err != nil {
			return fmt.Errorf("bench: %s: %w", name, err)
		}
		settle()
		s := out[name]
		s.durations = append(s.durations, d)
		s.usage = s.usage.Add(m.Snapshot().Sub(before))
		s.messages += int(frames() - framesBefore)
		s.n++
		out[name] = s
		return nil
	}
	// request sends a frame and waits for its reply of type typ.
	request := func(c *client, who string, f outbound, typ string) (frame, time.Duration, error) {
		start := time.Now()
		if err := c.send(ctx, f); err != nil {
			return frame{}, 0, err
		}
		reply, at, err := expect(who, typ, f.ClientID)
		return reply, at.Sub(start), err
	}

	for c := range 2 * chats {
		tag := strconv.Itoa(c)
		auto := c >= chats
		startOp, closeOp := OpChatStart, OpChatClose
		if auto {
			startOp, closeOp = OpChatStartAuto, OpChatCloseAuto
		}
		if c == chats {
			// The settings change writes an audit entry through the stream.
			if err := callJSON(ctx, "PATCH", st.HTTPURL+"/v1/settings/features", p.operator.token,
				map[string]any{"autoAssign": true}, http.StatusOK, &map[string]any{}); err != nil {
				return nil, err
			}
			settle()
		}
		// Each chat has a visitor of its own, as on a site: one visitor's
		// messages over all the chats would pass the per-visitor message
		// limit (30 a minute) and end the run with rate_limited.
		visitor, err := newVisitor(ctx, st.HTTPURL, p.operator.account)
		if err != nil {
			return nil, err
		}
		settle()
		err = step(OpVisitorConnect, func() (time.Duration, error) {
			start := time.Now()
			var err error
			vis, err = dial(ctx, st.WebSocketURL, visitor, on("visitor"))
			return time.Since(start), err
		})
		if err != nil {
			return nil, err
		}
		var chatID string
		err = step(startOp, func() (time.Duration, error) {
			reply, d, err := request(vis, "visitor", outbound{Action: "startChat", ClientID: "start-" + tag}, "chat")
			switch {
			case err != nil:
			case reply.Chat == nil || reply.Chat.ID == "":
				err = fmt.Errorf("no chat in %s", reply)
			case auto && (reply.Chat.Status != "active" || reply.Chat.OperatorID != p.operator.id):
				err = fmt.Errorf("the chat was not assigned to the online operator: %s", reply)
			}
			if err == nil {
				chatID = reply.Chat.ID
			}
			return d, err
		})
		if err != nil {
			return nil, err
		}
		if !auto {
			err = step(OpChatTake, func() (time.Duration, error) {
				_, d, err := request(op, "operator", outbound{Action: "take", ClientID: "take-" + tag, ChatID: chatID}, "chat")
				return d, err
			})
			if err != nil {
				return nil, err
			}
		}
		for k := range perSide {
			for _, dir := range []struct {
				name     string
				c        *client
				from, to string
			}{
				{OpVisitorMessage, vis, "visitor", "operator"},
				{OpOperatorMessage, op, "operator", "visitor"},
			} {
				id := dir.from + "-" + tag + "-" + strconv.Itoa(k)
				err := step(dir.name, func() (time.Duration, error) {
					_, d, err := request(dir.c, dir.from, outbound{Action: "sendMessage", ClientID: id, ChatID: chatID, Text: "How can I help? " + id}, "sent")
					if err == nil {
						_, _, err = expect(dir.to, "message", id)
					}
					return d, err
				})
				if err != nil {
					return nil, err
				}
			}
		}
		err = step(closeOp, func() (time.Duration, error) {
			_, d, err := request(op, "operator", outbound{Action: "closeChat", ClientID: "close-" + tag, ChatID: chatID}, "chat")
			return d, err
		})
		if err != nil {
			return nil, err
		}
		err = step(OpVisitorDisconnect, func() (time.Duration, error) {
			start := time.Now()
			vis.close()
			err := waitGone(ctx, st, visitor)
			return time.Since(start), err
		})
		if err != nil {
			return nil, err
		}
		// The visitor's frames are all read: what is left of its inbox is
		// notifications, which the next chat must not take for replies.
		drain(inbox["visitor"])
	}
	return out, nil
}

func drain[T any](ch chan T) {
	for {
		select {
		case <-ch:
		default:
			return
		}
	}
}

// waitGone waits until $disconnect has removed the visitor's connection
// from the set the fan-out queries, the last write it makes.
func waitGone(ctx context.Context, st *stack.Stack, p party) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		conns, err := st.Store.VisitorConnections(ctx, p.account, p.id)
		if err != nil {
			return err
		}
		if len(conns) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%w waiting for $disconnect of %s", errTimeout, p.id)
		}
		time.Sleep(2 * time.Millisecond)
	}
}
