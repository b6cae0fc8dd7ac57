package faults_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"parley/internal/chat"
	"parley/internal/dynamo"
	"parley/internal/faults"
	"parley/internal/lambdas"
	"parley/internal/routes"
	"parley/internal/settings"
	"parley/internal/testkit/testenv"
)

// sentMsg is what a sender was told of one of its messages.
type sentMsg struct {
	clientID, text string
	seq            int64
}

// TestMessagesUnderDynamoDBFaults drives many chats at once through the
// chat service while 15% of DynamoDB attempts fail, half of them after
// DynamoDB did the work (the response is lost and the SDK sends the write
// again). Each sender posts its messages one by one and resends with the
// same clientId until it is told `sent`; some successes are resent once
// more on purpose. Then, read without faults: each chat's messages are
// numbered 1..n without a gap, every clientId is stored exactly once, under
// the seq its sender was told (every time it was told), and each sender's
// messages are in the order sent.
func TestMessagesUnderDynamoDBFaults(t *testing.T) {
	clean, table := testenv.DynamoDB(t)
	inj := &faults.Injector{Rate: 0.15, Seed: uint64(time.Now().UnixNano()),
		Throttle: []string{"ProvisionedThroughputExceededException", "ThrottlingException"}}
	t.Logf("fault seed %d", inj.Seed)
	store, check := dynamo.New(faultyDynamoDB(clean, inj), table), dynamo.New(clean, table)
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()

	acc := fmt.Sprintf("acc-%d", time.Now().UnixNano())
	doc, err := settings.NewAccountDocument("en", rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(doc)
	if _, err := check.SaveSettings(ctx, dynamo.SettingsRecord{AccountID: acc, Doc: string(raw), UpdatedAt: time.Now()}, 0); err != nil {
		t.Fatal(err)
	}
	svc := lambdas.ChatService(store, time.Now)

	const chats, perSender = 8, 12
	var errorsSeen, resends, firstDup atomic.Int64
	// post sends one message until it is told sent, as a client does: the
	// same clientId every time. Every answer must name the same seq.
	post := func(p chat.Party, chatID, clientID, text string) (chat.Chat, sentMsg, error) {
		var got sentMsg
		for attempt := 0; ; attempt++ {
			c, m, dup, _, _, err := svc.Post(ctx, p, chatID, clientID, text)
			if err != nil {
				if !faulty(err) {
					return c, got, fmt.Errorf("%s: post %s: unexpected error: %w", p.ID, clientID, err)
				}
				if attempt > 200 || ctx.Err() != nil {
					return c, got, fmt.Errorf("%s: post %s: still failing: %w", p.ID, clientID, err)
				}
				errorsSeen.Add(1)
				continue
			}
			if m.ClientID != clientID || m.Text != text || m.Seq < 1 {
				return c, got, fmt.Errorf("%s: post %s: told %+v (dup %v)", p.ID, clientID, m, dup)
			}
			if dup && attempt == 0 {
				// The SDK resent a write whose response was lost, and the
				// store recognised it by its clientId.
				firstDup.Add(1)
			}
			got = sentMsg{clientID: clientID, text: text, seq: m.Seq}
			// A client that did not hear the answer resends: it must be
			// told the same seq.
			if attempt%3 == 0 && m.Seq%2 == 0 {
				resends.Add(1)
				for {
					_, again, dup2, _, _, err := svc.Post(ctx, p, c.ID, clientID, text)
					if err != nil {
						if !faulty(err) || ctx.Err() != nil {
							return c, got, fmt.Errorf("%s: resend %s: %w", p.ID, clientID, err)
						}
						continue
					}
					if !dup2 || again.Seq != m.Seq {
						return c, got, fmt.Errorf("%s: resend of %s (seq %d) answered seq %d, duplicate %v", p.ID, clientID, m.Seq, again.Seq, dup2)
					}
					break
				}
			}
			return c, got, nil
		}
	}

	type result struct {
		chatID string
		sent   map[string][]sentMsg // by sender id, in the order sent
	}
	results := make([]result, chats)
	errc := make(chan error, chats*2)
	inj.Enable(true)
	var wg sync.WaitGroup
	for i := range chats {
		wg.Go(func() {
			vis := chat.Party{AccountID: acc, Kind: chat.FromVisitor, ID: fmt.Sprintf("v%d", i)}
			op := chat.Party{AccountID: acc, Kind: chat.FromOperator, ID: fmt.Sprintf("op%d", i), Role: routes.Operator}
			r := result{sent: map[string][]sentMsg{}}
			// The first message starts the chat (no chat id yet: a resend
			// resumes the chat it may have started).
			c, first, err := post(vis, "", vis.ID+"-0", "hello from "+vis.ID)
			if err != nil {
				errc <- err
				return
			}
			r.chatID = c.ID
			r.sent[vis.ID] = append(r.sent[vis.ID], first)
			var mu sync.Mutex
			var inner sync.WaitGroup
			for _, p := range []chat.Party{vis, op} {
				inner.Go(func() {
					start := 0
					if p.Kind == chat.FromVisitor {
						start = 1
					}
					for n := start; n < perSender; n++ {
						id := fmt.Sprintf("%s-%d", p.ID, n)
						_, m, err := post(p, c.ID, id, fmt.Sprintf("message %d of %s", n, p.ID))
						if err != nil {
							errc <- err
							return
						}
						mu.Lock()
						r.sent[p.ID] = append(r.sent[p.ID], m)
						mu.Unlock()
					}
				})
			}
			inner.Wait()
			results[i] = r
		})
	}
	wg.Wait()
	inj.Enable(false)
	close(errc)
	for err := range errc {
		t.Error(err)
	}
	if t.Failed() {
		t.FailNow()
	}
	t.Logf("faults injected: %d %v; errors seen by callers (then resent): %d; deliberate resends: %d; first answers saying duplicate: %d", inj.Faulted(), inj.Counts(), errorsSeen.Load(), resends.Load(), firstDup.Load())
	if inj.Count("TransactWriteItems", faults.After) == 0 {
		t.Errorf("no transaction lost its response: the test did not test the nastiest case")
	}

	for _, r := range results {
		ms, err := check.Messages(ctx, acc, r.chatID, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		byClient := map[string]chat.Message{}
		for i, m := range ms {
			if m.Seq != int64(i+1) {
				t.Errorf("chat %s: message %d has seq %d: a gap or a duplicate", r.chatID, i+1, m.Seq)
			}
			if m.ClientID == "" {
				if m.From != chat.FromSystem {
					t.Errorf("chat %s: seq %d from %s has no clientId: %q", r.chatID, m.Seq, m.From, m.Text)
				}
				continue
			}
			if prev, dup := byClient[m.ClientID]; dup {
				t.Errorf("chat %s: clientId %s stored twice, seq %d and %d", r.chatID, m.ClientID, prev.Seq, m.Seq)
			}
			byClient[m.ClientID] = m
		}
		total := 0
		for sender, sent := range r.sent {
			total += len(sent)
			if len(sent) != perSender {
				t.Errorf("chat %s: %s was told sent for %d messages, want %d", r.chatID, sender, len(sent), perSender)
			}
			for i, s := range sent {
				m, ok := byClient[s.clientID]
				switch {
				case !ok:
					t.Errorf("chat %s: %s was told %s is seq %d, but it is not stored", r.chatID, sender, s.clientID, s.seq)
				case m.Seq != s.seq || m.Text != s.text || m.SenderID != sender:
					t.Errorf("chat %s: %s was told %s is seq %d %q, stored is seq %d %q by %s", r.chatID, sender, s.clientID, s.seq, s.text, m.Seq, m.Text, m.SenderID)
				}
				if i > 0 && s.seq <= sent[i-1].seq {
					t.Errorf("chat %s: %s's messages out of order: %s seq %d after %s seq %d", r.chatID, sender, s.clientID, s.seq, sent[i-1].clientID, sent[i-1].seq)
				}
			}
		}
		if len(byClient) != total {
			t.Errorf("chat %s: %d messages with a clientId stored, %d sent", r.chatID, len(byClient), total)
		}
		c, err := check.Chat(ctx, acc, r.chatID)
		if err != nil {
			t.Fatal(err)
		}
		if c.Seq != int64(len(ms)) || c.OperatorID == "" || c.Status != chat.Active {
			t.Errorf("chat %s: stored seq %d, operator %q, status %s; want seq %d, active with an operator", r.chatID, c.Seq, c.OperatorID, c.Status, len(ms))
		}
	}
}

// faulty reports whether err is what an injected fault makes a caller see:
// the fault itself once the SDK's attempts are spent, the SDK's retry quota
// running dry, or a lost race that a retry settles.
func faulty(err error) bool {
	s := err.Error()
	return strings.Contains(s, "injected fault") || strings.Contains(s, "retry quota exceeded") || errors.Is(err, chat.ErrRace)
}
