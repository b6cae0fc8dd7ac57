// Package wstest is the WebSocket client the local-stack tests talk to the
// gateway with, as the widget and the workplace do: it reads a socket's
// frames in the background, so a test can wait for the frame it expects
// while pushes it does not care about arrive.
package wstest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// wait bounds every wait for a frame: generous, for machines whose cores
// other jobs share; a frame that is due comes in milliseconds.
const wait = 20 * time.Second

// Client is one socket. Frames is every frame the server sent, decoded, in
// order (closed when the socket is); Kept holds the frames CallKeeping and
// Reply skipped, for Await.
type Client struct {
	T      *testing.T
	Name   string // names the client in failure messages
	URL    string
	Conn   *websocket.Conn
	Frames chan map[string]any
	Kept   []map[string]any
	// Err is why the socket ended (a websocket.CloseError when the server
	// closed it); set before Frames is closed.
	Err error
}

// Dial opens a socket; headers are name, value pairs for the handshake
// (X-Forwarded-For, under stack.Options.TrustForwardedFor). The socket is
// closed when the test ends.
func Dial(t *testing.T, ctx context.Context, name, url string, headers ...string) *Client {
	t.Helper()
	opts := &websocket.DialOptions{HTTPHeader: http.Header{}}
	for i := 0; i+1 < len(headers); i += 2 {
		opts.HTTPHeader.Set(headers[i], headers[i+1])
	}
	conn, _, err := websocket.Dial(ctx, url, opts)
	if err != nil {
		t.Fatalf("%s: dial: %v", name, err)
	}
	conn.SetReadLimit(1 << 20)
	c := &Client{T: t, Name: name, URL: url, Conn: conn, Frames: make(chan map[string]any, 1000)}
	go func() {
		defer close(c.Frames)
		for {
			_, b, err := conn.Read(context.Background())
			if err != nil {
				c.Err = err
				return
			}
			var f map[string]any
			if json.Unmarshal(b, &f) == nil {
				c.Frames <- f
			}
		}
	}()
	t.Cleanup(func() { conn.CloseNow() })
	return c
}

// Send writes one frame.
func (c *Client) Send(v map[string]any) {
	c.T.Helper()
	b, _ := json.Marshal(v)
	if err := c.Conn.Write(context.Background(), websocket.MessageText, b); err != nil {
		c.T.Fatalf("%s: write: %v", c.Name, err)
	}
}

// next is the socket's next frame, or open false once it is closed; at
// deadline it fails the test, saying what it was waiting for.
func (c *Client) next(deadline <-chan time.Time, what string) (f map[string]any, open bool) {
	c.T.Helper()
	select {
	case f, open = <-c.Frames:
		return f, open
	case <-deadline:
		c.T.Fatalf("%s: timed out waiting for %s", c.Name, what)
		return nil, false
	}
}

// Expect waits for the first frame of type typ for which match (if any)
// holds, skipping others; an error frame fails the test unless typ is
// "error".
func (c *Client) Expect(typ string, match func(map[string]any) bool) map[string]any {
	c.T.Helper()
	deadline := time.After(wait)
	for {
		f, open := c.next(deadline, "a "+typ+" frame")
		if !open {
			c.T.Fatalf("%s: socket closed while waiting for %s", c.Name, typ)
		}
		if f["type"] == "error" && typ != "error" {
			c.T.Fatalf("%s: error frame while waiting for %s: %v", c.Name, typ, f)
		}
		if f["type"] == typ && (match == nil || match(f)) {
			return f
		}
	}
}

// Call sends a frame with a clientId (a fresh one unless v has one) and
// waits for the reply that echoes it, of type typ (or an error frame when
// typ is "error").
func (c *Client) Call(typ string, v map[string]any) map[string]any {
	c.T.Helper()
	id := c.clientID(v)
	c.Send(v)
	return c.Expect(typ, func(f map[string]any) bool { return f["clientId"] == id })
}

// CallKeeping is Call that keeps the frames it skips for Await: pushes a
// request causes may come before its reply.
func (c *Client) CallKeeping(typ string, v map[string]any) map[string]any {
	c.T.Helper()
	id := c.clientID(v)
	c.Send(v)
	f := c.Reply(id)
	if f["type"] != typ {
		c.T.Fatalf("%s: %v, want %s", c.Name, f, typ)
	}
	return f
}

// Await is Expect that first looks among the frames CallKeeping and Reply
// kept.
func (c *Client) Await(typ string, match func(map[string]any) bool) map[string]any {
	c.T.Helper()
	for i, f := range c.Kept {
		if f["type"] == typ && match(f) {
			c.Kept = slices.Delete(c.Kept, i, i+1)
			return f
		}
	}
	return c.Expect(typ, match)
}

// Reply waits for the frame answering clientID, whatever its type (the
// message frames a sendMessage echoes to the sender's other sockets
// aside), and keeps the frames it skips for Await.
func (c *Client) Reply(clientID string) map[string]any {
	c.T.Helper()
	deadline := time.After(wait)
	for {
		f, open := c.next(deadline, "the reply to "+clientID)
		if !open {
			c.T.Fatalf("%s: socket closed while waiting for the reply to %s", c.Name, clientID)
		}
		if f["clientId"] == clientID && f["type"] != "message" {
			return f
		}
		c.Kept = append(c.Kept, f)
	}
}

// ClosedWith waits until the server closes the socket, after an error
// frame with code; other frames are skipped.
func (c *Client) ClosedWith(code string) {
	c.T.Helper()
	deadline := time.After(wait)
	told := false
	for {
		f, open := c.next(deadline, "the socket to close after an error "+code)
		if !open {
			if !told {
				c.T.Fatalf("%s: closed without an error frame saying why", c.Name)
			}
			return
		}
		if f["type"] == "error" {
			if got, _ := f["error"].(map[string]any); got["code"] != code {
				c.T.Fatalf("%s: error %v, want %s", c.Name, f, code)
			}
			told = true
		}
	}
}

// clientID is v's clientId, set to a fresh one when v has none.
func (c *Client) clientID(v map[string]any) string {
	id, _ := v["clientId"].(string)
	if id == "" {
		id = fmt.Sprintf("%s-%d", c.Name, time.Now().UnixNano())
		v["clientId"] = id
	}
	return id
}

// ChatOf is a frame's chat object (nil when it has none).
func ChatOf(f map[string]any) map[string]any { m, _ := f["chat"].(map[string]any); return m }
