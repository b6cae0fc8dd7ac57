package stack_test

import (
	"context"
	"encoding/base64"
	"slices"
	"strings"
	"testing"
	"time"

	"parley/internal/local/seslocal"
	"parley/internal/local/stack"
	"parley/internal/testkit"
)

// TestBusyMessageLive: with firstResponseTimeout at 5 s and nobody
// answering, the real sweeper (run by the schedule runner on the real
// clock) fires the timer, the stream consumer sends the busy message to
// the visitor and the operators, and the alert mail reaches the local SES
// signed, with the transcript; the visitor then closing the chat is a
// missed chat (refusalTimeout 3 s), which the history's outcome filter
// finds and the workplace lists as missed.
func TestBusyMessageLive(t *testing.T) {
	w := newChatWorldWith(t, func(o *stack.Options) { o.ScheduleSpeed, o.SweepWindow = 60, 500*time.Millisecond })
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	const busy = "All our operators are busy: we will answer as soon as we can"
	w.patch(t, "autoMessages", map[string]any{"firstResponseTimeout": 5, "busyMessage": busy, "refusalTimeout": 3})
	op1 := w.staff(t, ctx, "op1", w.op1.token)
	vis, _ := w.visitor(t, ctx, "visitor")
	started := time.Now()
	chatID := chatOf(vis.Call("chat", map[string]any{"action": "startChat", "question": "Is the blue one in stock?"}))["id"].(string)

	f := vis.Expect("message", func(f map[string]any) bool { return f["text"] == busy })
	if waited := time.Since(started); waited < 5*time.Second || waited > 9*time.Second {
		t.Errorf("the busy message came %v after the question, want about 5 s", waited)
	}
	if f["from"].(map[string]any)["kind"] != "system" || f["chatId"] != chatID {
		t.Fatalf("busy message frame: %v", f)
	}
	op1.Expect("message", func(f map[string]any) bool { return f["text"] == busy && f["chatId"] == chatID })
	op1.Expect("chat", func(f map[string]any) bool { return chatOf(f)["id"] == chatID && chatOf(f)["busyFirstAt"] != nil })

	m := w.mails(t, func(m seslocal.Mail) bool {
		return slices.Contains(m.To(), "neg@acme.example") && strings.Contains(m.Body.Text, chatID)
	})
	if m.Subject != "A visitor waited too long for an answer" || !strings.Contains(m.Body.Text, "The transcript is attached.") {
		t.Errorf("alert mail %q:\n%s", m.Subject, m.Body.Text)
	}
	if len(m.Attachments) != 1 || m.Attachments[0].Filename != "transcript-"+chatID+".txt" {
		t.Fatalf("alert mail attachments: %+v", m.Attachments)
	}
	transcript, err := base64.StdEncoding.DecodeString(m.Attachments[0].Content)
	if err != nil || !strings.Contains(string(transcript), "Visitor: Is the blue one in stock?") || !strings.Contains(string(transcript), "System: "+busy) {
		t.Errorf("attached transcript (%v):\n%s", err, transcript)
	}
	signed(t, m)

	// In the history, once; and the visitor leaving now is missed.
	r := testkit.Call(t, "GET", w.api+"/chats/"+chatID, w.admin, nil)
	n := 0
	for _, m := range r.Body["messages"].([]any) {
		if m.(map[string]any)["text"] == busy {
			n++
		}
	}
	if r.Status != 200 || n != 1 {
		t.Fatalf("history: %d busy messages in %+v", n, r)
	}
	vis.Call("chat", map[string]any{"action": "closeChat", "chatId": chatID})
	day := time.Now().UTC().Format("2006-01-02")
	testkit.Eventually(t, "the missed chat in the history", func() bool {
		r := testkit.Call(t, "GET", w.api+"/chats?from="+day+"&to="+day+"&outcome=missed", w.admin, nil)
		chats, _ := r.Body["items"].([]any)
		return r.Status == 200 && len(chats) == 1 && chats[0].(map[string]any)["id"] == chatID
	})
	if r := testkit.Call(t, "GET", w.api+"/chats?from="+day+"&to="+day+"&outcome=refusal", w.admin, nil); r.Status != 200 || len(r.Body["items"].([]any)) != 0 {
		t.Fatalf("refusals: %+v", r)
	}
	if r := testkit.Call(t, "GET", w.api+"/chats?from="+day+"&to="+day+"&outcome=later", w.admin, nil); r.Status != 422 {
		t.Fatalf("a bad outcome: %+v", r)
	}
	st := op1.Call("state", map[string]any{"action": "hello"})
	if !listHas(st, "missed", chatID) || listHas(st, "waiting", chatID) {
		t.Fatalf("workplace after the visitor left: %v", st)
	}
}
