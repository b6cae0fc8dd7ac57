package gateway

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
)

// maxHTTPBody is the HTTP API's request payload limit.
const maxHTTPBody = 10 << 20

// httpStage is the HTTP API's stage. It is $default, the stage without a
// path prefix, because the console calls /v1/... on the API's own host.
const httpStage = "$default"

// HTTP is the local HTTP API. It is an http.Handler.
type HTTP struct {
	cfg     Config
	router  router
	static  http.Handler
	origins []string
}

// NewHTTP builds the HTTP API from cfg.HTTPRoutes. It fails when a route's
// function or the authorizer is missing from cfg.Functions, or a route is
// malformed.
func NewHTTP(cfg Config) (*HTTP, error) {
	rt, err := newRouter(cfg.HTTPRoutes)
	if err != nil {
		return nil, err
	}
	for _, r := range cfg.HTTPRoutes {
		if cfg.Functions[r.Function] == nil {
			return nil, fmt.Errorf("route %q: function %q not given", r.RouteKey(), r.Function)
		}
		if !r.Public() && cfg.Functions[cfg.Authorizer] == nil {
			return nil, fmt.Errorf("route %q needs the authorizer, and function %q is not given", r.RouteKey(), cfg.Authorizer)
		}
	}
	cfg.Functions = safeFunctions(cfg.Functions)
	h := &HTTP{cfg: cfg, router: rt, origins: cfg.AllowedOrigins}
	if cfg.WebDir != "" {
		h.static = http.FileServer(http.Dir(cfg.WebDir))
	}
	return h, nil
}

// ServeHTTP answers one request the way the HTTP API would.
func (h *HTTP) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reqID := requestID()
	// API Gateway stamps every response, errors included, with its id.
	w.Header().Set("Apigw-Requestid", reqID)

	path := r.URL.EscapedPath()
	api := path == "/v1" || strings.HasPrefix(path, "/v1/")
	if api && r.Method == http.MethodOptions {
		// With CORS configured, API Gateway answers every preflight itself,
		// without a route and without the authorizer.
		h.preflight(w, r)
		return
	}
	if path == "/config.json" && h.cfg.ConsoleConfig != nil && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_ = json.NewEncoder(w).Encode(h.cfg.ConsoleConfig)
		return
	}
	route, params, ok := h.router.find(r.Method, path)
	if !ok {
		if !api && h.static != nil && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
			h.static.ServeHTTP(w, r)
			return
		}
		h.corsHeaders(w, r)
		writeMessage(w, http.StatusNotFound, "Not Found")
		return
	}
	h.serveRoute(w, r, route, params, reqID)
}

func (h *HTTP) serveRoute(w http.ResponseWriter, r *http.Request, route compiledRoute, params map[string]string, reqID string) {
	log := h.cfg.logger().With("routeKey", route.route.RouteKey(), "requestId", reqID)
	defer drain(r.Body)
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxHTTPBody))
	if err != nil {
		h.corsHeaders(w, r)
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeMessage(w, http.StatusRequestEntityTooLarge, "Request Entity Too Large")
			return
		}
		writeMessage(w, http.StatusBadRequest, "Bad Request")
		return
	}
	event := h.event(r, route, params, body, reqID, h.cfg.now())

	if !route.route.Public() {
		status, lambdaCtx := h.authorize(r.Context(), log, r, event)
		if status != 0 {
			h.corsHeaders(w, r)
			writeMessage(w, status, http.StatusText(status))
			return
		}
		event.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{Lambda: lambdaCtx}
	}

	start := time.Now()
	out, err := invoke(r.Context(), h.cfg.Functions[route.route.Function], route.route.Function, event)
	if err != nil {
		log.Error("function failed", "function", route.route.Function, "err", err)
		h.corsHeaders(w, r)
		if errors.Is(err, errEventTooLarge) {
			writeMessage(w, http.StatusRequestEntityTooLarge, "Request Entity Too Large")
			return
		}
		writeMessage(w, http.StatusInternalServerError, "Internal Server Error")
		return
	}
	log.Debug("invoked", "function", route.route.Function, "duration", time.Since(start))
	h.writeResponse(w, r, log, out)
}

// authorize runs the REQUEST authorizer (payload 2.0, simple responses). It
// returns a non-zero status to refuse with, or the context to hand on in
// requestContext.authorizer.lambda.
func (h *HTTP) authorize(ctx context.Context, log *slog.Logger, r *http.Request, routeEvent events.APIGatewayV2HTTPRequest) (int, map[string]any) {
	// The identity source is $request.header.Authorization. When it is
	// absent API Gateway answers 401 without invoking the authorizer.
	token := r.Header.Get("Authorization")
	if token == "" {
		return http.StatusUnauthorized, nil
	}
	rc := routeEvent.RequestContext
	event := events.APIGatewayV2CustomAuthorizerV2Request{
		Version: "2.0",
		Type:    "REQUEST",
		RouteArn: fmt.Sprintf("arn:aws:execute-api:%s:%s:%s/%s/%s%s",
			localRegion, localAccountID, rc.APIID, rc.Stage, rc.HTTP.Method, routeEvent.RawPath),
		IdentitySource:        []string{token},
		RouteKey:              routeEvent.RouteKey,
		RawPath:               routeEvent.RawPath,
		RawQueryString:        routeEvent.RawQueryString,
		Cookies:               routeEvent.Cookies,
		Headers:               routeEvent.Headers,
		QueryStringParameters: routeEvent.QueryStringParameters,
		RequestContext:        rc,
		PathParameters:        routeEvent.PathParameters,
	}
	out, err := invoke(ctx, h.cfg.Functions[h.cfg.Authorizer], h.cfg.Authorizer, event)
	if err != nil {
		log.Error("authorizer failed", "function", h.cfg.Authorizer, "err", err)
		return http.StatusInternalServerError, nil
	}
	var resp struct {
		IsAuthorized *bool          `json:"isAuthorized"`
		Context      map[string]any `json:"context"`
	}
	if err := json.Unmarshal(out, &resp); err != nil || resp.IsAuthorized == nil {
		log.Error("authorizer returned no simple response", "function", h.cfg.Authorizer, "output", truncate(out))
		return http.StatusInternalServerError, nil
	}
	if !*resp.IsAuthorized {
		log.Debug("authorizer refused")
		return http.StatusForbidden, nil
	}
	return 0, resp.Context
}

// event builds the payload 2.0 request event.
func (h *HTTP) event(r *http.Request, route compiledRoute, params map[string]string, body []byte, reqID string, now time.Time) events.APIGatewayV2HTTPRequest {
	headers := map[string]string{}
	var cookies []string
	for k, vs := range r.Header {
		k = strings.ToLower(k)
		if k == "cookie" {
			// Format 2.0 moves cookies out of the headers into their own
			// field, one entry per cookie.
			for _, v := range vs {
				for c := range strings.SplitSeq(v, ";") {
					if c = strings.TrimSpace(c); c != "" {
						cookies = append(cookies, c)
					}
				}
			}
			continue
		}
		headers[k] = strings.Join(vs, ",")
	}
	ip := h.cfg.sourceIP(r)
	headers["host"] = r.Host
	if r.ContentLength > 0 {
		headers["content-length"] = fmt.Sprint(r.ContentLength)
	}
	if prior := headers["x-forwarded-for"]; prior != "" && !h.cfg.TrustForwardedFor {
		headers["x-forwarded-for"] = prior + ", " + ip
	} else {
		headers["x-forwarded-for"] = ip
	}
	headers["x-forwarded-port"] = forwardedPort(r)
	headers["x-forwarded-proto"] = forwardedProto(r)
	headers["x-amzn-trace-id"] = traceID(now)

	ev := events.APIGatewayV2HTTPRequest{
		Version:               "2.0",
		RouteKey:              route.route.RouteKey(),
		RawPath:               r.URL.EscapedPath(),
		RawQueryString:        r.URL.RawQuery,
		Cookies:               cookies,
		Headers:               headers,
		QueryStringParameters: queryParameters(r.URL.RawQuery),
		PathParameters:        params,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey:     route.route.RouteKey(),
			AccountID:    localAccountID,
			Stage:        httpStage,
			RequestID:    reqID,
			APIID:        httpAPIID,
			DomainName:   r.Host,
			DomainPrefix: domainPrefix(r.Host),
			Time:         now.UTC().Format(requestTimeLayout),
			TimeEpoch:    now.UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method:    r.Method,
				Path:      r.URL.EscapedPath(),
				Protocol:  r.Proto,
				SourceIP:  ip,
				UserAgent: r.UserAgent(),
			},
		},
	}
	if len(body) > 0 {
		if isText(r.Header.Get("Content-Type")) && utf8.Valid(body) {
			ev.Body = string(body)
		} else {
			ev.Body = base64.StdEncoding.EncodeToString(body)
			ev.IsBase64Encoded = true
		}
	}
	return ev
}

// queryParameters joins repeated values with commas, as format 2.0 does.
func queryParameters(raw string) map[string]string {
	if raw == "" {
		return nil
	}
	// A malformed pair is skipped, the rest still reach the function.
	values, _ := url.ParseQuery(raw)
	if len(values) == 0 {
		return nil
	}
	out := make(map[string]string, len(values))
	for k, vs := range values {
		out[k] = strings.Join(vs, ",")
	}
	return out
}

// isText reports whether API Gateway passes a body of this type as text.
// Everything else, including a missing type and form posts, arrives base64
// encoded, so handlers must honour isBase64Encoded.
func isText(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	if strings.HasPrefix(mt, "text/") || strings.HasSuffix(mt, "+json") || strings.HasSuffix(mt, "+xml") {
		return true
	}
	switch mt {
	case "application/json", "application/javascript", "application/xml":
		return true
	}
	return false
}

// writeResponse turns the function's output into the HTTP response.
func (h *HTTP) writeResponse(w http.ResponseWriter, r *http.Request, log *slog.Logger, out []byte) {
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(out, &probe); err != nil || probe["statusCode"] == nil {
		// Format 2.0 infers a response from output without a statusCode:
		// 200, application/json, the output itself as the body.
		w.Header().Set("Content-Type", "application/json")
		h.corsHeaders(w, r)
		w.WriteHeader(http.StatusOK)
		if r.Method != http.MethodHead {
			_, _ = w.Write(out)
		}
		return
	}
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(out, &resp); err != nil || resp.StatusCode < 100 || resp.StatusCode > 599 {
		log.Error("malformed function response", "output", truncate(out), "err", err)
		h.corsHeaders(w, r)
		writeMessage(w, http.StatusInternalServerError, "Internal Server Error")
		return
	}
	body := []byte(resp.Body)
	if resp.IsBase64Encoded {
		var err error
		if body, err = base64.StdEncoding.DecodeString(resp.Body); err != nil {
			log.Error("function response body is not base64", "err", err)
			h.corsHeaders(w, r)
			writeMessage(w, http.StatusInternalServerError, "Internal Server Error")
			return
		}
	}
	if len(resp.MultiValueHeaders) > 0 {
		// Format 2.0 has no multiValueHeaders: API Gateway drops them, and so
		// do we, loudly, so the mistake shows up before it is deployed.
		log.Error("multiValueHeaders are ignored by payload format 2.0; use headers (comma-joined) or cookies", "headers", slices.Sorted(maps.Keys(resp.MultiValueHeaders)))
	}
	for k, v := range resp.Headers {
		w.Header().Set(k, v)
	}
	for _, c := range resp.Cookies {
		w.Header().Add("Set-Cookie", c)
	}
	if w.Header().Get("Content-Type") == "" {
		// Send no type rather than one Go sniffed: API Gateway does not guess.
		w.Header()["Content-Type"] = nil
	}
	h.corsHeaders(w, r)
	w.WriteHeader(resp.StatusCode)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

// allowedOrigin returns the origin to echo, or "" when CORS does not apply.
func (h *HTTP) allowedOrigin(r *http.Request) string {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return ""
	}
	if len(h.origins) == 0 || slices.Contains(h.origins, "*") || slices.Contains(h.origins, origin) {
		return origin
	}
	return ""
}

// corsHeaders sets the CORS headers of an actual (non-preflight) response on
// /v1. As in API Gateway with CORS configured, they replace whatever the
// function set, so handlers need not and cannot manage CORS.
func (h *HTTP) corsHeaders(w http.ResponseWriter, r *http.Request) {
	if p := r.URL.Path; p != "/v1" && !strings.HasPrefix(p, "/v1/") {
		return
	}
	for _, k := range []string{"Access-Control-Allow-Origin", "Access-Control-Allow-Credentials", "Access-Control-Expose-Headers"} {
		w.Header().Del(k)
	}
	if origin := h.allowedOrigin(r); origin != "" {
		w.Header().Set("Access-Control-Allow-Origin", origin)
		w.Header().Add("Vary", "Origin")
	}
}

func (h *HTTP) preflight(w http.ResponseWriter, r *http.Request) {
	h.corsHeaders(w, r)
	if h.allowedOrigin(r) != "" {
		w.Header().Set("Access-Control-Allow-Methods", "GET,POST,PUT,PATCH,DELETE,OPTIONS")
		allow := r.Header.Get("Access-Control-Request-Headers")
		if allow == "" {
			allow = "authorization,content-type"
		}
		w.Header().Set("Access-Control-Allow-Headers", allow)
		w.Header().Set("Access-Control-Max-Age", "600")
	}
	w.WriteHeader(http.StatusNoContent)
}

// truncate keeps log lines short when a function returns something large.
func truncate(b []byte) string {
	const n = 512
	if len(b) > n {
		return string(b[:n]) + "..."
	}
	return string(b)
}
