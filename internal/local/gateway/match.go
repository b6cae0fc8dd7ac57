package gateway

import (
	"fmt"
	"net/url"
	"strings"

	"parley/internal/routes"
)

type segmentKind int

// Ordered by specificity: when two templates match, the one whose first
// differing segment ranks higher wins, which is how API Gateway prefers
// /v1/settings/general over /v1/settings/{section} over /v1/{proxy+}.
const (
	greedySegment segmentKind = iota
	paramSegment
	literalSegment
)

type segment struct {
	kind segmentKind
	text string // literal text, or the parameter's name
}

type compiledRoute struct {
	route    routes.HTTPRoute
	segments []segment
}

// compileRoute parses an API Gateway path template.
func compileRoute(r routes.HTTPRoute) (compiledRoute, error) {
	if !strings.HasPrefix(r.Path, "/") {
		return compiledRoute{}, fmt.Errorf("route %q: path must start with /", r.RouteKey())
	}
	parts := strings.Split(r.Path[1:], "/")
	c := compiledRoute{route: r}
	for i, p := range parts {
		switch {
		case strings.HasPrefix(p, "{") && strings.HasSuffix(p, "+}"):
			if i != len(parts)-1 {
				return compiledRoute{}, fmt.Errorf("route %q: greedy parameter must be last", r.RouteKey())
			}
			c.segments = append(c.segments, segment{greedySegment, p[1 : len(p)-2]})
		case strings.HasPrefix(p, "{") && strings.HasSuffix(p, "}"):
			c.segments = append(c.segments, segment{paramSegment, p[1 : len(p)-1]})
		default:
			c.segments = append(c.segments, segment{literalSegment, p})
		}
	}
	return c, nil
}

// match reports whether the escaped request path fits the template, and the
// decoded path parameters if so.
func (c compiledRoute) match(escapedPath string) (map[string]string, bool) {
	parts := strings.Split(strings.TrimPrefix(escapedPath, "/"), "/")
	var params map[string]string
	set := func(name, raw string) {
		if params == nil {
			params = map[string]string{}
		}
		params[name] = unescape(raw)
	}
	for i, s := range c.segments {
		if s.kind == greedySegment {
			if i >= len(parts) {
				return nil, false
			}
			rest := strings.Join(parts[i:], "/")
			if rest == "" {
				return nil, false
			}
			set(s.text, rest)
			return params, true
		}
		if i >= len(parts) {
			return nil, false
		}
		switch s.kind {
		case literalSegment:
			if unescape(parts[i]) != s.text {
				return nil, false
			}
		case paramSegment:
			if parts[i] == "" {
				return nil, false
			}
			set(s.text, parts[i])
		}
	}
	if len(parts) != len(c.segments) {
		return nil, false
	}
	return params, true
}

// moreSpecific reports whether c should win over d when both match.
func (c compiledRoute) moreSpecific(d compiledRoute) bool {
	for i := 0; i < len(c.segments) && i < len(d.segments); i++ {
		if c.segments[i].kind != d.segments[i].kind {
			return c.segments[i].kind > d.segments[i].kind
		}
	}
	if len(c.segments) != len(d.segments) {
		return len(c.segments) > len(d.segments)
	}
	// An explicit method beats ANY.
	return c.route.Method != "ANY" && d.route.Method == "ANY"
}

// pathValues are taken decoded, as API Gateway passes them; a malformed
// escape is passed through as sent rather than failing the request.
func unescape(s string) string {
	if u, err := url.PathUnescape(s); err == nil {
		return u
	}
	return s
}

// router finds the route for a request.
type router []compiledRoute

func newRouter(rs []routes.HTTPRoute) (router, error) {
	var out router
	seen := map[string]bool{}
	for _, r := range rs {
		if seen[r.RouteKey()] {
			return nil, fmt.Errorf("route %q listed twice", r.RouteKey())
		}
		seen[r.RouteKey()] = true
		c, err := compileRoute(r)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// find returns the most specific route for method and path. A path that
// matches only under another method is not found: HTTP APIs answer 404, not
// 405, there.
func (rt router) find(method, escapedPath string) (compiledRoute, map[string]string, bool) {
	var (
		best       compiledRoute
		bestParams map[string]string
		found      bool
	)
	for _, c := range rt {
		if c.route.Method != method && c.route.Method != "ANY" {
			continue
		}
		params, ok := c.match(escapedPath)
		if !ok {
			continue
		}
		if !found || c.moreSpecific(best) {
			best, bestParams, found = c, params, true
		}
	}
	return best, bestParams, found
}
