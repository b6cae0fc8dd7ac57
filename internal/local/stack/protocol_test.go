package stack_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// TestProtocolFrames drives docs/websocket.md's framing promises through
// the local gateway as an independent client would: a pong echoes the
// ping's clientId; a message of up to 128 KB sent in frames of at most
// 32 KB reaches Parley (which refuses one over 32 KB with too_large,
// answered under its clientId, and keeps the connection); one frame over
// 32 KB closes the connection with 1009, as API Gateway does.
func TestProtocolFrames(t *testing.T) {
	w := newChatWorld(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	op := w.staff(t, ctx, "op1", w.op1.token)
	if f := op.Call("pong", map[string]any{"action": "ping", "clientId": "p-1"}); f["version"] != float64(2) {
		t.Fatalf("pong %v", f)
	}

	// 40 KB in two frames of 20 KB: API Gateway passes it on.
	b, _ := json.Marshal(map[string]any{"action": "sendMessage", "clientId": "big-1", "to": "nobody", "text": strings.Repeat("x", 40<<10)})
	wr, err := op.Conn.Writer(ctx, websocket.MessageText)
	if err != nil {
		t.Fatal(err)
	}
	half := len(b) / 2
	for _, part := range [][]byte{b[:half], b[half:]} {
		if _, err := wr.Write(part); err != nil { // one frame each
			t.Fatal(err)
		}
	}
	if err := wr.Close(); err != nil {
		t.Fatal(err)
	}
	if f := op.Reply("big-1"); f["type"] != "error" || f["error"].(map[string]any)["code"] != "too_large" {
		t.Fatalf("a 40 KB message: %v, want a too_large error under its clientId", f)
	}
	if f := op.Call("pong", map[string]any{"action": "ping"}); f["type"] != "pong" {
		t.Fatalf("after the refused message: %v", f)
	}

	// One frame of 33 KB: the gateway closes the connection.
	op.Send(map[string]any{"action": "ping", "pad": strings.Repeat("x", 33<<10)})
	for range op.Frames {
	}
	var ce websocket.CloseError
	if !errors.As(op.Err, &ce) || ce.Code != websocket.StatusMessageTooBig {
		t.Fatalf("after a 33 KB frame the socket ended with %v, want close 1009", op.Err)
	}
}

// TestButtonFollowsPresence: connected visitors are pushed `button` when
// the account's operators come online or all leave (SPEC §4.16), once per
// change: an operator's hello, away and back, and their socket closing.
func TestButtonFollowsPresence(t *testing.T) {
	w := newChatWorld(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	vis, _ := w.visitor(t, ctx, "visitor")
	vis.Call("state", map[string]any{"action": "hello"})
	// next is the visitor's next button push, which must say want: an
	// extra push in between fails the test.
	next := func(want bool) {
		t.Helper()
		if f := vis.Expect("button", nil); f["online"] != want {
			t.Fatalf("button push %v, want online %v", f, want)
		}
	}

	op := w.staff(t, ctx, "op1", w.op1.token) // says hello
	next(true)
	// A second operator changes nothing: someone was online already.
	op2 := w.staff(t, ctx, "op2", w.op2.token)
	op2.Call("presence", map[string]any{"action": "setPresence", "status": "away"})
	// staff lists who is online and who away, for a redirect.
	if f := op2.Call("staff", map[string]any{"action": "staff"}); fmt.Sprint(f["online"]) != "["+w.op1.id+"]" || fmt.Sprint(f["away"]) != "["+w.op2.id+"]" {
		t.Errorf("staff: %v, want %s online and %s away", f, w.op1.id, w.op2.id)
	}
	if f := vis.Call("error", map[string]any{"action": "staff"}); f["error"].(map[string]any)["code"] != "invalid" {
		t.Errorf("a visitor asking for the staff: %v", f)
	}
	op.Call("presence", map[string]any{"action": "setPresence", "status": "away"})
	next(false) // everyone is away now
	op.Call("presence", map[string]any{"action": "setPresence", "status": "online"})
	next(true)
	op.Conn.Close(websocket.StatusNormalClosure, "")
	next(false) // the only one not away left
	// Exactly one push per change: none came for op2's hello or away.
	vis.CallKeeping("pong", map[string]any{"action": "ping"})
	for _, f := range vis.Kept {
		if f["type"] == "button" {
			t.Errorf("an extra push: %v", f)
		}
	}
}
