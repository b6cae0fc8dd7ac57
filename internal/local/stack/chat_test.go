package stack_test

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"parley/internal/account"
	"parley/internal/auth"
	"parley/internal/bench"
	"parley/internal/chat"
	"parley/internal/local/seslocal"
	"parley/internal/local/stack"
	"parley/internal/routes"
	"parley/internal/testkit"
	"parley/internal/testkit/wstest"
)

// The local-stack tests' socket client (shared with the fault tests).
type wsClient = wstest.Client

var (
	dialWS = wstest.Dial
	chatOf = wstest.ChatOf
)

func chatIs(id string) func(map[string]any) bool {
	return func(f map[string]any) bool { return chatOf(f)["id"] == id || f["chatId"] == id }
}

// chatWorld is an account with two operators and an administrator online.
type chatWorld struct {
	s        *stack.Stack
	meter    *bench.Meter
	api      string
	account  string
	admin    string // token
	adminID  string
	op1, op2 struct{ id, token string }
}

func newChatWorld(t *testing.T) *chatWorld {
	t.Helper()
	return newChatWorldWith(t, nil)
}

// newChatWorldWith is newChatWorld on a stack whose options edit changes.
func newChatWorldWith(t *testing.T, edit func(*stack.Options)) *chatWorld {
	t.Helper()
	w := &chatWorld{meter: &bench.Meter{}}
	// The schedule barely moves, so no sweeper run adds to the counted
	// requests.
	w.s = testkit.Start(t, func(o *stack.Options) {
		o.ScheduleSpeed, o.DynamoDBAPIOptions = 0.001, w.meter.APIOptions()
		o.MeteredFunctions = []string{routes.FnAPI, routes.FnAuthorizer, routes.FnRealtime}
	}, edit)
	w.api = w.s.HTTPURL + "/v1"
	client := testkit.Client{Base: w.s.HTTPURL, StrictJSON: true}
	a := client.SignUp(t, testkit.SignUp{Email: testkit.UniqueEmail("admin", "acme.example"), Plan: "corporate"})
	w.admin, w.account, w.adminID = a.Token, a.ID, a.PersonID
	for _, put := range []struct {
		section string
		body    map[string]any
	}{
		{"company", map[string]any{"name": "Acme", "timezone": "Europe/Berlin", "website": "https://acme.example", "language": "en"}},
		{"emails", map[string]any{"leftMessages": []string{"left@acme.example"}, "negativeReviews": []string{"neg@acme.example"}, "dailyReports": []string{"daily@acme.example"}}},
		{"classification", map[string]any{"categories": "Sales\n Upgrade\nSupport", "required": true}},
	} {
		if r := testkit.Call(t, "PUT", w.api+"/settings/"+put.section, w.admin, put.body); r.Status != 200 {
			t.Fatalf("PUT %s: %+v", put.section, r)
		}
	}
	if r := testkit.Call(t, "PATCH", w.api+"/settings/features", w.admin, map[string]any{"teleport": true, "hideOthersChats": true,
		"priorityPages": []string{"https://acme.example/pricing"}}); r.Status != 200 {
		t.Fatalf("PATCH features: %+v", r)
	}
	w.op1.id, w.op1.token = w.addOperator(t)
	w.op2.id, w.op2.token = w.addOperator(t)
	return w
}

// addOperator invites an operator, sets their password through a link
// issued in the store (the mailed secret is not readable here) and signs
// them in.
func (w *chatWorld) addOperator(t *testing.T) (string, string) {
	t.Helper()
	return w.addStaff(t, routes.Operator)
}

// addStaff is addOperator for any role.
func (w *chatWorld) addStaff(t *testing.T, role routes.Role) (string, string) {
	t.Helper()
	email := fmt.Sprintf("op-%d@acme.example", time.Now().UnixNano())
	kit := testkit.Client{Base: w.s.HTTPURL, StrictJSON: true}
	r := kit.Invite(t, w.admin, map[string]any{"email": email, "name": "Operator " + email, "role": role})
	if r.Status != 201 {
		t.Fatalf("invite: %+v", r)
	}
	id := r.Body["id"].(string)
	secret, hash := auth.NewSecret()
	if err := w.s.Store.IssueLink(context.Background(), account.Link{Hash: hash, AccountID: w.account, PersonID: id, Kind: account.LinkInvite, ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if r := testkit.Call(t, "POST", w.api+"/auth/password", "", map[string]any{"token": secret, "password": "correct horse battery"}); r.Status != 200 {
		t.Fatalf("set password: %+v", r)
	}
	r = kit.SignIn(t, email, testkit.Password)
	if r.Status != 200 {
		t.Fatalf("login: %+v", r)
	}
	return id, r.Body["token"].(string)
}

func (w *chatWorld) staff(t *testing.T, ctx context.Context, name, token string) *wsClient {
	c := dialWS(t, ctx, name, w.s.WebSocketURL+"?token="+url.QueryEscape(token))
	if st := c.Call("state", map[string]any{"action": "hello"}); st["version"] != float64(2) {
		t.Fatalf("%s: state %v, want protocol version 2", name, st)
	}
	return c
}

// widget loads the widget config as the widget does (with the visitor's
// token when it has one) and opens the visitor's socket.
func (w *chatWorld) widget(t *testing.T, ctx context.Context, token string) (*wsClient, testkit.Reply) {
	cfg := testkit.Call(t, "GET", w.api+"/widget/"+w.account+"/config?visitorToken="+url.QueryEscape(token), "", nil)
	if cfg.Status != 200 {
		t.Fatalf("widget config: %+v", cfg)
	}
	if cfg.Body["button"] != "online" {
		return nil, cfg
	}
	return dialWS(t, ctx, "visitor", w.s.WebSocketURL+"?visitorToken="+url.QueryEscape(cfg.Body["visitorToken"].(string))), cfg
}

func (w *chatWorld) mails(t *testing.T, match func(seslocal.Mail) bool) seslocal.Mail {
	t.Helper()
	return testkit.WaitMail(t, w.s.SESEndpoint, "the mail in the local SES", match)
}

func signed(t *testing.T, m seslocal.Mail) {
	t.Helper()
	if !strings.Contains(m.Body.Text, "Regards, Acme") || !strings.Contains(m.Body.Text, "https://acme.example") || !strings.Contains(m.Body.Text, "Powered by Parley") {
		t.Errorf("mail %q is not signed (SPEC §4.10): %s", m.Subject, m.Body.Text)
	}
	if !slices.Equal(m.ReplyTo, []string{"left@acme.example"}) {
		t.Errorf("mail %q has Reply-To %v, want the first leftMessages address", m.Subject, m.ReplyTo)
	}
}

// TestConversation runs a whole chat through the local gateway with real
// WebSocket clients: a visitor and two operators, a take race, messages
// both ways in order, resends, typing and read marks, priority pages,
// teleport, hidden chats, categories, resume after reconnect, rating,
// transcript, close and the history.
func TestConversation(t *testing.T) {
	w := newChatWorld(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	op1 := w.staff(t, ctx, "op1", w.op1.token)
	op2 := w.staff(t, ctx, "op2", w.op2.token)
	adm := w.staff(t, ctx, "admin", w.admin)

	vis, cfg := w.widget(t, ctx, "")
	if vis == nil {
		t.Fatalf("widget config with operators online: %+v", cfg.Body)
	}
	visitorID, visitorToken := cfg.Body["visitorId"].(string), cfg.Body["visitorToken"].(string)
	if st := vis.Call("state", map[string]any{"action": "hello"}); st["chat"] != nil || st["id"] != visitorID {
		t.Fatalf("a new visitor's state: %v", st)
	}

	// Chat start: the greeting, then the question; on a priority page.
	started := vis.Call("chat", map[string]any{"action": "startChat", "question": "Hi, which plan suits me?", "page": "https://acme.example/pricing/plans"})
	chatID := chatOf(started)["id"].(string)
	msgs, _ := started["messages"].([]any)
	if len(msgs) != 2 || msgs[0].(map[string]any)["from"].(map[string]any)["kind"] != "system" || !strings.Contains(msgs[0].(map[string]any)["text"].(string), "Hello") ||
		msgs[1].(map[string]any)["text"] != "Hi, which plan suits me?" {
		t.Fatalf("chat start: messages %v, want the greeting then the question", msgs)
	}
	for _, op := range []*wsClient{op1, op2} {
		f := op.Expect("chat", chatIs(chatID))
		if c := chatOf(f); c["status"] != "waiting" || c["priority"] != true {
			t.Fatalf("%s: new chat %v, want waiting with priority", op.Name, c)
		}
	}
	if again := vis.Call("chat", map[string]any{"action": "startChat"}); chatOf(again)["id"] != chatID {
		t.Fatalf("a second startChat made another chat: %v", again)
	}

	// The take race: both operators at once, exactly one wins.
	var wg sync.WaitGroup
	for _, op := range []*wsClient{op1, op2} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			op.Send(map[string]any{"action": "take", "chatId": chatID, "clientId": "take-" + op.Name})
		}()
	}
	wg.Wait()
	var winner, loser *wsClient
	for _, op := range []*wsClient{op1, op2} {
		switch f := op.Reply("take-" + op.Name); f["type"] {
		case "chat":
			winner = op
		case "error":
			if f["error"].(map[string]any)["code"] != "conflict" {
				t.Fatalf("%s lost the take with %v, want a conflict", op.Name, f)
			}
			loser = op
		}
	}
	if winner == nil || loser == nil {
		t.Fatalf("take race: winner %v, loser %v: want exactly one of each", winner, loser)
	}
	// The test continues with op1 as the chat's operator.
	if winner != op1 {
		op1, op2 = op2, op1
		w.op1, w.op2 = w.op2, w.op1
	}
	if f := vis.Expect("chat", func(f map[string]any) bool { return chatOf(f)["status"] == "active" }); chatOf(f)["operatorId"] != w.op1.id {
		t.Fatalf("the visitor sees operator %v, want %s", chatOf(f)["operatorId"], w.op1.id)
	}
	// Under hideOthersChats the loser no longer sees the chat: it leaves
	// their waiting list (the push may come before their take's answer).
	op2.Await("gone", chatIs(chatID))

	// Messages both ways, in order; a resend is harmless.
	for i := range 3 {
		vis.Send(map[string]any{"action": "sendMessage", "chatId": chatID, "clientId": fmt.Sprintf("v-%d", i), "text": fmt.Sprintf("visitor line %d", i)})
		vis.Reply(fmt.Sprintf("v-%d", i))
	}
	lastSeq := 0.0
	for i := range 3 {
		f := op1.Expect("message", chatIs(chatID))
		if f["text"] != fmt.Sprintf("visitor line %d", i) || f["seq"].(float64) <= lastSeq || f["from"].(map[string]any)["id"] != visitorID {
			t.Fatalf("operator got %v as message %d (after seq %v)", f, i, lastSeq)
		}
		lastSeq = f["seq"].(float64)
	}
	if dup := vis.Call("sent", map[string]any{"action": "sendMessage", "chatId": chatID, "text": "visitor line 2", "clientId": "v-2"}); dup["duplicate"] != true || dup["seq"] != lastSeq {
		t.Fatalf("resend: %v, want the stored message %v as a duplicate", dup, lastSeq)
	}
	for i := range 2 {
		op1.Send(map[string]any{"action": "sendMessage", "chatId": chatID, "clientId": fmt.Sprintf("o-%d", i), "text": fmt.Sprintf("operator line %d", i)})
	}
	for i := range 2 {
		if f := vis.Expect("message", chatIs(chatID)); f["text"] != fmt.Sprintf("operator line %d", i) || f["from"].(map[string]any)["kind"] != "operator" {
			t.Fatalf("visitor got %v as operator message %d", f, i)
		}
	}
	// The operator who lost the race cannot write in the chat.
	if f := op2.Call("error", map[string]any{"action": "sendMessage", "chatId": chatID, "text": "me too"}); f["error"].(map[string]any)["code"] != "conflict" {
		t.Fatalf("the other operator wrote: %v", f)
	}

	// DynamoDB requests per message, counted on the client of the
	// functions a message passes through (not the stream consumer's), once
	// the stream consumer has recorded the chat's outcome (the first
	// answer's), which is not a message's cost.
	testkit.Eventually(t, "the answered outcome's event", func() bool {
		evs, err := w.s.Store.Events(ctx, w.account, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
		return err == nil && slices.ContainsFunc(evs, func(e chat.Event) bool { return e.ChatID == chatID && e.Outcome == chat.Answered })
	})
	before := w.meter.Snapshot()
	vis.Call("sent", map[string]any{"action": "sendMessage", "chatId": chatID, "text": "counted visitor message"})
	op1.Expect("message", func(f map[string]any) bool { return f["text"] == "counted visitor message" })
	perVisitor := w.meter.Snapshot().Sub(before)
	before = w.meter.Snapshot()
	op1.Call("sent", map[string]any{"action": "sendMessage", "chatId": chatID, "text": "counted operator message"})
	vis.Expect("message", func(f map[string]any) bool { return f["text"] == "counted operator message" })
	perOperator := w.meter.Snapshot().Sub(before)
	t.Logf("DynamoDB requests per visitor message: %d %v; per operator message: %d %v", perVisitor.Total(), perVisitor.Requests, perOperator.Total(), perOperator.Requests)
	// A visitor's message pays one more: the conditional ADD of its
	// per-minute limit (README, limits).
	if perVisitor.Total() > 5 || perOperator.Total() > 4 {
		t.Errorf("a message costs %d (visitor) and %d (operator) DynamoDB requests, want at most 5 and 4", perVisitor.Total(), perOperator.Total())
	}

	// Typing and read marks reach the other side.
	vis.Send(map[string]any{"action": "typing", "chatId": chatID, "typing": true})
	if f := op1.Expect("typing", chatIs(chatID)); f["typing"] != true || f["from"].(map[string]any)["kind"] != "visitor" {
		t.Fatalf("typing: %v", f)
	}
	op1.Send(map[string]any{"action": "read", "chatId": chatID, "seq": lastSeq})
	if f := vis.Expect("read", chatIs(chatID)); f["seq"] != lastSeq {
		t.Fatalf("read mark: %v", f)
	}

	// Hidden chats: the other operator does not see op1's chat; the
	// administrator does.
	if st := op2.Call("state", map[string]any{"action": "hello"}); len(st["others"].([]any)) != 0 || len(st["waiting"].([]any)) != 0 {
		t.Fatalf("op2's workplace under hideOthersChats: %v", st)
	}
	if st := adm.Call("state", map[string]any{"action": "hello"}); !slices.ContainsFunc(st["others"].([]any), func(c any) bool { return c.(map[string]any)["id"] == chatID }) {
		t.Fatalf("the administrator's workplace lacks the chat: %v", st)
	}
	// A supervisor sees it too, and its transcript.
	_, supToken := w.addStaff(t, routes.Supervisor)
	sup := w.staff(t, ctx, "supervisor", supToken)
	if st := sup.Call("state", map[string]any{"action": "hello"}); !slices.ContainsFunc(st["others"].([]any), func(c any) bool { return c.(map[string]any)["id"] == chatID }) {
		t.Fatalf("the supervisor's workplace lacks the chat under hideOthersChats: %v", st)
	}
	if f := sup.Call("messages", map[string]any{"action": "history", "chatId": chatID}); len(f["messages"].([]any)) == 0 {
		t.Fatalf("the supervisor's history of the chat: %v", f)
	}
	// Watching it, the supervisor gets its messages live; op2, who does
	// not see it, cannot watch it.
	sup.Call("chat", map[string]any{"action": "watch", "chatId": chatID})
	vis.Call("sent", map[string]any{"action": "sendMessage", "chatId": chatID, "text": "for the supervisor too"})
	sup.Expect("message", func(f map[string]any) bool { return f["text"] == "for the supervisor too" })
	op1.Expect("message", func(f map[string]any) bool { return f["text"] == "for the supervisor too" })
	if f := op2.Call("error", map[string]any{"action": "watch", "chatId": chatID}); code(f) != "not_found" {
		t.Fatalf("op2 watched a hidden chat: %v", f)
	}
	sup.Call("ok", map[string]any{"action": "unwatch", "chatId": chatID})
	if r := testkit.Call(t, "GET", w.api+"/chats/"+chatID, w.op2.token, nil); r.Status != 404 {
		t.Fatalf("op2 opened op1's chat: %+v", r)
	}
	// Nor over the WebSocket: the transcript, typing and read marks of a
	// hidden chat answer not_found, as if it did not exist.
	for _, action := range []map[string]any{
		{"action": "history", "chatId": chatID},
		{"action": "typing", "chatId": chatID, "typing": true},
		{"action": "read", "chatId": chatID, "seq": lastSeq},
	} {
		if f := op2.Call("error", action); f["error"].(map[string]any)["code"] != "not_found" {
			t.Fatalf("op2 %s on op1's hidden chat: %v", action["action"], f)
		}
	}
	// The administrator sees it, but neither types in it nor marks it
	// read for op1.
	if f := adm.Call("messages", map[string]any{"action": "history", "chatId": chatID}); len(f["messages"].([]any)) == 0 {
		t.Fatalf("the administrator's history of the chat: %v", f)
	}
	for _, action := range []map[string]any{
		{"action": "typing", "chatId": chatID, "typing": true},
		{"action": "read", "chatId": chatID, "seq": lastSeq},
	} {
		if f := adm.Call("error", action); f["error"].(map[string]any)["code"] != "conflict" {
			t.Fatalf("the administrator's %s in op1's chat: %v", action["action"], f)
		}
	}

	// Priority follows the visitor's page; teleport reaches the visitor.
	vis.Send(map[string]any{"action": "page", "url": "https://acme.example/about"})
	if f := op1.Expect("chat", chatIs(chatID)); chatOf(f)["priority"] == true {
		t.Fatalf("priority after leaving the priority pages: %v", f)
	}
	vis.Send(map[string]any{"action": "page", "url": "https://acme.example/pricing"})
	if f := op1.Expect("chat", chatIs(chatID)); chatOf(f)["priority"] != true {
		t.Fatalf("priority back on a priority page: %v", f)
	}
	// A (re)connecting widget's hello reports the page too.
	vis.Call("state", map[string]any{"action": "hello", "since": lastSeq, "page": "https://acme.example/about"})
	if f := op1.Expect("chat", chatIs(chatID)); chatOf(f)["priority"] == true || chatOf(f)["page"] != "https://acme.example/about" {
		t.Fatalf("the hello's page did not clear the priority: %v", f)
	}
	vis.Call("state", map[string]any{"action": "hello", "since": lastSeq, "page": "https://acme.example/pricing"})
	if f := op1.Expect("chat", chatIs(chatID)); chatOf(f)["priority"] != true {
		t.Fatalf("the hello's page did not set the priority: %v", f)
	}
	op1.Call("ok", map[string]any{"action": "teleport", "chatId": chatID, "url": "https://acme.example/checkout"})
	if f := vis.Expect("teleport", nil); f["url"] != "https://acme.example/checkout" {
		t.Fatalf("teleport: %v", f)
	}
	// Only to a page of the site, and only while features.teleport is on.
	if f := op1.Call("error", map[string]any{"action": "teleport", "chatId": chatID, "url": "https://elsewhere.example/login"}); code(f) != "invalid" {
		t.Fatalf("a teleport off the site: %v", f)
	}
	w.patch(t, "features", map[string]any{"teleport": false})
	if f := op1.Call("error", map[string]any{"action": "teleport", "chatId": chatID, "url": "https://acme.example/checkout"}); code(f) != "forbidden" {
		t.Fatalf("a teleport with features.teleport off: %v", f)
	}
	w.patch(t, "features", map[string]any{"teleport": true})

	// The category: from the tree only, and required to close.
	if f := op1.Call("error", map[string]any{"action": "setCategory", "chatId": chatID, "category": "Nonsense"}); f["error"].(map[string]any)["code"] != "invalid" {
		t.Fatalf("unknown category: %v", f)
	}
	if f := op1.Call("error", map[string]any{"action": "closeChat", "chatId": chatID}); f["error"].(map[string]any)["code"] != "conflict" {
		t.Fatalf("close without the required category: %v", f)
	}
	if f := op1.Call("chat", map[string]any{"action": "setCategory", "chatId": chatID, "category": "sales / upgrade"}); chatOf(f)["category"] != "Sales / Upgrade" {
		t.Fatalf("category: %v", f)
	}

	// Resume: the visitor leaves, the operator writes, the visitor comes
	// back with the same token and gets what it missed, not a new chat.
	seen := lastSeq
	vis.Conn.Close(websocket.StatusNormalClosure, "")
	time.Sleep(300 * time.Millisecond)
	op1.Call("sent", map[string]any{"action": "sendMessage", "chatId": chatID, "text": "are you still there?"})
	vis, again := w.widget(t, ctx, visitorToken)
	if again.Body["visitorId"] != visitorID {
		t.Fatalf("the returning visitor is %v, want %s", again.Body["visitorId"], visitorID)
	}
	st := vis.Call("state", map[string]any{"action": "hello", "since": seen})
	missed, _ := st["messages"].([]any)
	if chatOf(st)["id"] != chatID || len(missed) == 0 || missed[len(missed)-1].(map[string]any)["text"] != "are you still there?" {
		t.Fatalf("resume: %v", st)
	}
	vis.Call("sent", map[string]any{"action": "sendMessage", "chatId": chatID, "text": "yes, back"})
	op1.Expect("message", func(f map[string]any) bool { return f["text"] == "yes, back" })

	// Rating: an excellent one mails nobody; a poor one (which replaces
	// it) mails emails.negativeReviews, naming the operator.
	if f := vis.Call("chat", map[string]any{"action": "rate", "chatId": chatID, "rating": "excellent"}); chatOf(f)["rating"] != "excellent" {
		t.Fatalf("rate: %v", f)
	}
	if f := vis.Call("chat", map[string]any{"action": "rate", "chatId": chatID, "rating": "poor"}); chatOf(f)["rating"] != "poor" {
		t.Fatalf("rate: %v", f)
	}
	negative := w.mails(t, func(m seslocal.Mail) bool {
		return slices.Contains(m.To(), "neg@acme.example") && strings.Contains(m.Body.Text, chatID)
	})
	signed(t, negative)
	if !strings.Contains(negative.Body.Text, "Operator: Operator ") || !strings.Contains(negative.Body.Text, "("+w.op1.id+")") {
		t.Errorf("the negative rating mail does not name the operator:\n%s", negative.Body.Text)
	}
	// Mails go out in the order they were queued (one partition of the
	// stream), so the poor rating's being here means an excellent one's
	// would be too.
	for _, m := range testkit.Mails(t, w.s.SESEndpoint, "") {
		if strings.Contains(m.Subject, "excellent") && strings.Contains(m.Body.Text, chatID) {
			t.Errorf("an excellent rating was mailed: %q", m.Subject)
		}
	}

	// The transcript to the visitor's own address.
	// An address of this run's own: make test's one local SES also holds
	// the browser tests' transcripts to their visitors.
	annAddr := fmt.Sprintf("ann-%d@visitor.example", time.Now().UnixNano())
	vis.Call("ok", map[string]any{"action": "sendTranscript", "chatId": chatID, "email": annAddr})
	tr := w.mails(t, func(m seslocal.Mail) bool { return slices.Contains(m.To(), annAddr) })
	signed(t, tr)
	if !strings.Contains(tr.Body.Text, "visitor line 0") || !strings.Contains(tr.Body.Text, "operator line 1") {
		t.Errorf("transcript mail lacks the conversation: %s", tr.Body.Text)
	}

	// Close, then the history.
	if f := op1.Call("chat", map[string]any{"action": "closeChat", "chatId": chatID}); chatOf(f)["status"] != "closed" {
		t.Fatalf("close: %v", f)
	}
	vis.Expect("chat", func(f map[string]any) bool { return chatOf(f)["status"] == "closed" })
	// The day the chat started in the account's time zone (set above),
	// which is what a bare date means to the history.
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	startedAt, err := time.Parse(time.RFC3339, chatOf(started)["startedAt"].(string))
	if err != nil {
		t.Fatal(err)
	}
	day := startedAt.In(berlin).Format(time.DateOnly)
	for _, q := range []string{"", "?status=closed", "?category=Sales%20%2F%20Upgrade&rating=poor&operatorId=" + w.op1.id, "?category=Sales", "?from=" + day + "&to=" + day} {
		r := testkit.Call(t, "GET", w.api+"/chats"+q, w.admin, nil)
		items, _ := r.Body["items"].([]any)
		if r.Status != 200 || !slices.ContainsFunc(items, func(c any) bool { return c.(map[string]any)["id"] == chatID }) {
			t.Fatalf("GET /v1/chats%s: %+v", q, r)
		}
	}
	if r := testkit.Call(t, "GET", w.api+"/chats?status=waiting", w.admin, nil); len(r.Body["items"].([]any)) != 0 {
		t.Fatalf("status filter: %+v", r)
	}
	for _, other := range []string{"Support", "Sales%20%2F%20Renewal", "Sal"} {
		if r := testkit.Call(t, "GET", w.api+"/chats?category="+other, w.admin, nil); slices.ContainsFunc(r.Body["items"].([]any), func(c any) bool { return c.(map[string]any)["id"] == chatID }) {
			t.Fatalf("category %s found the Sales / Upgrade chat", other)
		}
	}
	if r := testkit.Call(t, "GET", w.api+"/chats?from=yesterday", w.admin, nil); r.Status != 422 {
		t.Fatalf("a bad date: %+v", r)
	}
	if r := testkit.Call(t, "GET", w.api+"/chats", w.op2.token, nil); slices.ContainsFunc(r.Body["items"].([]any), func(c any) bool { return c.(map[string]any)["id"] == chatID }) {
		t.Fatalf("op2's history shows op1's chat under hideOthersChats: %+v", r)
	}
	full := testkit.Call(t, "GET", w.api+"/chats/"+chatID, w.admin, nil)
	transcript, _ := full.Body["messages"].([]any)
	if full.Status != 200 || len(transcript) < 10 || transcript[0].(map[string]any)["seq"] != float64(1) {
		t.Fatalf("GET /v1/chats/{id}: %+v", full)
	}
	for i, m := range transcript {
		if m.(map[string]any)["seq"] != float64(i+1) {
			t.Fatalf("transcript seq %v at %d: messages must be numbered without gaps", m.(map[string]any)["seq"], i)
		}
	}

	// Nobody online: the widget offers the offline form, whose message is
	// mailed to emails.leftMessages.
	for _, c := range []*wsClient{op1, op2, adm, sup} {
		c.Conn.Close(websocket.StatusNormalClosure, "")
	}
	var offline testkit.Reply
	testkit.Eventually(t, "the offline button", func() bool {
		offline = testkit.Call(t, "GET", w.api+"/widget/"+w.account+"/config", "", nil)
		return offline.Body["button"] == "offline"
	})
	late := dialWS(t, ctx, "late visitor", w.s.WebSocketURL+"?visitorToken="+url.QueryEscape(offline.Body["visitorToken"].(string)))
	if f := late.Call("error", map[string]any{"action": "leaveMessage", "name": "", "contact": "x", "text": ""}); f["error"].(map[string]any)["code"] != "invalid" {
		t.Fatalf("an empty offline form: %v", f)
	}
	form := map[string]any{"action": "leaveMessage", "name": "Bob", "contact": "bob@visitor.example", "text": "Call me back, please", "clientId": "offline-1"}
	left := late.Call("chat", form)
	if chatOf(left)["offline"] != true {
		t.Fatalf("offline request: %v", left)
	}
	// A resend (the answer was lost) is the same request, not a second one.
	if again := late.Call("chat", form); chatOf(again)["id"] != chatOf(left)["id"] {
		t.Fatalf("a resent offline form stored a second request: %v, first %v", chatOf(again)["id"], chatOf(left)["id"])
	}
	signed(t, w.mails(t, func(m seslocal.Mail) bool {
		return slices.Contains(m.To(), "left@acme.example") && strings.Contains(m.Body.Text, "Call me back, please") && strings.Contains(m.Body.Text, "bob@visitor.example")
	}))
}
