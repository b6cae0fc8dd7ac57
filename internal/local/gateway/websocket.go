package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/coder/websocket"
)

// API Gateway's WebSocket limits: a client frame may carry 32 KB, a client
// message (its frames together) and a message posted to a client 128 KB.
const (
	maxFrameBytes   = 32 << 10
	maxMessageBytes = 128 << 10
	maxPostBytes    = 128 << 10
)

// writeTimeout bounds a send to a client that stopped reading, so a
// function's PostToConnection cannot hang on it.
const writeTimeout = 10 * time.Second

// ErrGone is returned by Send for a connection that is not open, the local
// form of the management API's 410 GoneException.
var ErrGone = errors.New("gateway: connection gone")

// WebSocket is the local WebSocket API and its @connections management
// endpoint, both served by ServeHTTP (see the package comment for paths).
type WebSocket struct {
	cfg    Config
	stage  string
	routes map[string]string // route key -> function name
	log    *slog.Logger

	mu       sync.Mutex
	conns    map[string]*connection
	shutdown bool
	live     sync.WaitGroup // connection handlers, so Shutdown can wait for $disconnect
}

// connection is one open client connection.
type connection struct {
	id string
	// ws is set once the upgrade completes, then ready is closed; it stays
	// nil if the upgrade failed. The connection is registered just before
	// the upgrade, so that a client that has its 101 can be posted to at
	// once, and anything that needs ws waits for ready.
	ws          *websocket.Conn
	ready       chan struct{}
	connectedAt time.Time
	sourceIP    string
	userAgent   string
	domainName  string
	lastActive  atomic.Int64 // unix milliseconds
	frames      *frameWatch  // the client's bytes, frame by frame (frames.go)

	mu sync.Mutex
	// closeCode and closeReason record why the gateway closed the
	// connection, which is what $disconnect reports rather than the
	// client's echo of it.
	closeCode   websocket.StatusCode
	closeReason string
	closing     bool
	idle        *time.Timer
	maxAge      *time.Timer
}

// NewWebSocket builds the WebSocket API from cfg.WSRoutes. It fails when a
// route's function is missing from cfg.Functions. Without a $default route,
// a message that selects no route gets API Gateway's "Forbidden" error frame.
func NewWebSocket(cfg Config) (*WebSocket, error) {
	cfg.Functions = safeFunctions(cfg.Functions)
	ws := &WebSocket{
		cfg:    cfg,
		stage:  cfg.Stage,
		routes: map[string]string{},
		log:    cfg.logger(),
		conns:  map[string]*connection{},
	}
	if ws.stage == "" {
		ws.stage = defaultStage
	}
	if strings.Contains(ws.stage, "/") {
		return nil, fmt.Errorf("stage %q must be one path segment", ws.stage)
	}
	for _, r := range cfg.WSRoutes {
		if _, dup := ws.routes[r.RouteKey]; dup {
			return nil, fmt.Errorf("route %q listed twice", r.RouteKey)
		}
		if cfg.Functions[r.Function] == nil {
			return nil, fmt.Errorf("route %q: function %q not given", r.RouteKey, r.Function)
		}
		ws.routes[r.RouteKey] = r.Function
	}
	return ws, nil
}

// ConnectionsEndpoint is the management API's base URL on a server whose
// URL is baseURL (e.g. "http://127.0.0.1:8081"), to give functions as
// CONNECTIONS_ENDPOINT and the SDK as BaseEndpoint: it ends in the stage,
// and the SDK appends /@connections/{id}.
func (ws *WebSocket) ConnectionsEndpoint(baseURL string) string {
	return strings.TrimSuffix(baseURL, "/") + "/" + ws.stage
}

// ClientURL is the ws:// (or wss://) URL clients connect to on a server
// whose URL is baseURL.
func (ws *WebSocket) ClientURL(baseURL string) string {
	u := strings.TrimSuffix(baseURL, "/") + "/" + ws.stage
	if rest, ok := strings.CutPrefix(u, "https://"); ok {
		return "wss://" + rest
	}
	if rest, ok := strings.CutPrefix(u, "http://"); ok {
		return "ws://" + rest
	}
	return u
}

// ServeHTTP upgrades clients at /{stage} and serves the management API at
// /{stage}/@connections/{id}.
func (ws *WebSocket) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	base := "/" + ws.stage
	escaped := r.URL.EscapedPath()
	switch {
	case r.URL.Path == base || r.URL.Path == base+"/":
		ws.connect(w, r)
	case strings.HasPrefix(escaped, base+"/@connections/"):
		id := unescape(strings.TrimPrefix(escaped, base+"/@connections/"))
		ws.manage(w, r, id)
	default:
		writeMessage(w, http.StatusNotFound, "Not Found")
	}
}

// Send posts data to a connection as one text frame, as PostToConnection
// does. It returns ErrGone when the connection is not open.
func (ws *WebSocket) Send(ctx context.Context, id string, data []byte) error {
	c := ws.lookup(id)
	if c == nil {
		return ErrGone
	}
	return c.send(ctx, data, ws.cfg.IdleTimeout)
}

// Shutdown closes every connection with 1001 Going away, as a redeploy
// does, and waits until their $disconnect invocations have returned or ctx
// ends. Connections attempted afterwards are refused.
func (ws *WebSocket) Shutdown(ctx context.Context) error {
	ws.mu.Lock()
	ws.shutdown = true
	conns := make([]*connection, 0, len(ws.conns))
	for _, c := range ws.conns {
		conns = append(conns, c)
	}
	ws.mu.Unlock()
	for _, c := range conns {
		c.closeAsync(websocket.StatusGoingAway, "Going away")
	}
	done := make(chan struct{})
	go func() { ws.live.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (ws *WebSocket) lookup(id string) *connection {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	return ws.conns[id]
}

func (ws *WebSocket) newID() string {
	if ws.cfg.NewConnectionID != nil {
		return ws.cfg.NewConnectionID()
	}
	for {
		// AWS ids look like "L0SM9cOFvHcCIhw=". Ids with "/" are skipped
		// so that a function building a URL by concatenation still works.
		if id := randomID(11); !strings.Contains(id, "/") {
			return id
		}
	}
}

// isUpgrade reports whether r asks for a WebSocket.
func isUpgrade(r *http.Request) bool {
	return r.Method == http.MethodGet &&
		strings.EqualFold(r.Header.Get("Upgrade"), "websocket") &&
		headerHasToken(r.Header, "Connection", "upgrade")
}

func headerHasToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for t := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// connect runs $connect before completing the upgrade, so a refusal reaches
// the client as an HTTP status, then serves the connection until it closes.
func (ws *WebSocket) connect(w http.ResponseWriter, r *http.Request) {
	if !isUpgrade(r) {
		writeMessage(w, http.StatusUpgradeRequired, "Upgrade Required")
		return
	}
	ws.mu.Lock()
	if ws.shutdown {
		ws.mu.Unlock()
		writeMessage(w, http.StatusServiceUnavailable, "Service Unavailable")
		return
	}
	ws.live.Add(1)
	ws.mu.Unlock()
	defer ws.live.Done()

	now := ws.cfg.now()
	c := &connection{
		id:          ws.newID(),
		connectedAt: now,
		sourceIP:    ws.cfg.sourceIP(r),
		userAgent:   r.UserAgent(),
		domainName:  r.Host,
		ready:       make(chan struct{}),
	}
	c.lastActive.Store(now.UnixMilli())
	log := ws.log.With("connectionId", c.id)

	accept := &websocket.AcceptOptions{
		// Local clients come from any port; the function checks tokens.
		InsecureSkipVerify: true,
		CompressionMode:    websocket.CompressionDisabled,
	}
	if fn, ok := ws.routes["$connect"]; ok {
		ev := ws.connectEvent(r, c, now)
		out, err := invoke(r.Context(), ws.cfg.Functions[fn], fn, ev)
		if err != nil {
			// API Gateway fails the handshake with 502 when the integration
			// fails, the same as for a malformed proxy response.
			log.Error("$connect failed", "function", fn, "err", err)
			writeMessage(w, http.StatusBadGateway, "Bad Gateway")
			return
		}
		var resp struct {
			StatusCode *int              `json:"statusCode"`
			Headers    map[string]string `json:"headers"`
		}
		if err := json.Unmarshal(out, &resp); err != nil || resp.StatusCode == nil || *resp.StatusCode < 100 || *resp.StatusCode > 599 {
			log.Error("$connect returned no proxy response with a statusCode", "function", fn, "output", truncate(out))
			writeMessage(w, http.StatusBadGateway, "Bad Gateway")
			return
		}
		if code := *resp.StatusCode; code < 200 || code > 299 {
			log.Debug("$connect refused", "status", code)
			w.WriteHeader(code)
			return
		}
		for k, v := range resp.Headers {
			// A client that offers subprotocols gets the one $connect
			// chose, which is how API Gateway completes that negotiation.
			if strings.EqualFold(k, "Sec-WebSocket-Protocol") {
				accept.Subprotocols = []string{v}
			}
		}
	}

	ws.mu.Lock()
	if ws.shutdown {
		ws.mu.Unlock()
		writeMessage(w, http.StatusServiceUnavailable, "Service Unavailable")
		return
	}
	ws.conns[c.id] = c
	ws.mu.Unlock()

	c.frames = &frameWatch{}
	conn, err := websocket.Accept(&watchWriter{ResponseWriter: w, watch: c.frames}, r, accept)
	if err != nil {
		close(c.ready)
		ws.mu.Lock()
		delete(ws.conns, c.id)
		ws.mu.Unlock()
		log.Warn("upgrade failed after $connect", "err", err)
		return
	}
	// One byte over the message limit lets serve see a too-big message and
	// close with API Gateway's reason rather than the library's.
	conn.SetReadLimit(maxMessageBytes + 1)
	c.ws = conn
	close(c.ready)
	c.startTimers(ws.cfg.IdleTimeout, ws.cfg.MaxConnectionDuration)

	code, reason := ws.serve(c, log)

	// Unregister first: from here on a PostToConnection gets 410, as it does
	// in AWS while $disconnect runs.
	ws.mu.Lock()
	delete(ws.conns, c.id)
	ws.mu.Unlock()
	c.stopTimers()
	_ = conn.CloseNow()

	if fn, ok := ws.routes["$disconnect"]; ok {
		ev := ws.event(c, "$disconnect", "DISCONNECT", ws.cfg.now())
		ev.RequestContext.DisconnectStatusCode = int64(code)
		ev.RequestContext.DisconnectReason = &reason
		if _, err := invoke(context.Background(), ws.cfg.Functions[fn], fn, ev); err != nil {
			log.Error("$disconnect failed", "function", fn, "err", err)
		}
	}
}

// serve reads the client's frames and invokes their routes one at a time,
// so one connection's messages reach the function in the order sent. It
// returns the close code and reason for $disconnect.
func (ws *WebSocket) serve(c *connection, log *slog.Logger) (websocket.StatusCode, string) {
	ctx := context.Background()
	for {
		typ, rd, err := c.ws.Reader(ctx)
		if err != nil {
			return c.readFailed(err)
		}
		data, err := io.ReadAll(io.LimitReader(rd, maxMessageBytes+1))
		if err != nil {
			return c.readFailed(err)
		}
		c.touch(ws.cfg.now(), ws.cfg.IdleTimeout)
		if len(data) > maxMessageBytes {
			return c.closeNow(websocket.StatusMessageTooBig, "Message too big")
		}
		if typ != websocket.MessageText {
			// WebSocket APIs refuse binary frames and disconnect with 1003.
			return c.closeNow(websocket.StatusUnsupportedData, "Binary frames are not supported")
		}
		ws.message(c, data, log)
	}
}

// message routes one frame and invokes its function.
func (ws *WebSocket) message(c *connection, data []byte, log *slog.Logger) {
	routeKey := ws.selectRoute(data)
	now := ws.cfg.now()
	ev := ws.event(c, routeKey, "MESSAGE", now)
	ev.Body = string(data)
	ev.RequestContext.MessageID = randomID(11)

	fn, ok := ws.routes[routeKey]
	if !ok {
		// With no route for the message API Gateway answers the client
		// with an error frame rather than closing.
		ws.errorFrame(c, "Forbidden", ev.RequestContext.RequestID)
		return
	}
	start := time.Now()
	out, err := invoke(context.Background(), ws.cfg.Functions[fn], fn, ev)
	if err != nil {
		log.Error("message route failed", "routeKey", routeKey, "function", fn, "err", err)
		ws.errorFrame(c, "Internal server error", ev.RequestContext.RequestID)
		return
	}
	log.Debug("invoked", "routeKey", routeKey, "function", fn, "duration", time.Since(start))
	// A two-way route sends the integration's response body back to the
	// client as a frame.
	var resp struct {
		Body string `json:"body"`
	}
	if json.Unmarshal(out, &resp) == nil && resp.Body != "" {
		if err := c.send(context.Background(), []byte(resp.Body), ws.cfg.IdleTimeout); err != nil {
			log.Debug("route response not delivered", "err", err)
		}
	}
}

// errorFrame sends API Gateway's error message shape to the client.
func (ws *WebSocket) errorFrame(c *connection, message, reqID string) {
	b, _ := json.Marshal(map[string]string{"message": message, "connectionId": c.id, "requestId": reqID})
	_ = c.send(context.Background(), b, ws.cfg.IdleTimeout)
}

// selectRoute applies $request.body.action: a JSON object's string field
// "action" naming a route picks it; anything else goes to $default.
func (ws *WebSocket) selectRoute(data []byte) string {
	var body struct {
		Action any `json:"action"`
	}
	if json.Unmarshal(data, &body) == nil {
		if a, ok := body.Action.(string); ok {
			if _, ok := ws.routes[a]; ok && !strings.HasPrefix(a, "$") {
				return a
			}
		}
	}
	return "$default"
}

// event builds the parts shared by every event of a connection.
func (ws *WebSocket) event(c *connection, routeKey, eventType string, now time.Time) events.APIGatewayWebsocketProxyRequest {
	reqID := requestID()
	return events.APIGatewayWebsocketProxyRequest{
		RequestContext: events.APIGatewayWebsocketProxyRequestContext{
			RouteKey:          routeKey,
			EventType:         eventType,
			ExtendedRequestID: reqID,
			RequestTime:       now.UTC().Format(requestTimeLayout),
			MessageDirection:  "IN",
			Stage:             ws.stage,
			ConnectedAt:       c.connectedAt.UnixMilli(),
			RequestTimeEpoch:  now.UnixMilli(),
			Identity: events.APIGatewayRequestIdentity{
				SourceIP:  c.sourceIP,
				UserAgent: c.userAgent,
			},
			RequestID:    reqID,
			DomainName:   c.domainName,
			ConnectionID: c.id,
			APIID:        wsAPIID,
		},
		IsBase64Encoded: false,
	}
}

// connectEvent adds the handshake's headers and query, which only $connect
// sees; they keep their case, as in the WebSocket (format 1.0) event.
func (ws *WebSocket) connectEvent(r *http.Request, c *connection, now time.Time) events.APIGatewayWebsocketProxyRequest {
	ev := ws.event(c, "$connect", "CONNECT", now)
	multi := map[string][]string{}
	for k, vs := range r.Header {
		if spelled, ok := webSocketHeaders[k]; ok {
			k = spelled
		}
		multi[k] = append([]string(nil), vs...)
	}
	multi["Host"] = []string{r.Host}
	multi["X-Forwarded-For"] = append(multi["X-Forwarded-For"], c.sourceIP)
	multi["X-Forwarded-Port"] = []string{forwardedPort(r)}
	multi["X-Forwarded-Proto"] = []string{forwardedProto(r)}
	multi["X-Amzn-Trace-Id"] = []string{traceID(now)}
	headers := make(map[string]string, len(multi))
	for k, vs := range multi {
		headers[k] = strings.Join(vs, ", ")
	}
	headers["X-Forwarded-For"] = strings.Join(multi["X-Forwarded-For"], ", ")
	ev.Headers, ev.MultiValueHeaders = headers, multi

	if q, err := url.ParseQuery(r.URL.RawQuery); len(q) > 0 {
		_ = err // a malformed pair is skipped, the rest still reach $connect
		ev.QueryStringParameters = map[string]string{}
		ev.MultiValueQueryStringParameters = map[string][]string(q)
		for k, vs := range q {
			// Format 1.0 keeps the last value of a repeated key.
			ev.QueryStringParameters[k] = vs[len(vs)-1]
		}
	}
	return ev
}

// webSocketHeaders undoes Go's canonicalisation of the handshake headers,
// whose names browsers send (and API Gateway passes on) as the RFC spells
// them. Other names reach the function in Go's canonical form, which is
// what most clients send anyway; handlers should match names without case.
var webSocketHeaders = map[string]string{
	"Sec-Websocket-Key":        "Sec-WebSocket-Key",
	"Sec-Websocket-Version":    "Sec-WebSocket-Version",
	"Sec-Websocket-Extensions": "Sec-WebSocket-Extensions",
	"Sec-Websocket-Protocol":   "Sec-WebSocket-Protocol",
}

// send writes one text frame. Writes are safe alongside the connection's
// own reader, so a function handling a frame may post back to its sender.
func (c *connection) send(ctx context.Context, data []byte, idle time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, writeTimeout)
	defer cancel()
	select {
	case <-c.ready:
	case <-ctx.Done():
		return ErrGone
	}
	if c.ws == nil {
		return ErrGone
	}
	if err := c.ws.Write(ctx, websocket.MessageText, data); err != nil {
		return ErrGone
	}
	c.touch(time.Now(), idle)
	return nil
}

// touch records activity, which postpones the idle timeout.
func (c *connection) touch(now time.Time, idle time.Duration) {
	c.lastActive.Store(now.UnixMilli())
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.idle != nil && !c.closing {
		c.idle.Reset(idle)
	}
}

func (c *connection) startTimers(idle, maxAge time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if idle > 0 {
		c.idle = time.AfterFunc(idle, func() { c.closeAsync(websocket.StatusGoingAway, "Going away") })
	}
	if maxAge > 0 {
		c.maxAge = time.AfterFunc(maxAge, func() { c.closeAsync(websocket.StatusGoingAway, "Going away") })
	}
}

func (c *connection) stopTimers() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, t := range []*time.Timer{c.idle, c.maxAge} {
		if t != nil {
			t.Stop()
		}
	}
}

// markClosing records the gateway's reason, once; it reports whether this
// call is the one that closes.
func (c *connection) markClosing(code websocket.StatusCode, reason string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing {
		return false
	}
	c.closing, c.closeCode, c.closeReason = true, code, reason
	return true
}

// closeAsync starts the close handshake from outside the reader (DELETE,
// timers, shutdown). The reader then sees the close and runs $disconnect.
func (c *connection) closeAsync(code websocket.StatusCode, reason string) {
	if c.markClosing(code, reason) {
		go func() {
			<-c.ready
			if c.ws != nil {
				_ = c.ws.Close(code, reason)
			}
		}()
	}
}

// readFailed is the status of a read that failed: a frame over 32 KB
// closes the connection with 1009, as API Gateway does; anything else is
// the client's close or a dropped connection.
func (c *connection) readFailed(err error) (websocket.StatusCode, string) {
	if c.frames.tooBig.Load() {
		return c.closeNow(websocket.StatusMessageTooBig, "Message too big")
	}
	return c.disconnectStatus(err)
}

// closeNow closes from the reader itself and returns the status for
// $disconnect.
func (c *connection) closeNow(code websocket.StatusCode, reason string) (websocket.StatusCode, string) {
	if c.markClosing(code, reason) {
		_ = c.ws.Close(code, reason)
	}
	return c.disconnectStatus(nil)
}

// disconnectStatus is what $disconnect reports: the gateway's own reason
// when it closed, else the client's close frame, else 1006 for a dropped
// connection.
func (c *connection) disconnectStatus(readErr error) (websocket.StatusCode, string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing {
		return c.closeCode, c.closeReason
	}
	var ce websocket.CloseError
	if errors.As(readErr, &ce) {
		if ce.Code == websocket.StatusNoStatusRcvd {
			return ce.Code, "Client-side close frame status not set"
		}
		return ce.Code, ce.Reason
	}
	return websocket.StatusAbnormalClosure, "Connection closed abnormally"
}
