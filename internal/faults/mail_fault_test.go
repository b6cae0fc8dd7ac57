package faults_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"parley/internal/chat"
	"parley/internal/dynamo"
	"parley/internal/faults"
	"parley/internal/lambdas"
	"parley/internal/local/localaws"
	"parley/internal/local/seslocal"
	"parley/internal/local/streams"
	"parley/internal/mail"
	"parley/internal/sesmail"
	"parley/internal/settings"
	"parley/internal/stream"
	"parley/internal/testkit/testenv"
)

// world is one account on a fresh table, with the stream consumer fed by
// the local stream poller: what the stream function does in AWS.
type world struct {
	t      *testing.T
	clean  *dynamodb.Client
	table  string
	check  *dynamo.Store // no faults: to set up and to check
	ses    string        // the local SES endpoint
	acc    string
	tag    string // makes this run's addresses unique in the shared SES store
	calls  atomic.Int64
	last   atomic.Int64 // unix nanoseconds of the last invocation's end
	mailTo []string     // the addresses of every mail queued, in order
	seqMu  sync.Mutex
	seqs   map[string]int // how many times each stream record was delivered
	// webhooks, when set, is the consumer's webhook side (webhook_replay_test.go).
	webhooks stream.Webhooks
}

func newWorld(t *testing.T) *world {
	t.Helper()
	clean, table := testenv.DynamoDB(t)
	w := &world{t: t, clean: clean, table: table, check: dynamo.New(clean, table), ses: testenv.SES(t),
		acc: fmt.Sprintf("acc-%d", time.Now().UnixNano()), tag: fmt.Sprintf("%x", time.Now().UnixNano())}
	return w
}

// addr is a mail address of this run.
func (w *world) addr(name string) string { return name + "-" + w.tag + "@acme.example" }

// settings stores the account's settings as version `version`, with changes
// for the audit trail when version > 1.
func (w *world) settings(ctx context.Context, version int64, name string) {
	w.t.Helper()
	doc, err := settings.NewAccountDocument("en", rand.Reader)
	if err != nil {
		w.t.Fatal(err)
	}
	doc.Company.Name = name
	doc.Emails.LeftMessages = []string{w.addr("left")}
	doc.Emails.NegativeReviews = []string{w.addr("neg")}
	raw, _ := json.Marshal(doc)
	rec := dynamo.SettingsRecord{AccountID: w.acc, Doc: string(raw), UpdatedBy: "admin-1",
		UpdatedAt: time.Date(2030, 1, 1, 0, 0, int(version), 0, time.UTC)}
	if version > 1 {
		rec.Changes = fmt.Sprintf(`[{"key":"company.name","new":%q}]`, name)
	}
	if _, err := w.check.SaveSettings(ctx, rec, version-1); err != nil {
		w.t.Fatal(err)
	}
}

// mails queues mails the three ways the product does: offline messages
// (mailed to emails.leftMessages), negative ratings (to
// emails.negativeReviews) and account mails such as the welcome mail
// (queued straight into the outbox).
func (w *world) mails(ctx context.Context, offline, ratings, welcome int) {
	w.t.Helper()
	svc := lambdas.ChatService(w.check, time.Now)
	for i := range offline {
		v := chat.Party{AccountID: w.acc, Kind: chat.FromVisitor, ID: fmt.Sprintf("off-%d", i)}
		if _, err := svc.LeaveMessage(ctx, v, chat.OfflineInput{Name: fmt.Sprintf("Visitor %d", i), Contact: "+100000", Text: "call me"}); err != nil {
			w.t.Fatal(err)
		}
		w.mailTo = append(w.mailTo, w.addr("left"))
	}
	for i := range ratings {
		v := chat.Party{AccountID: w.acc, Kind: chat.FromVisitor, ID: fmt.Sprintf("rate-%d", i)}
		op := chat.Party{AccountID: w.acc, Kind: chat.FromOperator, ID: "op-1", Role: "operator"}
		c, _, _, _, _, err := svc.Post(ctx, v, "", "q", "hello")
		if err == nil {
			_, _, _, _, _, err = svc.Post(ctx, op, c.ID, "a", "hi there")
		}
		if err == nil {
			_, err = svc.Rate(ctx, v, c.ID, string(chat.Bad))
		}
		if err != nil {
			w.t.Fatal(err)
		}
		w.mailTo = append(w.mailTo, w.addr("neg"))
	}
	for i := range welcome {
		to := w.addr(fmt.Sprintf("admin%d", i))
		m := mail.Message{AccountID: w.acc, ID: fmt.Sprintf("welcome-%d", i), To: []string{to}, Subject: "Welcome to Parley", Text: "Hello"}
		if err := w.check.Enqueue(ctx, m); err != nil {
			w.t.Fatal(err)
		}
		w.mailTo = append(w.mailTo, to)
	}
}

// run feeds the table's stream to a stream consumer built on db and ses until
// done holds and the consumer has been idle for a while (so that retries
// and replays in flight end), then stops the poller.
func (w *world) run(ctx context.Context, db *dynamodb.Client, ses *sesv2.Client, replay bool, done func() bool) {
	w.t.Helper()
	w.runWith(ctx, db, ses, replay, done, nil)
}

// runWith is run with a stream consumer that edit completes (nil: as is).
func (w *world) runWith(ctx context.Context, db *dynamodb.Client, ses *sesv2.Client, replay bool, done func() bool, edit func(*stream.Consumer, *dynamo.Store)) {
	w.t.Helper()
	store := dynamo.New(db, w.table)
	r := &stream.Consumer{Audit: store, Outbox: store, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Mailer: &sesmail.Sender{Client: ses, From: "Parley <no-reply@parley.localhost>"}, Webhooks: w.webhooks}
	if edit != nil {
		edit(r, store)
	}
	p := &streams.Poller{DynamoDB: w.clean, Streams: localaws.NewStreamsClient(testenv.DynamoDBEndpoint(w.t)), Table: w.table,
		Consumer: counting{lambda.NewHandler(lambdas.StreamHandler(r)), w}, MaxRetries: -1, StartingPosition: streams.TrimHorizon,
		RetryDelay: 5 * time.Millisecond, PollInterval: 20 * time.Millisecond, Replay: replay,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	runCtx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := p.Run(runCtx); err != nil {
			w.t.Errorf("poller: %v", err)
		}
	})
	defer func() { stop(); wg.Wait() }()
	for {
		idle := time.Since(time.Unix(0, w.last.Load())) > 800*time.Millisecond
		if done() && idle {
			return
		}
		select {
		case <-ctx.Done():
			w.t.Fatalf("timed out waiting for the stream consumer (%d invocations)", w.calls.Load())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// counting notes when the consumer was last invoked.
type counting struct {
	lambda.Handler
	w *world
}

func (c counting) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	defer func() { c.w.last.Store(time.Now().UnixNano()) }()
	c.w.calls.Add(1)
	var ev struct {
		Records []struct {
			Change struct{ SequenceNumber string } `json:"dynamodb"`
		}
	}
	if json.Unmarshal(payload, &ev) == nil {
		c.w.seqMu.Lock()
		if c.w.seqs == nil {
			c.w.seqs = map[string]int{}
		}
		for _, r := range ev.Records {
			c.w.seqs[r.Change.SequenceNumber]++
		}
		c.w.seqMu.Unlock()
	}
	return c.Handler.Invoke(ctx, payload)
}

// allSent reports whether every queued mail of the account is marked sent.
func (w *world) allSent(ctx context.Context) func() bool {
	return func() bool {
		out, err := w.clean.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(w.table),
			KeyConditionExpression: aws.String("pk = :pk AND begins_with(sk, :mail)"), ConsistentRead: aws.Bool(true),
			ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":pk": &ddbtypes.AttributeValueMemberS{Value: "ACC#" + w.acc}, ":mail": &ddbtypes.AttributeValueMemberS{Value: "MAIL#"}}})
		if err != nil {
			w.t.Fatal(err)
		}
		if len(out.Items) != len(w.mailTo) {
			return false
		}
		for _, it := range out.Items {
			if s, _ := it["status"].(*ddbtypes.AttributeValueMemberS); s == nil || s.Value != "sent" {
				return false
			}
		}
		return true
	}
}

// delivered counts this run's mails in the local SES by recipient and
// subject.
func (w *world) delivered(ctx context.Context) map[string]int {
	w.t.Helper()
	all, err := seslocal.Store(ctx, w.ses)
	if err != nil {
		w.t.Fatal(err)
	}
	got := map[string]int{}
	for _, m := range all {
		for _, to := range m.To() {
			if strings.Contains(to, w.tag) {
				got[strings.ReplaceAll(to, w.tag, "TAG")+" | "+m.Subject]++
			}
		}
	}
	return got
}

// TestMailUnderSESFaults: 30% of SendEmail attempts fail before SES takes
// the mail (throttled or 5xx), and 10% of the consumer's DynamoDB attempts
// fail, half after the write; the stream retries. Every queued mail ends in
// the local SES exactly once, and marked sent.
func TestMailUnderSESFaults(t *testing.T) {
	w := newWorld(t)
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	w.settings(ctx, 1, "Acme")
	w.mails(ctx, 8, 6, 16)

	sesFaults := &faults.Injector{Rate: 0.3, Ops: []string{"SendEmail"}, Kinds: []faults.Kind{faults.Before}, Seed: uint64(time.Now().UnixNano()),
		Throttle: []string{"TooManyRequestsException", "ThrottlingException"}}
	dbFaults := &faults.Injector{Rate: 0.1, Seed: sesFaults.Seed + 1, Throttle: []string{"ProvisionedThroughputExceededException"}}
	t.Logf("fault seed %d", sesFaults.Seed)
	sesFaults.Enable(true)
	dbFaults.Enable(true)
	w.run(ctx, faultyDynamoDB(w.clean, dbFaults), faultySES(w.ses, sesFaults), false, w.allSent(ctx))
	t.Logf("SES faults %v, DynamoDB faults %v, %d invocations", sesFaults.Counts(), dbFaults.Counts(), w.calls.Load())
	if sesFaults.Faulted() == 0 {
		t.Fatal("no SendEmail failed: the test tested nothing")
	}
	got := w.delivered(ctx)
	want := wantMails(w)
	for k, n := range want {
		if got[k] != n {
			t.Errorf("%s: delivered %d times, want %d", k, got[k], n)
		}
	}
	for k, n := range got {
		if want[k] == 0 {
			t.Errorf("%s: delivered %d times, never queued", k, n)
		}
	}
}

// wantMails is what the scenario of world.mails queues, by recipient (the
// tag replaced) and subject: each exactly once.
func wantMails(w *world) map[string]int {
	want := map[string]int{}
	for i, to := range w.mailTo {
		to = strings.ReplaceAll(to, w.tag, "TAG")
		switch {
		case strings.HasPrefix(to, "left-"):
			want[to+" | "+fmt.Sprintf("Offline message from Visitor %d", i)]++
		case strings.HasPrefix(to, "neg-"):
			want[to+" | Negative rating: bad"]++
		default:
			want[to+" | Welcome to Parley"]++
		}
	}
	return want
}

// TestMailLostSESResponse documents the at-least-once window of mail: when
// SES takes a mail but its answer is lost, nothing can tell that it went
// out (SendEmail has no idempotency key), so it is sent again. The test
// asserts what is promised: every mail arrives, and a mail arrives more
// than once only if a response of its own was lost, at most once more per
// lost response.
func TestMailLostSESResponse(t *testing.T) {
	w := newWorld(t)
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	w.settings(ctx, 1, "Acme")
	w.mails(ctx, 4, 0, 16)

	var mu sync.Mutex
	lost := map[string]int{} // by recipient (tag replaced) and subject
	sesFaults := &faults.Injector{Rate: 0.3, Ops: []string{"SendEmail"}, Kinds: []faults.Kind{faults.After}, Seed: uint64(time.Now().UnixNano())}
	sesFaults.OnFault = func(_ string, _ faults.Kind, input any) {
		in := input.(*sesv2.SendEmailInput)
		mu.Lock()
		defer mu.Unlock()
		for _, to := range in.Destination.ToAddresses {
			lost[strings.ReplaceAll(to, w.tag, "TAG")+" | "+aws.ToString(in.Content.Simple.Subject.Data)]++
		}
	}
	t.Logf("fault seed %d", sesFaults.Seed)
	sesFaults.Enable(true)
	w.run(ctx, w.clean, faultySES(w.ses, sesFaults), false, w.allSent(ctx))
	if sesFaults.Faulted() == 0 {
		t.Fatal("no SendEmail response was lost: the test tested nothing")
	}
	got := w.delivered(ctx)
	dups := 0
	for k, n := range wantMails(w) {
		mu.Lock()
		l := lost[k]
		mu.Unlock()
		if got[k] < n || got[k] > n+l {
			t.Errorf("%s: delivered %d times with %d responses lost; want between %d and %d", k, got[k], l, n, n+l)
		}
		dups += got[k] - n
	}
	t.Logf("%d SendEmail responses lost, %d duplicate mails (the documented at-least-once window)", sesFaults.Faulted(), dups)
}

// sesClient is an SES client on the local SES without faults.
func (w *world) sesClient() *sesv2.Client { return localaws.NewSESClient(w.ses) }
