// Package gateway is the local stand-in for Amazon API Gateway: an HTTP API
// (payload format 2.0, Lambda REQUEST authorizer with simple responses, CORS,
// the console's static files) and a WebSocket API ($connect, $disconnect,
// route selection on $request.body.action, and the @connections management
// endpoint).
//
// It calls functions only through the Lambda contract, JSON bytes in and out
// (see Invoker), so the handlers that run locally decode exactly the events
// they would decode in AWS. Where API Gateway's behaviour is observable by a
// handler or a client (status codes, error bodies, limits, event fields),
// this package copies it rather than doing what would be more convenient
// locally, so that a handler that works here does not break when deployed.
//
// URL layout, mirroring AWS, where each API has its own host:
//
//	HTTP API       http://host/v1/...                    (stage $default: no prefix)
//	               http://host/...                       static files from Config.WebDir
//	WebSocket API  ws://host/{stage}                     clients connect here
//	               http://host/{stage}/@connections/{id} management (the SDK's BaseEndpoint is http://host/{stage})
package gateway

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"parley/internal/routes"
)

// Invoker is one Lambda function as the gateway sees it: an event in, a
// response out, both JSON. Build it with NewFunction(fn), which invokes
// concurrently like Lambda does. Any other Invoker, lambda.NewHandler(fn)
// included, is assumed unsafe for concurrent use and runs one invocation at
// a time.
type Invoker interface {
	Invoke(ctx context.Context, payload []byte) ([]byte, error)
}

// Config configures both APIs. Fields that only one API uses say so.
type Config struct {
	// Functions by name (routes.FnAPI, ...). Every route's function must be
	// present, so a wiring mistake fails at start and not on first request.
	Functions map[string]Invoker

	// HTTPRoutes is the HTTP API's route table, normally routes.HTTP.
	HTTPRoutes []routes.HTTPRoute
	// Authorizer names the function that authorizes every non-public HTTP
	// route. Required when any route is not public.
	Authorizer string
	// WebDir is served at / for paths outside /v1 that match no route.
	// Empty serves nothing there.
	WebDir string
	// ConsoleConfig is answered at /config.json, as the deployed site has
	// it beside index.html (infra's web stack writes apiUrl and
	// websocketUrl there): the console and the widget read it on every
	// load. Nil leaves /config.json to WebDir.
	ConsoleConfig map[string]string
	// AllowedOrigins for CORS on /v1. Empty allows any origin, which is
	// what a local console on another port needs.
	AllowedOrigins []string

	// WSRoutes is the WebSocket API's route table, normally routes.WebSocket.
	WSRoutes []routes.WSRoute
	// Stage is the WebSocket API's stage, the first path segment of both the
	// client URL and the management endpoint. Default "local".
	Stage string
	// IdleTimeout and MaxConnectionDuration close WebSocket connections like
	// AWS does (10 min and 2 h there). Zero disables them, the local default,
	// so a console left open overnight keeps working.
	IdleTimeout           time.Duration
	MaxConnectionDuration time.Duration
	// NewConnectionID makes connection ids; nil makes AWS-looking random
	// ones. Tests set it to pin ids.
	NewConnectionID func() string

	// Logger gets one line per invocation at debug level and every failure
	// at warn or error. Nil discards.
	Logger *slog.Logger
	// Now is the clock for event timestamps. Nil is time.Now.
	Now func() time.Time

	// TrustForwardedFor takes the source address of HTTP requests and
	// WebSocket connections from the first X-Forwarded-For entry instead
	// of the TCP peer. FOR TESTS ONLY: it lets a test on 127.0.0.1 appear
	// to come from elsewhere (IP allowlists). API Gateway never trusts the
	// header, and anything else would let every client choose its address.
	TrustForwardedFor bool
}

// Identifiers API Gateway would fill in from the deployment. Fixed values
// are enough locally: nothing should depend on them beyond their presence.
const (
	localAccountID = "123456789012"
	localRegion    = "us-east-1"
	httpAPIID      = "localhttp"
	wsAPIID        = "localws"
	defaultStage   = "local"
	// defaultTimeout applies to functions the routes table does not list.
	// It is the HTTP API's maximum integration timeout.
	defaultTimeout = 30 * time.Second
)

// Lambda's synchronous invocation limit applies to the request event and the
// response alike; an event that fits API Gateway's 10 MB body limit can still
// be refused by Lambda once base64 and the envelope are added.
const maxInvokePayload = 6 << 20

// requestTimeLayout is the format of requestContext.time / requestTime.
const requestTimeLayout = "02/Jan/2006:15:04:05 -0700"

func (c *Config) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Config) logger() *slog.Logger {
	if c.Logger != nil {
		return c.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// randomID returns n random bytes in standard base64, the shape of API
// Gateway's request and connection ids (e.g. "JKJaXmPLvHcESHA=").
func randomID(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails: crypto/rand panics instead
	return base64.StdEncoding.EncodeToString(b)
}

// requestID returns an id shaped like API Gateway's requestId.
func requestID() string { return randomID(11) }

// errFunctionOutputTooLarge is what Lambda would refuse to return.
var errFunctionOutputTooLarge = fmt.Errorf("function response exceeds %d bytes", maxInvokePayload)

// errEventTooLarge is what Lambda would refuse to accept.
var errEventTooLarge = fmt.Errorf("event exceeds %d bytes", maxInvokePayload)

// invoke runs one function with the event marshalled to JSON, under the
// function's timeout and with a Lambda context, as the Lambda service would.
// The context is detached from the caller's cancellation: in AWS a client
// that hangs up does not stop the function it triggered.
func invoke(ctx context.Context, fn Invoker, name string, event any) ([]byte, error) {
	payload, err := json.Marshal(event)
	if err != nil {
		return nil, fmt.Errorf("marshal event for %s: %w", name, err)
	}
	if len(payload) > maxInvokePayload {
		return nil, errEventTooLarge
	}
	timeout := defaultTimeout
	if f, ok := routes.FunctionByName(name); ok && f.TimeoutSec > 0 {
		timeout = time.Duration(f.TimeoutSec) * time.Second
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	ctx = lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{
		AwsRequestID:       randomUUID(),
		InvokedFunctionArn: fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", localRegion, localAccountID, name),
	})
	out, err := fn.Invoke(ctx, payload)
	if err != nil {
		return nil, err
	}
	if len(out) > maxInvokePayload {
		return nil, errFunctionOutputTooLarge
	}
	return out, nil
}

// randomUUID returns a version 4 UUID, the shape of Lambda's request ids.
func randomUUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// writeMessage writes API Gateway's error body shape, {"message":"..."}.
func writeMessage(w http.ResponseWriter, status int, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"message": message})
}

// sourceIP is the address API Gateway would report for r: the client's,
// without the port; or, only when the test option TrustForwardedFor is on,
// the first X-Forwarded-For entry.
func (c *Config) sourceIP(r *http.Request) string {
	if c.TrustForwardedFor {
		if first, _, _ := strings.Cut(r.Header.Get("X-Forwarded-For"), ","); strings.TrimSpace(first) != "" {
			return strings.TrimSpace(first)
		}
	}
	return peerIP(r)
}

// peerIP is the TCP peer's address without the port.
func peerIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// forwardedPort is the listener port, which API Gateway passes as
// X-Forwarded-Port (443 there).
func forwardedPort(r *http.Request) string {
	if _, port, err := net.SplitHostPort(r.Host); err == nil {
		return port
	}
	if r.TLS != nil {
		return "443"
	}
	return "80"
}

func forwardedProto(r *http.Request) string {
	if r.TLS != nil {
		return "https"
	}
	return "http"
}

// traceID is an X-Ray trace header value like the one API Gateway adds.
func traceID(t time.Time) string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return fmt.Sprintf("Root=1-%08x-%x", t.Unix(), b)
}

// drain reads what is left of a body so the connection can be reused.
func drain(r io.Reader) { _, _ = io.Copy(io.Discard, io.LimitReader(r, 1<<20)) }

// hostOnly strips the port from a Host header.
func hostOnly(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		return h
	}
	return host
}

// domainPrefix is the first label of the host, as API Gateway derives it
// from the domain name ("abc123" in abc123.execute-api...).
func domainPrefix(host string) string {
	h := hostOnly(host)
	if i := strings.IndexByte(h, '.'); i > 0 {
		return h[:i]
	}
	return h
}
