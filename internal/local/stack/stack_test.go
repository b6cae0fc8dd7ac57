package stack_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"parley/internal/local/seslocal"
	"parley/internal/local/stack"
	"parley/internal/testkit"
	"parley/internal/testkit/testenv"
	"parley/internal/timers"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// TestWalkingSkeleton drives every kind of trigger through the local stack:
// HTTP routes with and without the authorizer, DynamoDB round trips, the
// stream consumer (audit trail and mail through SES), the WebSocket API with
// @connections, and a schedule.
func TestWalkingSkeleton(t *testing.T) {
	s := testkit.Start(t, func(o *stack.Options) { o.ScheduleSpeed, o.SweepWindow = 60, 500*time.Millisecond })
	api := s.HTTPURL + "/v1"

	if r := testkit.Call(t, "GET", api+"/health", "", nil); r.Status != 200 || r.Body["status"] != "ok" {
		t.Fatalf("health: %+v", r)
	}

	client := testkit.Client{Base: s.HTTPURL, StrictJSON: true}
	signup := client.SignUp(t, testkit.SignUp{})
	admin, token, accountID := signup.Email, signup.Token, signup.ID

	// The authorizer: no token is refused by the gateway, a bad one by the
	// authorizer.
	if r := testkit.Call(t, "GET", api+"/settings/company", "", nil); r.Status != 401 {
		t.Fatalf("no token: %d", r.Status)
	}
	if r := testkit.Call(t, "GET", api+"/settings/company", "not-a-token", nil); r.Status != 403 {
		t.Fatalf("bad token: %d", r.Status)
	}

	got := testkit.Call(t, "GET", api+"/settings/company", token, nil)
	if got.Status != 200 || got.Body["timezone"] != "Europe/Moscow" || got.Body["language"] != "en" || got.ETag() == "" {
		t.Fatalf("GET company: %+v", got)
	}

	bad := testkit.Call(t, "PUT", api+"/settings/company", token, map[string]any{"name": "", "timezone": "Mars/Olympus", "website": "ftp://x", "language": "en"})
	if bad.Status != 422 {
		t.Fatalf("bad PUT: %+v", bad)
	}
	fields, _ := bad.Body["error"].(map[string]any)["fields"].(map[string]any)
	for _, k := range []string{"company.name", "company.timezone", "company.website"} {
		if fields[k] == nil {
			t.Errorf("bad PUT: no message for %s in %v", k, fields)
		}
	}
	if again := testkit.Call(t, "GET", api+"/settings/company", token, nil); again.ETag() != got.ETag() || again.Body["timezone"] != "Europe/Moscow" {
		t.Fatalf("a refused write changed the settings: %+v", again)
	}

	put := testkit.Call(t, "PUT", api+"/settings/company", token, map[string]any{"name": "Acme Ltd", "timezone": "Europe/Berlin", "website": "https://acme.example", "language": "en"}, "if-match", got.ETag())
	if put.Status != 200 || put.Body["name"] != "Acme Ltd" || put.ETag() == got.ETag() {
		t.Fatalf("PUT: %+v", put)
	}
	if stale := testkit.Call(t, "PATCH", api+"/settings/company", token, map[string]any{"name": "Late"}, "if-match", got.ETag()); stale.Status != 412 {
		t.Fatalf("stale If-Match: %+v", stale)
	}
	if r := testkit.Call(t, "GET", api+"/settings/company", token, nil); r.Body["timezone"] != "Europe/Berlin" {
		t.Fatalf("PUT did not round-trip: %+v", r)
	}

	// The stream consumer: the write becomes an audit entry, and the
	// welcome mail queued at sign-up goes out through SES.
	testkit.Eventually(t, "the audit entry", func() bool {
		r := testkit.Call(t, "GET", api+"/audit", token, nil)
		items, _ := r.Body["items"].([]any)
		return r.Status == 200 && len(items) == 1
	})
	testkit.WaitMail(t, s.SESEndpoint, "the welcome mail in the local SES", func(m seslocal.Mail) bool {
		return slices.Contains(m.To(), admin) && strings.Contains(m.Body.Text, "Powered by Parley")
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
	widget := testkit.Call(t, "GET", api+"/widget/"+accountID+"/config", "", nil)
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
	testkit.Eventually(t, "the timer to fire", func() bool {
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
