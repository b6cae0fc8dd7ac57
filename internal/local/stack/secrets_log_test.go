package stack_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"parley/internal/local/stack"
	"parley/internal/testkit"
	"parley/internal/webhook"
)

// syncBuffer is a bytes.Buffer the stack's goroutines may all write to.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestSecretsNeverLogged runs what handles secrets through the whole
// stack with every function logging at debug level: sign-up, sign-in
// (right and wrong passwords), tokens in headers and in the WebSocket's
// query string, every secret setting saved, saved again inside a refused
// write, the generated keys regenerated, and the settings' stream
// records through the consumer. Not one of those values may appear in
// the log, in clear or URL-escaped.
func TestSecretsNeverLogged(t *testing.T) {
	var logs syncBuffer
	s := testkit.Start(t, func(o *stack.Options) {
		o.TokenSecret = strings.Repeat("s", 32)
		// The webhook dispatcher runs every second and may call the
		// loopback receiver below.
		o.ScheduleSpeed, o.SweepWindow, o.OutboundAllowLoopback = 60, 900*time.Millisecond, true
		o.WebhookRetry = &webhook.Retry{First: time.Second, Max: time.Second, GiveUpAfter: time.Hour}
		o.Log = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	api := s.HTTPURL + "/v1"
	rc := newReceiver(t, func(_ string, n int) int {
		if n == 1 {
			return 503
		}
		return 200
	})

	const password = "Password-7f3a-never-logged"
	client := testkit.Client{Base: s.HTTPURL, StrictJSON: true}
	admin := client.SignUp(t, testkit.SignUp{Email: testkit.UniqueEmail("admin", "acme.example"), Password: password, Plan: "corporate"}).Email
	if r := client.SignIn(t, admin, password+"-wrong"); r.Status != 401 {
		t.Fatalf("a wrong password: %+v", r)
	}
	r := client.SignIn(t, admin, password)
	if r.Status != 200 {
		t.Fatalf("sign-in: %+v", r)
	}
	token, refresh := r.Body["token"].(string), r.Body["refreshToken"].(string)
	secrets := []string{password, password + "-wrong", token, refresh}

	integration := map[string]any{
		"telegram": map[string]any{"botToken": "123456789:AAH7never-logged-telegram-token-x12"},
		"vk":       map[string]any{"accessKey": "vk-access-key-never-logged-55d1", "confirmationString": "c0nfirm"},
		"webhooks": map[string]any{"chatStart": "https://hook:webhook-pass-never-logged@hooks.acme.example/start",
			// A receiver that fails once: the delivery is retried, its
			// error recorded, and the URL's password sent as basic auth.
			"chatAssign": strings.Replace(rc.srv.URL, "http://", "http://hook:assign-pass-never-logged@", 1) + "/assign?token=query-token-never-logged"},
		"zendesk":   map[string]any{"subdomain": "acme", "login": "agent@acme.example", "apiToken": "zendesk-token-never-logged-91c"},
		"amocrm":    map[string]any{"account": "acme", "email": "crm@acme.example", "apiKey": "amocrm-key-never-logged-0b2"},
		"zoho":      map[string]any{"email": "zoho@acme.example", "password": "zoho-pass-never-logged-7e1", "authToken": "zoho-auth-never-logged-3f9"},
		"unisender": map[string]any{"apiKey": "unisender-key-never-logged-d4a", "listName": "Visitors"},
	}
	secrets = append(secrets, "assign-pass-never-logged", "query-token-never-logged", "AAH7never-logged-telegram-token-x12", "vk-access-key-never-logged-55d1", "webhook-pass-never-logged",
		"zendesk-token-never-logged-91c", "amocrm-key-never-logged-0b2", "zoho-pass-never-logged-7e1", "zoho-auth-never-logged-3f9",
		"unisender-key-never-logged-d4a")
	// Refused first (a bad CRM template beside the secrets), then saved.
	bad := map[string]any{"crmUrlTemplate": "https://crm.acme.example/no-placeholder"}
	for k, v := range integration {
		bad[k] = v
	}
	if r := testkit.Call(t, "PATCH", api+"/settings/integration", token, bad); r.Status != 422 {
		t.Fatalf("a refused integration write: %+v", r)
	}
	if r := testkit.Call(t, "PATCH", api+"/settings/integration", token, integration); r.Status != 200 {
		t.Fatalf("saving the integration secrets: %+v", r)
	}
	for _, path := range []string{"/settings/integration/private-key/regenerate", "/settings/integration/vk/secret-key/regenerate",
		"/settings/integration/webhooks/signing-secret/regenerate"} {
		r := testkit.Call(t, "POST", api+path, token, nil)
		if r.Status != 200 {
			t.Fatalf("POST %s: %+v", path, r)
		}
		for _, v := range r.Body {
			if key, ok := v.(string); ok && len(key) >= 16 {
				secrets = append(secrets, key)
			}
		}
	}
	if len(secrets) < 17 {
		t.Fatalf("the regenerated keys were not found in the answers: %d secrets", len(secrets))
	}
	// The staff WebSocket carries the token in its query string.
	ws := dialWS(t, ctx, "admin", s.WebSocketURL+"?token="+token)
	ws.Call("state", map[string]any{"action": "hello"})

	// The stream consumer writes the audit entries of the saves: wait for
	// them, so the settings' stream records were all handled and logged.
	deadline := time.Now().Add(30 * time.Second)
	for {
		r := testkit.Call(t, "GET", api+"/audit", token, nil)
		if items, _ := r.Body["items"].([]any); r.Status == 200 && len(items) >= 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the audit entries of the saves never came: %+v", r)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// A webhook delivery, failed once and retried, with the credentials.
	if r := testkit.Call(t, "POST", api+"/integrations/deliveries/test", token, map[string]any{"event": "chatAssign"}); r.Status != 202 {
		t.Fatalf("a test event: %+v", r)
	}
	testkit.Eventually(t, "the test event, retried", func() bool { return len(rc.all()) >= 2 })
	if h := rc.all()[1]; h.Password != "assign-pass-never-logged" {
		t.Fatalf("the receiver's basic auth: %+v", h)
	}
	if r := testkit.Call(t, "GET", api+"/integrations/deliveries", token, nil); r.Status != 200 || strings.Contains(mustJSON(r.Body), "never-logged") {
		t.Fatalf("the delivery log: %+v", r)
	}
	if r := testkit.Call(t, "POST", api+"/auth/logout", "", map[string]any{"refreshToken": refresh}); r.Status >= 300 {
		t.Fatalf("sign-out: %+v", r)
	}

	out := logs.String()
	if strings.Count(out, "\n") < 5 {
		t.Fatalf("the stack logged %d lines: the check would prove nothing", strings.Count(out, "\n"))
	}
	for _, secret := range secrets {
		for _, form := range []string{secret, strings.ReplaceAll(secret, ":", "%3A")} {
			if strings.Contains(out, form) {
				t.Errorf("the log holds a secret (%.6s…)", secret)
			}
		}
	}
	t.Logf("%d log lines checked for %d secrets", strings.Count(out, "\n"), len(secrets))
}
