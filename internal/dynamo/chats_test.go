package dynamo_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"parley/internal/apperr"
	"parley/internal/chat"
	"parley/internal/dynamo"
	"parley/internal/lambdas"
	"parley/internal/routes"
	"parley/internal/settings"
)

// chatService is the chat use cases on a fresh table with one account's
// settings, so the invariants are checked on the real store.
func chatService(t *testing.T) (*dynamo.Store, *chat.Service, string) {
	t.Helper()
	s := newStore(t)
	acc := "acc-" + fmt.Sprint(time.Now().UnixNano())
	doc, err := settings.NewAccountDocument("en", rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(doc)
	if _, err := s.SaveSettings(t.Context(), dynamo.SettingsRecord{AccountID: acc, Doc: string(raw), UpdatedAt: time.Now()}, 0); err != nil {
		t.Fatal(err)
	}
	return s, lambdas.ChatService(s, time.Now), acc
}

func visitorParty(acc, id string) chat.Party {
	return chat.Party{AccountID: acc, Kind: chat.FromVisitor, ID: id}
}
func operatorParty(acc, id string) chat.Party {
	return chat.Party{AccountID: acc, Kind: chat.FromOperator, ID: id, Role: routes.Operator}
}

// TestTakeRace: of many operators taking one chat at once, exactly one
// wins, and only the winner's count rises.
func TestTakeRace(t *testing.T) {
	s, svc, acc := chatService(t)
	ctx := t.Context()
	c, _, _, err := svc.Start(ctx, visitorParty(acc, "v1"), chat.StartInput{Question: "hello?"})
	if err != nil {
		t.Fatal(err)
	}
	const n = 20
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = svc.Take(ctx, operatorParty(acc, fmt.Sprintf("op%d", i)), c.ID)
		}()
	}
	wg.Wait()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Fatalf("operators %d and %d both took the chat", winner, i)
		case err == nil:
			winner = i
		case apperr.CodeOf(err) != apperr.Conflict:
			t.Fatalf("op%d: %v, want a conflict", i, err)
		}
	}
	if winner < 0 {
		t.Fatal("nobody took the chat")
	}
	got, err := s.Chat(ctx, acc, c.ID)
	if err != nil || got.OperatorID != fmt.Sprintf("op%d", winner) || got.Status != chat.Active {
		t.Fatalf("stored chat %+v (%v), want op%d active", got, err, winner)
	}
	for i := range n {
		load, err := s.OperatorLoad(ctx, acc, fmt.Sprintf("op%d", i))
		if want := int64(map[bool]int{true: 1}[i == winner]); err != nil || load != want {
			t.Errorf("op%d load %d (%v), want %d", i, load, err, want)
		}
	}
	if n, err := s.WaitingCount(ctx, acc); err != nil || n != 0 {
		t.Errorf("waiting count %d (%v), want 0", n, err)
	}
}

// TestMessagesConcurrently: both sides write at once, each message also
// resent; every message is stored exactly once and the seqs have no gaps.
func TestMessagesConcurrently(t *testing.T) {
	s, svc, acc := chatService(t)
	ctx := t.Context()
	v, op := visitorParty(acc, "v1"), operatorParty(acc, "op1")
	c, first, _, err := svc.Start(ctx, v, chat.StartInput{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Take(ctx, op, c.ID); err != nil {
		t.Fatal(err)
	}
	const each = 15
	var wg sync.WaitGroup
	for _, p := range []chat.Party{v, op} {
		for i := range each {
			for range 2 { // the resend
				wg.Add(1)
				go func() {
					defer wg.Done()
					if _, _, _, _, _, err := svc.Post(ctx, p, c.ID, fmt.Sprintf("%s-%d", p.Kind, i), fmt.Sprintf("%s says %d", p.Kind, i)); err != nil {
						t.Error(err)
					}
				}()
			}
		}
	}
	wg.Wait()
	ms, err := s.Messages(ctx, acc, c.ID, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != len(first)+2*each {
		t.Fatalf("%d messages stored, want %d", len(ms), len(first)+2*each)
	}
	seen := map[string]bool{}
	for i, m := range ms {
		if m.Seq != int64(i+1) {
			t.Fatalf("message %d has seq %d", i, m.Seq)
		}
		if m.ClientID != "" && seen[m.ClientID] {
			t.Fatalf("client id %s stored twice", m.ClientID)
		}
		seen[m.ClientID] = true
	}
	got, _ := s.Chat(ctx, acc, c.ID)
	if got.Seq != int64(len(ms)) || got.AnsweredAt.IsZero() {
		t.Fatalf("chat seq %d answeredAt %v, want %d and set", got.Seq, got.AnsweredAt, len(ms))
	}
}

// TestStartRace: a visitor's tabs starting a chat at once make one chat.
func TestStartRace(t *testing.T) {
	_, svc, acc := chatService(t)
	ctx := t.Context()
	ids := make([]string, 10)
	var wg sync.WaitGroup
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, _, _, err := svc.Start(ctx, visitorParty(acc, "v1"), chat.StartInput{})
			if err != nil {
				t.Error(err)
			}
			ids[i] = c.ID
		}()
	}
	wg.Wait()
	for _, id := range ids {
		if id != ids[0] {
			t.Fatalf("one visitor got chats %v", ids)
		}
	}
}

// TestHistoryPages: the history pages newest first through the filters.
func TestHistoryPages(t *testing.T) {
	_, svc, acc := chatService(t)
	ctx := t.Context()
	var want []string
	for i := range 7 {
		c, _, _, err := svc.Start(ctx, visitorParty(acc, fmt.Sprintf("v%d", i)), chat.StartInput{})
		if err != nil {
			t.Fatal(err)
		}
		if i%2 == 0 {
			if _, err := svc.Take(ctx, operatorParty(acc, "op1"), c.ID); err != nil {
				t.Fatal(err)
			}
			want = append([]string{c.ID}, want...)
		}
		time.Sleep(2 * time.Millisecond) // distinct start times
	}
	admin := chat.Party{AccountID: acc, Kind: chat.FromOperator, ID: "admin", Role: routes.Administrator}
	q := chat.Query{From: time.Now().Add(-time.Hour), To: time.Now().Add(time.Hour), Status: chat.Active, Limit: 2}
	var got []string
	for range 10 {
		page, err := svc.History(ctx, admin, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range page.Chats {
			got = append(got, c.ID)
		}
		if page.Next == "" {
			break
		}
		q.Cursor = page.Next
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("history %v, want %v", got, want)
	}
	_ = context.Background
}

// TestReadGraceEnds: a chat closed before the visitor read its last
// message is theirs to resume for chat.ReadGrace, and no longer after it
// (SPEC §3); the clock is the service's, moved by hand.
func TestReadGraceEnds(t *testing.T) {
	s, _, acc := chatService(t)
	ctx := t.Context()
	now := time.Now().UTC()
	svc := lambdas.ChatService(s, func() time.Time { return now })
	v, op := visitorParty(acc, "v1"), operatorParty(acc, "op1")
	c, _, _, err := svc.Start(ctx, v, chat.StartInput{Question: "hello?"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, _, _, err := svc.Post(ctx, op, c.ID, "a1", "the answer"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Close(ctx, op, c.ID); err != nil {
		t.Fatal(err)
	}
	closedAt := now
	for _, tc := range []struct {
		after time.Duration
		want  bool
	}{{0, true}, {chat.ReadGrace - time.Minute, true}, {chat.ReadGrace, true}, {chat.ReadGrace + time.Second, false}, {30 * 24 * time.Hour, false}} {
		now = closedAt.Add(tc.after)
		got, _, ok, err := svc.Resume(ctx, v, 0, 0)
		if err != nil || ok != tc.want || (ok && got.ID != c.ID) {
			t.Fatalf("resume %v after the close: ok %v (%v), want %v", tc.after, ok, err, tc.want)
		}
	}
	// Read to the end, the chat is not resumed even within the grace.
	now = closedAt.Add(time.Minute)
	got, _ := s.Chat(ctx, acc, c.ID)
	if _, err := svc.MarkRead(ctx, v, c.ID, got.Seq); err != nil {
		t.Fatal(err)
	}
	if _, _, ok, err := svc.Resume(ctx, v, 0, 0); err != nil || ok {
		t.Fatalf("a chat read to the end resumed: %v %v", ok, err)
	}
}
