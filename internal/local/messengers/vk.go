package messengers

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// VK is a local VK API with one valid community access key, serving
// messages.send.
type VK struct {
	AccessKey string
	srv       *httptest.Server

	mu        sync.Mutex
	sent      []Sent
	randomIDs map[string]int // peer|random_id -> message id: a repeat is not sent again
	tooMany   int
	problem   string
}

// NewVK starts a VK API that accepts accessKey.
func NewVK(accessKey string) *VK {
	v := &VK{AccessKey: accessKey, randomIDs: map[string]int{}}
	v.srv = httptest.NewServer(http.HandlerFunc(v.serve))
	return v
}

// URL is the API's base URL (VK_API_URL).
func (v *VK) URL() string { return v.srv.URL }

// Close stops the server.
func (v *VK) Close() { v.srv.Close() }

// TooManyRequests makes the next n calls answer error 6.
func (v *VK) TooManyRequests(n int) { v.mu.Lock(); v.tooMany = n; v.mu.Unlock() }

// Sent is every message sent so far (a repeated random_id once).
func (v *VK) Sent() []Sent { v.mu.Lock(); defer v.mu.Unlock(); return append([]Sent(nil), v.sent...) }

// Problem is the first request that did not follow the documentation.
func (v *VK) Problem() string { v.mu.Lock(); defer v.mu.Unlock(); return v.problem }

func vkError(w http.ResponseWriter, code int, msg string) {
	answer(w, http.StatusOK, map[string]any{"error": map[string]any{"error_code": code, "error_msg": msg, "request_params": []any{}}})
}

func (v *VK) serve(w http.ResponseWriter, r *http.Request) {
	v.mu.Lock()
	defer v.mu.Unlock()
	fail := func(p string) {
		if v.problem == "" {
			v.problem = p
		}
	}
	if r.URL.Path != "/method/messages.send" {
		fail("path " + r.URL.Path)
		vkError(w, 3, "Unknown method passed")
		return
	}
	if r.Method != http.MethodPost && r.Method != http.MethodGet {
		fail("method " + r.Method)
		vkError(w, 3, "Unknown method passed")
		return
	}
	p, err := params(r)
	if err != nil {
		fail(err.Error())
		vkError(w, 100, "One of the parameters specified was missing or invalid")
		return
	}
	get := func(k string) string { s, _ := p[k].(string); return s }
	token := get("access_token")
	if a := r.Header.Get("authorization"); token == "" && strings.HasPrefix(a, "Bearer ") {
		token = strings.TrimPrefix(a, "Bearer ")
	}
	if get("v") == "" {
		fail("no v")
		vkError(w, 8, "Invalid request: v (version) is required")
		return
	}
	if token != v.AccessKey {
		vkError(w, 5, "User authorization failed: invalid access_token (4).")
		return
	}
	peer, err := strconv.ParseInt(get("peer_id"), 10, 64)
	if err != nil {
		fail("peer_id " + get("peer_id"))
		vkError(w, 100, "One of the parameters specified was missing or invalid: peer_id")
		return
	}
	if _, err := strconv.ParseInt(get("random_id"), 10, 32); err != nil {
		fail("random_id " + get("random_id") + " is not an int32")
		vkError(w, 100, "One of the parameters specified was missing or invalid: random_id is a required parameter")
		return
	}
	text := get("message")
	if strings.TrimSpace(text) == "" || utf8.RuneCountInString(text) > 4096 {
		fail("message empty or over 4096 characters")
		vkError(w, 100, "One of the parameters specified was missing or invalid: message is empty or invalid")
		return
	}
	if v.tooMany > 0 {
		v.tooMany--
		vkError(w, 6, "Too many requests per second")
		return
	}
	key := get("peer_id") + "|" + get("random_id")
	if id, ok := v.randomIDs[key]; ok {
		answer(w, 200, map[string]any{"response": id})
		return
	}
	v.sent = append(v.sent, Sent{Peer: peer, Text: text})
	v.randomIDs[key] = len(v.sent)
	answer(w, 200, map[string]any{"response": len(v.sent)})
}

// MessageNew is a Callback API message_new of API version 5.199: a user
// writing to the community in a private dialog.
func MessageNew(groupID int64, eventID, secret string, fromID int64, text string) map[string]any {
	return map[string]any{"type": "message_new", "group_id": groupID, "event_id": eventID, "v": "5.199", "secret": secret,
		"object": map[string]any{
			"message": map[string]any{"date": 1700000000, "from_id": fromID, "id": 1, "out": 0, "peer_id": fromID, "text": text,
				"conversation_message_id": 1, "fwd_messages": []any{}, "important": false, "random_id": 0, "attachments": []any{}, "is_hidden": false},
			"client_info": map[string]any{"button_actions": []string{"text"}, "keyboard": true, "inline_keyboard": true, "carousel": true, "lang_id": 0}}}
}

// Callback posts a Callback API request to url as VK does and returns the
// status and the body.
func Callback(url string, body any) (int, string, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return 0, "", err
	}
	resp, err := http.Post(url, "application/json", bytes.NewReader(b))
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(out), nil
}
