// Package httpapi is the HTTP API adapter: it decodes API Gateway HTTP API
// (payload 2.0) events, calls one domain operation per route, and encodes
// the result or the error (SPEC §5). Routing is by the event's routeKey, the
// same key the routes table gives API Gateway.
package httpapi

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"parley/internal/apperr"
	"parley/internal/ratelimit"
	"parley/internal/routes"
)

// Caller is who is calling, as the authorizer resolved it. Zero on public
// routes.
type Caller struct {
	AccountID string
	PersonID  string
	Role      routes.Role
	Session   string // the session the access token names
}

// Request is what a handler sees of an HTTP API event.
type Request struct {
	Caller   Caller
	Path     map[string]string
	Query    map[string]string
	Headers  map[string]string // lower-cased names
	Body     []byte
	SourceIP string
}

// Header returns a request header by any-case name.
func (r Request) Header(name string) string { return r.Headers[strings.ToLower(name)] }

// Response is what a handler returns: a value encoded as JSON, or raw bytes.
type Response struct {
	Status  int
	Headers map[string]string
	JSON    any
	Raw     []byte // sent as is (base64 on the wire) when set
}

// OK is a 200 response with a JSON body.
func OK(v any) Response { return Response{Status: http.StatusOK, JSON: v} }

// HandlerFunc handles one route.
type HandlerFunc func(ctx context.Context, r Request) (Response, error)

// API dispatches events to handlers by route key.
type API struct {
	handlers map[string]HandlerFunc
	Log      *slog.Logger
}

// NewAPI returns an empty API; Handle registers routes.
func NewAPI(log *slog.Logger) *API { return &API{handlers: map[string]HandlerFunc{}, Log: log} }

// Handle registers h for a route key such as "GET /v1/health". Every key
// must be in the routes table, which is what API Gateway is given.
func (a *API) Handle(routeKey string, h HandlerFunc) { a.handlers[routeKey] = h }

// RouteKeys lists the registered route keys (for the routes table test).
func (a *API) RouteKeys() []string {
	keys := make([]string, 0, len(a.handlers))
	for k := range a.handlers {
		keys = append(keys, k)
	}
	return keys
}

// MaxBodyBytes bounds request bodies; the largest legitimate one is an image.
const MaxBodyBytes = 1 << 20

// Serve is the Lambda handler.
func (a *API) Serve(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	lang := errorLanguage(header(ev.Headers, "accept-language"))
	h, ok := a.handlers[ev.RouteKey]
	if !ok {
		return a.encodeError(ctx, apperr.New(apperr.NotFound, "no route %s", ev.RouteKey), lang), nil
	}
	req, err := decode(ev)
	if err != nil {
		return a.encodeError(ctx, err, lang), nil
	}
	resp, err := h(ctx, req)
	if err != nil {
		return a.encodeError(ctx, err, lang), nil
	}
	return encode(resp), nil
}

// header is a request header by its lower-case name, whatever case the
// event gives it in.
func header(h map[string]string, name string) string {
	if v, ok := h[name]; ok {
		return v
	}
	for k, v := range h {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

func decode(ev events.APIGatewayV2HTTPRequest) (Request, error) {
	body := []byte(ev.Body)
	if ev.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(ev.Body)
		if err != nil {
			return Request{}, apperr.New(apperr.Invalid, "the body is not valid base64")
		}
		body = b
	}
	if len(body) > MaxBodyBytes {
		return Request{}, apperr.New(apperr.TooLarge, "the body is larger than %d bytes", MaxBodyBytes)
	}
	headers := make(map[string]string, len(ev.Headers))
	for k, v := range ev.Headers {
		headers[strings.ToLower(k)] = v
	}
	r := Request{Path: ev.PathParameters, Query: ev.QueryStringParameters, Headers: headers, Body: body, SourceIP: ev.RequestContext.HTTP.SourceIP}
	if r.Path == nil {
		r.Path = map[string]string{}
	}
	if r.Query == nil {
		r.Query = map[string]string{}
	}
	if az := ev.RequestContext.Authorizer; az != nil && az.Lambda != nil {
		r.Caller = CallerFromContext(az.Lambda)
	}
	return r, nil
}

func encode(r Response) events.APIGatewayV2HTTPResponse {
	out := events.APIGatewayV2HTTPResponse{StatusCode: r.Status, Headers: map[string]string{}}
	if out.StatusCode == 0 {
		out.StatusCode = http.StatusOK
	}
	for k, v := range r.Headers {
		out.Headers[k] = v
	}
	switch {
	case r.Raw != nil:
		out.Body = base64.StdEncoding.EncodeToString(r.Raw)
		out.IsBase64Encoded = true
	case r.JSON != nil:
		b, err := json.Marshal(r.JSON)
		if err != nil {
			return encodeBody(http.StatusInternalServerError, apperr.ToBody(err))
		}
		out.Body = string(b)
		out.Headers["content-type"] = "application/json; charset=utf-8"
	}
	if _, ok := out.Headers["cache-control"]; !ok {
		out.Headers["cache-control"] = "no-store"
	}
	return out
}

func encodeBody(status int, body any) events.APIGatewayV2HTTPResponse {
	b, _ := json.Marshal(body)
	return events.APIGatewayV2HTTPResponse{StatusCode: status, Body: string(b),
		Headers: map[string]string{"content-type": "application/json; charset=utf-8", "cache-control": "no-store"}}
}

// encodeError maps err to its status and body, its messages in lang
// (errlang.go); only internal errors are logged, and their cause never
// reaches the client.
func (a *API) encodeError(ctx context.Context, err error, lang string) events.APIGatewayV2HTTPResponse {
	code := apperr.CodeOf(err)
	if code == apperr.Internal {
		a.Log.ErrorContext(ctx, "request failed", "err", err)
	}
	out := encodeBody(apperr.Status(code), localizeError(apperr.ToBody(err), lang))
	var re *ratelimit.RetryError
	if errors.As(err, &re) {
		out.Headers["retry-after"] = strconv.Itoa(re.Seconds())
	}
	return out
}

// DecodeJSON decodes a request body strictly: unknown fields are refused so
// a typo is an error, not a silently ignored value.
func DecodeJSON(body []byte, v any) error {
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return apperr.New(apperr.Invalid, "the body is not valid JSON for this request: %s", jsonProblem(err))
	}
	// Anything after the value but white space is refused: More() alone
	// lets a stray ] or } through.
	if rest := strings.Trim(string(body[dec.InputOffset():]), " \t\r\n"); rest != "" {
		return apperr.New(apperr.Invalid, "the body holds more than one JSON value")
	}
	return nil
}

func jsonProblem(err error) string {
	var ute *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case asErr(err, &ute):
		return "field " + ute.Field + " has the wrong type"
	case asErr(err, &se):
		return "syntax error"
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return "unknown field " + strings.TrimPrefix(err.Error(), "json: unknown field ")
	}
	return "malformed"
}
