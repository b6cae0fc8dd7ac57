package outbound

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Defaults of a Client.
const (
	DefaultTimeout     = 5 * time.Second
	DefaultDialTimeout = 2 * time.Second
	DefaultMaxBody     = 16 << 10
)

// Resolver finds a host's addresses; *net.Resolver is one, and tests pass
// their own to play DNS (a name that resolves to loopback, or rebinds).
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// Client makes outbound HTTP calls under the rules of the package comment.
// Build it with New; it is safe for concurrent use.
type Client struct {
	allowLoopback bool
	resolver      Resolver
	timeout       time.Duration
	maxBody       int64
	http          *http.Client
}

// Options configure New. The zero value is the deployed configuration.
type Options struct {
	// AllowLoopback lets calls reach 127.0.0.0/8 and ::1. Only the local
	// stack (make dev, the tests' stack) sets it; the functions deployed to
	// AWS never can, since no environment variable turns it on.
	AllowLoopback bool
	// Resolver defaults to net.DefaultResolver.
	Resolver Resolver
	// Timeout bounds a whole call, body included (DefaultTimeout).
	Timeout time.Duration
	// MaxBody is how much of a response body is read (DefaultMaxBody).
	MaxBody int64
}

// New builds a Client.
func New(o Options) *Client {
	c := &Client{allowLoopback: o.AllowLoopback, resolver: o.Resolver, timeout: o.Timeout, maxBody: o.MaxBody}
	if c.resolver == nil {
		c.resolver = net.DefaultResolver
	}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	if c.maxBody <= 0 {
		c.maxBody = DefaultMaxBody
	}
	tr := &http.Transport{
		Proxy:                  nil, // never an environment proxy: it would dial for us, unchecked
		DialContext:            c.dial,
		ForceAttemptHTTP2:      true,
		TLSHandshakeTimeout:    c.timeout,
		ResponseHeaderTimeout:  c.timeout,
		MaxResponseHeaderBytes: 16 << 10,
		MaxIdleConnsPerHost:    2,
		IdleConnTimeout:        30 * time.Second,
	}
	c.http = &http.Client{Transport: tr, Timeout: c.timeout,
		// A redirect could point anywhere, a private address included, and
		// a receiver that moved must be reconfigured: the 3xx is the answer.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return c
}

// dial resolves the host itself and dials the checked addresses one by
// one; control checks each again on the socket, so what is checked is what
// is connected to, whatever a resolver answers in between.
func (c *Client) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	var ips []netip.Addr
	if a, err := netip.ParseAddr(host); err == nil {
		ips = []netip.Addr{a}
	} else {
		if ips, err = c.resolver.LookupNetIP(ctx, "ip", host); err != nil {
			return nil, fmt.Errorf("outbound: resolve %s: %w", host, err)
		}
	}
	if len(ips) == 0 {
		return nil, fmt.Errorf("outbound: %s has no address", host)
	}
	// Any forbidden answer refuses the name: a name that mixes public and
	// private addresses is a rebinding attempt, not a failover.
	for _, ip := range ips {
		if err := CheckAddress(ip, c.allowLoopback); err != nil {
			return nil, err
		}
	}
	d := &net.Dialer{Timeout: DefaultDialTimeout, Control: control(c.allowLoopback)}
	var first error
	for _, ip := range ips {
		conn, err := d.DialContext(ctx, network, net.JoinHostPort(ip.String(), port))
		if err == nil {
			return conn, nil
		}
		if first == nil {
			first = err
		}
	}
	return nil, first
}

// control is the net.Dialer hook that sees the address the socket is about
// to connect to, after every resolution.
func control(allowLoopback bool) func(network, address string, _ syscall.RawConn) error {
	return func(network, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return fmt.Errorf("%w: %q", ErrForbiddenAddress, address)
		}
		return CheckAddress(ap.Addr(), allowLoopback)
	}
}

// Request is one outbound call. URL may hold user:password@, sent as HTTP
// basic auth and never kept anywhere else.
type Request struct {
	Method string
	URL    string
	Header http.Header
	Body   []byte
}

// Response is what came back: the status, the headers and at most MaxBody
// bytes of the body.
type Response struct {
	Status  int
	Header  http.Header
	Body    []byte
	Latency time.Duration
}

// Do makes the call. The error, when there is one, is an *Error whose text
// never holds the URL's credentials.
func (c *Client) Do(ctx context.Context, r Request) (Response, error) {
	t, err := ParseTarget(r.URL)
	if err != nil {
		return Response{}, &Error{Kind: KindRefused, Msg: err.Error(), err: err}
	}
	if err := CheckLiteralHost(t.URL.Hostname(), c.allowLoopback); err != nil {
		return Response{}, &Error{Kind: KindRefused, Msg: err.Error(), err: err}
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, r.Method, t.URL.String(), bytes.NewReader(r.Body))
	if err != nil {
		return Response{}, &Error{Kind: KindRefused, Msg: "outbound: bad request", err: err}
	}
	for k, vs := range r.Header {
		req.Header[k] = vs
	}
	if t.Username != "" || t.Password != "" {
		req.SetBasicAuth(t.Username, t.Password)
	}
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		return Response{Latency: time.Since(start)}, classify(err, t.Redacted)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.maxBody))
	out := Response{Status: resp.StatusCode, Header: resp.Header, Body: body, Latency: time.Since(start)}
	if err != nil {
		return out, classify(err, t.Redacted)
	}
	return out, nil
}

// Kind sorts failures for the caller's retry decision.
type Kind string

// The kinds of failure.
const (
	KindRefused    Kind = "refused"    // never dialled: a forbidden address or a bad URL; retrying will not help
	KindTimeout    Kind = "timeout"    // no answer in time
	KindConnection Kind = "connection" // resolving, connecting, TLS or reading failed
)

// Error is a failed call. Msg is safe to log and to show: it names the
// redacted URL only.
type Error struct {
	Kind Kind
	Msg  string
	err  error
}

func (e *Error) Error() string { return e.Msg }

// Unwrap gives errors.Is access to ErrForbiddenAddress and the like.
func (e *Error) Unwrap() error { return e.err }

func classify(err error, redacted string) error {
	var ue *url.Error
	inner := err
	if errors.As(err, &ue) {
		inner = ue.Err // its text repeats the URL, which we name ourselves
	}
	switch {
	case errors.Is(err, ErrForbiddenAddress):
		return &Error{Kind: KindRefused, Msg: fmt.Sprintf("%s: %v", redacted, inner), err: err}
	case errors.Is(err, context.DeadlineExceeded), isTimeout(err):
		return &Error{Kind: KindTimeout, Msg: redacted + ": timed out", err: err}
	}
	return &Error{Kind: KindConnection, Msg: fmt.Sprintf("%s: %v", redacted, inner), err: err}
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

// Target is a parsed outbound URL: the URL without user-info, the
// credentials for basic auth, and Redacted, the form safe to log and show
// (scheme, host and path; no credentials, no query, which may hold tokens).
type Target struct {
	URL      *url.URL
	Username string
	Password string
	Redacted string
}

// MaxURLLength bounds an outbound URL.
const MaxURLLength = 2048

// ParseTarget parses an absolute http(s) URL with a host; user-info becomes
// Username and Password (percent-decoded). Its errors never quote the URL.
func ParseTarget(raw string) (Target, error) {
	if len(raw) > MaxURLLength {
		return Target{}, errors.New("outbound: the URL is too long")
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return Target{}, errors.New("outbound: the URL does not parse")
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "http" && scheme != "https" {
		return Target{}, errors.New("outbound: the URL must be http or https")
	}
	if u.Opaque != "" || u.Hostname() == "" {
		return Target{}, errors.New("outbound: the URL has no host")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return Target{}, errors.New("outbound: the URL's port is not valid")
		}
	}
	t := Target{}
	if u.User != nil {
		t.Username = u.User.Username()
		t.Password, _ = u.User.Password()
	}
	clean := *u
	clean.Scheme, clean.User, clean.Fragment, clean.RawFragment = scheme, nil, "", ""
	t.URL = &clean
	shown := clean
	shown.RawQuery, shown.ForceQuery = "", false
	t.Redacted = shown.String()
	return t, nil
}

// Redact is the loggable form of a URL (see Target.Redacted); "" when it
// does not parse.
func Redact(raw string) string {
	t, err := ParseTarget(raw)
	if err != nil {
		return ""
	}
	return t.Redacted
}
