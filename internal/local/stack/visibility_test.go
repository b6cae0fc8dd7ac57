package stack_test

import (
	"context"
	"testing"
	"time"
)

// TestWatcherDroppedWhenHidden: an operator watching a colleague's chat
// stops receiving it the moment features.hideOthersChats turns on: the
// stream's settings change drops them from the chat's fan-out and sends
// them gone; the visitor's next message reaches the chat's operator only.
func TestWatcherDroppedWhenHidden(t *testing.T) {
	w := newChatWorld(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	w.patch(t, "features", map[string]any{"hideOthersChats": false})
	op1 := w.staff(t, ctx, "op1", w.op1.token)
	op2 := w.staff(t, ctx, "op2", w.op2.token)
	vis, _ := w.visitor(t, ctx, "visitor")
	chatID := chatOf(vis.Call("chat", map[string]any{"action": "startChat", "question": "hello"}))["id"].(string)
	op1.Call("chat", map[string]any{"action": "take", "chatId": chatID})
	op2.Call("chat", map[string]any{"action": "watch", "chatId": chatID})
	vis.Call("sent", map[string]any{"action": "sendMessage", "chatId": chatID, "text": "seen by both"})
	op2.Expect("message", func(f map[string]any) bool { return f["text"] == "seen by both" })

	w.patch(t, "features", map[string]any{"hideOthersChats": true})
	op2.Expect("gone", func(f map[string]any) bool { return f["chatId"] == chatID })
	vis.Call("sent", map[string]any{"action": "sendMessage", "chatId": chatID, "text": "for op1 only"})
	op1.Expect("message", func(f map[string]any) bool { return f["text"] == "for op1 only" })
	// Anything fanned out to op2 before its own reply is kept by Reply.
	op2.CallKeeping("presence", map[string]any{"action": "setPresence", "status": "online"})
	for _, f := range op2.Kept {
		if f["type"] == "message" && f["text"] == "for op1 only" {
			t.Fatalf("op2 still received the hidden chat's message: %v", f)
		}
	}
	if f := op2.Call("error", map[string]any{"action": "watch", "chatId": chatID}); code(f) != "not_found" {
		t.Fatalf("op2 watched the chat again: %v", f)
	}
}

// TestWatcherOfWaitingChatDroppedWhenTaken: under hideOthersChats an
// operator may watch a waiting chat (it is theirs to take), but once a
// colleague takes it it is the colleague's: the watcher is sent gone and
// unsubscribed, and the chat's messages reach them no more.
func TestWatcherOfWaitingChatDroppedWhenTaken(t *testing.T) {
	w := newChatWorld(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	w.patch(t, "features", map[string]any{"hideOthersChats": true})
	op1 := w.staff(t, ctx, "op1", w.op1.token)
	op2 := w.staff(t, ctx, "op2", w.op2.token)
	vis, _ := w.visitor(t, ctx, "visitor")
	chatID := chatOf(vis.Call("chat", map[string]any{"action": "startChat", "question": "hello"}))["id"].(string)
	op2.Call("chat", map[string]any{"action": "watch", "chatId": chatID})
	op1.Call("chat", map[string]any{"action": "take", "chatId": chatID})
	op2.Expect("gone", func(f map[string]any) bool { return f["chatId"] == chatID })
	vis.Call("sent", map[string]any{"action": "sendMessage", "chatId": chatID, "text": "for op1 only"})
	op1.Expect("message", func(f map[string]any) bool { return f["text"] == "for op1 only" })
	op2.CallKeeping("presence", map[string]any{"action": "setPresence", "status": "online"})
	for _, f := range op2.Kept {
		if f["type"] == "message" && f["text"] == "for op1 only" {
			t.Fatalf("op2 still received op1's chat after the take: %v", f)
		}
	}
}
