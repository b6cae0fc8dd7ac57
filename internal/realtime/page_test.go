package realtime

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"parley/internal/chat"
)

func messages(n, textBytes int) []chat.Message {
	ms := make([]chat.Message, n)
	for i := range ms {
		ms[i] = chat.Message{ChatID: "0190a1b2c3d4e5f60718", Seq: int64(i + 1), From: chat.FromVisitor, SenderID: "v1",
			Text: strings.Repeat("я", textBytes/2), At: time.Unix(1700000000, 0).UTC()}
	}
	return ms
}

// TestMessagesPage: a long chat of long messages is cut so its frame stays
// under API Gateway's message limit, in order and without a gap, and
// says there is more; a short chat arrives whole.
func TestMessagesPage(t *testing.T) {
	for _, tc := range []struct {
		name      string
		ms        []chat.Message
		wantAll   bool
		wantMore  bool
		wantFirst int64
	}{
		{"short chat", messages(12, 200), true, false, 1},
		{"long messages", messages(40, chat.MaxTextBytes), false, true, 1},
		{"a full page of small ones", messages(framePageMessages, 100), true, true, 1},
		{"empty", nil, true, false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			page, more := messagesPage(tc.ms)
			if more != tc.wantMore || (len(page) == len(tc.ms)) != tc.wantAll {
				t.Fatalf("%d of %d messages, more %v; want all %v, more %v", len(page), len(tc.ms), more, tc.wantAll, tc.wantMore)
			}
			for i, m := range page {
				if m.Seq != int64(i+1) {
					t.Fatalf("message %d has seq %d", i, m.Seq)
				}
			}
			if b := encode(ChatFrame{Type: "messages", Messages: page, More: more}); len(b) > MaxMessageBytes {
				t.Fatalf("the frame is %d bytes, over %d", len(b), MaxMessageBytes)
			}
		})
	}
}

// TestWorkplaceFit: a workplace too big for one message loses others'
// chats first, then the queue's and the waiting list's newest, keeps the
// operator's own, and counts what it left out.
func TestWorkplaceFit(t *testing.T) {
	view := func(prefix string, n int) []ChatView {
		out := make([]ChatView, n)
		for i := range out {
			out[i] = ChatView{ID: fmt.Sprintf("%s%04d", prefix, i), Status: chat.Waiting, Question: strings.Repeat("q", 2000)}
		}
		return out
	}
	w := &WorkplaceView{Waiting: view("w", 40), Queued: view("q", 40), Mine: view("m", 5), Others: view("o", 40)}
	f := ChatFrame{Type: "state", WorkplaceView: w}
	b := w.fit(f)
	if len(b) > MaxMessageBytes {
		t.Fatalf("still %d bytes", len(b))
	}
	if len(w.Mine) != 5 || len(w.Others) != 0 || w.Omitted["others"] != 40 {
		t.Fatalf("mine %d, others %d, omitted %v: others' chats must go first, the operator's own never", len(w.Mine), len(w.Others), w.Omitted)
	}
	if len(w.Waiting)+w.Omitted["waiting"] != 40 || len(w.Queued)+w.Omitted["queued"] != 40 {
		t.Fatalf("lists and omitted counts do not add up: %d+%d, %d+%d", len(w.Waiting), w.Omitted["waiting"], len(w.Queued), w.Omitted["queued"])
	}
	if len(w.Waiting) > 0 && w.Waiting[0].ID != "w0000" {
		t.Fatalf("the oldest waiting chat was dropped: %s first", w.Waiting[0].ID)
	}
	small := &WorkplaceView{Waiting: view("w", 3)}
	if small.fit(ChatFrame{Type: "state", WorkplaceView: small}); small.Omitted != nil || len(small.Waiting) != 3 {
		t.Fatalf("a small workplace was cut: %+v", small.Omitted)
	}
}
