package settings

import (
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"unicode"

	"parley/internal/outbound"
)

// MaxURLLength bounds every URL setting: longer ones do not survive
// browsers and proxies reliably anyway.
const MaxURLLength = 2048

// MaxPriorityPages bounds features.priorityPages.
const MaxPriorityPages = 100

// ParseURL parses an absolute http or https URL with a host and without
// user-info (company.website, features.priorityPages, the CRM template).
// The value is trimmed and otherwise kept as typed. Errors are apperr
// Invalid.
func ParseURL(s string) (string, error) {
	return parseURL(s, false)
}

// ParseWebhookURL is ParseURL that also allows user:password@, which the
// webhook sender turns into HTTP basic auth (SPEC §4.9).
func ParseWebhookURL(s string) (string, error) {
	return parseURL(s, true)
}

func parseURL(s string, userinfo bool) (string, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return "", invalid("a URL is required")
	case len(s) > MaxURLLength:
		return "", invalid("a URL is at most %d characters", MaxURLLength)
	}
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return "", invalid("%s: a URL cannot contain spaces (write a space as %%20)", quote(s))
		}
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", invalid("%s is not a valid URL", quote(s))
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "http" && scheme != "https" {
		return "", invalid("%s: a URL must start with https:// or http://", quote(s))
	}
	if u.Opaque != "" || u.Host == "" {
		return "", invalid("%s: a URL must name a host, e.g. https://example.com/", quote(s))
	}
	if u.User != nil && !userinfo {
		return "", invalid("%s: this URL cannot hold a user name or password", quote(s))
	}
	if u.User != nil {
		if p, ok := u.User.Password(); ok && looksMasked(p) {
			return "", invalid("%s: send the password itself, or the URL exactly as read to keep the stored one", quote(s))
		}
	}
	if !validURLHost(u) {
		return "", invalid("%s: %s is not a valid host name", quote(s), quote(u.Host))
	}
	return s, nil
}

// validURLHost accepts a host name (letters of any script, digits, hyphens)
// or an IP literal, and an optional numeric port 1..65535.
func validURLHost(u *url.URL) bool {
	host := u.Hostname()
	if host == "" {
		return false
	}
	if port := u.Port(); port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 {
			return false
		}
	} else if strings.HasSuffix(u.Host, ":") {
		return false
	}
	if strings.HasPrefix(u.Host, "[") {
		a, err := netip.ParseAddr(host)
		return err == nil && a.Is6() && a.Zone() == ""
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return true
	}
	if !strings.Contains(host, ".") {
		// localhost and other single-label names: the only single-label
		// host a user means is localhost, for local development.
		return strings.EqualFold(host, "localhost")
	}
	return validHostname(host, false)
}

// ParsePriorityPages parses features.priorityPages: absolute URLs, given
// as an array whose elements may each hold several URLs separated by
// whitespace or line breaks (a pasted list). Exact duplicates are dropped;
// at most MaxPriorityPages remain. Errors are apperr Invalid.
func ParsePriorityPages(items []string) ([]string, error) {
	out := []string{}
	seen := map[string]bool{}
	var problems []string
	for _, it := range items {
		for _, f := range strings.Fields(it) {
			u, err := ParseURL(f)
			if err != nil {
				problems = append(problems, messageOf(err))
				continue
			}
			if !seen[u] {
				seen[u] = true
				out = append(out, u)
			}
		}
	}
	if len(problems) > 0 {
		return nil, invalid("%s", joinProblems(problems))
	}
	if len(out) > MaxPriorityPages {
		return nil, invalid("at most %d pages are allowed, got %d", MaxPriorityPages, len(out))
	}
	return out, nil
}

// checkWebhookHosts refuses a webhook URL whose host is an IP literal the
// outbound client would never dial (private, link-local, the metadata
// address, loopback outside local development), when it is saved. Names
// are checked where they are dialled, since what they resolve to changes.
func (st *writeState) checkWebhookHosts() {
	w := st.new.Integration.Webhooks
	for key, raw := range map[string]string{"integration.webhooks.chatStart": w.ChatStart,
		"integration.webhooks.chatAssign": w.ChatAssign, "integration.webhooks.chatClose": w.ChatClose} {
		u, err := url.Parse(raw)
		if raw == "" || err != nil {
			continue
		}
		if err := outbound.CheckLiteralHost(u.Hostname(), st.ctx.AllowLoopback); err != nil {
			st.fail(key, "Parley does not call private, loopback, link-local or reserved addresses ("+u.Hostname()+"): use a public address")
		}
	}
}
