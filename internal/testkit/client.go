package testkit

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// Reply is a response as the tests look at it.
type Reply struct {
	Status int
	Header http.Header
	Raw    []byte
	Body   map[string]any // the JSON object, when the body is one
}

// ETag is the response's ETag header.
func (r Reply) ETag() string { return r.Header.Get("ETag") }

// ErrorFields are the fields of an error body (SPEC §5), nil when it has none.
func (r Reply) ErrorFields() map[string]any {
	e, _ := r.Body["error"].(map[string]any)
	f, _ := e["fields"].(map[string]any)
	return f
}

// ErrorCode is an error body's code, "" when it has none.
func (r Reply) ErrorCode() string {
	e, _ := r.Body["error"].(map[string]any)
	s, _ := e["code"].(string)
	return s
}

// Request is one HTTP request. Body is JSON-encoded unless it is []byte,
// which is sent as is with ContentType.
type Request struct {
	Method, Path string // Path is under the client's Base, or a full URL
	Token        string
	Body         any
	ContentType  string
	Headers      map[string]string
	From         string // the source address the gateway reports (X-Forwarded-For); "" is the TCP peer
}

// Client calls the stack's HTTP API.
type Client struct {
	Base string // the stack's HTTP URL (or a prefix of it: Path is appended)
	// StrictJSON fails the test on any body that is not JSON, whatever its
	// content type; otherwise only a body sent as JSON is decoded.
	StrictJSON bool
	// Check, when set, sees every exchange (the request as sent and its
	// body) after the response is read, e.g. to check it against the API
	// document.
	Check func(t testing.TB, req *http.Request, body []byte, r Reply)
}

// Do sends r and returns the response; a transport error fails the test.
func (c *Client) Do(t testing.TB, r Request) Reply {
	t.Helper()
	var body []byte
	contentType := r.ContentType
	switch b := r.Body.(type) {
	case nil:
	case []byte:
		body = b
	default:
		var err error
		if body, err = json.Marshal(b); err != nil {
			t.Fatal(err)
		}
		if contentType == "" {
			contentType = "application/json"
		}
	}
	target := r.Path
	if !strings.HasPrefix(target, "http") {
		target = c.Base + target
	}
	hr, err := http.NewRequest(r.Method, target, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		hr.Header.Set("Content-Type", contentType)
	}
	if r.Token != "" {
		hr.Header.Set("Authorization", "Bearer "+r.Token)
	}
	for k, v := range r.Headers {
		hr.Header.Set(k, v)
	}
	if r.From != "" {
		hr.Header.Set("X-Forwarded-For", r.From)
	}
	resp, err := http.DefaultClient.Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out := Reply{Status: resp.StatusCode, Header: resp.Header}
	if out.Raw, err = io.ReadAll(resp.Body); err != nil {
		t.Fatal(err)
	}
	if len(out.Raw) > 0 && (c.StrictJSON || strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json")) {
		var v any
		if err := json.Unmarshal(out.Raw, &v); err != nil {
			t.Fatalf("%s %s: the body is not JSON: %q", r.Method, r.Path, out.Raw)
		}
		out.Body, _ = v.(map[string]any)
	}
	if c.Check != nil {
		c.Check(t, hr, body, out)
	}
	return out
}

// Call sends a JSON request (a nil body sends none, with the JSON content
// type all the same) with the token and header pairs (name, value, ...).
func (c *Client) Call(t testing.TB, method, path, token string, body any, headers ...string) Reply {
	t.Helper()
	r := Request{Method: method, Path: path, Token: token, Body: body, ContentType: "application/json"}
	if len(headers) > 1 {
		r.Headers = map[string]string{}
		for i := 0; i+1 < len(headers); i += 2 {
			r.Headers[headers[i]] = headers[i+1]
		}
	}
	return c.Do(t, r)
}

// Call sends a JSON request to a full URL, failing the test on a body that
// is not JSON: the stack's tests' plain client.
func Call(t testing.TB, method, url, token string, body any, headers ...string) Reply {
	t.Helper()
	c := Client{StrictJSON: true}
	return c.Call(t, method, url, token, body, headers...)
}
