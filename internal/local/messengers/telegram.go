// Package messengers runs local stand-ins for Telegram's Bot API and VK's
// API for tests and make dev: each request is checked as the services'
// documentation defines it (method, path with the bot token, parameters,
// the access key and version) and answered as they answer, errors
// included (401 Unauthorized for a bad bot token, 429 with retry_after,
// VK's error object with HTTP 200). They also play the messenger's side
// of a webhook: Update and Callback post to the address Parley gave.
package messengers

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// Sent is one message a bot or a community sent.
type Sent struct {
	Peer int64
	Text string
}

// Telegram is a local Bot API with one valid bot token, or (AnyBot)
// with every well-formed one but those refused.
type Telegram struct {
	Token string
	srv   *httptest.Server

	mu      sync.Mutex
	any     bool
	refused map[string]bool
	sent    []Sent
	hooks   map[string]hook // each bot token's registered webhook
	calls   []string        // every method called, in order, bad ones too
	tooMany int             // answer this many sendMessage calls with 429
	problem string          // the first request that broke the documented shape
}

type hook struct{ url, secret string }

// NewTelegram starts a Bot API that accepts token.
func NewTelegram(token string) *Telegram {
	t := &Telegram{Token: token, refused: map[string]bool{}, hooks: map[string]hook{}}
	t.srv = httptest.NewServer(http.HandlerFunc(t.serve))
	return t
}

// AnyBot makes every well-formed bot token (digits, a colon, 35 of
// A-Z a-z 0-9 _ -) a bot, but those given to Refuse: a stack whose tests
// save tokens of their own (settings pages, the API's tests) gets a Bot
// API that knows them.
func (t *Telegram) AnyBot() *Telegram { t.mu.Lock(); t.any = true; t.mu.Unlock(); return t }

// Refuse makes token one Telegram does not know (revoked or never
// issued): every method answers 401 Unauthorized.
func (t *Telegram) Refuse(token string) { t.mu.Lock(); t.refused[token] = true; t.mu.Unlock() }

var wellFormedToken = regexp.MustCompile(`^[0-9]{1,20}:[A-Za-z0-9_-]{35}$`)

func (t *Telegram) knows(token string) bool {
	if t.refused[token] {
		return false
	}
	return token == t.Token || t.any && wellFormedToken.MatchString(token)
}

// URL is the Bot API's base URL (TELEGRAM_API_URL).
func (t *Telegram) URL() string { return t.srv.URL }

// Close stops the server.
func (t *Telegram) Close() { t.srv.Close() }

// TooManyRequests makes the next n sendMessage calls answer 429 with
// retry_after 1, as Telegram's flood control does.
func (t *Telegram) TooManyRequests(n int) { t.mu.Lock(); t.tooMany = n; t.mu.Unlock() }

// Sent is every message sent so far.
func (t *Telegram) Sent() []Sent {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]Sent(nil), t.sent...)
}

// Calls is every method called, in order.
func (t *Telegram) Calls() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]string(nil), t.calls...)
}

// Webhook is the registered webhook URL and secret token of the Token
// bot ("" for none).
func (t *Telegram) Webhook() (string, string) { return t.WebhookOf(t.Token) }

// WebhookOf is token's bot's registered webhook URL and secret token.
func (t *Telegram) WebhookOf(token string) (string, string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	h := t.hooks[token]
	return h.url, h.secret
}

// Problem is the first request that did not follow the documentation,
// "" when all did: tests fail on it.
func (t *Telegram) Problem() string { t.mu.Lock(); defer t.mu.Unlock(); return t.problem }

var (
	botPath     = regexp.MustCompile(`^/bot([^/]+)/([A-Za-z]+)$`)
	secretShape = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)
)

func answer(w http.ResponseWriter, status int, v any) {
	w.Header().Set("content-type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func tgError(w http.ResponseWriter, status int, description string) {
	answer(w, status, map[string]any{"ok": false, "error_code": status, "description": description})
}

// params reads a method's parameters as the Bot API takes them: a query
// string, a urlencoded form or a JSON object.
func params(r *http.Request) (map[string]any, error) {
	out := map[string]any{}
	for k, v := range r.URL.Query() {
		out[k] = v[0]
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return out, nil
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("content-type"))
	switch ct {
	case "application/json":
		d := json.NewDecoder(bytes.NewReader(body))
		d.UseNumber()
		if err := d.Decode(&out); err != nil {
			return nil, err
		}
	case "application/x-www-form-urlencoded":
		v, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, err
		}
		for k := range v {
			out[k] = v.Get(k)
		}
	default:
		return nil, fmt.Errorf("content-type %q is not one the Bot API takes", ct)
	}
	return out, nil
}

func (t *Telegram) fail(problem string) {
	if t.problem == "" {
		t.problem = problem
	}
}

// StatePath is not part of the Bot API: a GET of it answers what the
// stand-in holds for the bot token in the query's "bot"
// ({"webhook":{"url","secret"},"sent":[{"peer","text"}]}), for tests in
// another process (the browser tests) to read.
const StatePath = "/stand-in/state"

func (t *Telegram) state(w http.ResponseWriter, token string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	sent := []map[string]any{}
	for _, s := range t.sent {
		sent = append(sent, map[string]any{"peer": s.Peer, "text": s.Text})
	}
	h := t.hooks[token]
	answer(w, 200, map[string]any{"webhook": map[string]any{"url": h.url, "secret": h.secret}, "sent": sent, "problem": t.problem})
}

func (t *Telegram) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == StatePath && r.Method == http.MethodGet {
		t.state(w, r.URL.Query().Get("bot"))
		return
	}
	m := botPath.FindStringSubmatch(r.URL.Path)
	t.mu.Lock()
	defer t.mu.Unlock()
	if m == nil {
		t.fail("path " + r.URL.Path + " is not /bot<token>/<method>")
		tgError(w, http.StatusNotFound, "Not Found")
		return
	}
	t.calls = append(t.calls, m[2])
	if r.Method != http.MethodPost && r.Method != http.MethodGet {
		t.fail(r.Method + " " + m[2])
		tgError(w, http.StatusMethodNotAllowed, "Method Not Allowed")
		return
	}
	if !t.knows(m[1]) {
		tgError(w, http.StatusUnauthorized, "Unauthorized")
		return
	}
	p, err := params(r)
	if err != nil {
		t.fail(m[2] + ": " + err.Error())
		tgError(w, http.StatusBadRequest, "Bad Request: "+err.Error())
		return
	}
	ok := func(result any) { answer(w, 200, map[string]any{"ok": true, "result": result}) }
	switch m[2] {
	case "getMe":
		ok(map[string]any{"id": 7000001, "is_bot": true, "first_name": "Acme support", "username": "acme_support_bot"})
	case "setWebhook":
		u, _ := p["url"].(string)
		secret, _ := p["secret_token"].(string)
		if pu, err := url.Parse(u); u == "" || err != nil || !pu.IsAbs() {
			t.fail("setWebhook without an absolute url")
			tgError(w, http.StatusBadRequest, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
			return
		}
		if !secretShape.MatchString(secret) {
			t.fail("setWebhook secret_token " + strconv.Quote(secret) + " is not 1-256 of A-Z a-z 0-9 _ -")
			tgError(w, http.StatusBadRequest, "Bad Request: secret token contains unallowed characters")
			return
		}
		t.hooks[m[1]] = hook{u, secret}
		answer(w, 200, map[string]any{"ok": true, "result": true, "description": "Webhook was set"})
	case "deleteWebhook":
		delete(t.hooks, m[1])
		answer(w, 200, map[string]any{"ok": true, "result": true, "description": "Webhook was deleted"})
	case "sendMessage":
		chatID, err := strconv.ParseInt(fmt.Sprint(p["chat_id"]), 10, 64)
		text, _ := p["text"].(string)
		switch {
		case err != nil:
			t.fail("sendMessage chat_id " + fmt.Sprint(p["chat_id"]))
			tgError(w, http.StatusBadRequest, "Bad Request: chat not found")
			return
		case strings.TrimSpace(text) == "":
			t.fail("sendMessage without text")
			tgError(w, http.StatusBadRequest, "Bad Request: message text is empty")
			return
		case utf8.RuneCountInString(text) > 4096:
			t.fail("sendMessage text over 4096 characters")
			tgError(w, http.StatusBadRequest, "Bad Request: message is too long")
			return
		}
		if t.tooMany > 0 {
			t.tooMany--
			answer(w, http.StatusTooManyRequests, map[string]any{"ok": false, "error_code": 429,
				"description": "Too Many Requests: retry after 1", "parameters": map[string]any{"retry_after": 1}})
			return
		}
		t.sent = append(t.sent, Sent{Peer: chatID, Text: text})
		ok(map[string]any{"message_id": len(t.sent), "chat": map[string]any{"id": chatID, "type": "private"}, "date": 1700000000, "text": text})
	default:
		tgError(w, http.StatusNotFound, "Not Found")
	}
}

// PrivateText is an Update of a private text message from a user.
func PrivateText(updateID, chatID int64, firstName, username, text string) map[string]any {
	return map[string]any{"update_id": updateID, "message": map[string]any{
		"message_id": updateID, "date": 1700000000, "text": text,
		"from": map[string]any{"id": chatID, "is_bot": false, "first_name": firstName, "username": username, "language_code": "en"},
		"chat": map[string]any{"id": chatID, "type": "private", "first_name": firstName, "username": username}}}
}

// Update posts an update to url as Telegram delivers it, with the secret
// token header, and returns the status.
func Update(url, secret string, update any) (int, error) {
	b, err := json.Marshal(update)
	if err != nil {
		return 0, err
	}
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(b))
	if err != nil {
		return 0, err
	}
	req.Header.Set("content-type", "application/json")
	if secret != "" {
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}
