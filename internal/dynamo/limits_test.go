package dynamo_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"parley/internal/apperr"
	"parley/internal/chat"
	"parley/internal/dynamo"
	"parley/internal/lambdas"
	"parley/internal/mail"
	"parley/internal/ratelimit"
	"parley/internal/schema"
	"parley/internal/settings"
)

// countingOutbox counts the mails the service queues (they go to the
// real store too), so a test can tell that a refusal sent nothing.
type countingOutbox struct {
	mail.Outbox
	mu  sync.Mutex
	ids []string
}

func (o *countingOutbox) Enqueue(ctx context.Context, m mail.Message) error {
	o.mu.Lock()
	o.ids = append(o.ids, m.ID)
	o.mu.Unlock()
	return o.Outbox.Enqueue(ctx, m)
}

func (o *countingOutbox) count() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.ids)
}

// limitedService is the chat service on the real store with small limits
// and a clock the test moves, on an account that mails offline requests.
func limitedService(t *testing.T, l ratelimit.Limits) (*dynamo.Store, *chat.Service, *countingOutbox, string, *time.Time) {
	t.Helper()
	s := newStore(t)
	acc := "acc-" + fmt.Sprint(time.Now().UnixNano())
	doc, err := settings.NewAccountDocument("en", rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	doc.Emails.LeftMessages = []string{"left@acme.example"}
	raw, _ := json.Marshal(doc)
	if _, err := s.SaveSettings(t.Context(), dynamo.SettingsRecord{AccountID: acc, Doc: string(raw), UpdatedAt: time.Now()}, 0); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 3, 10, 0, 30, 0, time.UTC)
	clock := func() time.Time { return now }
	svc := lambdas.ChatService(s, clock)
	svc.Limits = l
	out := &countingOutbox{Outbox: s}
	svc.Outbox = out
	return s, svc, out, acc, &now
}

func visitorAt(acc, id, ip string) chat.Party {
	return chat.Party{AccountID: acc, Kind: chat.FromVisitor, ID: id, SourceIP: ip}
}

// refused checks that err is a rate_limited refusal with a wait.
func refused(t *testing.T, what string, err error) {
	t.Helper()
	var re *ratelimit.RetryError
	if !errors.As(err, &re) || apperr.CodeOf(err) != apperr.RateLimited || re.Seconds() < 1 || apperr.Public(err).Message == "" {
		t.Fatalf("%s: %v, want rate_limited with a wait", what, err)
	}
}

// answeredChat starts a chat for v and has an operator answer it.
func answeredChat(t *testing.T, svc *chat.Service, v chat.Party) chat.Chat {
	t.Helper()
	c, _, _, err := svc.Start(t.Context(), v, chat.StartInput{Question: "hello?"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, _, _, err := svc.Post(t.Context(), operatorParty(v.AccountID, "op1"), c.ID, "", "hi, how can I help?"); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestTranscriptLimits: a transcript needs an operator's answer, and the
// flood of an anonymous visitor stops at each limit (per chat, per
// recipient, per source address, per account) with nothing queued; a new
// window lets them through again.
func TestTranscriptLimits(t *testing.T) {
	l := ratelimit.Defaults()
	l.TranscriptsPerChat.Limit, l.TranscriptsPerRecipient.Limit, l.TranscriptsPerAddress.Limit, l.TranscriptsPerAccount.Limit = 2, 2, 3, 8
	_, svc, out, acc, now := limitedService(t, l)
	ctx := t.Context()

	lone, _, _, err := svc.Start(ctx, visitorAt(acc, "lone", "198.51.100.9"), chat.StartInput{Question: "buy cheap pills at spam.example"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.SendTranscript(ctx, visitorAt(acc, "lone", "198.51.100.9"), lone.ID, "victim@example.org"); apperr.CodeOf(err) != apperr.Conflict {
		t.Fatalf("transcript of an unanswered chat: %v, want conflict", err)
	}
	if out.count() != 0 {
		t.Fatalf("an unanswered chat's transcript queued %d mails", out.count())
	}

	// Per chat: two, then refused.
	v := visitorAt(acc, "v1", "198.51.100.1")
	c := answeredChat(t, svc, v)
	for i := range 2 {
		if _, err := svc.SendTranscript(ctx, v, c.ID, fmt.Sprintf("a%d@example.org", i)); err != nil {
			t.Fatal(err)
		}
	}
	_, err = svc.SendTranscript(ctx, v, c.ID, "a2@example.org")
	refused(t, "third transcript of one chat", err)
	if out.count() != 2 {
		t.Fatalf("%d mails queued, want 2", out.count())
	}

	// Per recipient, across chats and visitors (and however spelt): the
	// third to one address is refused.
	v2, v3, v4 := visitorAt(acc, "v2", "198.51.100.2"), visitorAt(acc, "v3", "198.51.100.3"), visitorAt(acc, "v4", "198.51.100.4")
	if _, err := svc.SendTranscript(ctx, v2, answeredChat(t, svc, v2).ID, "victim@example.org"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.SendTranscript(ctx, v3, answeredChat(t, svc, v3).ID, "VICTIM@example.org"); err != nil {
		t.Fatal(err)
	}
	_, err = svc.SendTranscript(ctx, v4, answeredChat(t, svc, v4).ID, "victim@example.org")
	refused(t, "third transcript to one address", err)

	// Per source address: one address's visitors share three an hour.
	ip := "203.0.113.7"
	for i := range 4 {
		vi := visitorAt(acc, fmt.Sprintf("ip-%d", i), ip)
		_, err := svc.SendTranscript(ctx, vi, answeredChat(t, svc, vi).ID, fmt.Sprintf("ip%d@example.org", i))
		if i < 3 && err != nil {
			t.Fatal(err)
		}
		if i == 3 {
			refused(t, "fourth transcript from one address", err)
		}
	}
	if out.count() != 7 {
		t.Fatalf("%d mails queued, want 7 (refusals queue nothing)", out.count())
	}
	// Per account: eight a day in all.
	v5, v6 := visitorAt(acc, "v5", "198.51.100.5"), visitorAt(acc, "v6", "198.51.100.6")
	if _, err := svc.SendTranscript(ctx, v5, answeredChat(t, svc, v5).ID, "v5@example.org"); err != nil {
		t.Fatal(err)
	}
	_, err = svc.SendTranscript(ctx, v6, answeredChat(t, svc, v6).ID, "v6@example.org")
	refused(t, "ninth transcript of the account in a day", err)
	if out.count() != 8 {
		t.Fatalf("%d mails queued, want 8", out.count())
	}
	// A day later the account may mail again.
	*now = now.Add(24 * time.Hour)
	if _, err := svc.SendTranscript(ctx, v6, answeredChat(t, svc, v6).ID, "next@example.org"); err != nil {
		t.Fatalf("a transcript the next day: %v", err)
	}
}

// TestOfflineAndStartLimits: one source address may leave so many offline
// requests and start so many chats an hour; the refused ones store no
// chat and queue no mail, and other addresses are not affected.
func TestOfflineAndStartLimits(t *testing.T) {
	l := ratelimit.Defaults()
	l.OfflinePerAddress.Limit, l.ChatStartsPerAddress.Limit = 2, 3
	s, svc, out, acc, _ := limitedService(t, l)
	ctx := t.Context()
	ip := "203.0.113.9"
	for i := range 3 {
		v := visitorAt(acc, fmt.Sprintf("off-%d", i), ip)
		_, err := svc.LeaveMessage(ctx, v, chat.OfflineInput{Name: "Spam", Contact: "x@spam.example", Text: fmt.Sprintf("buy %d", i)})
		if i < 2 && err != nil {
			t.Fatal(err)
		}
		if i == 2 {
			refused(t, "third offline request from one address", err)
			if id, err := s.OpenChatID(ctx, acc, v.ID); err != nil || id != "" {
				t.Fatalf("the refused request stored chat %q (%v)", id, err)
			}
		}
	}
	if out.count() != 2 {
		t.Fatalf("%d offline mails queued, want 2", out.count())
	}
	if _, err := svc.LeaveMessage(ctx, visitorAt(acc, "other", "198.51.100.77"), chat.OfflineInput{Name: "Ann", Contact: "ann@example.org", Text: "call me"}); err != nil {
		t.Fatalf("another address's request: %v", err)
	}

	for i := range 4 {
		v := visitorAt(acc, fmt.Sprintf("start-%d", i), ip)
		_, _, started, err := svc.Start(ctx, v, chat.StartInput{Question: "hi"})
		if i < 3 && (err != nil || !started) {
			t.Fatalf("start %d: %v", i, err)
		}
		if i == 3 {
			refused(t, "fourth chat start from one address", err)
			if id, err := s.OpenChatID(ctx, acc, v.ID); err != nil || id != "" {
				t.Fatalf("the refused start stored chat %q (%v)", id, err)
			}
		}
	}
	// Resuming an open chat is no start: it is not refused.
	if _, _, started, err := svc.Start(ctx, visitorAt(acc, "start-0", ip), chat.StartInput{}); err != nil || started {
		t.Fatalf("resuming: started %v, %v", started, err)
	}
}

// TestMessageLimits: a visitor may send so many messages a minute (the
// next minute they may go on), and a chat holds at most so many; neither
// refusal stores the message, and the operator can still answer.
func TestMessageLimits(t *testing.T) {
	l := ratelimit.Defaults()
	l.MessagesPerVisitor.Limit, l.MessagesPerChat = 3, 6
	s, svc, _, acc, now := limitedService(t, l)
	ctx := t.Context()
	v := visitorAt(acc, "v1", "198.51.100.1")
	c, _, _, _, _, err := svc.Post(ctx, v, "", "m0", "one") // starts the chat
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < 3; i++ {
		if _, _, _, _, _, err := svc.Post(ctx, v, c.ID, fmt.Sprintf("m%d", i), "more"); err != nil {
			t.Fatal(err)
		}
	}
	_, _, _, _, _, err = svc.Post(ctx, v, c.ID, "m3", "too fast")
	refused(t, "fourth message in a minute", err)
	stored := func() int {
		ms, err := s.Messages(ctx, acc, c.ID, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		return len(ms)
	}
	n := stored()
	*now = now.Add(time.Minute)
	for i := 3; int64(stored()) < int64(l.MessagesPerChat); i++ {
		if _, _, _, _, _, err := svc.Post(ctx, v, c.ID, fmt.Sprintf("m%d", i), "more"); err != nil {
			t.Fatalf("message %d after a minute: %v", i, err)
		}
	}
	if n >= l.MessagesPerChat {
		t.Fatalf("the chat was full before the test filled it (%d)", n)
	}
	*now = now.Add(time.Minute)
	_, _, _, _, _, err = svc.Post(ctx, v, c.ID, "full", "one too many")
	if apperr.CodeOf(err) != apperr.RateLimited {
		t.Fatalf("a message into a full chat: %v, want rate_limited", err)
	}
	if got := stored(); got != l.MessagesPerChat {
		t.Fatalf("%d messages stored, want %d", got, l.MessagesPerChat)
	}
	if _, _, _, _, _, err := svc.Post(ctx, operatorParty(acc, "op1"), c.ID, "", "I will close this"); err != nil {
		t.Fatalf("the operator's answer in a full chat: %v", err)
	}
}

// TestVisitorItemsExpire: every write of a visitor's item (the widget
// config's button draw, a chat start) sets its TTL VisitorTTL ahead, so
// items of visitors who never return are deleted.
func TestVisitorItemsExpire(t *testing.T) {
	s, svc, _, acc, _ := limitedService(t, ratelimit.Limits{})
	ctx := t.Context()
	expiry := func(id string) time.Time {
		out, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.Table), Key: map[string]types.AttributeValue{
			schema.PK: &types.AttributeValueMemberS{Value: "ACC#" + acc}, schema.SK: &types.AttributeValueMemberS{Value: "VISITOR#" + id}}})
		if err != nil {
			t.Fatal(err)
		}
		n, ok := out.Item[schema.TTL].(*types.AttributeValueMemberN)
		if !ok {
			t.Fatalf("visitor %s's item has no %s: %v", id, schema.TTL, out.Item)
		}
		sec, err := strconv.ParseInt(n.Value, 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		return time.Unix(sec, 0)
	}
	if _, err := s.DrawButton(ctx, acc, "config-only", 5); err != nil {
		t.Fatal(err)
	}
	if got, want := expiry("config-only"), time.Now().Add(dynamo.VisitorTTL); got.Sub(want).Abs() > time.Minute {
		t.Fatalf("after a config call the item expires %v, want about %v", got, want)
	}
	if _, _, _, err := svc.Start(ctx, visitorAt(acc, "chatter", ""), chat.StartInput{}); err != nil {
		t.Fatal(err)
	}
	if got, want := expiry("chatter"), time.Now().Add(dynamo.VisitorTTL); got.Sub(want).Abs() > time.Minute {
		t.Fatalf("after a chat start the item expires %v, want about %v", got, want)
	}
}

// TestLongChatTranscriptIsQueued: the transcript of a 2 MB chat is queued
// (cut to fit one item) instead of failing and losing the mail.
func TestLongChatTranscriptIsQueued(t *testing.T) {
	s, svc, out, acc, _ := limitedService(t, ratelimit.Limits{})
	ctx := t.Context()
	v := visitorAt(acc, "long", "")
	c := answeredChat(t, svc, v)
	line := strings.Repeat("x", 16000)
	for i := range 130 {
		if _, _, _, _, _, err := svc.Post(ctx, v, c.ID, "", fmt.Sprintf("line %03d %s", i, line)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := svc.SendTranscript(ctx, v, c.ID, "long@example.org"); err != nil {
		t.Fatalf("the transcript of a 2 MB chat: %v", err)
	}
	if out.count() != 1 {
		t.Fatalf("%d mails queued", out.count())
	}
	if st, err := s.MailStatus(ctx, acc, out.ids[0]); err != nil || st != "pending" {
		t.Fatalf("the queued transcript: %q, %v", st, err)
	}
}
