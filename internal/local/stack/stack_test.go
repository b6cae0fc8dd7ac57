package stack_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"parley/internal/local/seslocal"
	"parley/internal/local/stack"
	"parley/internal/local/streams"
	"parley/internal/testkit/testenv"
	"parley/internal/timers"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// startStack runs the whole local stack on the test's own table, on the
// emulators testenv provides.
func startStack(t *testing.T) *stack.Stack {
	t.Helper()
	dbEndpoint, sesEndpoint := testenv.Endpoints(t)
	root, err := testenv.Root()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := stack.Start(ctx, stack.Options{Root: root, DynamoDBEndpoint: dbEndpoint, SESEndpoint: sesEndpoint,
		Table: testenv.TableName(t), TokenSecret: strings.Repeat("t", 32), StreamStart: streams.TrimHorizon,
		ScheduleSpeed: 60, SweepWindow: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

type reply struct {
	Status int
	ETag   string
	Body   map[string]any
}

func call(t *testing.T, method, url, token string, body any, headers ...string) reply {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, url, rd)
	req.Header.Set("content-type", "application/json")
	if token != "" {
		req.Header.Set("authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := reply{Status: resp.StatusCode, ETag: resp.Header.Get("etag")}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &r.Body); err != nil {
			t.Fatalf("%s %s: body is not JSON: %q", method, url, raw)
		}
	}
	return r
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

// TestWalkingSkeleton drives every kind of trigger through the local stack:
// HTTP routes with and without the authorizer, DynamoDB round trips, the
// stream consumer (audit trail and mail through SES), the WebSocket API with
// @connections, and a schedule.
func TestWalkingSkeleton(t *testing.T) {
	s := startStack(t)
	api := s.HTTPURL + "/v1"

	if r := call(t, "GET", api+"/health", "", nil); r.Status != 200 || r.Body["status"] != "ok" {
		t.Fatalf("health: %+v", r)
	}

	admin := fmt.Sprintf("admin-%d@example.com", time.Now().UnixNano())
	signup := call(t, "POST", api+"/accounts", "", map[string]any{"companyName": "Acme", "email": admin, "password": "correct horse battery", "plan": "basic", "language": "en"})
	if signup.Status != 201 {
		t.Fatalf("sign-up: %+v", signup)
	}
	token := signup.Body["token"].(string)
	accountID := signup.Body["account"].(map[string]any)["id"].(string)

	// The authorizer: no token is refused by the gateway, a bad one by the
	// authorizer.
	if r := call(t, "GET", api+"/settings/company", "", nil); r.Status != 401 {
		t.Fatalf("no token: %d", r.Status)
	}
	if r := call(t, "GET", api+"/settings/company", "not-a-token", nil); r.Status != 403 {
		t.Fatalf("bad token: %d", r.Status)
	}

	got := call(t, "GET", api+"/settings/company", token, nil)
	if got.Status != 200 || got.Body["timezone"] != "Europe/Moscow" || got.Body["language"] != "en" || got.ETag == "" {
		t.Fatalf("GET company: %+v", got)
	}

	bad := call(t, "PUT", api+"/settings/company", token, map[string]any{"name": "", "timezone": "Mars/Olympus", "website": "ftp://x", "language": "en"})
	if bad.Status != 422 {
		t.Fatalf("bad PUT: %+v", bad)
	}
	fields, _ := bad.Body["error"].(map[string]any)["fields"].(map[string]any)
	for _, k := range []string{"company.name", "company.timezone", "company.website"} {
		if fields[k] == nil {
			t.Errorf("bad PUT: no message for %s in %v", k, fields)
		}
	}
	if again := call(t, "GET", api+"/settings/company", token, nil); again.ETag != got.ETag || again.Body["timezone"] != "Europe/Moscow" {
		t.Fatalf("a refused write changed the settings: %+v", again)
	}

	put := call(t, "PUT", api+"/settings/company", token, map[string]any{"name": "Acme Ltd", "timezone": "Europe/Berlin", "website": "https://acme.example", "language": "en"}, "if-match", got.ETag)
	if put.Status != 200 || put.Body["name"] != "Acme Ltd" || put.ETag == got.ETag {
		t.Fatalf("PUT: %+v", put)
	}
	if stale := call(t, "PATCH", api+"/settings/company", token, map[string]any{"name": "Late"}, "if-match", got.ETag); stale.Status != 412 {
		t.Fatalf("stale If-Match: %+v", stale)
	}
	if r := call(t, "GET", api+"/settings/company", token, nil); r.Body["timezone"] != "Europe/Berlin" {
		t.Fatalf("PUT did not round-trip: %+v", r)
	}

	// The stream consumer: the write becomes an audit entry, and the
	// welcome mail queued at sign-up goes out through SES.
	eventually(t, "the audit entry", func() bool {
		r := call(t, "GET", api+"/audit", token, nil)
		items, _ := r.Body["items"].([]any)
		return r.Status == 200 && len(items) == 1
	})
	eventually(t, "the welcome mail in the local SES", func() bool {
		mails, err := seslocal.Store(context.Background(), s.SESEndpoint)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range mails {
			if slices.Contains(m.To(), admin) && strings.Contains(m.Body.Text, "Powered by Parley") {
				return true
			}
		}
		return false
	})

	// The WebSocket API: an operator and a visitor exchange messages
	// through @connections.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, resp, err := websocket.Dial(ctx, s.WebSocketURL+"?token=forged", nil); err == nil || resp == nil || resp.StatusCode != 401 {
		t.Fatalf("forged token connected: %v %v", err, resp)
	}
	op, _, err := websocket.Dial(ctx, s.WebSocketURL+"?token="+token, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer op.CloseNow()
	widget := call(t, "GET", api+"/widget/"+accountID+"/config", "", nil)
	if widget.Status != 200 || widget.Body["button"] != "online" {
		t.Fatalf("widget config with an operator online: %+v", widget)
	}
	visitorID := widget.Body["visitorId"].(string)
	if widget.Body["websocketUrl"] != s.WebSocketURL {
		t.Fatalf("widget config names WebSocket %v, want %s", widget.Body["websocketUrl"], s.WebSocketURL)
	}
	vis, _, err := websocket.Dial(ctx, widget.Body["websocketUrl"].(string)+"?visitorToken="+widget.Body["visitorToken"].(string), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer vis.CloseNow()

	send(t, ctx, vis, map[string]any{"action": "sendMessage", "clientId": "v-1", "text": "Hello, is anyone there?"})
	expectFrame(t, ctx, vis, "sent")
	if f := expectFrame(t, ctx, op, "message"); f["text"] != "Hello, is anyone there?" || f["from"].(map[string]any)["id"] != visitorID {
		t.Fatalf("operator got %v", f)
	}
	send(t, ctx, op, map[string]any{"action": "sendMessage", "clientId": "o-1", "to": visitorID, "text": "Yes, how can I help?"})
	expectFrame(t, ctx, op, "sent")
	if f := expectFrame(t, ctx, vis, "message"); f["text"] != "Yes, how can I help?" || f["from"].(map[string]any)["kind"] != "operator" {
		t.Fatalf("visitor got %v", f)
	}

	// A schedule: the sweeper, run by the schedule runner, fires a due timer.
	tm := timers.Timer{AccountID: accountID, Subject: "chat-1", Kind: "firstResponse", Due: time.Now().Truncate(time.Second)}
	if err := s.Store.PutTimer(ctx, tm); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the timer to fire", func() bool {
		fired, err := s.Store.TimerFired(ctx, tm)
		return err == nil && fired
	})
}

func send(t *testing.T, ctx context.Context, c *websocket.Conn, v any) {
	t.Helper()
	b, _ := json.Marshal(v)
	if err := c.Write(ctx, websocket.MessageText, b); err != nil {
		t.Fatal(err)
	}
}

func expectFrame(t *testing.T, ctx context.Context, c *websocket.Conn, typ string) map[string]any {
	t.Helper()
	for {
		_, b, err := c.Read(ctx)
		if err != nil {
			t.Fatalf("waiting for a %s frame: %v", typ, err)
		}
		var f map[string]any
		if err := json.Unmarshal(b, &f); err != nil {
			t.Fatalf("frame is not JSON: %q", b)
		}
		if f["type"] == typ {
			return f
		}
		if f["type"] == "error" {
			t.Fatalf("error frame while waiting for %s: %v", typ, f)
		}
	}
}
