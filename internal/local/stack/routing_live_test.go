package stack_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"parley/internal/chat"
	"parley/internal/testkit"
	"parley/internal/timers"
)

func listHas(f map[string]any, list, chatID string) bool {
	l, _ := f[list].([]any)
	return slices.ContainsFunc(l, func(c any) bool { return c.(map[string]any)["id"] == chatID })
}

// startChat starts a visitor's chat and returns its id and the chat the
// reply shows the visitor.
func startChat(v *wsClient, question string) (string, map[string]any) {
	c := chatOf(v.Call("chat", map[string]any{"action": "startChat", "question": question}))
	return c["id"].(string), c
}

// startQueued starts a chat that must queue, and returns its id and the
// position of the queue frame its visitor got, which may come before
// the reply.
func startQueued(t *testing.T, v *wsClient, question string) (string, float64) {
	t.Helper()
	v.Send(map[string]any{"action": "startChat", "question": question, "clientId": "start-" + question})
	var id string
	var position float64
	timeout := time.After(15 * time.Second)
	for id == "" || position == 0 {
		select {
		case f := <-v.Frames:
			switch {
			case f["type"] == "chat" && f["clientId"] == "start-"+question:
				c := chatOf(f)
				if c["status"] != "waiting" || c["queued"] != true {
					t.Fatalf("%s: a chat with every operator full: %v", v.Name, c)
				}
				id = c["id"].(string)
			case f["type"] == "queue" && position == 0:
				position, _ = f["position"].(float64)
			case f["type"] == "error":
				t.Fatalf("%s: %v", v.Name, f)
			}
		case <-timeout:
			t.Fatalf("%s: no reply and queue frame (chat %q, position %v)", v.Name, id, position)
		}
	}
	return id, position
}

// fireTimersAhead runs the real sweeper as if it were d later, so a timer
// that would fire after a grace fires now, through the real stream.
func (w *chatWorld) fireTimersAhead(t *testing.T, d time.Duration) int {
	t.Helper()
	sw := &timers.Sweeper{Store: w.s.Store, Now: func() time.Time { return time.Now().Add(d) }, Sleep: timers.SleepContext, Lookback: d + time.Minute}
	n, err := sw.Run(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestAutoAssignLive runs auto-assignment through the local gateway and
// the stream: a new chat goes at once to an operator with room, who is
// told and receives the visitor's messages; with everyone full, chats
// queue and their visitors learn their place as it moves; a close hands
// the oldest queued chat to the operator who closed; a queued chat may be
// taken by hand beyond the limit; an operator gone for the grace gives
// back the chats they never answered, and keeps those in dialog.
func TestAutoAssignLive(t *testing.T) {
	w := newChatWorld(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	w.patch(t, "features", map[string]any{"autoAssign": true, "maxChatsPerOperator": 1})
	// No timeouts: firing the timers a grace ahead would fire the
	// unanswered chats' first-response timers too (TestBusyMessageLive
	// covers those).
	w.patch(t, "autoMessages", map[string]any{"firstResponseTimeout": 0, "answerTimeout": 0})
	op1 := w.staff(t, ctx, "op1", w.op1.token)
	op2 := w.staff(t, ctx, "op2", w.op2.token)
	ops := map[string]*wsClient{w.op1.id: op1, w.op2.id: op2}
	// The administrator watches from another account page: their
	// connection makes them online too, so they go away first.
	adm := w.staff(t, ctx, "admin", w.admin)
	adm.Call("presence", map[string]any{"action": "setPresence", "status": "away"})

	visA, _ := w.visitor(t, ctx, "visitorA")
	a, ca := startChat(visA, "first")
	if ca["status"] != "active" || ops[ca["operatorId"].(string)] == nil {
		t.Fatalf("a chat started with operators free: %v", ca)
	}
	x := ca["operatorId"].(string)
	y := w.op1.id
	if x == y {
		y = w.op2.id
	}
	opX, opY := ops[x], ops[y]
	opX.Expect("chat", func(f map[string]any) bool { return chatOf(f)["id"] == a && chatOf(f)["operatorId"] == x })
	visA.Call("sent", map[string]any{"action": "sendMessage", "chatId": a, "text": "hello X"})
	opX.Expect("message", func(f map[string]any) bool { return f["chatId"] == a && f["text"] == "hello X" })

	visB, _ := w.visitor(t, ctx, "visitorB")
	b, cb := startChat(visB, "second")
	if cb["operatorId"] != y {
		t.Fatalf("the second chat went to %v, want the free operator %s", cb["operatorId"], y)
	}
	opY.Expect("chat", func(f map[string]any) bool { return chatOf(f)["id"] == b && chatOf(f)["status"] == "active" })

	// Everyone is full: the next chats queue, and each visitor learns
	// their place.
	visC, _ := w.visitor(t, ctx, "visitorC")
	c, pos := startQueued(t, visC, "third")
	if pos != 1 {
		t.Fatalf("the first queued chat's position: %v", pos)
	}
	visD, _ := w.visitor(t, ctx, "visitorD")
	d, pos := startQueued(t, visD, "fourth")
	if pos != 2 {
		t.Fatalf("the second queued chat's position: %v", pos)
	}
	st := adm.Call("state", map[string]any{"action": "hello"})
	if q, _ := st["queued"].([]any); len(q) != 2 || q[0].(map[string]any)["id"] != c || q[1].(map[string]any)["id"] != d {
		t.Fatalf("the workplace's queue, oldest first: %v", st["queued"])
	}
	if listHas(st, "waiting", c) {
		t.Fatalf("a queued chat is also listed as waiting: %v", st["waiting"])
	}

	// X closes A: the oldest queued chat, C, is theirs at once; D moves up.
	opX.Call("chat", map[string]any{"action": "setCategory", "chatId": a, "category": "Support"})
	opX.CallKeeping("chat", map[string]any{"action": "closeChat", "chatId": a})
	opX.Await("chat", func(f map[string]any) bool { return chatOf(f)["id"] == c && chatOf(f)["operatorId"] == x })
	visC.Expect("chat", func(f map[string]any) bool { return chatOf(f)["id"] == c && chatOf(f)["status"] == "active" })
	visD.Expect("queue", func(f map[string]any) bool { return f["chatId"] == d && f["position"] == float64(1) })
	visC.Call("sent", map[string]any{"action": "sendMessage", "chatId": c, "text": "hello again X"})
	opX.Expect("message", func(f map[string]any) bool { return f["chatId"] == c && f["text"] == "hello again X" })

	// Y, already full, takes D by hand from the queue and answers it.
	if f := opY.Call("chat", map[string]any{"action": "take", "chatId": d}); chatOf(f)["operatorId"] != y {
		t.Fatalf("a take beyond the limit: %v", f)
	}
	opY.Call("sent", map[string]any{"action": "sendMessage", "chatId": d, "text": "D, I am here"})
	visD.Expect("message", func(f map[string]any) bool { return f["text"] == "D, I am here" })

	// Y leaves. After the grace B, never answered, goes back to routing
	// (X is full: the queue); D, in dialog, stays with Y.
	opY.Conn.CloseNow()
	testkit.Eventually(t, "Y's connections gone", func() bool {
		conns, err := w.s.Store.PersonConnections(ctx, w.account, y)
		return err == nil && len(conns) == 0
	})
	if n := w.fireTimersAhead(t, chat.OfflineGrace+time.Second); n != 1 {
		t.Fatalf("the sweeper fired %d timers, want Y's grace", n)
	}
	visB.Expect("chat", func(f map[string]any) bool { return chatOf(f)["id"] == b && chatOf(f)["status"] == "waiting" })
	visB.Expect("queue", func(f map[string]any) bool { return f["chatId"] == b && f["position"] == float64(1) })
	if got, err := w.s.Store.Chat(ctx, w.account, d); err != nil || got.OperatorID != y || got.Status != chat.Active {
		t.Fatalf("the chat Y was answering: %+v, %v", got, err)
	}

	// X closes C and gets B.
	opX.Call("chat", map[string]any{"action": "setCategory", "chatId": c, "category": "Support"})
	opX.CallKeeping("chat", map[string]any{"action": "closeChat", "chatId": c})
	opX.Await("chat", func(f map[string]any) bool { return chatOf(f)["id"] == b && chatOf(f)["operatorId"] == x })
	visB.Call("sent", map[string]any{"action": "sendMessage", "chatId": b, "text": "is anyone there?"})
	opX.Expect("message", func(f map[string]any) bool { return f["chatId"] == b && f["text"] == "is anyone there?" })
}

// TestComingOnlineDrains: an operator who connects takes the oldest queued
// chats at once, up to the limit; raising the limit gives them more.
func TestComingOnlineDrains(t *testing.T) {
	w := newChatWorld(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	w.patch(t, "features", map[string]any{"autoAssign": true, "maxChatsPerOperator": 1})
	op1 := w.staff(t, ctx, "op1", w.op1.token)
	var queued []string
	for i, q := range []string{"one", "two", "three"} {
		v, _ := w.visitor(t, ctx, "visitor"+q)
		id, c := startChat(v, q)
		if (i == 0) != (c["status"] == "active") {
			t.Fatalf("chat %d: %v", i, c)
		}
		if i > 0 {
			queued = append(queued, id)
		}
	}
	op2 := w.staff(t, ctx, "op2", w.op2.token)
	st := op2.Call("state", map[string]any{"action": "hello"})
	if !listHas(st, "mine", queued[0]) || listHas(st, "mine", queued[1]) {
		t.Fatalf("op2 came online with queue %v: mine %v", queued, st["mine"])
	}
	// The limit rises: the last queued chat goes to whoever has room, who
	// is told.
	w.patch(t, "features", map[string]any{"maxChatsPerOperator": 2})
	var got chat.Chat
	testkit.Eventually(t, "the last queued chat assigned", func() bool {
		var err error
		got, err = w.s.Store.Chat(ctx, w.account, queued[1])
		return err == nil && got.Status == chat.Active
	})
	op := map[string]*wsClient{w.op1.id: op1, w.op2.id: op2}[got.OperatorID]
	if op == nil {
		t.Fatalf("the last queued chat went to %q", got.OperatorID)
	}
	op.Expect("chat", func(f map[string]any) bool {
		return chatOf(f)["id"] == queued[1] && chatOf(f)["operatorId"] == got.OperatorID
	})
}

// TestMultilingualLive: in multilingual mode a chat keeps the language of
// its placement, only operators who speak it see it and are told of it,
// and an operator may redirect it to a language some online operator
// speaks.
func TestMultilingualLive(t *testing.T) {
	w := newChatWorld(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	w.patch(t, "features", map[string]any{"multilingual": true})
	for id, langs := range map[string][]string{w.op1.id: {"en"}, w.op2.id: {"ru"}} {
		if r := testkit.Call(t, "PATCH", w.api+"/people/"+id, w.admin, map[string]any{"languages": langs}); r.Status != 200 {
			t.Fatalf("languages of %s: %+v", id, r)
		}
	}
	op1 := w.staff(t, ctx, "op1", w.op1.token)
	// With only the English speaker online, a Russian placement offers
	// the offline button (SPEC §4.16: an eligible operator), an English
	// one the online button.
	button := func(lang string) any {
		return testkit.Call(t, "GET", w.api+"/widget/"+w.account+"/config?language="+lang, "", nil).Body["button"]
	}
	if ru, en := button("ru"), button("en"); ru != "offline" || en != "online" {
		t.Fatalf("buttons with only an English speaker online: ru %v, en %v", ru, en)
	}
	op2 := w.staff(t, ctx, "op2", w.op2.token)
	if ru := button("ru"); ru != "online" {
		t.Fatalf("button of a Russian placement with a Russian speaker online: %v", ru)
	}
	vis, _ := w.visitor(t, ctx, "visitor")
	f := vis.Call("chat", map[string]any{"action": "startChat", "question": "Здравствуйте", "language": "ru"})
	id := chatOf(f)["id"].(string)
	op2.Expect("chat", func(f map[string]any) bool { return chatOf(f)["id"] == id && chatOf(f)["language"] == "ru" })
	if st := op1.Call("state", map[string]any{"action": "hello"}); listHas(st, "waiting", id) {
		t.Fatalf("an operator who speaks only English sees a Russian chat: %v", st["waiting"])
	}
	// The visitor cannot change the language: a second start resumes it.
	if c := chatOf(vis.Call("chat", map[string]any{"action": "startChat", "language": "en"})); c["id"] != id {
		t.Fatalf("a second start: %v", c)
	}
	op2.Call("chat", map[string]any{"action": "take", "chatId": id})
	if f := op2.Call("error", map[string]any{"action": "redirect", "chatId": id, "language": "ru"}); code(f) != "invalid" {
		t.Fatalf("a redirect to the chat's own language: %v", f)
	}
	// Only op2 speaks Russian: with op1 away nobody online speaks English.
	op1.Call("presence", map[string]any{"action": "setPresence", "status": "away"})
	if f := op2.Call("error", map[string]any{"action": "redirect", "chatId": id, "language": "en"}); code(f) != "conflict" {
		t.Fatalf("a redirect to a language nobody online speaks: %v", f)
	}
	op1.Call("presence", map[string]any{"action": "setPresence", "status": "online"})
	f = op2.Call("chat", map[string]any{"action": "redirect", "chatId": id, "language": "en"})
	if c := chatOf(f); c["language"] != "en" || c["status"] != "waiting" {
		t.Fatalf("a redirect to English: %v", f)
	}
	op1.Expect("chat", func(f map[string]any) bool { return chatOf(f)["id"] == id && chatOf(f)["language"] == "en" })
	op1.Call("chat", map[string]any{"action": "take", "chatId": id})
	op1.Call("sent", map[string]any{"action": "sendMessage", "chatId": id, "text": "Hello! How can I help?"})
	vis.Expect("message", func(f map[string]any) bool { return f["text"] == "Hello! How can I help?" })
	if st := op2.Call("state", map[string]any{"action": "hello"}); listHas(st, "others", id) || listHas(st, "waiting", id) {
		t.Fatalf("an operator who speaks only Russian still sees the chat: %v", st)
	}
}

// TestOperatorTabs: every tab of an operator follows the chats they lead,
// whether they took the chat by hand in another tab or routing gave it.
func TestOperatorTabs(t *testing.T) {
	w := newChatWorld(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	tab1 := w.staff(t, ctx, "op1-tab1", w.op1.token)
	tab2 := w.staff(t, ctx, "op1-tab2", w.op1.token)
	vis, _ := w.visitor(t, ctx, "visitor")
	id, _ := startChat(vis, "two tabs?")
	tab1.Call("chat", map[string]any{"action": "take", "chatId": id})
	vis.Call("sent", map[string]any{"action": "sendMessage", "chatId": id, "text": "to both tabs"})
	for _, tab := range []*wsClient{tab1, tab2} {
		tab.Expect("message", func(f map[string]any) bool { return f["chatId"] == id && f["text"] == "to both tabs" })
	}

	w.patch(t, "features", map[string]any{"autoAssign": true})
	vis2, _ := w.visitor(t, ctx, "visitor2")
	id2, c := startChat(vis2, "routed")
	if c["operatorId"] != w.op1.id {
		t.Fatalf("the routed chat: %v", c)
	}
	vis2.Call("sent", map[string]any{"action": "sendMessage", "chatId": id2, "text": "routed to both tabs"})
	for _, tab := range []*wsClient{tab1, tab2} {
		tab.Expect("message", func(f map[string]any) bool { return f["chatId"] == id2 && f["text"] == "routed to both tabs" })
	}
}
