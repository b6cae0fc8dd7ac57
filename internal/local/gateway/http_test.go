package gateway_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"parley/internal/local/gateway"
	"parley/internal/routes"
)

func TestHTTPRouteMatching(t *testing.T) {
	h := newHTTPAPI(t, nil)
	tests := []struct {
		method, path string
		status       int
		routeKey     string
		params       map[string]string
	}{
		{"GET", "/v1/health", 200, "GET /v1/health", nil},
		{"GET", "/v1/settings", 200, "GET /v1/settings", nil},
		{"GET", "/v1/settings/mail", 200, "GET /v1/settings/{section}", map[string]string{"section": "mail"}},
		// An exact segment wins over a parameter.
		{"GET", "/v1/settings/general", 200, "GET /v1/settings/general", nil},
		{"PUT", "/v1/settings/general", 200, "PUT /v1/settings/{section}", map[string]string{"section": "general"}},
		// Path parameters arrive decoded.
		{"GET", "/v1/widget/a%20b%2Fc/config", 200, "GET /v1/widget/{accountId}/config", map[string]string{"accountId": "a b/c"}},
		{"DELETE", "/v1/files/a/b/c.txt", 200, "ANY /v1/files/{proxy+}", map[string]string{"proxy": "a/b/c.txt"}},
		{"GET", "/v1/files/special", 200, "GET /v1/files/special", nil},
		{"GET", "/v1/files/special/x", 200, "ANY /v1/files/{proxy+}", map[string]string{"proxy": "special/x"}},
		// A path known only under another method is 404, not 405.
		{"POST", "/v1/health", 404, "", nil},
		{"GET", "/v1/files/", 404, "", nil},
		{"GET", "/v1/settings/", 404, "", nil},
		{"GET", "/v1/health/", 404, "", nil},
		{"GET", "/v1/nothing", 404, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			resp, body := h.do(t, tt.method, tt.path, nil, authorized)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d; body %s", resp.StatusCode, tt.status, body)
			}
			if tt.status == 404 {
				if got := string(body); got != `{"message":"Not Found"}`+"\n" {
					t.Errorf("404 body %q", got)
				}
				return
			}
			var got struct {
				RouteKey string            `json:"routeKey"`
				Params   map[string]string `json:"params"`
			}
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatal(err)
			}
			if got.RouteKey != tt.routeKey {
				t.Errorf("routeKey %q, want %q", got.RouteKey, tt.routeKey)
			}
			if diff := cmp.Diff(tt.params, got.Params); diff != "" {
				t.Errorf("params (-want +got):\n%s", diff)
			}
		})
	}
}

func TestHTTPEvent(t *testing.T) {
	h := newHTTPAPI(t, nil)
	header := http.Header{
		"Content-Type":    {"application/json"},
		"X-Repeated":      {"one", "two"},
		"Cookie":          {"session=abc; theme=dark", "extra=1"},
		"User-Agent":      {"parley-test/1.0"},
		"X-Forwarded-For": {"203.0.113.9"},
	}
	resp, body := h.do(t, "POST", "/v1/echo?b=x%20y&a=1&a=2&flag", strings.NewReader(`{"text":"hi"}`), header)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	if resp.Header.Get("Apigw-Requestid") == "" {
		t.Error("no apigw-requestid header")
	}
	ev := h.api.last(t)
	host := strings.TrimPrefix(h.srv.URL, "http://")
	want := events.APIGatewayV2HTTPRequest{
		Version:        "2.0",
		RouteKey:       "POST /v1/echo",
		RawPath:        "/v1/echo",
		RawQueryString: "b=x%20y&a=1&a=2&flag",
		Cookies:        []string{"session=abc", "theme=dark", "extra=1"},
		Headers: map[string]string{
			"accept-encoding":   "gzip",
			"content-length":    "13",
			"content-type":      "application/json",
			"host":              host,
			"user-agent":        "parley-test/1.0",
			"x-repeated":        "one,two",
			"x-forwarded-for":   "203.0.113.9, 127.0.0.1",
			"x-forwarded-port":  strings.Split(host, ":")[1],
			"x-forwarded-proto": "http",
		},
		QueryStringParameters: map[string]string{"a": "1,2", "b": "x y", "flag": ""},
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey:     "POST /v1/echo",
			AccountID:    "123456789012",
			Stage:        "$default",
			APIID:        "localhttp",
			DomainName:   host,
			DomainPrefix: "127",
			Time:         "12/Mar/2026:19:03:58 +0000",
			TimeEpoch:    fixedNow.UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method:    "POST",
				Path:      "/v1/echo",
				Protocol:  "HTTP/1.1",
				SourceIP:  "127.0.0.1",
				UserAgent: "parley-test/1.0",
			},
		},
		Body: `{"text":"hi"}`,
	}
	opts := cmp.Options{
		cmpopts.IgnoreFields(events.APIGatewayV2HTTPRequestContext{}, "RequestID"),
		cmpopts.IgnoreMapEntries(func(k, _ string) bool { return k == "x-amzn-trace-id" }),
	}
	if diff := cmp.Diff(want, ev, opts...); diff != "" {
		t.Errorf("event (-want +got):\n%s", diff)
	}
	if !strings.HasPrefix(ev.Headers["x-amzn-trace-id"], "Root=1-") {
		t.Errorf("x-amzn-trace-id %q", ev.Headers["x-amzn-trace-id"])
	}
	if ev.RequestContext.RequestID == "" || ev.RequestContext.RequestID != resp.Header.Get("Apigw-Requestid") {
		t.Errorf("requestId %q, response header %q", ev.RequestContext.RequestID, resp.Header.Get("Apigw-Requestid"))
	}
	lc := h.lambdaCtx.last(t)
	if lc == nil || lc.AwsRequestID == "" || !strings.HasSuffix(lc.InvokedFunctionArn, ":function:api") {
		t.Errorf("lambda context %+v", lc)
	}
}

func TestHTTPAuthorizer(t *testing.T) {
	tests := []struct {
		name         string
		path         string
		authz        string
		status       int
		body         string
		invokesAuthz bool
		invokesAPI   bool
	}{
		{"missing identity source", "/v1/settings/mail", "", 401, `{"message":"Unauthorized"}`, false, false},
		{"refused", "/v1/settings/mail", "Bearer bad", 403, `{"message":"Forbidden"}`, true, false},
		{"authorizer error", "/v1/settings/mail", "Bearer fail", 500, `{"message":"Internal Server Error"}`, true, false},
		{"allowed", "/v1/settings/mail?x=1", "Bearer good", 200, "", true, true},
		{"public route skips authorizer", "/v1/health", "Bearer bad", 200, "", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHTTPAPI(t, nil)
			header := http.Header{}
			if tt.authz != "" {
				header.Set("Authorization", tt.authz)
			}
			resp, body := h.do(t, "GET", tt.path, nil, header)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, body)
			}
			if tt.body != "" && strings.TrimSpace(string(body)) != tt.body {
				t.Errorf("body %s, want %s", body, tt.body)
			}
			if got := len(h.authz.all()) > 0; got != tt.invokesAuthz {
				t.Errorf("authorizer invoked: %v, want %v", got, tt.invokesAuthz)
			}
			if got := len(h.api.all()) > 0; got != tt.invokesAPI {
				t.Errorf("api invoked: %v, want %v", got, tt.invokesAPI)
			}
		})
	}

	t.Run("event and context", func(t *testing.T) {
		h := newHTTPAPI(t, nil)
		resp, body := h.do(t, "GET", "/v1/settings/mail?x=1", nil, http.Header{"Authorization": {"Bearer good"}, "Cookie": {"c=1"}})
		if resp.StatusCode != 200 {
			t.Fatalf("status %d: %s", resp.StatusCode, body)
		}
		a := h.authz.last(t)
		if a.Version != "2.0" || a.Type != "REQUEST" || a.RouteKey != "GET /v1/settings/{section}" ||
			a.RawPath != "/v1/settings/mail" || a.RawQueryString != "x=1" {
			t.Errorf("authorizer event %+v", a)
		}
		if diff := cmp.Diff([]string{"Bearer good"}, a.IdentitySource); diff != "" {
			t.Error(diff)
		}
		if want := "arn:aws:execute-api:us-east-1:123456789012:localhttp/$default/GET/v1/settings/mail"; a.RouteArn != want {
			t.Errorf("routeArn %q, want %q", a.RouteArn, want)
		}
		if a.PathParameters["section"] != "mail" || a.QueryStringParameters["x"] != "1" || a.Headers["authorization"] != "Bearer good" {
			t.Errorf("authorizer event lacks request data: %+v", a)
		}
		if diff := cmp.Diff([]string{"c=1"}, a.Cookies); diff != "" {
			t.Error(diff)
		}
		ev := h.api.last(t)
		if ev.RequestContext.Authorizer == nil {
			t.Fatal("no authorizer in requestContext")
		}
		want := map[string]any{"accountId": "acc1", "role": "operator", "n": float64(3)}
		if diff := cmp.Diff(want, ev.RequestContext.Authorizer.Lambda); diff != "" {
			t.Errorf("authorizer.lambda (-want +got):\n%s", diff)
		}
	})
}

func TestHTTPBodies(t *testing.T) {
	h := newHTTPAPI(t, nil)
	binary := []byte{0x89, 'P', 'N', 'G', 0, 0xff}
	tests := []struct {
		contentType string
		body        []byte
		wantBase64  bool
	}{
		{"application/json; charset=utf-8", []byte(`{"a":1}`), false},
		{"text/plain", []byte("héllo"), false},
		{"application/problem+json", []byte(`{}`), false},
		{"application/octet-stream", binary, true},
		{"image/png", binary, true},
		{"application/x-www-form-urlencoded", []byte("a=1&b=2"), true},
		{"", []byte("no type"), true},
		{"text/plain", []byte{0xff, 0xfe}, true}, // not UTF-8: cannot travel as a JSON string
	}
	for _, tt := range tests {
		t.Run(tt.contentType, func(t *testing.T) {
			header := http.Header{}
			if tt.contentType != "" {
				header.Set("Content-Type", tt.contentType)
			}
			resp, body := h.do(t, "POST", "/v1/echo", bytes.NewReader(tt.body), header)
			if resp.StatusCode != 200 {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
			ev := h.api.last(t)
			if ev.IsBase64Encoded != tt.wantBase64 {
				t.Errorf("isBase64Encoded %v, want %v", ev.IsBase64Encoded, tt.wantBase64)
			}
			got := []byte(ev.Body)
			if ev.IsBase64Encoded {
				var err error
				if got, err = base64.StdEncoding.DecodeString(ev.Body); err != nil {
					t.Fatal(err)
				}
			}
			if !bytes.Equal(got, tt.body) {
				t.Errorf("body %q, want %q", got, tt.body)
			}
		})
	}

	t.Run("empty body", func(t *testing.T) {
		h.do(t, "POST", "/v1/echo", nil, nil)
		if ev := h.api.last(t); ev.Body != "" || ev.IsBase64Encoded {
			t.Errorf("body %q base64 %v", ev.Body, ev.IsBase64Encoded)
		}
	})

	t.Run("6 MB Lambda payload limit", func(t *testing.T) {
		// Under API Gateway's 10 MB but over what Lambda accepts as an event.
		n := len(h.api.all())
		resp, body := h.do(t, "POST", "/v1/echo", bytes.NewReader(bytes.Repeat([]byte("a"), 7<<20)), http.Header{"Content-Type": {"text/plain"}})
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("status %d: %s", resp.StatusCode, body)
		}
		if len(h.api.all()) != n {
			t.Error("function invoked with an oversized event")
		}
	})

	t.Run("10 MB limit", func(t *testing.T) {
		n := len(h.api.all())
		resp, body := h.do(t, "POST", "/v1/echo", bytes.NewReader(make([]byte, 10<<20+1)), http.Header{"Content-Type": {"text/plain"}})
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("status %d: %s", resp.StatusCode, body)
		}
		if len(h.api.all()) != n {
			t.Error("function invoked for an oversized body")
		}
	})
}

func TestHTTPResponses(t *testing.T) {
	h := newHTTPAPI(t, nil)
	tests := []struct {
		kind        string
		status      int
		contentType string
		body        string
		check       func(t *testing.T, resp *http.Response)
	}{
		{kind: "plain", status: 200, contentType: "application/json", body: `{"hello":"world"}`},
		{kind: "string", status: 200, contentType: "application/json", body: `"just a string"`},
		{kind: "error", status: 500, contentType: "application/json", body: `{"message":"Internal Server Error"}` + "\n"},
		{kind: "malformed", status: 500, contentType: "application/json", body: `{"message":"Internal Server Error"}` + "\n"},
		{kind: "binary", status: 201, contentType: "image/png", body: string([]byte{0, 1, 2, 0xff}), check: func(t *testing.T, resp *http.Response) {
			if diff := cmp.Diff([]string{"a=1; Path=/", "b=2; HttpOnly"}, resp.Header.Values("Set-Cookie")); diff != "" {
				t.Errorf("Set-Cookie (-want +got):\n%s", diff)
			}
			if got := resp.Header.Get("X-Thing"); got != "a,b" {
				t.Errorf("X-Thing %q", got)
			}
		}},
		{kind: "multi", status: 200, contentType: "", body: "ok", check: func(t *testing.T, resp *http.Response) {
			if got := resp.Header.Values("X-Multi"); len(got) != 0 {
				t.Errorf("multiValueHeaders reached the client: %q", got)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			resp, body := h.do(t, "GET", "/v1/respond/"+tt.kind, nil, nil)
			if resp.StatusCode != tt.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.status)
			}
			if got := resp.Header.Get("Content-Type"); got != tt.contentType {
				t.Errorf("content type %q, want %q", got, tt.contentType)
			}
			if string(body) != tt.body {
				t.Errorf("body %q, want %q", body, tt.body)
			}
			if tt.check != nil {
				tt.check(t, resp)
			}
		})
	}
}

func TestHTTPCORS(t *testing.T) {
	h := newHTTPAPI(t, func(c *gateway.Config) { c.AllowedOrigins = []string{"http://localhost:5173"} })

	t.Run("preflight", func(t *testing.T) {
		resp, _ := h.do(t, "OPTIONS", "/v1/settings/mail", nil, http.Header{
			"Origin":                         {"http://localhost:5173"},
			"Access-Control-Request-Method":  {"PUT"},
			"Access-Control-Request-Headers": {"authorization,content-type,x-custom"},
		})
		if resp.StatusCode != http.StatusNoContent {
			t.Fatalf("status %d", resp.StatusCode)
		}
		want := map[string]string{
			"Access-Control-Allow-Origin":  "http://localhost:5173",
			"Access-Control-Allow-Headers": "authorization,content-type,x-custom",
			"Access-Control-Allow-Methods": "GET,POST,PUT,PATCH,DELETE,OPTIONS",
		}
		for k, v := range want {
			if got := resp.Header.Get(k); got != v {
				t.Errorf("%s = %q, want %q", k, got, v)
			}
		}
		if len(h.authz.all())+len(h.api.all()) != 0 {
			t.Error("preflight invoked a function")
		}
	})

	t.Run("actual response overrides the function", func(t *testing.T) {
		resp, _ := h.do(t, "GET", "/v1/health", nil, http.Header{"Origin": {"http://localhost:5173"}})
		if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "http://localhost:5173" {
			t.Errorf("Allow-Origin %q", got)
		}
	})

	t.Run("other origin", func(t *testing.T) {
		resp, _ := h.do(t, "GET", "/v1/health", nil, http.Header{"Origin": {"https://elsewhere.example"}})
		if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "" {
			t.Errorf("Allow-Origin %q for a foreign origin", got)
		}
	})
}

func TestHTTPStatic(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("index.html", "<h1>console</h1>")
	write("widget/index.html", "<h1>widget</h1>")
	write("js/app.js", "console.log(1)")
	h := newHTTPAPI(t, func(c *gateway.Config) {
		c.WebDir = dir
		c.ConsoleConfig = map[string]string{"apiUrl": "http://api.example", "websocketUrl": "ws://ws.example/local"}
	})

	tests := []struct {
		path   string
		status int
		body   string
	}{
		{"/", 200, "<h1>console</h1>"},
		{"/widget/", 200, "<h1>widget</h1>"},
		{"/js/app.js", 200, "console.log(1)"},
		{"/missing.txt", 404, ""},
		// What the deployed site has beside index.html, never a 404.
		{"/config.json", 200, `{"apiUrl":"http://api.example","websocketUrl":"ws://ws.example/local"}` + "\n"},
		{"/v1/missing", 404, `{"message":"Not Found"}` + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			resp, body := h.do(t, "GET", tt.path, nil, nil)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.status)
			}
			if tt.body != "" && string(body) != tt.body {
				t.Errorf("body %q, want %q", body, tt.body)
			}
		})
	}
}

func TestNewHTTPRefusesMissingFunctions(t *testing.T) {
	_, err := gateway.NewHTTP(gateway.Config{
		Functions:  map[string]gateway.Invoker{"api": lambda.NewHandler(func() error { return nil })},
		HTTPRoutes: testRoutes,
		Authorizer: "nope",
	})
	if err == nil {
		t.Error("no error for a missing authorizer")
	}
	_, err = gateway.NewHTTP(gateway.Config{HTTPRoutes: routes.HTTP})
	if err == nil {
		t.Error("no error for missing functions")
	}
}
