package gateway_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigatewaymanagementapi"
	"github.com/aws/aws-sdk-go-v2/service/apigatewaymanagementapi/types"
	"github.com/coder/websocket"
	"github.com/google/go-cmp/cmp"

	"parley/internal/local/gateway"
	"parley/internal/routes"
	"parley/internal/testkit"
)

func TestWebSocketConnect(t *testing.T) {
	t.Run("refused with the function's status", func(t *testing.T) {
		h := newWSAPI(t, nil)
		for query, want := range map[string]int{"?token=refuse": 401, "?token=crash": 502} {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_, resp, err := websocket.Dial(ctx, h.gw.ClientURL(h.srv.URL)+query, nil)
			cancel()
			if err == nil {
				t.Fatalf("%s: connected", query)
			}
			if resp == nil || resp.StatusCode != want {
				t.Errorf("%s: response %v, want status %d", query, resp, want)
			}
		}
		if n := len(h.byRoute("$disconnect")); n != 0 {
			t.Errorf("%d $disconnect for refused connections", n)
		}
	})

	t.Run("event", func(t *testing.T) {
		h := newWSAPI(t, func(c *gateway.Config) { c.NewConnectionID = func() string { return "Ab+cD/ef12w=" } })
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		c, _, err := websocket.Dial(ctx, h.gw.ClientURL(h.srv.URL)+"?token=t1&role=visitor&role=x", &websocket.DialOptions{
			HTTPHeader:   http.Header{"User-Agent": {"widget/1"}, "X-Thing": {"a", "b"}},
			Subprotocols: []string{"parley.v1", "other"},
		})
		if err != nil {
			t.Fatal(err)
		}
		defer c.CloseNow()
		if c.Subprotocol() != "parley.v1" {
			t.Errorf("subprotocol %q", c.Subprotocol())
		}
		ev := h.events.last(t)
		rc := ev.RequestContext
		host := strings.TrimPrefix(h.srv.URL, "http://")
		if rc.RouteKey != "$connect" || rc.EventType != "CONNECT" || rc.MessageDirection != "IN" ||
			rc.Stage != "local" || rc.ConnectionID != "Ab+cD/ef12w=" || rc.DomainName != host ||
			rc.APIID == "" || rc.RequestID == "" || rc.ExtendedRequestID == "" ||
			rc.ConnectedAt == 0 || rc.RequestTimeEpoch == 0 || rc.RequestTime == "" {
			t.Errorf("requestContext %+v", rc)
		}
		if rc.Identity.SourceIP != "127.0.0.1" || rc.Identity.UserAgent != "widget/1" {
			t.Errorf("identity %+v", rc.Identity)
		}
		if diff := cmp.Diff(map[string]string{"token": "t1", "role": "x"}, ev.QueryStringParameters); diff != "" {
			t.Errorf("queryStringParameters (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(map[string][]string{"token": {"t1"}, "role": {"visitor", "x"}}, ev.MultiValueQueryStringParameters); diff != "" {
			t.Errorf("multiValueQueryStringParameters (-want +got):\n%s", diff)
		}
		if ev.Headers["Host"] != host || ev.Headers["X-Thing"] != "a, b" || ev.Headers["X-Forwarded-For"] != "127.0.0.1" {
			t.Errorf("headers %v", ev.Headers)
		}
		if diff := cmp.Diff([]string{"a", "b"}, ev.MultiValueHeaders["X-Thing"]); diff != "" {
			t.Error(diff)
		}
		if ev.IsBase64Encoded || ev.Body != "" {
			t.Errorf("body %q base64 %v", ev.Body, ev.IsBase64Encoded)
		}

		// The id survives the SDK's path escaping.
		out, err := h.mgmt.GetConnection(ctx, &apigatewaymanagementapi.GetConnectionInput{ConnectionId: aws.String(rc.ConnectionID)})
		if err != nil {
			t.Fatalf("GetConnection: %v", err)
		}
		if aws.ToString(out.Identity.UserAgent) != "widget/1" || aws.ToString(out.Identity.SourceIp) != "127.0.0.1" {
			t.Errorf("identity %+v", out.Identity)
		}
		if out.ConnectedAt == nil || out.ConnectedAt.UnixMilli() != rc.ConnectedAt || out.LastActiveAt == nil {
			t.Errorf("connectedAt %v lastActiveAt %v, want %d", out.ConnectedAt, out.LastActiveAt, rc.ConnectedAt)
		}
	})

	t.Run("not an upgrade", func(t *testing.T) {
		h := newWSAPI(t, nil)
		resp, err := http.Get(h.srv.URL + "/local")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUpgradeRequired {
			t.Errorf("status %d", resp.StatusCode)
		}
		if n := len(h.events.all()); n != 0 {
			t.Errorf("%d invocations", n)
		}
	})
}

func TestWebSocketRouteSelection(t *testing.T) {
	h := newWSAPI(t, nil)
	c, _ := h.dial(t, "")
	frames := []struct{ body, route string }{
		{`{"action":"ping"}`, "ping"},
		{`{"action":"nope","x":1}`, "$default"},
		{`{"action":5}`, "$default"},
		{`{"action":"$disconnect"}`, "$default"},
		{`["action","ping"]`, "$default"},
		{`not json`, "$default"},
		{`{"data":{"action":"ping"}}`, "$default"},
	}
	for _, f := range frames {
		write(t, c, f.body)
	}
	// ping answers, so read its reply to keep the socket drained.
	if got := read(t, c); got != `{"type":"pong"}` {
		t.Errorf("ping reply %q", got)
	}
	testkit.Poll(t, context.Background(), 10*time.Second, 5*time.Millisecond, "all frames", func() bool { return len(h.events.all()) == 1+len(frames) })
	for i, ev := range h.events.all()[1:] {
		if ev.RequestContext.RouteKey != frames[i].route || ev.Body != frames[i].body {
			t.Errorf("frame %q: route %q body %q, want route %q", frames[i].body, ev.RequestContext.RouteKey, ev.Body, frames[i].route)
		}
		if ev.RequestContext.EventType != "MESSAGE" || ev.RequestContext.MessageID == nil || ev.RequestContext.ConnectedAt == 0 {
			t.Errorf("requestContext %+v", ev.RequestContext)
		}
	}
}

func TestWebSocketOrderingAndParallelConnections(t *testing.T) {
	h := newWSAPI(t, nil)
	const n = 100
	clients := make([]*websocket.Conn, 3)
	ids := make([]string, 3)
	for i := range clients {
		clients[i], ids[i] = h.dial(t, "")
	}
	done := make(chan struct{})
	for i, c := range clients {
		go func() {
			defer func() { done <- struct{}{} }()
			for j := range n {
				if err := c.Write(context.Background(), websocket.MessageText, fmt.Appendf(nil, "%d-%d", i, j)); err != nil {
					t.Errorf("write: %v", err)
					return
				}
			}
		}()
	}
	for range clients {
		<-done
	}
	testkit.Poll(t, context.Background(), 10*time.Second, 5*time.Millisecond, "all frames", func() bool { return len(h.byRoute("$default")) == n*len(clients) })
	got := map[string][]string{}
	for _, ev := range h.byRoute("$default") {
		got[ev.RequestContext.ConnectionID] = append(got[ev.RequestContext.ConnectionID], ev.Body)
	}
	for i, id := range ids {
		var want []string
		for j := range n {
			want = append(want, fmt.Sprintf("%d-%d", i, j))
		}
		if diff := cmp.Diff(want, got[id]); diff != "" {
			t.Errorf("connection %d order (-want +got):\n%s", i, diff)
		}
	}
}

func TestWebSocketReplies(t *testing.T) {
	h := newWSAPI(t, nil)
	c, id := h.dial(t, "")

	write(t, c, `{"action":"ping"}`)
	if got := read(t, c); got != `{"type":"pong"}` {
		t.Errorf("two-way reply %q", got)
	}

	write(t, c, `{"action":"sendMessage","text":"hello"}`)
	if got := read(t, c); got != "echo:hello" {
		t.Errorf("posted from the function %q", got)
	}

	write(t, c, "fail")
	var errFrame map[string]string
	if err := json.Unmarshal([]byte(read(t, c)), &errFrame); err != nil {
		t.Fatal(err)
	}
	if errFrame["message"] != "Internal server error" || errFrame["connectionId"] != id || errFrame["requestId"] == "" {
		t.Errorf("error frame %v", errFrame)
	}
}

func TestConnectionsAPI(t *testing.T) {
	h := newWSAPI(t, nil)
	c, id := h.dial(t, "")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	t.Run("post", func(t *testing.T) {
		_, err := h.mgmt.PostToConnection(ctx, &apigatewaymanagementapi.PostToConnectionInput{
			ConnectionId: aws.String(id), Data: []byte(`{"type":"message"}`),
		})
		if err != nil {
			t.Fatal(err)
		}
		if got := read(t, c); got != `{"type":"message"}` {
			t.Errorf("client got %q", got)
		}
		big := strings.Repeat("x", 128<<10)
		if _, err := h.mgmt.PostToConnection(ctx, &apigatewaymanagementapi.PostToConnectionInput{ConnectionId: aws.String(id), Data: []byte(big)}); err != nil {
			t.Fatalf("128 KB post: %v", err)
		}
		if got := read(t, c); len(got) != len(big) {
			t.Errorf("client got %d bytes", len(got))
		}
	})

	t.Run("payload too large", func(t *testing.T) {
		_, err := h.mgmt.PostToConnection(ctx, &apigatewaymanagementapi.PostToConnectionInput{
			ConnectionId: aws.String(id), Data: make([]byte, 128<<10+1),
		})
		var tooLarge *types.PayloadTooLargeException
		if !errors.As(err, &tooLarge) {
			t.Errorf("err %v, want PayloadTooLargeException", err)
		}
	})

	t.Run("get", func(t *testing.T) {
		out, err := h.mgmt.GetConnection(ctx, &apigatewaymanagementapi.GetConnectionInput{ConnectionId: aws.String(id)})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(out.Identity.SourceIp) != "127.0.0.1" || out.ConnectedAt == nil || out.LastActiveAt.Before(*out.ConnectedAt) {
			t.Errorf("GetConnection %+v identity %+v", out, out.Identity)
		}
	})

	t.Run("delete", func(t *testing.T) {
		if _, err := h.mgmt.DeleteConnection(ctx, &apigatewaymanagementapi.DeleteConnectionInput{ConnectionId: aws.String(id)}); err != nil {
			t.Fatal(err)
		}
		if ce := readClose(t, c); ce.Code != websocket.StatusNormalClosure {
			t.Errorf("client saw close %v", ce)
		}
		ev := h.disconnectOf(t, id)
		if ev.RequestContext.EventType != "DISCONNECT" || ev.RequestContext.DisconnectStatusCode != 1000 {
			t.Errorf("$disconnect %+v", ev.RequestContext)
		}
	})

	t.Run("gone", func(t *testing.T) {
		for _, id := range []string{id, "neverConnected="} {
			var gone *types.GoneException
			_, err := h.mgmt.PostToConnection(ctx, &apigatewaymanagementapi.PostToConnectionInput{ConnectionId: aws.String(id), Data: []byte("x")})
			if !errors.As(err, &gone) {
				t.Errorf("post %s: err %v, want GoneException", id, err)
			}
			_, err = h.mgmt.GetConnection(ctx, &apigatewaymanagementapi.GetConnectionInput{ConnectionId: aws.String(id)})
			if !errors.As(err, &gone) {
				t.Errorf("get %s: err %v, want GoneException", id, err)
			}
			_, err = h.mgmt.DeleteConnection(ctx, &apigatewaymanagementapi.DeleteConnectionInput{ConnectionId: aws.String(id)})
			if !errors.As(err, &gone) {
				t.Errorf("delete %s: err %v, want GoneException", id, err)
			}
		}
		if err := h.gw.Send(ctx, id, []byte("x")); !errors.Is(err, gateway.ErrGone) {
			t.Errorf("Send: %v, want ErrGone", err)
		}
	})
}

func TestWebSocketLimitsAndCloses(t *testing.T) {
	t.Run("32 KB frame passes", func(t *testing.T) {
		h := newWSAPI(t, nil)
		c, _ := h.dial(t, "")
		write(t, c, strings.Repeat("a", 32<<10))
		testkit.Poll(t, context.Background(), 10*time.Second, 5*time.Millisecond, "frame", func() bool { return len(h.byRoute("$default")) == 1 })
	})

	t.Run("128 KB message in 32 KB frames passes", func(t *testing.T) {
		h := newWSAPI(t, nil)
		c, _ := h.dial(t, "")
		sent := writeFrames(t, c, true, 32<<10, 32<<10, 32<<10, 32<<10)
		testkit.Poll(t, context.Background(), 10*time.Second, 5*time.Millisecond, "message", func() bool { return len(h.byRoute("$default")) == 1 })
		if got := h.byRoute("$default")[0].Body; got != sent {
			t.Errorf("the function got %d bytes, want the %d sent", len(got), len(sent))
		}
		// The connection stays open for the next message.
		write(t, c, "x")
		testkit.Poll(t, context.Background(), 10*time.Second, 5*time.Millisecond, "next message", func() bool { return len(h.byRoute("$default")) == 2 })
	})

	tests := []struct {
		name   string
		send   func(t *testing.T, c *websocket.Conn)
		code   websocket.StatusCode
		reason string
	}{
		{"frame over 32 KB", func(t *testing.T, c *websocket.Conn) { write(t, c, strings.Repeat("a", 32<<10+1)) },
			websocket.StatusMessageTooBig, "Message too big"},
		{"second frame over 32 KB", func(t *testing.T, c *websocket.Conn) { writeFrames(t, c, false, 1<<10, 32<<10+1) },
			websocket.StatusMessageTooBig, "Message too big"},
		{"message over 128 KB", func(t *testing.T, c *websocket.Conn) { writeFrames(t, c, false, 32<<10, 32<<10, 32<<10, 32<<10, 1) },
			websocket.StatusMessageTooBig, "Message too big"},
		{"binary frame", func(t *testing.T, c *websocket.Conn) {
			if err := c.Write(context.Background(), websocket.MessageBinary, []byte{1, 2}); err != nil {
				t.Fatal(err)
			}
		}, websocket.StatusUnsupportedData, "Binary frames are not supported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newWSAPI(t, nil)
			c, id := h.dial(t, "")
			tt.send(t, c)
			if ce := readClose(t, c); ce.Code != tt.code || ce.Reason != tt.reason {
				t.Errorf("close %v, want %v %q", ce, tt.code, tt.reason)
			}
			ev := h.disconnectOf(t, id)
			if ev.RequestContext.DisconnectStatusCode != int64(tt.code) || ev.RequestContext.DisconnectReason == nil || *ev.RequestContext.DisconnectReason != tt.reason {
				t.Errorf("$disconnect %d %v", ev.RequestContext.DisconnectStatusCode, ev.RequestContext.DisconnectReason)
			}
			if n := len(h.byRoute("$default")); n != 0 {
				t.Errorf("%d refused frames reached the function", n)
			}
		})
	}

	t.Run("client close", func(t *testing.T) {
		h := newWSAPI(t, nil)
		c, id := h.dial(t, "")
		if err := c.Close(4000, "bye"); err != nil {
			t.Fatal(err)
		}
		ev := h.disconnectOf(t, id)
		if ev.RequestContext.DisconnectStatusCode != 4000 || *ev.RequestContext.DisconnectReason != "bye" {
			t.Errorf("$disconnect %d %q", ev.RequestContext.DisconnectStatusCode, *ev.RequestContext.DisconnectReason)
		}
	})

	t.Run("idle timeout", func(t *testing.T) {
		h := newWSAPI(t, func(c *gateway.Config) { c.IdleTimeout = 300 * time.Millisecond })
		c, id := h.dial(t, "")
		// Activity postpones the timeout.
		for range 3 {
			time.Sleep(150 * time.Millisecond)
			write(t, c, "keepalive")
		}
		if n := len(h.byRoute("$disconnect")); n != 0 {
			t.Fatal("closed despite activity")
		}
		if ce := readClose(t, c); ce.Code != websocket.StatusGoingAway {
			t.Errorf("close %v", ce)
		}
		if ev := h.disconnectOf(t, id); ev.RequestContext.DisconnectStatusCode != 1001 {
			t.Errorf("$disconnect code %d", ev.RequestContext.DisconnectStatusCode)
		}
	})

	t.Run("shutdown", func(t *testing.T) {
		h := newWSAPI(t, nil)
		c, id := h.dial(t, "")
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		go func() { _, _, _ = c.Read(ctx) }() // the client answers the close
		if err := h.gw.Shutdown(ctx); err != nil {
			t.Fatal(err)
		}
		if ev := h.disconnectOf(t, id); ev.RequestContext.DisconnectStatusCode != 1001 {
			t.Errorf("$disconnect code %d", ev.RequestContext.DisconnectStatusCode)
		}
	})
}

func TestWebSocketURLs(t *testing.T) {
	gw, err := gateway.NewWebSocket(gateway.Config{Stage: "prod"})
	if err != nil {
		t.Fatal(err)
	}
	if got := gw.ConnectionsEndpoint("http://127.0.0.1:8081/"); got != "http://127.0.0.1:8081/prod" {
		t.Errorf("ConnectionsEndpoint %q", got)
	}
	if got := gw.ClientURL("http://127.0.0.1:8081"); got != "ws://127.0.0.1:8081/prod" {
		t.Errorf("ClientURL %q", got)
	}
	if _, err := gateway.NewWebSocket(gateway.Config{WSRoutes: routes.WebSocket}); err == nil {
		t.Error("no error for missing functions")
	}
}
