package stack_test

import (
	"context"
	"net/url"
	"testing"
	"time"

	"parley/internal/testkit"
)

// TestWidgetPrechat: a placement's options reach the widget config (the
// pre-chat form's question and departments), and its chat language is the
// chat's only in multilingual mode, fixed at the start.
func TestWidgetPrechat(t *testing.T) {
	w := newChatWorld(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sales := testkit.Call(t, "POST", w.api+"/departments", w.admin, map[string]any{"name": "Sales"}).Body["id"].(string)
	support := testkit.Call(t, "POST", w.api+"/departments", w.admin, map[string]any{"name": "Billing"}).Body["id"].(string)
	cfgURL := w.api + "/widget/" + w.account + "/config?"

	plain := testkit.Call(t, "GET", cfgURL, "", nil)
	if _, ok := plain.Body["departments"]; plain.Status != 200 || plain.Body["askQuestion"] != false || ok {
		t.Fatalf("config without placement options: %+v", plain)
	}
	r := testkit.Call(t, "GET", cfgURL+"askQuestion=1&askDepartment=1&language=ru", "", nil)
	deps, _ := r.Body["departments"].([]any)
	if r.Status != 200 || r.Body["askQuestion"] != true || len(deps) != 2 {
		t.Fatalf("config with a pre-chat form: %+v", r)
	}
	if d := deps[0].(map[string]any); d["id"] != support || d["name"] != "Billing" || deps[1].(map[string]any)["id"] != sales {
		t.Fatalf("departments %v, want Billing then Sales", deps)
	}
	if r.Body["language"] != "en" {
		t.Fatalf("language %v with multilingual mode off, want company.language en", r.Body["language"])
	}
	for _, bad := range []string{"askQuestion=yes", "language=xx"} {
		if r := testkit.Call(t, "GET", cfgURL+bad, "", nil); r.Status != 422 {
			t.Fatalf("config ?%s: %+v, want 422", bad, r)
		}
	}

	// The greeting in another language waits for multilingual mode: with
	// it off, every placement gets the one greeting (SPEC §4.1, §4.3).
	const ruGreeting = "Здравствуйте! Чем помочь?"
	w.patch(t, "autoMessages", map[string]any{"greeting": "Hello from Acme!", "greetingByLanguage": map[string]any{"ru": ruGreeting}})
	if g := testkit.Call(t, "GET", cfgURL+"language=ru", "", nil).Body["greeting"]; g != "Hello from Acme!" {
		t.Fatalf("greeting of a ru placement with multilingual mode off: %v, want the main one", g)
	}
	w.patch(t, "features", map[string]any{"multilingual": true})
	r = testkit.Call(t, "GET", cfgURL+"askQuestion=1&language=ru", "", nil)
	if r.Body["language"] != "ru" {
		t.Fatalf("language %v in multilingual mode, want the placement's ru", r.Body["language"])
	}
	if g := r.Body["greeting"]; g != ruGreeting {
		t.Fatalf("greeting of a ru placement in multilingual mode: %v, want the Russian one", g)
	}
	if g := testkit.Call(t, "GET", cfgURL+"language=en", "", nil).Body["greeting"]; g != "Hello from Acme!" {
		t.Fatalf("greeting of a placement in the company's language: %v, want the main one", g)
	}
	// op1 may take the chat below: they speak Russian and are in Sales
	// (SPEC §4.2, §4.3; TestMultilingualLive covers those who may not).
	if r := testkit.Call(t, "PATCH", w.api+"/people/"+w.op1.id, w.admin, map[string]any{"languages": []string{"en", "ru"}, "departments": []string{sales}}); r.Status != 200 {
		t.Fatalf("op1's languages and departments: %+v", r)
	}
	op1 := w.staff(t, ctx, "op1", w.op1.token)
	vis := dialWS(t, ctx, "visitor", w.s.WebSocketURL+"?visitorToken="+url.QueryEscape(r.Body["visitorToken"].(string)))
	started := vis.Call("chat", map[string]any{"action": "startChat", "question": "Привет?", "departmentId": sales, "language": "ru"})
	chatID := chatOf(started)["id"].(string)
	if msgs, _ := started["messages"].([]any); len(msgs) != 2 || msgs[0].(map[string]any)["text"] != ruGreeting {
		t.Fatalf("a ru chat starts with %v, want the Russian greeting then the question", msgs)
	}
	f := op1.Expect("chat", chatIs(chatID))
	if c := chatOf(f); c["language"] != "ru" || c["departmentId"] != sales || c["question"] != "Привет?" {
		t.Fatalf("the operator sees %v, want a ru chat for Sales", c)
	}
	// A resume is not a start: another language does not change the chat.
	if c := chatOf(vis.Call("chat", map[string]any{"action": "startChat", "language": "en"})); c["id"] != chatID {
		t.Fatalf("a second startChat made chat %v", c)
	}
	if got := testkit.Call(t, "GET", w.api+"/chats/"+chatID, w.admin, nil); got.Body["chat"].(map[string]any)["language"] != "ru" {
		t.Fatalf("stored chat: %+v", got)
	}
}
