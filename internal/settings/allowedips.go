package settings

import (
	"fmt"
	"net/netip"
	"strings"
)

// Limits of security.allowedIps.
const (
	MaxAllowedIPsTextLen = 10000 // bytes of the text as typed
	MaxAllowedIPRanges   = 500   // addresses and ranges
)

// IPRange is an inclusive range of IPv4 addresses; a single address has
// From == To.
type IPRange struct {
	From, To netip.Addr
}

// Contains reports whether addr is in the range.
func (r IPRange) Contains(addr netip.Addr) bool {
	return r.From.Compare(addr) <= 0 && addr.Compare(r.To) <= 0
}

// String is "a.b.c.d" or "a.b.c.d-e.f.g.h", the form ParseAllowedIPs reads.
func (r IPRange) String() string {
	if r.From == r.To {
		return r.From.String()
	}
	return r.From.String() + "-" + r.To.String()
}

// IPRanges is a parsed security.allowedIps.
type IPRanges []IPRange

// Contains reports whether ip (an IPv4 address, or an IPv4-mapped IPv6 one
// as some proxies report it) is in one of the ranges. An empty list
// contains nothing: use Allows for the access decision.
func (rs IPRanges) Contains(ip string) bool {
	addr, err := netip.ParseAddr(strings.TrimSpace(ip))
	if err != nil {
		return false
	}
	addr = addr.Unmap()
	if !addr.Is4() {
		return false
	}
	for _, r := range rs {
		if r.Contains(addr) {
			return true
		}
	}
	return false
}

// Allows is the SPEC §2.9 access decision: an empty list is no limit,
// otherwise ip must be in a range.
func (rs IPRanges) Allows(ip string) bool {
	return len(rs) == 0 || rs.Contains(ip)
}

// String writes the ranges comma-separated, the form ParseAllowedIPs reads.
func (rs IPRanges) String() string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = r.String()
	}
	return strings.Join(parts, ", ")
}

// ParseAllowedIPs parses security.allowedIps: IPv4 addresses and ranges
// a.b.c.d-e.f.g.h separated by commas (semicolons, spaces and line breaks
// are tolerated, and spaces around the hyphen of a range). Empty text is an
// empty list (no limit). Refused with a message naming the entry: IPv6
// (only IPv4 is supported), CIDR masks (the message gives the equivalent
// range to write instead), reversed ranges, anything else that is not an
// address. Errors are apperr Invalid.
func ParseAllowedIPs(text string) (IPRanges, error) {
	if len(text) > MaxAllowedIPsTextLen {
		return nil, invalid("the list is too long: at most %d characters", MaxAllowedIPsTextLen)
	}
	out := IPRanges{}
	var problems []string
	for _, entry := range allowedIPEntries(text) {
		r, err := parseIPEntry(entry)
		if err != nil {
			problems = append(problems, messageOf(err))
			continue
		}
		out = append(out, r)
	}
	if len(problems) > 0 {
		return nil, invalid("%s", joinProblems(problems))
	}
	if len(out) > MaxAllowedIPRanges {
		return nil, invalid("at most %d addresses and ranges are allowed, got %d", MaxAllowedIPRanges, len(out))
	}
	return out, nil
}

// allowedIPEntries splits the text into entries. Commas and semicolons
// separate; so does whitespace, except around a range's hyphen
// ("1.2.3.4 - 1.2.3.9" is one entry).
func allowedIPEntries(text string) []string {
	var entries []string
	for _, item := range splitAny(text, ",;") {
		fields := strings.Fields(item)
		for i := 0; i < len(fields); i++ {
			e := fields[i]
			for i+1 < len(fields) && (strings.HasSuffix(e, "-") || strings.HasPrefix(fields[i+1], "-")) {
				i++
				e += fields[i]
			}
			entries = append(entries, e)
		}
	}
	return entries
}

func parseIPEntry(e string) (IPRange, error) {
	if strings.Contains(e, "/") {
		if p, err := netip.ParsePrefix(e); err == nil && p.Addr().Is4() {
			p = p.Masked()
			return IPRange{}, invalid("%s: subnet masks are not supported; write the range %s instead",
				quote(e), IPRange{From: p.Addr(), To: lastAddr(p)})
		}
		return IPRange{}, invalid("%s: subnet masks are not supported; write a range a.b.c.d-e.f.g.h instead", quote(e))
	}
	if strings.Contains(e, ":") {
		return IPRange{}, invalid("%s: only IPv4 addresses are supported", quote(e))
	}
	from, to, isRange := strings.Cut(e, "-")
	a, err := parseIPv4(from)
	if err != nil {
		return IPRange{}, invalid("%s: %s is not an IPv4 address", quote(e), quote(from))
	}
	if !isRange {
		return IPRange{From: a, To: a}, nil
	}
	b, err := parseIPv4(to)
	if err != nil {
		return IPRange{}, invalid("%s: %s is not an IPv4 address", quote(e), quote(to))
	}
	if b.Less(a) {
		return IPRange{}, invalid("%s: the range is reversed; write %s", quote(e), IPRange{From: b, To: a})
	}
	return IPRange{From: a, To: b}, nil
}

func parseIPv4(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, err
	}
	if !a.Is4() {
		return netip.Addr{}, fmt.Errorf("not IPv4")
	}
	return a, nil
}

// lastAddr is the highest address of an IPv4 prefix.
func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Addr().As4()
	for i := p.Bits(); i < 32; i++ {
		b[i/8] |= 1 << (7 - i%8)
	}
	return netip.AddrFrom4(b)
}
