package gateway_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/apigatewaymanagementapi"
	"github.com/coder/websocket"

	"parley/internal/local/gateway"
	"parley/internal/routes"
	"parley/internal/testkit"
)

var testWSRoutes = []routes.WSRoute{
	{RouteKey: "$connect", Function: "rt"},
	{RouteKey: "$disconnect", Function: "rt"},
	{RouteKey: "$default", Function: "rt"},
	{RouteKey: "sendMessage", Function: "rt"},
	{RouteKey: "ping", Function: "rt"},
}

// wsAPI is a gateway over a fake realtime function that talks back through
// the real management API client, as the deployed function does.
type wsAPI struct {
	gw     *gateway.WebSocket
	srv    *httptest.Server
	events recorder[events.APIGatewayWebsocketProxyRequest]
	mgmt   *apigatewaymanagementapi.Client
}

func newWSAPI(t *testing.T, mod func(*gateway.Config)) *wsAPI {
	t.Helper()
	h := &wsAPI{}
	rt := gateway.NewFunction(func(ctx context.Context, ev events.APIGatewayWebsocketProxyRequest) (events.APIGatewayProxyResponse, error) {
		h.events.add(ev)
		switch ev.RequestContext.RouteKey {
		case "$connect":
			switch ev.QueryStringParameters["token"] {
			case "refuse":
				return events.APIGatewayProxyResponse{StatusCode: 401}, nil
			case "crash":
				return events.APIGatewayProxyResponse{}, errors.New("connect crashed")
			}
			resp := events.APIGatewayProxyResponse{StatusCode: 200}
			if p := ev.Headers["Sec-WebSocket-Protocol"]; p != "" {
				resp.Headers = map[string]string{"Sec-WebSocket-Protocol": strings.Split(p, ",")[0]}
			}
			return resp, nil
		case "sendMessage":
			var msg struct {
				Text string `json:"text"`
			}
			_ = json.Unmarshal([]byte(ev.Body), &msg)
			// Posting back to the sender while its own frame is still
			// being handled must not deadlock.
			_, err := h.mgmt.PostToConnection(ctx, &apigatewaymanagementapi.PostToConnectionInput{
				ConnectionId: aws.String(ev.RequestContext.ConnectionID),
				Data:         []byte("echo:" + msg.Text),
			})
			return events.APIGatewayProxyResponse{StatusCode: 200}, err
		case "ping":
			return events.APIGatewayProxyResponse{StatusCode: 200, Body: `{"type":"pong"}`}, nil
		case "$default":
			if ev.Body == "fail" {
				return events.APIGatewayProxyResponse{}, errors.New("message crashed")
			}
		}
		return events.APIGatewayProxyResponse{StatusCode: 200}, nil
	})
	cfg := gateway.Config{
		Functions: map[string]gateway.Invoker{"rt": rt},
		WSRoutes:  testWSRoutes,
	}
	if mod != nil {
		mod(&cfg)
	}
	gw, err := gateway.NewWebSocket(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h.gw = gw
	h.srv = httptest.NewServer(gw)
	h.mgmt = apigatewaymanagementapi.New(apigatewaymanagementapi.Options{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDLOCAL", "secret", ""),
		BaseEndpoint: aws.String(gw.ConnectionsEndpoint(h.srv.URL)),
	})
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := gw.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		h.srv.Close()
	})
	return h
}

// dial connects a client and returns it with its connection id.
func (h *wsAPI) dial(t *testing.T, query string) (*websocket.Conn, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, resp, err := websocket.Dial(ctx, h.gw.ClientURL(h.srv.URL)+query, nil)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("dial: %v (status %d)", err, status)
	}
	c.SetReadLimit(1 << 20)
	t.Cleanup(func() { _ = c.CloseNow() })
	var id string
	for _, ev := range h.events.all() {
		if ev.RequestContext.EventType == "CONNECT" {
			id = ev.RequestContext.ConnectionID
		}
	}
	return c, id
}

func (h *wsAPI) byRoute(routeKey string) []events.APIGatewayWebsocketProxyRequest {
	var out []events.APIGatewayWebsocketProxyRequest
	for _, ev := range h.events.all() {
		if ev.RequestContext.RouteKey == routeKey {
			out = append(out, ev)
		}
	}
	return out
}

func (h *wsAPI) disconnectOf(t *testing.T, id string) events.APIGatewayWebsocketProxyRequest {
	t.Helper()
	var got events.APIGatewayWebsocketProxyRequest
	testkit.Poll(t, context.Background(), 10*time.Second, 5*time.Millisecond, "$disconnect", func() bool {
		for _, ev := range h.byRoute("$disconnect") {
			if ev.RequestContext.ConnectionID == id {
				got = ev
				return true
			}
		}
		return false
	})
	return got
}

func read(t *testing.T, c *websocket.Conn) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	typ, b, err := c.Read(ctx)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if typ != websocket.MessageText {
		t.Errorf("frame type %v, want text", typ)
	}
	return string(b)
}

func write(t *testing.T, c *websocket.Conn, s string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Write(ctx, websocket.MessageText, []byte(s)); err != nil {
		t.Fatalf("write: %v", err)
	}
}

// readClose reads until the server closes and returns its close frame.
// writeFrames sends one text message in frames of the given sizes, the
// way a browser may fragment a long message. The gateway may close the
// connection while a refused one is still being written: only a message it
// should take (strict) fails the test when a write does.
func writeFrames(t *testing.T, c *websocket.Conn, strict bool, sizes ...int) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	w, err := c.Writer(ctx, websocket.MessageText)
	if err != nil {
		t.Fatal(err)
	}
	var all strings.Builder
	for i, n := range sizes {
		part := strings.Repeat(string(rune('a'+i)), n)
		all.WriteString(part)
		// Each Write of the library's message writer is one frame.
		if _, err := w.Write([]byte(part)); err != nil {
			if strict {
				t.Fatalf("frame %d: %v", i, err)
			}
			return ""
		}
	}
	if err := w.Close(); err != nil && strict {
		t.Fatal(err)
	}
	return all.String()
}

func readClose(t *testing.T, c *websocket.Conn) websocket.CloseError {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for {
		_, _, err := c.Read(ctx)
		if err == nil {
			continue
		}
		var ce websocket.CloseError
		if !errors.As(err, &ce) {
			t.Fatalf("read ended without a close frame: %v", err)
		}
		return ce
	}
}
