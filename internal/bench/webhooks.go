package bench

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"parley/internal/chat"
	"parley/internal/dynamo"
	"parley/internal/lambdas"
	"parley/internal/local/dynamolocal"
	"parley/internal/local/localaws"
	"parley/internal/local/streams"
	out "parley/internal/outbound"
	"parley/internal/settings"
	"parley/internal/stream"
	"parley/internal/timers"
	"parley/internal/webhook"
)

// WebhookOptions shape the webhook delivery run.
type WebhookOptions struct {
	Chats    int           // chats started, one chatStart delivery each
	Spread   time.Duration // over which they start
	FailRate float64       // the fraction of requests the receiver answers 500
}

// WebhookResult is what the webhook run measured.
type WebhookResult struct {
	// FirstAttempt is, per event, the chat start's commit to the
	// receiver's first request for it; Delivered to the request it
	// answered 2xx (retries included).
	FirstAttempt, Delivered []time.Duration
	Requests, Failed        int           // requests the receiver got, and answered 500
	Lost, Duplicates        int           // events never delivered; events answered 2xx twice
	Elapsed                 time.Duration // from the first start to the last delivery
}

// RunWebhooksAlone runs the webhook scenario on a DynamoDB Local of its
// own (cmd/bench -only webhooks; make bench runs it with the rest).
func RunWebhooksAlone(ctx context.Context, root string, o WebhookOptions, progress func(string)) (WebhookResult, error) {
	db, err := dynamolocal.Start(ctx, dynamolocal.Options{Root: root})
	if err != nil {
		return WebhookResult{}, err
	}
	defer db.Stop()
	return runWebhooks(ctx, db.Endpoint(), o, progress)
}

// runWebhooks is the whole path of a webhook: chats start through
// chat.Service (the commit), the local stream poller feeds the stream
// consumer (stream.Consumer with its webhook Enqueuer), and one dispatcher, as the
// scheduled webhooks function runs it, sends to a receiver on loopback
// that fails o.FailRate of the requests; the back-off is one second, so
// the run ends. Latency counts from the chat's start time (taken just
// before its transaction) to the receiver's request.
func runWebhooks(ctx context.Context, endpoint string, o WebhookOptions, progress func(string)) (WebhookResult, error) {
	var res WebhookResult
	type seen struct {
		start, first, ok time.Time
		oks              int
	}
	var mu sync.Mutex
	byID := map[string]*seen{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		at := time.Now()
		var b webhook.Body
		_ = json.NewDecoder(r.Body).Decode(&b)
		fail := mrand.Float64() < o.FailRate
		mu.Lock()
		s := byID[b.ID]
		if s == nil {
			s = &seen{start: b.Timestamp, first: at}
			byID[b.ID] = s
		}
		res.Requests++
		if fail {
			res.Failed++
		} else {
			s.oks++
			if s.ok.IsZero() {
				s.ok = at
			}
		}
		mu.Unlock()
		if fail {
			w.WriteHeader(500)
		}
	}))
	defer srv.Close()

	db := localaws.NewDynamoDBClient(endpoint)
	table := fmt.Sprintf("parley-bench-webhooks-%d", time.Now().UnixNano())
	if err := dynamo.CreateTable(ctx, db, table); err != nil {
		return res, err
	}
	store := dynamo.New(db, table)
	acc := fmt.Sprintf("bench-webhooks-%d", time.Now().UnixNano())
	doc, err := settings.NewAccountDocument("en", rand.Reader)
	if err != nil {
		return res, err
	}
	doc.Company.Name = "Bench"
	doc.Integration.Webhooks.ChatStart = srv.URL + "/start"
	raw, _ := json.Marshal(doc)
	if _, err := store.SaveSettings(ctx, dynamo.SettingsRecord{AccountID: acc, Doc: string(raw), UpdatedAt: time.Now()}, 0); err != nil {
		return res, err
	}

	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	r := &stream.Consumer{Audit: store, Outbox: store, Log: quiet,
		Webhooks: &webhook.Enqueuer{Store: store, Settings: store.SettingsDocument, Facts: store, Now: time.Now}}
	p := &streams.Poller{DynamoDB: db, Streams: localaws.NewStreamsClient(endpoint), Table: table, Consumer: lambda.NewHandler(lambdas.StreamHandler(r)),
		BatchSize: 100, MaxRetries: 5, StartingPosition: streams.TrimHorizon, Logger: quiet}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() { _ = p.Run(runCtx) })
	select {
	case <-p.Ready():
	case <-ctx.Done():
		return res, ctx.Err()
	}
	disp := &webhook.Dispatcher{Store: store, Settings: store.SettingsDocument, Client: out.New(out.Options{AllowLoopback: true}),
		Retry: webhook.Retry{First: time.Second, Max: time.Second, GiveUpAfter: time.Hour}, Log: quiet, Now: time.Now,
		Sleep: timers.SleepContext, Window: o.Spread + 2*time.Minute, Lookback: time.Second}
	wg.Go(func() { _, _ = disp.Run(runCtx) })

	progress(fmt.Sprintf("webhooks: %d chats over %s, the receiver failing %.0f%% of requests", o.Chats, o.Spread, o.FailRate*100))
	svc := lambdas.ChatService(store, time.Now)
	begin := time.Now()
	for i := range o.Chats {
		if d := time.Until(begin.Add(time.Duration(i) * o.Spread / time.Duration(o.Chats))); d > 0 {
			time.Sleep(d)
		}
		v := chat.Party{AccountID: acc, Kind: chat.FromVisitor, ID: fmt.Sprintf("v-%d", i)}
		if _, _, _, err := svc.Start(ctx, v, chat.StartInput{Question: "hello"}); err != nil {
			return res, err
		}
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		mu.Lock()
		done := 0
		for _, s := range byID {
			if s.oks > 0 {
				done++
			}
		}
		mu.Unlock()
		if done >= o.Chats || time.Now().After(deadline) || ctx.Err() != nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	stop()
	mu.Lock()
	defer mu.Unlock()
	var last time.Time
	for _, s := range byID {
		res.FirstAttempt = append(res.FirstAttempt, s.first.Sub(s.start))
		if s.oks > 0 {
			res.Delivered = append(res.Delivered, s.ok.Sub(s.start))
			if s.ok.After(last) {
				last = s.ok
			}
		}
		if s.oks > 1 {
			res.Duplicates++
		}
	}
	res.Lost = o.Chats - len(res.Delivered)
	res.Elapsed = last.Sub(begin)
	_, _ = db.DeleteTable(context.WithoutCancel(ctx), &dynamodb.DeleteTableInput{TableName: aws.String(table)})
	return res, nil
}

// printWebhooks writes the run's figures.
func printWebhooks(p Printer, w io.Writer, o WebhookOptions, r WebhookResult) {
	p.Ms("webhook_latency_first_attempt_p50", Percentile(r.FirstAttempt, 50))
	p.Ms("webhook_latency_first_attempt_p99", Percentile(r.FirstAttempt, 99))
	p.Ms("webhook_latency_delivered_p50", Percentile(r.Delivered, 50))
	p.Ms("webhook_latency_delivered_p99", Percentile(r.Delivered, 99))
	if r.Elapsed > 0 {
		p.Figure("webhook_deliveries_per_second", float64(len(r.Delivered))/r.Elapsed.Seconds(), "deliveries/s")
	}
	p.Figure("webhook_lost", float64(r.Lost), "count")
	p.Figure("webhook_duplicates", float64(r.Duplicates), "count")
	fmt.Fprintf(w, "# webhooks: %d chat starts over %s through the stream consumer and one dispatcher to a loopback receiver answering 500 to %.0f%% of %d requests (%d failed), back-off 1 s; latency from the chat's start to the receiver\n",
		o.Chats, o.Spread, o.FailRate*100, r.Requests, r.Failed)
}
