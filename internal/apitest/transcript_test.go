package apitest_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"parley/internal/chat"
	"parley/internal/lambdas"
	"parley/internal/routes"
	"parley/internal/testkit"
)

// TestLongChatTranscriptPaged: a 2 MB chat's transcript arrives whole
// through GET /v1/chats/{id} in pages (limit and 512 KB of text each),
// each page's next leading to the following one, every message once and
// in order; limit and since narrow a page.
func TestLongChatTranscriptPaged(t *testing.T) {
	e := newEnv(t)
	a := e.signUp("corporate")
	_, opID := e.staff(a, routes.Operator)
	ctx := context.Background()
	svc := lambdas.ChatService(e.stack.Store, time.Now)
	v := chat.Party{AccountID: a.ID, Kind: chat.FromVisitor, ID: "long-visitor"}
	c, _, _, err := svc.Start(ctx, v, chat.StartInput{Question: "a long one"})
	if err != nil {
		t.Fatal(err)
	}
	// The operator writes (visitors are held to 30 a minute); '<' is what
	// JSON escapes sixfold, the worst case for a page's size.
	op := chat.Party{AccountID: a.ID, Kind: chat.FromOperator, ID: opID, Role: routes.Operator}
	line := strings.Repeat("<x", chat.MaxTextBytes/2-16)
	for i := range 130 {
		if _, _, _, _, _, err := svc.Post(ctx, op, c.ID, "", fmt.Sprintf("%03d %s", i, line)); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
	}

	var seqs []int64
	total, pages := 0, 0
	path := "/v1/chats/" + c.ID
	for {
		r := expect(t, "GET "+path, e.do(testkit.Request{Method: "GET", Path: path, Token: a.Admin}), 200)
		pages++
		size := 0
		for _, m := range r.Body["messages"].([]any) {
			m := m.(map[string]any)
			seqs = append(seqs, int64(m["seq"].(float64)))
			size += len(m["text"].(string))
		}
		total += size
		if size > chat.PageTextBytes+chat.MaxTextBytes || len(r.Raw) > 6<<20 {
			t.Errorf("page %d: %d bytes of text, %d bytes of response", pages, size, len(r.Raw))
		}
		next, ok := r.Body["next"].(float64)
		if !ok {
			break
		}
		if pages > 20 {
			t.Fatal("no last page after 20")
		}
		path = fmt.Sprintf("/v1/chats/%s?since=%d", c.ID, int64(next))
	}
	if total < 2<<20 || pages < 4 {
		t.Errorf("%d bytes in %d pages, want over 2 MB in several", total, pages)
	}
	for i, s := range seqs {
		if s != int64(i+1) {
			t.Fatalf("message %d has seq %d: the pages skip or repeat (%v)", i, s, seqs)
		}
	}
	if len(seqs) < 131 {
		t.Errorf("%d messages arrived, want the question and 130", len(seqs))
	}

	r := expect(t, "limit and since", e.do(testkit.Request{Method: "GET", Path: "/v1/chats/" + c.ID + "?since=5&limit=3", Token: a.Admin}), 200)
	ms := r.Body["messages"].([]any)
	if len(ms) != 3 || ms[0].(map[string]any)["seq"] != float64(6) || r.Body["next"] != float64(8) {
		t.Errorf("since=5&limit=3: %d messages from %v, next %v; want 6..8, next 8", len(ms), ms[0].(map[string]any)["seq"], r.Body["next"])
	}
	expect(t, "a bad limit", e.do(testkit.Request{Method: "GET", Path: "/v1/chats/" + c.ID + "?limit=x", Token: a.Admin}), 422)
}
