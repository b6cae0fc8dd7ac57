package settings

import (
	"strings"
)

// MaxEmails bounds one e-mail list: these are notification addresses of a
// team, and every mail to them is one SES recipient.
const MaxEmails = 20

// Lengths of RFC 5321: a local part of 64 octets, a whole address of 254.
const (
	maxLocalPart = 64
	maxAddress   = 254
	maxDomain    = 253
	maxLabel     = 63
)

// ParseEmails parses an e-mail list as the API receives it: an array of
// strings, each holding one address or several separated by commas (users
// paste "a@x.ru, b@y.com" into one field; semicolons and line breaks
// separate too). Each address must be a bare addr-spec (name@example.com,
// no display name or angle brackets). Addresses are trimmed, duplicates
// dropped case-insensitively (the first spelling wins), and at most
// MaxEmails kept. An all-blank input gives an empty list (whether the list
// may be empty is the caller's rule); an empty item ("a@x,,b@y", "a@x,",
// or a blank array element next to others) is refused. Errors are apperr
// Invalid.
func ParseEmails(items []string) ([]string, error) {
	blank := true
	for _, it := range items {
		if strings.TrimSpace(it) != "" {
			blank = false
			break
		}
	}
	if blank {
		return []string{}, nil
	}
	out := []string{}
	seen := map[string]bool{}
	var problems []string
	empty := false
	for _, it := range items {
		for _, piece := range splitAny(it, ",;") {
			lines := strings.FieldsFunc(piece, isLineBreak)
			found := false
			for _, line := range lines {
				addr := strings.TrimSpace(line)
				if addr == "" {
					continue
				}
				found = true
				if err := checkAddrSpec(addr); err != nil {
					problems = append(problems, messageOf(err))
					continue
				}
				if key := strings.ToLower(addr); !seen[key] {
					seen[key] = true
					out = append(out, addr)
				}
			}
			if !found {
				empty = true
			}
		}
	}
	if empty {
		problems = append(problems, "an address is missing (two commas in a row, a comma at an end, or an empty item)")
	}
	if len(problems) > 0 {
		return nil, invalid("%s", joinProblems(problems))
	}
	if len(out) > MaxEmails {
		return nil, invalid("at most %d addresses are allowed, got %d", MaxEmails, len(out))
	}
	return out, nil
}

// ParseEmail parses one bare addr-spec, trimmed. Errors are apperr Invalid.
func ParseEmail(s string) (string, error) {
	addr := strings.TrimSpace(s)
	if err := checkAddrSpec(addr); err != nil {
		return "", err
	}
	return addr, nil
}

// splitAny splits s at every byte of seps, keeping empty pieces (unlike
// strings.FieldsFunc) so that "a,,b" shows its empty item.
func splitAny(s, seps string) []string {
	var out []string
	for {
		i := strings.IndexAny(s, seps)
		if i < 0 {
			return append(out, s)
		}
		out = append(out, s[:i])
		s = s[i+1:]
	}
}

func isLineBreak(r rune) bool { return r == '\n' || r == '\r' }

// checkAddrSpec accepts a dot-atom local part and a host name domain:
// the form every mail provider hands out. Quoted local parts, IP-literal
// domains and comments are legal RFC 5322 but are refused: they are typos
// far more often than real addresses, and SES would reject some of them.
func checkAddrSpec(addr string) error {
	if addr == "" {
		return invalid("an address is empty")
	}
	if strings.ContainsAny(addr, "<>") {
		if lt, gt := strings.IndexByte(addr, '<'), strings.LastIndexByte(addr, '>'); lt >= 0 && gt > lt {
			return invalid("%s: write only the address, without a name or angle brackets, e.g. %s",
				quote(addr), quote(strings.TrimSpace(addr[lt+1:gt])))
		}
		return invalid("%s: angle brackets are not allowed in an address", quote(addr))
	}
	for _, r := range addr {
		if r > 127 {
			return invalid("%s: only ASCII addresses are supported (write an internationalised domain in its xn-- form)", quote(addr))
		}
		if r <= ' ' || r == 127 {
			return invalid("%s: an address cannot contain spaces; separate addresses with commas", quote(addr))
		}
	}
	if len(addr) > maxAddress {
		return invalid("%s: an address is at most %d characters", quote(addr), maxAddress)
	}
	if strings.Count(addr, "@") != 1 {
		return invalid("%s is not an e-mail address (expected name@example.com)", quote(addr))
	}
	local, domain, _ := strings.Cut(addr, "@")
	if !validLocalPart(local) {
		return invalid("%s: the part before @ is not valid", quote(addr))
	}
	if !validHostname(domain, true) {
		return invalid("%s: %s is not a valid mail domain", quote(addr), quote(domain))
	}
	return nil
}

// atext is RFC 5322's set of characters of an atom besides letters and
// digits.
const atext = "!#$%&'*+-/=?^_`{|}~"

func validLocalPart(s string) bool {
	if s == "" || len(s) > maxLocalPart || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isASCIIAlnum(c) && c != '.' && strings.IndexByte(atext, c) < 0 {
			return false
		}
	}
	return true
}

// validHostname accepts letter-digit-hyphen labels separated by dots, at
// least two labels, a top-level label that is not all digits. With
// asciiOnly false, letters and digits of any script are allowed too
// (internationalised names typed as such).
func validHostname(s string, asciiOnly bool) bool {
	s = strings.TrimSuffix(s, ".")
	if s == "" || len(s) > maxDomain {
		return false
	}
	labels := strings.Split(s, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if !validLabel(l, asciiOnly) {
			return false
		}
	}
	tld := labels[len(labels)-1]
	for _, r := range tld {
		if r < '0' || r > '9' {
			return true
		}
	}
	return false
}

// validLabel is one DNS label: letters, digits and inner hyphens (and
// underscores, which real host names such as _dmarc-style service hosts
// carry), at most 63 bytes.
func validLabel(l string, asciiOnly bool) bool {
	if l == "" || len(l) > maxLabel || l[0] == '-' || l[len(l)-1] == '-' {
		return false
	}
	for _, r := range l {
		switch {
		case r < 128 && (isASCIIAlnum(byte(r)) || r == '-' || r == '_'):
		case !asciiOnly && r >= 128 && (isLetterOrDigit(r)):
		default:
			return false
		}
	}
	return true
}

func isASCIIAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
