package settings

import (
	"net/url"
	"strings"
)

// CRMPlaceholder is what integration.crmUrlTemplate must contain: the place
// of the identified visitor's id.
const CRMPlaceholder = "{id}"

// CRMTemplate is integration.crmUrlTemplate: an absolute URL containing
// CRMPlaceholder, e.g. https://crm.example.com/?id={id}. Empty means no
// CRM link.
type CRMTemplate string

// ParseCRMTemplate parses a CRM template: an absolute http(s) URL without
// user-info that contains {id} in its path, query or fragment (not in the
// host, where an escaped id could not go). Errors are apperr Invalid.
func ParseCRMTemplate(s string) (CRMTemplate, error) {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, CRMPlaceholder) {
		return "", invalid("the template must contain %s where the visitor's id goes, e.g. https://crm.example.com/?id={id}", CRMPlaceholder)
	}
	// Check the URL with two different sample ids: the template is valid
	// only if both expansions are, and {id} is outside the host exactly
	// when the host does not change with the id.
	a, err := ParseURL(CRMTemplate(s).Expand("1"))
	if err != nil {
		return "", err
	}
	b, err := ParseURL(CRMTemplate(s).Expand("2"))
	if err != nil {
		return "", err
	}
	ua, _ := url.Parse(a)
	ub, _ := url.Parse(b)
	if ua.Host != ub.Host || ua.Scheme != ub.Scheme {
		return "", invalid("%s must be in the path or the query of the URL, not in its host", CRMPlaceholder)
	}
	return CRMTemplate(s), nil
}

// Expand puts id in place of every {id}, percent-escaping every byte that
// is not an RFC 3986 unreserved character, so the id can neither end the
// path nor add query parameters wherever {id} stands. An empty template
// expands to "".
func (t CRMTemplate) Expand(id string) string {
	if t == "" {
		return ""
	}
	return strings.ReplaceAll(string(t), CRMPlaceholder, escapeAll(id))
}

func escapeAll(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isASCIIAlnum(c) || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}
