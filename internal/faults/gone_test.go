package faults_test

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"

	"parley/internal/apperr"
	"parley/internal/faults"
	"parley/internal/local/stack"
	"parley/internal/realtime"
	"parley/internal/testkit"
	"parley/internal/testkit/wstest"
)

// TestGoneConnectionsMidChat runs chats on the local stack (real gateway,
// real @connections) where some sockets vanish mid-chat and their
// $disconnect is lost (it is best effort in AWS: here its DynamoDB delete
// fails), so the store still lists them and posts to them get 410
// GoneException. The sockets that remain get every message; the gone ones
// are forgotten (connection, staff or visitor set, chat subscriptions);
// a vanished visitor that reconnects and says hello with since gets
// exactly the messages it missed, once each. Last, a message whose
// append lost its response on every attempt: the sender is told an error,
// resends it with the same clientId, it is stored once, and the other side
// still gets it.
func TestGoneConnectionsMidChat(t *testing.T) {
	// lostDisconnect fails the $disconnect's delete of a doomed connection
	// once, with an error the SDK does not retry; the hub's own delete
	// after a 410 comes later and succeeds.
	var mu sync.Mutex
	doomed := map[string]int{} // connection id -> deletes still to fail
	lostDisconnect := &faults.Injector{Rate: 1, Ops: []string{"DeleteItem"}, Kinds: []faults.Kind{faults.Before},
		Permanent: "AccessDeniedException"}
	lostDisconnect.Match = func(_ string, input any) bool {
		in, ok := input.(*dynamodb.DeleteItemInput)
		if !ok {
			return false
		}
		pk, _ := in.Key["pk"].(*ddbtypes.AttributeValueMemberS)
		if pk == nil || !strings.HasPrefix(pk.Value, "CONN#") {
			return false
		}
		mu.Lock()
		defer mu.Unlock()
		id := strings.TrimPrefix(pk.Value, "CONN#")
		if doomed[id] > 0 {
			doomed[id]--
			return true
		}
		return false
	}
	// lostAppend loses the response of every attempt of one message's
	// append transaction.
	lostAppend := &faults.Injector{Rate: 1, Ops: []string{"TransactWriteItems"}, Kinds: []faults.Kind{faults.After}}
	lostAppend.Match = func(_ string, input any) bool {
		in, _ := input.(*dynamodb.TransactWriteItemsInput)
		for _, it := range in.TransactItems {
			if it.Put == nil {
				continue
			}
			if sk, _ := it.Put.Item["sk"].(*ddbtypes.AttributeValueMemberS); sk != nil && strings.HasSuffix(sk.Value, "#lost-1") {
				return true
			}
		}
		return false
	}
	lostDisconnect.Enable(true)

	s := testkit.Start(t, func(o *stack.Options) {
		o.ScheduleSpeed = 0.001
		o.DynamoDBAPIOptions = []func(*middleware.Stack) error{lostDisconnect.InputOption, lostDisconnect.APIOption, lostAppend.InputOption, lostAppend.APIOption}
	})
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	api := s.HTTPURL + "/v1"
	kit := testkit.Client{Base: s.HTTPURL, StrictJSON: true}
	a := kit.SignUp(t, testkit.SignUp{Email: testkit.UniqueEmail("admin", "acme.example"), Plan: "corporate"})
	token, acc := a.Token, a.ID

	// newID returns the id of the connection just opened: the one of the
	// set that was not there before.
	newID := func(before, after []realtime.Connection) string {
		for _, c := range after {
			if !slices.ContainsFunc(before, func(b realtime.Connection) bool { return b.ID == c.ID }) {
				return c.ID
			}
		}
		t.Fatal("no new connection")
		return ""
	}
	staffConns := func() []realtime.Connection {
		cs, err := s.Store.StaffConnections(ctx, acc)
		if err != nil {
			t.Fatal(err)
		}
		return cs
	}
	staffURL := s.WebSocketURL + "?token=" + url.QueryEscape(token)
	opA := dial(t, "opA", staffURL)
	opA.Call("state", map[string]any{"action": "hello"})
	before := staffConns()
	opB := dial(t, "opB", staffURL) // a second tab that will vanish
	opB.Call("state", map[string]any{"action": "hello"})
	opBID := newID(before, staffConns())

	type visitor struct {
		id, chatID, goneID string
		stay, tab2         *client
	}
	const visitors, rounds = 3, 4
	vs := make([]*visitor, visitors)
	for i := range vs {
		cfg := testkit.Call(t, "GET", api+"/widget/"+acc+"/config", "", nil)
		if cfg.Status != 200 {
			t.Fatalf("widget config: %+v", cfg)
		}
		v := &visitor{id: cfg.Body["visitorId"].(string)}
		u := s.WebSocketURL + "?visitorToken=" + url.QueryEscape(cfg.Body["visitorToken"].(string))
		v.stay = dial(t, fmt.Sprintf("v%d-tab1", i), u)
		v.stay.Call("state", map[string]any{"action": "hello"})
		v.chatID = chatOf(v.stay.Call("chat", map[string]any{"action": "startChat", "question": "hello"}))["id"].(string)
		prev, err := s.Store.VisitorConnections(ctx, acc, v.id)
		if err != nil {
			t.Fatal(err)
		}
		v.tab2 = dial(t, fmt.Sprintf("v%d-tab2", i), u)
		v.tab2.Call("state", map[string]any{"action": "hello"})
		now, err := s.Store.VisitorConnections(ctx, acc, v.id)
		if err != nil {
			t.Fatal(err)
		}
		v.goneID = newID(prev, now)
		opA.Call("chat", map[string]any{"action": "take", "chatId": v.chatID})
		vs[i] = v
	}

	// exchange sends a round of messages both ways in every chat and
	// returns their texts by chat.
	exchange := func(round int) map[string][]string {
		out := map[string][]string{}
		for i, v := range vs {
			vt, ot := fmt.Sprintf("v%d says %d", i, round), fmt.Sprintf("op to v%d says %d", i, round)
			v.stay.Call("sent", map[string]any{"action": "sendMessage", "chatId": v.chatID, "text": vt})
			opA.Call("sent", map[string]any{"action": "sendMessage", "chatId": v.chatID, "text": ot})
			out[v.chatID] = append(out[v.chatID], vt, ot)
		}
		return out
	}
	// received checks that c gets a message frame for each text, once.
	received := func(c *client, chatID string, texts []string) {
		t.Helper()
		for _, text := range texts {
			c.Expect("message", func(f map[string]any) bool { return f["chatId"] == chatID && f["text"] == text })
		}
	}
	for round := range rounds / 2 {
		for chatID, texts := range exchange(round) {
			for _, v := range vs {
				if v.chatID == chatID {
					received(v.stay, chatID, texts[1:2])
					received(v.tab2, chatID, texts)
				}
			}
		}
	}
	// What the vanishing visitor tabs saw last.
	lastSeen := map[string]int64{}
	for _, v := range vs {
		st, err := s.Store.Chat(ctx, acc, v.chatID)
		if err != nil {
			t.Fatal(err)
		}
		lastSeen[v.chatID] = st.Seq
	}

	// The vanishing: each doomed socket drops, and its $disconnect fails.
	mu.Lock()
	doomed[opBID] = 1
	for _, v := range vs[:2] {
		doomed[v.goneID] = 1
	}
	mu.Unlock()
	opB.Conn.CloseNow()
	for _, v := range vs[:2] {
		v.tab2.Conn.CloseNow()
	}
	testkit.Poll(t, ctx, 30*time.Second, 50*time.Millisecond, "the lost $disconnects", func() bool {
		mu.Lock()
		defer mu.Unlock()
		for _, n := range doomed {
			if n > 0 {
				return false
			}
		}
		return true
	})
	gone := []string{opBID, vs[0].goneID, vs[1].goneID}
	for _, id := range gone {
		if _, err := s.Store.Connection(ctx, id); err != nil {
			t.Fatalf("connection %s: %v; want it still stored, as after a lost $disconnect", id, err)
		}
	}

	for round := rounds / 2; round < rounds; round++ {
		for chatID, texts := range exchange(round) {
			for _, v := range vs {
				if v.chatID == chatID {
					received(v.stay, chatID, texts[1:2])
					if v == vs[2] {
						received(v.tab2, chatID, texts) // never vanished
					}
				}
			}
		}
	}
	// Every gone connection is forgotten, everywhere.
	for _, id := range gone {
		testkit.Poll(t, ctx, 30*time.Second, 50*time.Millisecond, "connection "+id+" forgotten", func() bool {
			_, err := s.Store.Connection(ctx, id)
			return apperr.CodeOf(err) == apperr.NotFound
		})
		if slices.ContainsFunc(staffConns(), func(c realtime.Connection) bool { return c.ID == id }) {
			t.Errorf("gone connection %s still in the staff set", id)
		}
		for _, v := range vs {
			cs, err := s.Store.ChatConnections(ctx, acc, v.chatID)
			if err != nil {
				t.Fatal(err)
			}
			if slices.ContainsFunc(cs, func(c realtime.Connection) bool { return c.ID == id }) {
				t.Errorf("gone connection %s still subscribed to chat %s", id, v.chatID)
			}
			vcs, err := s.Store.VisitorConnections(ctx, acc, v.id)
			if err != nil {
				t.Fatal(err)
			}
			if slices.ContainsFunc(vcs, func(c realtime.Connection) bool { return c.ID == id }) {
				t.Errorf("gone connection %s still in visitor %s's set", id, v.id)
			}
		}
	}

	// A vanished visitor comes back and catches up with hello since.
	for _, v := range vs[:2] {
		stored, err := s.Store.Messages(ctx, acc, v.chatID, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		back := dial(t, v.tab2.Name+"-back", v.tab2.URL)
		st := back.Call("state", map[string]any{"action": "hello", "since": lastSeen[v.chatID]})
		msgs, _ := st["messages"].([]any)
		var seqs []int64
		for _, m := range msgs {
			seqs = append(seqs, int64(m.(map[string]any)["seq"].(float64)))
		}
		var want []int64
		for _, m := range stored {
			if m.Seq > lastSeen[v.chatID] {
				want = append(want, m.Seq)
			}
		}
		if !slices.Equal(seqs, want) || len(want) == 0 {
			t.Errorf("%s caught up with seqs %v, want %v (each message missed, once)", back.Name, seqs, want)
		}
		// And it follows the chat again.
		opA.Call("sent", map[string]any{"action": "sendMessage", "chatId": v.chatID, "text": "welcome back"})
		back.Expect("message", func(f map[string]any) bool { return f["text"] == "welcome back" })
	}

	// A message whose every append attempt lost its response.
	v := vs[2]
	lostAppend.Enable(true)
	v.stay.Send(map[string]any{"action": "sendMessage", "chatId": v.chatID, "clientId": "lost-1", "text": "did this arrive?"})
	v.stay.Expect("error", func(f map[string]any) bool {
		return f["clientId"] == "lost-1" || f["clientId"] == nil || f["clientId"] == ""
	})
	lostAppend.Enable(false)
	sent := v.stay.Call("sent", map[string]any{"action": "sendMessage", "chatId": v.chatID, "clientId": "lost-1", "text": "did this arrive?"})
	if sent["duplicate"] != true {
		t.Errorf("the resend was answered %v, want duplicate: the first try was stored", sent)
	}
	stored, err := s.Store.Messages(ctx, acc, v.chatID, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, m := range stored {
		if m.ClientID == "lost-1" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("lost-1 stored %d times, want once", n)
	}
	opA.Expect("message", func(f map[string]any) bool { return f["clientId"] == "lost-1" && f["seq"] == sent["seq"] })
}

// client is the local-stack tests' socket client.
type client = wstest.Client

var chatOf = wstest.ChatOf

// dial opens a socket for the test.
func dial(t *testing.T, name, u string) *client {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	return wstest.Dial(t, ctx, name, u)
}
