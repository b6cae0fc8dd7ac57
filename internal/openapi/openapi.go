// Package openapi checks HTTP exchanges against an OpenAPI 3.1 document
// (docs/openapi.yaml), so tests can prove that what the handlers really
// answer is what the document promises.
//
// It implements the part of JSON Schema the document uses, strictly:
// type (one or a list, "null" included), properties, required,
// additionalProperties (false or a schema), items, minItems, maxItems,
// enum, minimum, maximum, minLength, maxLength, pattern, format (uri,
// email, date-time and date, loosely), allOf, anyOf, oneOf and local $ref. Lint
// reports any other keyword, so a constraint the checker would silently
// skip cannot creep into the document.
package openapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"mime"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// Spec is a loaded OpenAPI document.
type Spec struct {
	root  map[string]any
	paths []pathTemplate
}

type pathTemplate struct {
	template string
	segments []string
}

// Load parses an OpenAPI document in YAML (or JSON). Values are normalised
// to what encoding/json gives, so schemas and instances compare alike.
func Load(data []byte) (*Spec, error) {
	var raw any
	if err := yaml.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("openapi: parse: %w", err)
	}
	b, err := json.Marshal(raw)
	if err != nil {
		return nil, fmt.Errorf("openapi: normalise: %w", err)
	}
	var root map[string]any
	if err := decodeJSON(b, &root); err != nil {
		return nil, fmt.Errorf("openapi: normalise: %w", err)
	}
	s := &Spec{root: root}
	paths, _ := root["paths"].(map[string]any)
	for p := range paths {
		s.paths = append(s.paths, pathTemplate{template: p, segments: strings.Split(strings.Trim(p, "/"), "/")})
	}
	slices.SortFunc(s.paths, func(a, b pathTemplate) int { return strings.Compare(a.template, b.template) })
	return s, nil
}

func decodeJSON(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	return dec.Decode(v)
}

// Operation is one documented method of one path.
type Operation struct {
	Method   string // upper case
	Path     string // the path template, e.g. /v1/templates/{id}
	Statuses []string
	// Public is true when the operation needs no credentials (security:
	// [] on the operation).
	Public bool
}

// Key is "METHOD /path/template".
func (o Operation) Key() string { return o.Method + " " + o.Path }

var methods = []string{"get", "put", "post", "delete", "patch", "head", "options"}

// Operations lists every documented operation, sorted.
func (s *Spec) Operations() []Operation {
	var out []Operation
	for _, p := range s.paths {
		item := s.pathItem(p.template)
		for _, m := range methods {
			op, ok := item[m].(map[string]any)
			if !ok {
				continue
			}
			o := Operation{Method: strings.ToUpper(m), Path: p.template}
			if sec, ok := op["security"].([]any); ok && len(sec) == 0 {
				o.Public = true
			}
			resps, _ := s.resolve(op["responses"]).(map[string]any)
			for code := range resps {
				o.Statuses = append(o.Statuses, code)
			}
			slices.Sort(o.Statuses)
			out = append(out, o)
		}
	}
	return out
}

func (s *Spec) pathItem(template string) map[string]any {
	paths, _ := s.root["paths"].(map[string]any)
	item, _ := s.resolve(paths[template]).(map[string]any)
	return item
}

// Match returns the path template a request path falls under. As in
// OpenAPI (and API Gateway), a literal segment wins over a parameter at
// the first segment where two templates differ.
func (s *Spec) Match(path string) (string, bool) {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	best := -1
	for i, p := range s.paths {
		if len(p.segments) != len(parts) {
			continue
		}
		ok := true
		for j, seg := range p.segments {
			if !isParam(seg) && seg != parts[j] {
				ok = false
				break
			}
		}
		if ok && (best < 0 || moreSpecific(p.segments, s.paths[best].segments)) {
			best = i
		}
	}
	if best < 0 {
		return "", false
	}
	return s.paths[best].template, true
}

func isParam(seg string) bool { return strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") }

func moreSpecific(a, b []string) bool {
	for i := range a {
		if isParam(a[i]) != isParam(b[i]) {
			return !isParam(a[i])
		}
	}
	return false
}

func (s *Spec) operation(method, path string) (string, map[string]any, error) {
	template, ok := s.Match(path)
	if !ok {
		return "", nil, fmt.Errorf("%s %s: no documented path matches", method, path)
	}
	op, ok := s.pathItem(template)[strings.ToLower(method)].(map[string]any)
	if !ok {
		return template, nil, fmt.Errorf("%s %s: %s is not documented for %s", method, path, method, template)
	}
	return template, op, nil
}

// CheckResponse checks one response to method path (the request path,
// without its query) against the document: the status must be
// documented, every required header present, the media type listed, and
// a JSON body valid against its schema. It returns the path template
// matched, for coverage counts, and every problem found.
func (s *Spec) CheckResponse(method, path string, status int, header http.Header, body []byte) (string, []error) {
	template, op, err := s.operation(method, path)
	if err != nil {
		return template, []error{err}
	}
	where := fmt.Sprintf("%s %s -> %d", method, template, status)
	resps, _ := s.resolve(op["responses"]).(map[string]any)
	resp, ok := s.resolve(resps[fmt.Sprint(status)]).(map[string]any)
	if !ok {
		if resp, ok = s.resolve(resps["default"]).(map[string]any); !ok {
			return template, []error{fmt.Errorf("%s: status %d is not documented", where, status)}
		}
	}
	var errs []error
	headers, _ := s.resolve(resp["headers"]).(map[string]any)
	for name, h := range headers {
		hm, _ := s.resolve(h).(map[string]any)
		value := header.Get(name)
		if req, _ := hm["required"].(bool); req && value == "" {
			errs = append(errs, fmt.Errorf("%s: required header %s is missing", where, name))
		}
		if sch, ok := hm["schema"]; ok && value != "" {
			for _, e := range s.Validate(sch, value) {
				errs = append(errs, fmt.Errorf("%s: header %s: %w", where, name, e))
			}
		}
	}
	content, _ := s.resolve(resp["content"]).(map[string]any)
	if len(content) == 0 {
		if len(body) > 0 {
			errs = append(errs, fmt.Errorf("%s: the document lists no body, got %d bytes", where, len(body)))
		}
		return template, errs
	}
	mt, _, _ := mime.ParseMediaType(header.Get("Content-Type"))
	media, ok := s.resolve(content[mt]).(map[string]any)
	if !ok {
		return template, append(errs, fmt.Errorf("%s: content type %q is not documented (documented: %s)", where, mt, strings.Join(sortedKeys(content), ", ")))
	}
	if mt != "application/json" {
		if len(body) == 0 {
			errs = append(errs, fmt.Errorf("%s: empty %s body", where, mt))
		}
		return template, errs
	}
	var v any
	if err := decodeJSON(body, &v); err != nil {
		return template, append(errs, fmt.Errorf("%s: body is not JSON: %v", where, err))
	}
	for _, e := range s.Validate(media["schema"], v) {
		errs = append(errs, fmt.Errorf("%s: %w", where, e))
	}
	return template, errs
}

// CheckRequestBody checks a JSON request body against the operation's
// documented request schema. Bodies of other media types are not checked.
func (s *Spec) CheckRequestBody(method, path, contentType string, body []byte) []error {
	template, op, err := s.operation(method, path)
	if err != nil {
		return []error{err}
	}
	mt, _, _ := mime.ParseMediaType(contentType)
	if mt != "application/json" {
		return nil
	}
	where := fmt.Sprintf("%s %s request", method, template)
	rb, _ := s.resolve(op["requestBody"]).(map[string]any)
	content, _ := s.resolve(rb["content"]).(map[string]any)
	media, ok := s.resolve(content[mt]).(map[string]any)
	if !ok {
		return []error{fmt.Errorf("%s: no JSON request body is documented", where)}
	}
	var v any
	if err := decodeJSON(body, &v); err != nil {
		return []error{fmt.Errorf("%s: body is not JSON: %v", where, err)}
	}
	var errs []error
	for _, e := range s.Validate(media["schema"], v) {
		errs = append(errs, fmt.Errorf("%s: %w", where, e))
	}
	return errs
}

// resolve follows local $refs ("#/components/..."); anything else comes
// back as is.
func (s *Spec) resolve(v any) any {
	for range 32 {
		m, ok := v.(map[string]any)
		if !ok {
			return v
		}
		ref, ok := m["$ref"].(string)
		if !ok {
			return v
		}
		target, err := s.pointer(ref)
		if err != nil {
			return nil
		}
		v = target
	}
	return nil
}

func (s *Spec) pointer(ref string) (any, error) {
	if !strings.HasPrefix(ref, "#/") {
		return nil, fmt.Errorf("only local references are supported: %s", ref)
	}
	var cur any = s.root
	for _, tok := range strings.Split(ref[2:], "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("unresolvable reference %s", ref)
		}
		if cur, ok = m[tok]; !ok {
			return nil, fmt.Errorf("unresolvable reference %s", ref)
		}
	}
	return cur, nil
}

// Validate checks a JSON value (decoded with UseNumber) against a schema
// of the document and returns every violation, each with the JSON path of
// the offending value.
func (s *Spec) Validate(schema, v any) []error {
	var errs []error
	s.validate(schema, v, "$", &errs)
	return errs
}

func (s *Spec) validate(schema, v any, at string, errs *[]error) {
	fail := func(format string, args ...any) {
		*errs = append(*errs, fmt.Errorf("%s: %s", at, fmt.Sprintf(format, args...)))
	}
	if b, ok := schema.(bool); ok {
		if !b {
			fail("no value is allowed here")
		}
		return
	}
	sch, ok := schema.(map[string]any)
	if !ok {
		fail("schema is not an object")
		return
	}
	if ref, ok := sch["$ref"].(string); ok {
		target, err := s.pointer(ref)
		if err != nil {
			fail("%v", err)
			return
		}
		s.validate(target, v, at, errs)
	}
	if t, ok := sch["type"]; ok && !typeMatches(t, v) {
		fail("is %s, want %v", jsonType(v), t)
		return
	}
	if enum, ok := sch["enum"].([]any); ok && !slices.ContainsFunc(enum, func(e any) bool { return jsonEqual(e, v) }) {
		fail("%s is not one of %v", short(v), enum)
	}
	for _, sub := range list(sch["allOf"]) {
		s.validate(sub, v, at, errs)
	}
	if alts := list(sch["anyOf"]); alts != nil && s.matching(alts, v) == 0 {
		fail("matches none of anyOf")
	}
	if alts := list(sch["oneOf"]); alts != nil {
		if n := s.matching(alts, v); n != 1 {
			fail("matches %d of oneOf, want exactly 1%s", n, s.closest(alts, v))
		}
	}
	switch x := v.(type) {
	case map[string]any:
		s.validateObject(sch, x, at, errs)
	case []any:
		if n, ok := number(sch["minItems"]); ok && big.NewFloat(float64(len(x))).Cmp(n) < 0 {
			fail("has %d items, want at least %v", len(x), n)
		}
		if n, ok := number(sch["maxItems"]); ok && big.NewFloat(float64(len(x))).Cmp(n) > 0 {
			fail("has %d items, want at most %v", len(x), n)
		}
		if items, ok := sch["items"]; ok {
			for i, e := range x {
				s.validate(items, e, fmt.Sprintf("%s[%d]", at, i), errs)
			}
		}
	case string:
		n := utf8.RuneCountInString(x)
		if m, ok := number(sch["minLength"]); ok && big.NewFloat(float64(n)).Cmp(m) < 0 {
			fail("%s is shorter than %v characters", short(x), m)
		}
		if m, ok := number(sch["maxLength"]); ok && big.NewFloat(float64(n)).Cmp(m) > 0 {
			fail("is longer than %v characters", m)
		}
		if p, ok := sch["pattern"].(string); ok {
			re, err := regexp.Compile(p)
			if err != nil {
				fail("bad pattern %q: %v", p, err)
			} else if !re.MatchString(x) {
				fail("%s does not match %s", short(x), p)
			}
		}
		if f, ok := sch["format"].(string); ok {
			if msg := checkFormat(f, x); msg != "" {
				fail("%s is not a valid %s: %s", short(x), f, msg)
			}
		}
	case json.Number:
		n, _ := new(big.Float).SetString(x.String())
		if m, ok := number(sch["minimum"]); ok && n != nil && n.Cmp(m) < 0 {
			fail("%s is less than the minimum %v", x, m)
		}
		if m, ok := number(sch["maximum"]); ok && n != nil && n.Cmp(m) > 0 {
			fail("%s is more than the maximum %v", x, m)
		}
	}
}

func (s *Spec) validateObject(sch map[string]any, obj map[string]any, at string, errs *[]error) {
	props, _ := sch["properties"].(map[string]any)
	for _, r := range list(sch["required"]) {
		name, _ := r.(string)
		if _, ok := obj[name]; !ok {
			*errs = append(*errs, fmt.Errorf("%s: required member %q is missing", at, name))
		}
	}
	for _, name := range sortedKeys(obj) {
		child := at + "." + name
		if p, ok := props[name]; ok {
			s.validate(p, obj[name], child, errs)
			continue
		}
		if extra, ok := sch["additionalProperties"]; ok {
			if b, isBool := extra.(bool); isBool && !b {
				*errs = append(*errs, fmt.Errorf("%s: member not in the document", child))
				continue
			}
			s.validate(extra, obj[name], child, errs)
		}
	}
}

// matching counts the alternatives v satisfies.
func (s *Spec) matching(alts []any, v any) int {
	n := 0
	for _, a := range alts {
		var e []error
		s.validate(a, v, "$", &e)
		if len(e) == 0 {
			n++
		}
	}
	return n
}

// closest describes why v fails the alternative it comes nearest to, so
// a oneOf failure says what is actually wrong.
func (s *Spec) closest(alts []any, v any) string {
	var best []error
	for _, a := range alts {
		var e []error
		s.validate(a, v, "$", &e)
		if len(e) > 0 && (best == nil || len(e) < len(best)) {
			best = e
		}
	}
	if best == nil {
		return ""
	}
	return fmt.Sprintf(" (nearest: %v)", best[0])
}

func list(v any) []any {
	l, _ := v.([]any)
	return l
}

func number(v any) (*big.Float, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return nil, false
	}
	f, ok := new(big.Float).SetString(n.String())
	return f, ok
}

func typeMatches(t any, v any) bool {
	switch tt := t.(type) {
	case string:
		return isType(tt, v)
	case []any:
		return slices.ContainsFunc(tt, func(e any) bool { s, _ := e.(string); return isType(s, v) })
	}
	return false
}

func isType(t string, v any) bool {
	switch t {
	case "integer":
		n, ok := v.(json.Number)
		if !ok {
			return false
		}
		f, ok := new(big.Float).SetString(n.String())
		return ok && f.IsInt()
	case "number":
		_, ok := v.(json.Number)
		return ok
	}
	return jsonType(v) == t
}

func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case json.Number:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

func jsonEqual(a, b any) bool {
	na, nb := canonical(a), canonical(b)
	return reflect.DeepEqual(na, nb)
}

// canonical turns numbers into big.Float strings so 1 and 1.0 compare
// equal.
func canonical(v any) any {
	switch x := v.(type) {
	case json.Number:
		f, ok := new(big.Float).SetString(x.String())
		if !ok {
			return x.String()
		}
		return f.Text('g', -1)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = canonical(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = canonical(e)
		}
		return out
	}
	return v
}

func checkFormat(f, s string) string {
	switch f {
	case "uri":
		u, err := url.Parse(s)
		if err != nil {
			return err.Error()
		}
		if !u.IsAbs() || u.Host == "" {
			return "not an absolute URL with a host"
		}
	case "email":
		local, domain, ok := strings.Cut(s, "@")
		if !ok || local == "" || domain == "" || strings.ContainsAny(s, " <>") || strings.Contains(domain, "@") {
			return "not an addr-spec"
		}
	case "date-time":
		if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
			return err.Error()
		}
	case "date": // RFC 3339 full-date
		if _, err := time.Parse(time.DateOnly, s); err != nil {
			return err.Error()
		}
	}
	return ""
}

func short(v any) string {
	b, _ := json.Marshal(v)
	if len(b) > 80 {
		return string(b[:80]) + "…"
	}
	return string(b)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
