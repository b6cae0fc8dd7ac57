package stack_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"parley/internal/local/stack"
	"parley/internal/testkit"
	"parley/internal/webhook"
)

// hit is one request a receiver got.
type hit struct {
	Path              string
	ID, TS, Signature string
	User, Password    string
	Body              []byte
	At                time.Time
}

// receiver is a webhook endpoint on loopback, as a site would run one:
// it records every request and answers what status says for the n-th
// request to a path (200 without).
type receiver struct {
	srv    *httptest.Server
	mu     sync.Mutex
	hits   []hit
	status func(path string, n int) int
}

func newReceiver(t *testing.T, status func(path string, n int) int) *receiver {
	rc := &receiver{status: status}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		u, p, _ := r.BasicAuth()
		rc.mu.Lock()
		rc.hits = append(rc.hits, hit{Path: r.URL.Path, ID: r.Header.Get("webhook-id"), TS: r.Header.Get("webhook-timestamp"),
			Signature: r.Header.Get("webhook-signature"), User: u, Password: p, Body: body, At: time.Now()})
		n := 0
		for _, h := range rc.hits {
			if h.Path == r.URL.Path {
				n++
			}
		}
		rc.mu.Unlock()
		code := 200
		if rc.status != nil {
			code = rc.status(r.URL.Path, n)
		}
		w.WriteHeader(code)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) all() []hit {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]hit(nil), rc.hits...)
}

// url is the receiver's address for path, with credentials.
func (rc *receiver) url(path string) string {
	return strings.Replace(rc.srv.URL, "http://", "http://hook:pa%3Ass-never-logged@", 1) + path
}

// webhookWorld is the chat world with the dispatcher running every second
// and a back-off of one second, and the webhooks pointed at a receiver.
func webhookWorld(t *testing.T, status func(path string, n int) int) (*chatWorld, *receiver, string) {
	t.Helper()
	w := newChatWorldWith(t, func(o *stack.Options) {
		o.ScheduleSpeed, o.SweepWindow, o.OutboundAllowLoopback = 60, 900*time.Millisecond, true
		o.WebhookRetry = &webhook.Retry{First: time.Second, Max: time.Second, GiveUpAfter: time.Hour,
			Jitter: func(d time.Duration) time.Duration { return d }}
	})
	rc := newReceiver(t, status)
	r := testkit.Call(t, "POST", w.api+"/settings/integration/webhooks/signing-secret/regenerate", w.admin, nil)
	secret, _ := r.Body["signingSecret"].(string)
	if r.Status != 200 || !strings.HasPrefix(secret, "whsec_") {
		t.Fatalf("regenerate the signing secret: %+v", r)
	}
	if r := testkit.Call(t, "GET", w.api+"/settings/integration", w.admin, nil); strings.Contains(mustJSON(r.Body), secret) ||
		!strings.HasPrefix(r.Body["webhooks"].(map[string]any)["signingSecret"].(string), "••••") {
		t.Fatalf("the signing secret reads back unmasked: %+v", r.Body["webhooks"])
	}
	w.patch(t, "integration", map[string]any{"webhooks": map[string]any{"chatStart": rc.url("/start"), "chatAssign": rc.url("/assign"), "chatClose": rc.url("/close")}})
	return w, rc, secret
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// waitHits waits until the receiver has n requests, then a little more to
// see that no others follow.
func waitHits(t *testing.T, rc *receiver, n int) []hit {
	t.Helper()
	testkit.Eventually(t, "the webhook deliveries", func() bool { return len(rc.all()) >= n })
	time.Sleep(2500 * time.Millisecond) // two dispatcher runs and a retry's delay
	return rc.all()
}

func checkSigned(t *testing.T, secret string, h hit) webhook.Body {
	t.Helper()
	if err := webhook.Verify(secret, h.ID, h.TS, h.Signature, h.Body, time.Now(), 5*time.Minute); err != nil {
		t.Fatalf("%s: %v", h.Path, err)
	}
	if h.User != "hook" || h.Password != "pa:ss-never-logged" {
		t.Fatalf("%s: basic auth %q:%q", h.Path, h.User, h.Password)
	}
	var b webhook.Body
	if err := json.Unmarshal(h.Body, &b); err != nil {
		t.Fatalf("%s: %v", h.Path, err)
	}
	if b.ID != h.ID {
		t.Fatalf("%s: body id %q, webhook-id %q", h.Path, b.ID, h.ID)
	}
	return b
}

// TestWebhookEvents: a chat started, taken, redirected and closed by both
// sides gives exactly one chatStart, two chatAssign (the take, the
// redirect) and one chatClose at the receiver, each signed and with basic auth, with the
// documented body; the delivery log shows each delivered at the first
// attempt.
func TestWebhookEvents(t *testing.T) {
	w, rc, secret := webhookWorld(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	op1 := w.staff(t, ctx, "op1", w.op1.token)
	op2 := w.staff(t, ctx, "op2", w.op2.token)

	// An identified visitor (SPEC §4.11): the events carry their fields.
	key := testkit.Call(t, "POST", w.api+"/settings/integration/private-key/regenerate", w.admin, nil).Body["privateKey"].(string)
	vtoken := w.config(t, "").Body["visitorToken"].(string)
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write([]byte("id=42\nname=Ann"))
	if r := testkit.Call(t, "POST", w.api+"/widget/"+w.account+"/identify", "", map[string]any{"visitorToken": vtoken,
		"fields": map[string]string{"id": "42", "name": "Ann"}, "signature": hex.EncodeToString(mac.Sum(nil))}); r.Status != 200 {
		t.Fatalf("identify: %+v", r)
	}
	vis := dialWS(t, ctx, "visitor", w.s.WebSocketURL+"?visitorToken="+url.QueryEscape(vtoken))
	chatID, _ := startChat(vis, "Hello?")
	// Starting again resumes the open chat: no second chatStart.
	if again, _ := startChat(vis, "Still there?"); again != chatID {
		t.Fatalf("the second start made chat %s, want %s resumed", again, chatID)
	}
	op1.Call("chat", map[string]any{"action": "take", "chatId": chatID})
	op1.Call("sent", map[string]any{"action": "sendMessage", "chatId": chatID, "text": "Hi, op1 here"})
	op1.Call("chat", map[string]any{"action": "redirect", "chatId": chatID, "operatorId": w.op2.id})
	op2.Call("sent", map[string]any{"action": "sendMessage", "chatId": chatID, "text": "op2 now"})
	vis.Call("chat", map[string]any{"action": "rate", "chatId": chatID, "rating": "good"})
	op2.Call("chat", map[string]any{"action": "setCategory", "chatId": chatID, "category": "Sales"})
	op2.Call("chat", map[string]any{"action": "closeChat", "chatId": chatID})
	// The operator's close is one side: chatClose waits for the chat to
	// be closed for good (SPEC §3), here by the visitor closing theirs
	// without having read op2's last message.
	waitHits(t, rc, 3)
	if hits := rc.all(); len(hits) != 3 {
		t.Fatalf("deliveries before the visitor closed: %d, want 3 (no chatClose yet)", len(hits))
	}
	vis.Call("chat", map[string]any{"action": "closeChat", "chatId": chatID})

	hits := waitHits(t, rc, 4)
	byPath := map[string][]webhook.Body{}
	for _, h := range hits {
		byPath[h.Path] = append(byPath[h.Path], checkSigned(t, secret, h))
	}
	if len(hits) != 4 || len(byPath["/start"]) != 1 || len(byPath["/assign"]) != 2 || len(byPath["/close"]) != 1 {
		t.Fatalf("deliveries by path: start %d, assign %d, close %d (of %d)", len(byPath["/start"]), len(byPath["/assign"]), len(byPath["/close"]), len(hits))
	}
	start := byPath["/start"][0]
	if start.Type != webhook.ChatStart || start.Data.Chat.ID != chatID || start.Data.Account.ID != w.account || start.Data.Visitor.Identified["name"] != "Ann" ||
		start.Data.Chat.Question != "Hello?" || start.Data.Operator != nil {
		t.Fatalf("chatStart body: %+v", start)
	}
	vias := map[string]string{}
	for _, a := range byPath["/assign"] {
		if a.Type != webhook.ChatAssign || a.Data.Assignment == nil || a.Data.Operator == nil || a.Data.Chat.ID != chatID {
			t.Fatalf("chatAssign body: %+v", a)
		}
		vias[a.Data.Assignment.Via] = a.Data.Operator.ID
	}
	if vias["take"] != w.op1.id || vias["redirect"] != w.op2.id {
		t.Fatalf("assignments: %v", vias)
	}
	cl := byPath["/close"][0]
	if cl.Type != webhook.ChatClose || cl.Data.Close == nil || cl.Data.Operator == nil || cl.Data.Operator.ID != w.op2.id ||
		cl.Data.Close.Outcome != "answered" || cl.Data.Close.Category != "Sales" || cl.Data.Close.Rating != "good" || cl.Data.Chat.Status != "closed" {
		t.Fatalf("chatClose body: %s", mustJSON(cl))
	}
	var texts []string
	for _, m := range cl.Data.Close.Transcript {
		texts = append(texts, m.Text)
	}
	if got := strings.Join(texts, "|"); !strings.Contains(got, "Hello?|Hi, op1 here") || !strings.Contains(got, "op2 now") {
		t.Fatalf("transcript: %q", got)
	}

	// The log: four real deliveries, each delivered at the first attempt
	// with a 200; no integration failing; no credential anywhere.
	r := testkit.Call(t, "GET", w.api+"/integrations/deliveries", w.admin, nil)
	if r.Status != 200 {
		t.Fatalf("log: %+v", r)
	}
	raw := mustJSON(r.Body)
	if strings.Contains(raw, "never-logged") || strings.Contains(raw, "hook:") {
		t.Fatalf("the log holds the URL's credentials: %s", raw)
	}
	items := r.Body["items"].([]any)
	if len(items) != 4 {
		t.Fatalf("log items: %s", raw)
	}
	for _, it := range items {
		d := it.(map[string]any)
		if d["status"] != "delivered" || d["attempts"] != float64(1) || d["lastResponseCode"] != float64(200) || d["latencyMs"] == nil || d["nextRetryAt"] != nil {
			t.Fatalf("log item: %v", d)
		}
	}
	for _, in := range r.Body["integrations"].([]any) {
		if m := in.(map[string]any); m["failing"] != false || m["configured"] != true || !strings.HasPrefix(m["target"].(string), "http://127.0.0.1:") {
			t.Fatalf("integration: %v", m)
		}
	}
}

// TestWebhookRetries: a receiver answering 500 twice then 200 gets the
// same event (same webhook-id, same body) three times and the delivery is
// marked delivered once, with three attempts; a redelivery sends it a
// fourth time under the same id. A receiver answering 400 is not retried,
// and its integration shows as failing.
func TestWebhookRetries(t *testing.T) {
	w, rc, secret := webhookWorld(t, func(path string, n int) int {
		switch {
		case path == "/start" && n <= 2:
			return 500
		case path == "/assign":
			return 400
		}
		return 200
	})
	r := testkit.Call(t, "POST", w.api+"/integrations/deliveries/test", w.admin, map[string]any{"event": "chatStart"})
	if r.Status != 202 || r.Body["status"] != "pending" || r.Body["test"] != true {
		t.Fatalf("send a test event: %+v", r)
	}
	id := r.Body["id"].(string)
	if r := testkit.Call(t, "POST", w.api+"/integrations/deliveries/test", w.admin, map[string]any{"event": "chatAssign"}); r.Status != 202 {
		t.Fatalf("send a test chatAssign: %+v", r)
	}
	if r := testkit.Call(t, "POST", w.api+"/integrations/deliveries/test", w.admin, map[string]any{"event": "nope"}); r.Status != 422 || r.Body["error"].(map[string]any)["fields"].(map[string]any)["event"] == nil {
		t.Fatalf("a test of an unknown event: %+v", r)
	}
	hits := waitHits(t, rc, 4)
	var starts []hit
	for _, h := range hits {
		checkSigned(t, secret, h)
		if h.Path == "/start" {
			starts = append(starts, h)
		}
	}
	if len(starts) != 3 || len(hits) != 4 {
		t.Fatalf("%d deliveries to /start, %d in all; want 3 and 4", len(starts), len(hits))
	}
	for _, h := range starts {
		if h.ID != id || string(h.Body) != string(starts[0].Body) {
			t.Fatalf("a retry changed the id or the body: %q %q", h.ID, h.Body)
		}
	}
	if gap := starts[1].At.Sub(starts[0].At); gap < 500*time.Millisecond {
		t.Fatalf("retried after %v: no back-off", gap)
	}
	log := testkit.Call(t, "GET", w.api+"/integrations/deliveries", w.admin, nil)
	var start, assign map[string]any
	for _, it := range log.Body["items"].([]any) {
		d := it.(map[string]any)
		switch d["event"] {
		case "chatStart":
			start = d
		case "chatAssign":
			assign = d
		}
	}
	if start["status"] != "delivered" || start["attempts"] != float64(3) || start["lastResponseCode"] != float64(200) {
		t.Fatalf("the retried delivery: %v", start)
	}
	if assign["status"] != "failed" || assign["attempts"] != float64(1) || assign["lastResponseCode"] != float64(400) {
		t.Fatalf("the refused delivery: %v", assign)
	}
	if r := testkit.Call(t, "POST", w.api+"/integrations/deliveries/"+id+"/redeliver", w.admin, nil); r.Status != 202 || r.Body["status"] != "pending" {
		t.Fatalf("redeliver: %+v", r)
	}
	if r := testkit.Call(t, "POST", w.api+"/integrations/deliveries/msg_nope/redeliver", w.admin, nil); r.Status != 404 {
		t.Fatalf("redeliver an unknown delivery: %+v", r)
	}
	hits = waitHits(t, rc, 5)
	if last := hits[len(hits)-1]; len(hits) != 5 || last.ID != id || last.Path != "/start" {
		t.Fatalf("the redelivery: %d hits, last %+v", len(hits), last)
	}
}
