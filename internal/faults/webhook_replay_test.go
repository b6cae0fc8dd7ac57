package faults_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"parley/internal/chat"
	"parley/internal/dynamo"
	"parley/internal/lambdas"
	"parley/internal/outbound"
	"parley/internal/settings"
	"parley/internal/timers"
	"parley/internal/webhook"
)

// TestWebhookReplay: chats started, taken and closed, with every stream
// batch delivered twice to the consumer and two dispatchers running at
// once, reach the receiver exactly once per event: three events per chat,
// each webhook-id once.
func TestWebhookReplay(t *testing.T) {
	var mu sync.Mutex
	got := map[string]int{}
	types := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b webhook.Body
		_ = json.NewDecoder(r.Body).Decode(&b)
		mu.Lock()
		got[r.Header.Get(webhook.HeaderID)]++
		types[string(b.Type)]++
		mu.Unlock()
	}))
	defer srv.Close()

	w := newWorld(t)
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	doc, err := settings.NewAccountDocument("en", rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	doc.Company.Name = "Acme"
	doc.Integration.Webhooks.ChatStart, doc.Integration.Webhooks.ChatAssign, doc.Integration.Webhooks.ChatClose = srv.URL+"/s", srv.URL+"/a", srv.URL+"/c"
	raw, _ := json.Marshal(doc)
	if _, err := w.check.SaveSettings(ctx, dynamo.SettingsRecord{AccountID: w.acc, Doc: string(raw), UpdatedAt: time.Now()}, 0); err != nil {
		t.Fatal(err)
	}
	const chats = 4
	svc := lambdas.ChatService(w.check, time.Now)
	op := chat.Party{AccountID: w.acc, Kind: chat.FromOperator, ID: "op-1", Role: "operator"}
	for i := range chats {
		v := chat.Party{AccountID: w.acc, Kind: chat.FromVisitor, ID: fmt.Sprintf("v-%d", i)}
		c, _, _, _, _, err := svc.Post(ctx, v, "", "q", "hello")
		if err == nil {
			_, err = svc.Take(ctx, op, c.ID)
		}
		if err == nil {
			_, err = svc.Close(ctx, op, c.ID)
		}
		if err == nil { // both sides close: the chat is closed for good
			_, err = svc.Close(ctx, v, c.ID)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	w.webhooks = &webhook.Enqueuer{Store: w.check, Settings: w.check.SettingsDocument, Facts: w.check, Now: time.Now}
	pending := func() bool {
		ds, err := w.check.RecentDeliveries(ctx, w.acc, 100)
		return err == nil && len(ds) == 3*chats
	}
	w.run(ctx, w.clean, w.sesClient(), true, pending)

	disp := func() *webhook.Dispatcher {
		return &webhook.Dispatcher{Store: w.check, Settings: w.check.SettingsDocument, Client: outbound.New(outbound.Options{AllowLoopback: true}),
			Retry: webhook.DefaultRetry, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: time.Now, Sleep: timers.SleepContext,
			Window: 2 * time.Second, Lookback: time.Minute}
	}
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			if _, err := disp().Run(ctx); err != nil {
				t.Errorf("dispatcher: %v", err)
			}
		})
	}
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 3*chats || types["chatStart"] != chats || types["chatAssign"] != chats || types["chatClose"] != chats {
		t.Fatalf("%d webhook ids, by type %v; want %d, %d each", len(got), types, 3*chats, chats)
	}
	for id, n := range got {
		if n != 1 {
			t.Errorf("%s delivered %d times", id, n)
		}
	}
	ds, err := w.check.RecentDeliveries(ctx, w.acc, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		if d.Status != webhook.Delivered || d.Attempts != 1 {
			t.Errorf("delivery %s: %s after %d attempts", d.ID, d.Status, d.Attempts)
		}
	}
}
