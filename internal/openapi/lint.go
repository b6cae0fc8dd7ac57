package openapi

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// keywords are the schema keywords Validate enforces; annotations are
// those that only document. Lint refuses any other, because Validate
// would silently ignore it.
var (
	keywords = []string{"$ref", "type", "properties", "required", "additionalProperties", "items", "minItems", "maxItems",
		"enum", "minimum", "maximum", "minLength", "maxLength", "pattern", "format", "allOf", "anyOf", "oneOf"}
	annotations = []string{"description", "title", "readOnly", "writeOnly", "contentMediaType", "default", "examples", "deprecated"}
	formats     = []string{"uri", "email", "date-time", "date"}
)

// Lint reports what would make checks against the document unreliable:
// references that do not resolve, schema keywords Validate does not
// enforce, unknown formats, bad patterns, and object schemas that do not
// say whether other members are allowed (additionalProperties), since an
// undocumented member must be caught, not let through by default.
func (s *Spec) Lint() []error {
	var errs []error
	s.lintRefs(s.root, "#", &errs)
	if comps, ok := s.root["components"].(map[string]any); ok {
		if schemas, ok := comps["schemas"].(map[string]any); ok {
			for _, name := range sortedKeys(schemas) {
				s.lintSchema(schemas[name], "#/components/schemas/"+name, &errs)
			}
		}
	}
	s.lintSchemaKeys(s.root, "#", &errs)
	return errs
}

// lintRefs checks that every $ref in the document resolves.
func (s *Spec) lintRefs(v any, at string, errs *[]error) {
	switch x := v.(type) {
	case map[string]any:
		if ref, ok := x["$ref"].(string); ok {
			if _, err := s.pointer(ref); err != nil {
				*errs = append(*errs, fmt.Errorf("%s: %v", at, err))
			}
		}
		for _, k := range sortedKeys(x) {
			s.lintRefs(x[k], at+"/"+k, errs)
		}
	case []any:
		for i, e := range x {
			s.lintRefs(e, fmt.Sprintf("%s/%d", at, i), errs)
		}
	}
}

// lintSchemaKeys finds every "schema" member outside components.schemas
// (parameters, headers, media types) and lints it.
func (s *Spec) lintSchemaKeys(v any, at string, errs *[]error) {
	switch x := v.(type) {
	case map[string]any:
		for _, k := range sortedKeys(x) {
			if at == "#/components" && k == "schemas" {
				continue
			}
			if k == "schema" {
				s.lintSchema(x[k], at+"/schema", errs)
				continue
			}
			s.lintSchemaKeys(x[k], at+"/"+k, errs)
		}
	case []any:
		for i, e := range x {
			s.lintSchemaKeys(e, fmt.Sprintf("%s/%d", at, i), errs)
		}
	}
}

func (s *Spec) lintSchema(v any, at string, errs *[]error) {
	if _, ok := v.(bool); ok {
		return
	}
	sch, ok := v.(map[string]any)
	if !ok {
		*errs = append(*errs, fmt.Errorf("%s: a schema must be an object or a boolean", at))
		return
	}
	for _, k := range sortedKeys(sch) {
		if !slices.Contains(keywords, k) && !slices.Contains(annotations, k) {
			*errs = append(*errs, fmt.Errorf("%s: keyword %q is not enforced by this checker", at, k))
		}
	}
	if f, ok := sch["format"].(string); ok && !slices.Contains(formats, f) {
		*errs = append(*errs, fmt.Errorf("%s: format %q is not known to this checker", at, f))
	}
	if p, ok := sch["pattern"].(string); ok {
		if _, err := regexp.Compile(p); err != nil {
			*errs = append(*errs, fmt.Errorf("%s: pattern: %v", at, err))
		}
	}
	if isObjectSchema(sch) {
		if _, ok := sch["additionalProperties"]; !ok {
			*errs = append(*errs, fmt.Errorf("%s: an object schema must say additionalProperties", at))
		}
	}
	if props, ok := sch["properties"].(map[string]any); ok {
		for _, name := range sortedKeys(props) {
			s.lintSchema(props[name], at+"/properties/"+name, errs)
		}
		for _, r := range list(sch["required"]) {
			if name, _ := r.(string); props[name] == nil {
				*errs = append(*errs, fmt.Errorf("%s: required member %q has no property", at, name))
			}
		}
	}
	for _, k := range []string{"items", "additionalProperties"} {
		if sub, ok := sch[k].(map[string]any); ok {
			s.lintSchema(sub, at+"/"+k, errs)
		}
	}
	for _, k := range []string{"allOf", "anyOf", "oneOf"} {
		for i, sub := range list(sch[k]) {
			s.lintSchema(sub, fmt.Sprintf("%s/%s/%d", at, k, i), errs)
		}
	}
}

func isObjectSchema(sch map[string]any) bool {
	if _, ok := sch["properties"]; ok {
		return true
	}
	switch t := sch["type"].(type) {
	case string:
		return t == "object"
	case []any:
		return slices.ContainsFunc(t, func(e any) bool { return strings.EqualFold(fmt.Sprint(e), "object") })
	}
	return false
}
