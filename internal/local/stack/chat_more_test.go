package stack_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"parley/internal/apperr"
	"parley/internal/auth"
	"parley/internal/realtime"
	"parley/internal/routes"
	"parley/internal/testkit"
)

// templatesOf flattens a templates frame into "section: text" lines in
// the order the frame gives them.
func templatesOf(f map[string]any) []string {
	var out []string
	for _, s := range f["sections"].([]any) {
		sec := s.(map[string]any)
		for _, t := range sec["templates"].([]any) {
			out = append(out, sec["section"].(string)+": "+t.(map[string]any)["text"].(string))
		}
	}
	return out
}

func textsOf(list []any) []string {
	var out []string
	for _, t := range list {
		out = append(out, t.(map[string]any)["text"].(string))
	}
	return out
}

// TestOperatorTemplates: over the WebSocket an operator gets the global,
// department and personal templates of the chat's language grouped by
// section, suggestions ranked by what they type, and saves an answer as a
// personal template.
func TestOperatorTemplates(t *testing.T) {
	w := newChatWorld(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dept := testkit.Call(t, "POST", w.api+"/departments", w.admin, map[string]any{"name": "Billing"}).Body["id"].(string)
	other := testkit.Call(t, "POST", w.api+"/departments", w.admin, map[string]any{"name": "Elsewhere"}).Body["id"].(string)
	if r := testkit.Call(t, "PUT", w.api+"/departments/"+dept+"/members/"+w.op1.id, w.admin, nil); r.Status/100 != 2 {
		t.Fatalf("add member: %+v", r)
	}
	for _, c := range []struct {
		token string
		body  map[string]any
	}{
		{w.admin, map[string]any{"level": "global", "language": "en", "section": "Greetings", "title": "Hello", "text": "Hello! How can I help you today?"}},
		{w.admin, map[string]any{"level": "global", "language": "en", "title": "Delivery", "text": "Delivery takes three days."}},
		{w.admin, map[string]any{"level": "global", "language": "ru", "title": "Привет", "text": "Здравствуйте!"}},
		{w.admin, map[string]any{"level": "department", "departmentId": dept, "language": "en", "section": "Billing", "title": "Invoices", "text": "Invoices are mailed monthly; delivery by post costs extra."}},
		{w.admin, map[string]any{"level": "department", "departmentId": other, "language": "en", "title": "Other", "text": "Not for op1: delivery elsewhere."}},
		{w.op1.token, map[string]any{"level": "personal", "language": "en", "section": "Greetings", "title": "Hi", "text": "Hi there, one moment please."}},
		{w.op2.token, map[string]any{"level": "personal", "language": "en", "title": "Mine", "text": "op2's own delivery note."}},
	} {
		if r := testkit.Call(t, "POST", w.api+"/templates", c.token, c.body); r.Status != 201 {
			t.Fatalf("create template %v: %+v", c.body, r)
		}
	}

	op1 := w.staff(t, ctx, "op1", w.op1.token)
	vis, _ := w.widget(t, ctx, "")
	chatID := chatOf(vis.Call("chat", map[string]any{"action": "startChat", "question": "Where is my parcel?"}))["id"].(string)

	got := templatesOf(op1.Call("templates", map[string]any{"action": "templates", "chatId": chatID}))
	want := []string{
		": Delivery takes three days.",
		"Billing: Invoices are mailed monthly; delivery by post costs extra.",
		"Greetings: Hello! How can I help you today?",
		"Greetings: Hi there, one moment please.",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("templates of an English chat:\n got %q\nwant %q", got, want)
	}

	// A title word beats text words; op2's and the other department's
	// templates never show.
	s := op1.Call("suggestions", map[string]any{"action": "suggest", "chatId": chatID, "text": "deliv"})
	if got, want := textsOf(s["suggestions"].([]any)), []string{"Delivery takes three days.", "Invoices are mailed monthly; delivery by post costs extra."}; !slices.Equal(got, want) {
		t.Fatalf("suggestions for %q: %q, want %q", "deliv", got, want)
	}
	if s := op1.Call("suggestions", map[string]any{"action": "suggest", "chatId": chatID, "text": "  "}); len(s["suggestions"].([]any)) != 0 {
		t.Fatalf("suggestions for nothing typed: %v", s)
	}

	// The answer just typed becomes a personal template in the chat's
	// language, and a suggestion from then on.
	answer := "Your parcel left our warehouse yesterday."
	op1.Call("sent", map[string]any{"action": "sendMessage", "chatId": chatID, "text": answer})
	saved := op1.Call("template", map[string]any{"action": "saveTemplate", "chatId": chatID, "text": answer, "title": "Parcel sent"})
	if tpl := saved["template"].(map[string]any); tpl["level"] != "personal" || tpl["text"] != answer {
		t.Fatalf("saveTemplate: %v", saved)
	}
	if s := op1.Call("suggestions", map[string]any{"action": "suggest", "chatId": chatID, "text": "parc"}); !slices.Equal(textsOf(s["suggestions"].([]any)), []string{answer}) {
		t.Fatalf("the saved template is not suggested: %v", s)
	}
	if r := testkit.Call(t, "GET", w.api+"/templates?level=personal", w.op1.token, nil); r.Status != 200 || len(r.Body["items"].([]any)) != 2 {
		t.Fatalf("op1's personal templates over HTTP: %+v", r)
	}
	if f := op1.Call("error", map[string]any{"action": "saveTemplate", "chatId": chatID, "text": ""}); f["error"].(map[string]any)["code"] != "invalid" {
		t.Fatalf("saving an empty template: %v", f)
	}
	if f := vis.Call("error", map[string]any{"action": "templates", "chatId": chatID}); f["error"].(map[string]any)["code"] != "invalid" {
		t.Fatalf("a visitor asked for templates: %v", f)
	}
}

// config loads the widget config as the widget does, with a visitor token
// ("" for a new visitor).
func (w *chatWorld) config(t *testing.T, token string) testkit.Reply {
	t.Helper()
	r := testkit.Call(t, "GET", w.api+"/widget/"+w.account+"/config?visitorToken="+url.QueryEscape(token), "", nil)
	if r.Status != 200 {
		t.Fatalf("widget config: %+v", r)
	}
	return r
}

func (w *chatWorld) patch(t *testing.T, section string, body map[string]any) {
	t.Helper()
	if r := testkit.Call(t, "PATCH", w.api+"/settings/"+section, w.admin, body); r.Status != 200 {
		t.Fatalf("PATCH %s %v: %+v", section, body, r)
	}
}

// visitor opens a new visitor's socket, whatever button the config shows.
func (w *chatWorld) visitor(t *testing.T, ctx context.Context, name string) (*wsClient, string) {
	t.Helper()
	cfg := w.config(t, "")
	return dialWS(t, ctx, name, w.s.WebSocketURL+"?visitorToken="+url.QueryEscape(cfg.Body["visitorToken"].(string))), cfg.Body["visitorId"].(string)
}

func code(f map[string]any) any { return f["error"].(map[string]any)["code"] }

// waitButton waits until a new visitor is offered button want.
func (w *chatWorld) waitButton(t *testing.T, want string) {
	t.Helper()
	testkit.Eventually(t, "the "+want+" button", func() bool { return w.config(t, "").Body["button"] == want })
}

// TestOfflineQueueLimit: misc.offlineQueueLimit unanswered offline requests
// hide the offline button and refuse more; staff closing one frees a place.
func TestOfflineQueueLimit(t *testing.T) {
	w := newChatWorld(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	w.patch(t, "misc", map[string]any{"offlineQueueLimit": 2})
	w.waitButton(t, "offline")
	var requests []string
	for i := range 2 {
		v, _ := w.visitor(t, ctx, fmt.Sprintf("visitor%d", i))
		f := v.Call("chat", map[string]any{"action": "leaveMessage", "name": "Ann", "contact": "ann@visitor.example", "text": fmt.Sprintf("request %d", i)})
		requests = append(requests, chatOf(f)["id"].(string))
	}
	if b := w.config(t, "").Body["button"]; b != "hidden" {
		t.Fatalf("button with 2 unanswered offline requests of 2: %v", b)
	}
	late, _ := w.visitor(t, ctx, "late")
	if f := late.Call("error", map[string]any{"action": "leaveMessage", "name": "Bob", "contact": "bob@visitor.example", "text": "one more"}); code(f) != "conflict" {
		t.Fatalf("an offline request past the limit: %v", f)
	}
	full := testkit.Call(t, "GET", w.api+"/chats/"+requests[0], w.admin, nil)
	if c := full.Body["chat"].(map[string]any); c["offline"] != true || c["unanswered"] != true {
		t.Fatalf("an offline request in the history: %+v", full)
	}
	// The history's offline filter: the requests alone, or none of them
	// beside a chat of the same account.
	chatted, _ := w.visitor(t, ctx, "chatter")
	chatID := chatOf(chatted.Call("chat", map[string]any{"action": "startChat", "question": "Anyone?"}))["id"].(string)
	ids := func(query string) []string {
		var out []string
		for _, c := range testkit.Call(t, "GET", w.api+"/chats?"+query, w.admin, nil).Body["items"].([]any) {
			out = append(out, c.(map[string]any)["id"].(string))
		}
		slices.Sort(out)
		return out
	}
	if got, want := ids("offline=true"), slices.Sorted(slices.Values(requests)); !slices.Equal(got, want) {
		t.Errorf("offline=true lists %v, want the requests %v", got, want)
	}
	if got := ids("offline=false"); !slices.Equal(got, []string{chatID}) {
		t.Errorf("offline=false lists %v, want the chat %s alone", got, chatID)
	}
	if r := testkit.Call(t, "GET", w.api+"/chats?offline=yes", w.admin, nil); r.Status != 422 {
		t.Errorf("offline=yes: %d %v, want 422", r.Status, r.Body)
	}

	// An away administrator answers one: the offline button is back (the
	// away operator does not make the button online).
	adm := w.staff(t, ctx, "admin", w.admin)
	adm.Call("presence", map[string]any{"action": "setPresence", "status": "away"})
	for range 2 { // closing twice counts once
		if f := adm.Call("chat", map[string]any{"action": "closeChat", "chatId": requests[0]}); chatOf(f)["unanswered"] == true {
			t.Fatalf("closing an offline request left it unanswered: %v", f)
		}
	}
	if b := w.config(t, "").Body["button"]; b != "offline" {
		t.Fatalf("button after an answer: %v", b)
	}
	late.Call("chat", map[string]any{"action": "leaveMessage", "name": "Bob", "contact": "bob@visitor.example", "text": "one more"})
	if b := w.config(t, "").Body["button"]; b != "hidden" {
		t.Fatalf("button with the queue full again: %v", b)
	}
}

// TestRedirect: an operator hands a chat to another operator, who then
// leads it alone, and that operator hands it to a department, where it
// waits again for anyone to take.
func TestRedirect(t *testing.T) {
	w := newChatWorld(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dept := testkit.Call(t, "POST", w.api+"/departments", w.admin, map[string]any{"name": "Support"}).Body["id"].(string)
	op1 := w.staff(t, ctx, "op1", w.op1.token)
	op2 := w.staff(t, ctx, "op2", w.op2.token)
	// The visitor is identified by the site (SPEC §4.11), so whoever leads
	// the chat gets the CRM link: on the take, and on the redirect's push.
	w.patch(t, "integration", map[string]any{"crmUrlTemplate": "https://crm.acme.example/contacts/{id}"})
	key := testkit.Call(t, "POST", w.api+"/settings/integration/private-key/regenerate", w.admin, nil).Body["privateKey"].(string)
	cfg := w.config(t, "")
	vtoken := cfg.Body["visitorToken"].(string)
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write([]byte("id=42 7\nname=Ann"))
	if r := testkit.Call(t, "POST", w.api+"/widget/"+w.account+"/identify", "", map[string]any{"visitorToken": vtoken,
		"fields": map[string]string{"id": "42 7", "name": "Ann"}, "signature": hex.EncodeToString(mac.Sum(nil))}); r.Status != 200 {
		t.Fatalf("identify: %+v", r)
	}
	vis := dialWS(t, ctx, "visitor", w.s.WebSocketURL+"?visitorToken="+url.QueryEscape(vtoken))
	chatID := chatOf(vis.Call("chat", map[string]any{"action": "startChat", "question": "Hello?"}))["id"].(string)
	const crm = "https://crm.acme.example/contacts/42%207"
	if c := chatOf(op1.Call("chat", map[string]any{"action": "take", "chatId": chatID})); c["crmUrl"] != crm || c["visitor"].(map[string]any)["name"] != "Ann" {
		t.Fatalf("the take's chat lacks the identified visitor: %v", c)
	}

	if f := op1.Call("error", map[string]any{"action": "redirect", "chatId": chatID}); code(f) != "invalid" {
		t.Fatalf("redirect to nobody: %v", f)
	}
	if f := op1.Call("error", map[string]any{"action": "redirect", "chatId": chatID, "operatorId": "nobody"}); code(f) != "not_found" {
		t.Fatalf("redirect to an unknown operator: %v", f)
	}
	// Under hideOthersChats (the chat world's setting) op1's chat does not
	// exist for op2; without it, it is not theirs to redirect.
	if f := op2.Call("error", map[string]any{"action": "redirect", "chatId": chatID, "operatorId": w.op2.id}); code(f) != "not_found" {
		t.Fatalf("an operator redirected another's hidden chat: %v", f)
	}
	w.patch(t, "features", map[string]any{"hideOthersChats": false})
	if f := op2.Call("error", map[string]any{"action": "redirect", "chatId": chatID, "operatorId": w.op2.id}); code(f) != "conflict" {
		t.Fatalf("an operator redirected another's chat: %v", f)
	}
	w.patch(t, "features", map[string]any{"hideOthersChats": true})
	f := op1.Call("chat", map[string]any{"action": "redirect", "chatId": chatID, "operatorId": w.op2.id})
	if c := chatOf(f); c["status"] != "active" || c["operatorId"] != w.op2.id {
		t.Fatalf("redirect to op2: %v", f)
	}
	if c := chatOf(op2.Expect("chat", func(f map[string]any) bool { return chatOf(f)["id"] == chatID && chatOf(f)["operatorId"] == w.op2.id })); c["crmUrl"] != crm {
		t.Fatalf("the redirected chat reached op2 without the CRM link: %v", c)
	}
	vis.Expect("chat", func(f map[string]any) bool { return chatOf(f)["operatorId"] == w.op2.id })

	// op2 now writes and receives; op1 does neither.
	op2.Call("sent", map[string]any{"action": "sendMessage", "chatId": chatID, "text": "op2 here"})
	vis.Expect("message", func(f map[string]any) bool { return f["text"] == "op2 here" })
	if f := op1.Call("error", map[string]any{"action": "sendMessage", "chatId": chatID, "text": "still mine?"}); code(f) != "conflict" {
		t.Fatalf("the previous operator wrote: %v", f)
	}
	vis.Call("sent", map[string]any{"action": "sendMessage", "chatId": chatID, "text": "thanks op2"})
	op2.Expect("message", func(f map[string]any) bool { return f["text"] == "thanks op2" })
	// A ping's pong comes after any message the fan-out sent op1.
	op1.Send(map[string]any{"action": "ping"})
	for f := range op1.Frames {
		if f["type"] == "message" {
			t.Fatalf("op1 still receives the chat's messages after the redirect: %v", f)
		}
		if f["type"] == "pong" {
			break
		}
	}
	if st := op1.Call("state", map[string]any{"action": "hello"}); len(st["mine"].([]any)) != 0 {
		t.Fatalf("op1's chats after the redirect: %v", st["mine"])
	}

	// To a department: it waits again, for the department's members
	// (op1), not for others (op2).
	if r := testkit.Call(t, "PATCH", w.api+"/people/"+w.op1.id, w.admin, map[string]any{"departments": []string{dept}}); r.Status != 200 {
		t.Fatalf("op1 joins the department: %+v", r)
	}
	f = op2.Call("chat", map[string]any{"action": "redirect", "chatId": chatID, "departmentId": dept})
	if c := chatOf(f); c["status"] != "waiting" || c["departmentId"] != dept || c["operatorId"] != nil {
		t.Fatalf("redirect to a department: %v", f)
	}
	op1.Expect("chat", func(f map[string]any) bool { return chatOf(f)["id"] == chatID && chatOf(f)["status"] == "waiting" })
	if st := op1.Call("state", map[string]any{"action": "hello"}); !slices.ContainsFunc(st["waiting"].([]any), func(c any) bool { return c.(map[string]any)["id"] == chatID }) {
		t.Fatalf("op1's waiting list lacks the redirected chat: %v", st)
	}
	if st := op2.Call("state", map[string]any{"action": "hello"}); slices.ContainsFunc(st["waiting"].([]any), func(c any) bool { return c.(map[string]any)["id"] == chatID }) {
		t.Fatalf("op2, not in the department, sees the chat waiting for it: %v", st)
	}
	op1.Call("chat", map[string]any{"action": "take", "chatId": chatID})
	op1.Call("sent", map[string]any{"action": "sendMessage", "chatId": chatID, "text": "op1 again"})
	vis.Expect("message", func(f map[string]any) bool { return f["text"] == "op1 again" })
}

// TestPresenceAndQueue: the online button follows operators' presence
// (setPresence away hides it) and misc.onlineQueueLimit.
func TestPresenceAndQueue(t *testing.T) {
	w := newChatWorld(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	w.waitButton(t, "offline")
	op1 := w.staff(t, ctx, "op1", w.op1.token)
	w.waitButton(t, "online")
	if f := op1.Call("presence", map[string]any{"action": "setPresence", "status": "away"}); f["presence"] != "away" {
		t.Fatalf("setPresence: %v", f)
	}
	w.waitButton(t, "offline")
	if f := op1.Call("error", map[string]any{"action": "setPresence", "status": "busy"}); code(f) != "invalid" {
		t.Fatalf("an unknown presence: %v", f)
	}
	op1.Call("presence", map[string]any{"action": "setPresence", "status": "online"})
	w.waitButton(t, "online")

	// One waiting chat fills a queue of one: the online button gives way
	// to the offline one until an operator takes the chat.
	w.patch(t, "misc", map[string]any{"onlineQueueLimit": 1})
	vis, _ := w.visitor(t, ctx, "visitor")
	chatID := chatOf(vis.Call("chat", map[string]any{"action": "startChat", "question": "anyone?"}))["id"].(string)
	if b := w.config(t, "").Body["button"]; b != "offline" {
		t.Fatalf("button with the online queue full: %v", b)
	}
	// And when the offline queue is full too, no button at all: the
	// offline form would refuse the request.
	off, _ := w.visitor(t, ctx, "offline-visitor")
	off.Call("chat", map[string]any{"action": "leaveMessage", "name": "Ann", "contact": "ann@example.com", "text": "call me"})
	w.patch(t, "misc", map[string]any{"offlineQueueLimit": 1})
	if b := w.config(t, "").Body["button"]; b != "hidden" {
		t.Fatalf("button with both queues full: %v", b)
	}
	w.patch(t, "misc", map[string]any{"offlineQueueLimit": nil})
	op1.Call("chat", map[string]any{"action": "take", "chatId": chatID})
	if b := w.config(t, "").Body["button"]; b != "online" {
		t.Fatalf("button once the chat was taken: %v", b)
	}
}

// TestButtonProbability: misc.buttonProbability is drawn once per visitor
// and kept: 0 hides the button, 100 shows it, and at 50 each visitor
// keeps their own outcome while visitors differ.
func TestButtonProbability(t *testing.T) {
	w := newChatWorld(t)
	w.patch(t, "misc", map[string]any{"buttonProbability": 0})
	if b := w.config(t, "").Body["button"]; b != "hidden" {
		t.Fatalf("button at probability 0: %v", b)
	}
	w.patch(t, "misc", map[string]any{"buttonProbability": 100})
	if b := w.config(t, "").Body["button"]; b != "offline" {
		t.Fatalf("button at probability 100 with nobody online: %v", b)
	}
	w.patch(t, "misc", map[string]any{"buttonProbability": 50})
	outcomes := map[bool]int{}
	for range 24 {
		first := w.config(t, "")
		token, hidden := first.Body["visitorToken"].(string), first.Body["button"] == "hidden"
		for range 2 {
			if again := w.config(t, token); (again.Body["button"] == "hidden") != hidden {
				t.Fatalf("visitor %v: button %v, then %v: the draw must stick", first.Body["visitorId"], first.Body["button"], again.Body["button"])
			}
		}
		outcomes[hidden]++
	}
	// 24 fair draws all alike: once in 8 million runs.
	if outcomes[true] == 0 || outcomes[false] == 0 {
		t.Fatalf("24 visitors at probability 50 all drew alike: %v", outcomes)
	}
}

// TestHiddenButtonKeepsAChatGoingOn: a hidden button withholds the offer
// of a new chat from a visitor, never the chat they have going on, which
// the config tells the widget (openChat) so it shows it.
func TestHiddenButtonKeepsAChatGoingOn(t *testing.T) {
	w := newChatWorld(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cfg := w.config(t, "")
	token := cfg.Body["visitorToken"].(string)
	if cfg.Body["openChat"] != nil {
		t.Fatalf("a new visitor's config: %v", cfg.Body)
	}
	vis := dialWS(t, ctx, "visitor", w.s.WebSocketURL+"?visitorToken="+url.QueryEscape(token))
	vis.Call("chat", map[string]any{"action": "startChat", "question": "Still there?"})
	w.patch(t, "misc", map[string]any{"buttonProbability": 0})
	if c := w.config(t, ""); c.Body["button"] != "hidden" || c.Body["openChat"] != nil {
		t.Fatalf("another visitor at probability 0: %v", c.Body)
	}
	if c := w.config(t, token); c.Body["button"] != "hidden" || c.Body["openChat"] != true {
		t.Fatalf("the visitor with a chat going on at probability 0: %v", c.Body)
	}
}

// TestNotifyNewVisitors: with features.notifyNewVisitors every online
// operator hears of a visitor's first visit, once.
func TestNotifyNewVisitors(t *testing.T) {
	w := newChatWorld(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	op1 := w.staff(t, ctx, "op1", w.op1.token)
	quiet, quietID := w.visitor(t, ctx, "before")
	quiet.Call("state", map[string]any{"action": "hello"})
	w.patch(t, "features", map[string]any{"notifyNewVisitors": true})
	op2 := w.staff(t, ctx, "op2", w.op2.token)

	v1, v1ID := w.visitor(t, ctx, "v1")
	v1.Call("state", map[string]any{"action": "hello", "page": "https://acme.example/shop"})
	for _, op := range []*wsClient{op1, op2} {
		if f := op.Expect("visitor", func(f map[string]any) bool { return f["visitorId"] == v1ID }); f["url"] != "https://acme.example/shop" {
			t.Fatalf("%s: new visitor frame %v", op.Name, f)
		}
	}
	// A second hello of the same visitor is not news; a new visitor is,
	// but a page that is no http(s) URL (here a 20 KB javascript: one)
	// is not forwarded to staff.
	v1.Call("state", map[string]any{"action": "hello"})
	v2, v2ID := w.visitor(t, ctx, "v2")
	v2.Call("state", map[string]any{"action": "hello", "page": "javascript:" + strings.Repeat("a", 20<<10)})
	got := op1.Expect("visitor", func(f map[string]any) bool {
		if f["visitorId"] == v1ID || f["visitorId"] == quietID {
			t.Fatalf("op1 was told again about %v", f["visitorId"])
		}
		return f["visitorId"] == v2ID
	})
	if u, ok := got["url"]; ok {
		t.Fatalf("the new-visitor alert forwarded the page %.40q...", u)
	}
}

// TestVisitorCloses: a visitor closing an active chat leaves it with the
// operator, who is told and closes it; a visitor who closed without
// reading the last message gets the chat back on their next visit (the
// 3-day grace of SPEC §3) until they read it.
func TestVisitorCloses(t *testing.T) {
	w := newChatWorld(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	op1 := w.staff(t, ctx, "op1", w.op1.token)
	cfg := w.config(t, "")
	token := cfg.Body["visitorToken"].(string)
	vis := dialWS(t, ctx, "visitor", w.s.WebSocketURL+"?visitorToken="+url.QueryEscape(token))
	chatID := chatOf(vis.Call("chat", map[string]any{"action": "startChat", "question": "Hi"}))["id"].(string)
	op1.Call("chat", map[string]any{"action": "take", "chatId": chatID})
	last := op1.Call("sent", map[string]any{"action": "sendMessage", "chatId": chatID, "text": "the answer you have not read"})

	if f := vis.Call("chat", map[string]any{"action": "closeChat", "chatId": chatID}); chatOf(f)["status"] != "active" || chatOf(f)["visitorClosed"] != true {
		t.Fatalf("the visitor's close of an active chat: %v", f)
	}
	if f := op1.Expect("chat", chatIs(chatID)); chatOf(f)["visitorClosed"] != true || chatOf(f)["status"] != "active" {
		t.Fatalf("the operator's view after the visitor closed: %v", f)
	}
	// Having ended it, the visitor's next question is a new chat, not
	// the one the operator has still to close; a bad page on the message
	// is dropped, the message kept.
	other, _ := w.visitor(t, ctx, "other")
	otherID := chatOf(other.Call("chat", map[string]any{"action": "startChat", "question": "Hello"}))["id"].(string)
	other.Call("chat", map[string]any{"action": "closeChat", "chatId": otherID})
	next := other.Call("sent", map[string]any{"action": "sendMessage", "text": "one more question", "page": "not a page"})
	if next["chatId"] == otherID || next["chatId"] == nil {
		t.Fatalf("a message after the visitor ended the chat went to %v, the ended chat is %s", next["chatId"], otherID)
	}
	op1.Call("chat", map[string]any{"action": "setCategory", "chatId": chatID, "category": "Support"})
	op1.Call("chat", map[string]any{"action": "closeChat", "chatId": chatID})
	vis.Expect("chat", func(f map[string]any) bool { return chatOf(f)["status"] == "closed" })
	vis.Conn.Close(websocket.StatusNormalClosure, "")

	// Back within the grace: the closed chat and its unread message.
	vis = dialWS(t, ctx, "visitor again", w.s.WebSocketURL+"?visitorToken="+url.QueryEscape(token))
	st := vis.Call("state", map[string]any{"action": "hello"})
	msgs, _ := st["messages"].([]any)
	if chatOf(st)["id"] != chatID || chatOf(st)["status"] != "closed" || len(msgs) == 0 || msgs[len(msgs)-1].(map[string]any)["text"] != "the answer you have not read" {
		t.Fatalf("a returning visitor with an unread message: %v", st)
	}
	vis.Call("ok", map[string]any{"action": "read", "chatId": chatID, "seq": last["seq"]})
	if st := vis.Call("state", map[string]any{"action": "hello"}); st["chat"] != nil {
		t.Fatalf("the chat came back after the visitor read it: %v", st)
	}
}

// TestGoneConnection: a post answered 410 Gone forgets the connection and
// its chat subscriptions, and delivery to the others goes on.
func TestGoneConnection(t *testing.T) {
	w := newChatWorld(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	op1 := w.staff(t, ctx, "op1", w.op1.token)
	vis, _ := w.visitor(t, ctx, "visitor")
	chatID := chatOf(vis.Call("chat", map[string]any{"action": "startChat", "question": "Hi"}))["id"].(string)
	op1.Call("chat", map[string]any{"action": "take", "chatId": chatID})

	// A second tab of op1 whose socket died without a $disconnect.
	gone := realtime.Connection{ID: fmt.Sprintf("gone-%d", time.Now().UnixNano()), AccountID: w.account, Kind: auth.Access, Subject: w.op1.id,
		Role: string(routes.Operator), ConnectedAt: time.Now().UTC()}
	store := w.s.Store
	if err := store.PutConnection(ctx, gone); err != nil {
		t.Fatal(err)
	}
	if err := store.Subscribe(ctx, w.account, chatID, []realtime.Connection{gone}); err != nil {
		t.Fatal(err)
	}
	vis.Call("sent", map[string]any{"action": "sendMessage", "chatId": chatID, "text": "hello both tabs"})
	op1.Expect("message", func(f map[string]any) bool { return f["text"] == "hello both tabs" })
	testkit.Eventually(t, "the gone connection forgotten", func() bool {
		_, err := store.Connection(ctx, gone.ID)
		return apperr.CodeOf(err) == apperr.NotFound
	})
	conns, err := store.ChatConnections(ctx, w.account, chatID)
	if err != nil {
		t.Fatal(err)
	}
	if slices.ContainsFunc(conns, func(c realtime.Connection) bool { return c.ID == gone.ID }) {
		t.Fatalf("the gone connection is still subscribed to the chat: %v", conns)
	}
	staff, err := store.StaffConnections(ctx, w.account)
	if err != nil {
		t.Fatal(err)
	}
	if slices.ContainsFunc(staff, func(c realtime.Connection) bool { return c.ID == gone.ID }) {
		t.Fatalf("the gone connection is still in the staff set")
	}
	op1.Call("sent", map[string]any{"action": "sendMessage", "chatId": chatID, "text": "still here"})
	vis.Expect("message", func(f map[string]any) bool { return f["text"] == "still here" })
}

// TestLongChatPages: a chat whose messages add up to more than one
// WebSocket message may carry (API Gateway: 128 KB) reaches a reconnecting
// visitor in pages: hello gives the first with more, history the rest,
// every frame under the limit, every message once and in order.
func TestLongChatPages(t *testing.T) {
	w := newChatWorld(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cfg := w.config(t, "")
	token := cfg.Body["visitorToken"].(string)
	vis := dialWS(t, ctx, "visitor", w.s.WebSocketURL+"?visitorToken="+url.QueryEscape(token))
	chatID := chatOf(vis.Call("chat", map[string]any{"action": "startChat"}))["id"].(string)
	const long = 12
	text := strings.Repeat("long line ", 1500) // 15,000 bytes
	var last float64
	for i := range long {
		f := vis.Call("sent", map[string]any{"action": "sendMessage", "chatId": chatID, "text": fmt.Sprintf("%d %s", i, text)})
		last = f["seq"].(float64)
	}

	again := dialWS(t, ctx, "visitor again", w.s.WebSocketURL+"?visitorToken="+url.QueryEscape(token))
	st := again.Call("state", map[string]any{"action": "hello", "since": 0})
	seen := []float64{}
	take := func(f map[string]any) {
		b, _ := json.Marshal(f)
		if len(b) > 128<<10 {
			t.Fatalf("a frame of %d bytes: over API Gateway's message limit", len(b))
		}
		for _, m := range f["messages"].([]any) {
			seen = append(seen, m.(map[string]any)["seq"].(float64))
		}
	}
	take(st)
	if st["more"] != true {
		t.Fatalf("hello carried %d messages of a %v-message chat without more", len(seen), last)
	}
	for more, pages := true, 1; more; pages++ {
		if pages > long {
			t.Fatalf("history does not end: %d pages", pages)
		}
		f := again.Call("messages", map[string]any{"action": "history", "chatId": chatID, "since": seen[len(seen)-1]})
		take(f)
		more = f["more"] == true
	}
	for i, seq := range seen {
		if seq != float64(i+1) {
			t.Fatalf("the pages gave seq %v at %d: %v", seq, i, seen)
		}
	}
	if seen[len(seen)-1] != last {
		t.Fatalf("the pages end at seq %v, the chat at %v", seen[len(seen)-1], last)
	}
}
