// Package outbound is the one way Parley calls out over HTTP (webhooks
// today; Telegram, VK and the CRMs reuse it). Every call goes through a
// Client that dials only public unicast addresses, checked on the address
// actually dialled (so a name that resolves to 127.0.0.1, or resolves to a
// public address at one moment and a private one the next, is refused),
// never follows a redirect, reads at most a small body and gives up after a
// short timeout. Only the local stack may allow loopback (AllowLoopback),
// so a developer can point a webhook at a receiver on their own machine.
package outbound

import (
	"errors"
	"fmt"
	"net/netip"
)

// ErrForbiddenAddress is wrapped by every refusal to dial an address that
// is not public unicast.
var ErrForbiddenAddress = errors.New("outbound: address not allowed")

// blocked are the ranges that are neither loopback, private nor link-local
// (netip tells those) but still must not be dialled: shared CGNAT space,
// the IETF and benchmarking blocks, documentation, reserved, and the IPv6
// translation prefixes whose embedded IPv4 address could be anything
// (NAT64, 6to4, Teredo). IPv4-compatible ::a.b.c.d is in ::/96.
var blocked = func() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8", "100.64.0.0/10", "192.0.0.0/24", "192.0.2.0/24", "198.18.0.0/15", "198.51.100.0/24",
		"203.0.113.0/24", "240.0.0.0/4", "255.255.255.255/32",
		"::/96", "64:ff9b::/96", "64:ff9b:1::/48", "2001::/32", "2001:db8::/32", "2002::/16", "fec0::/10", "100::/64",
	} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}()

// CheckAddress reports why addr may not be dialled, or nil. The metadata
// address 169.254.169.254 (and fd00:ec2::254) is link-local or private and
// so refused with the rest. allowLoopback lets 127.0.0.0/8 and ::1 through
// (the local stack only); nothing else private ever is.
func CheckAddress(addr netip.Addr, allowLoopback bool) error {
	if !addr.IsValid() {
		return fmt.Errorf("%w: no address", ErrForbiddenAddress)
	}
	if addr.Zone() != "" {
		return fmt.Errorf("%w: %s has a zone", ErrForbiddenAddress, addr)
	}
	a := addr.Unmap() // ::ffff:127.0.0.1 is 127.0.0.1
	why := ""
	switch {
	case a.IsLoopback():
		if allowLoopback {
			return nil
		}
		why = "loopback"
	case a.IsUnspecified():
		why = "unspecified"
	case a.IsPrivate():
		why = "private"
	case a.IsLinkLocalUnicast(), a.IsLinkLocalMulticast():
		why = "link-local"
	case a.IsMulticast(), a.IsInterfaceLocalMulticast():
		why = "multicast"
	case !a.IsGlobalUnicast():
		why = "not global unicast"
	}
	if why == "" {
		for _, p := range blocked {
			if p.Contains(a) {
				why = "reserved (" + p.String() + ")"
				break
			}
		}
	}
	if why != "" {
		return fmt.Errorf("%w: %s is %s", ErrForbiddenAddress, addr, why)
	}
	return nil
}

// CheckLiteralHost refuses a host that is an IP literal Parley would never
// dial, for settings validation: a URL naming 10.0.0.1 is refused when it
// is saved, not only when it is called. Names are not resolved here (what
// they resolve to may change; the dial checks that), so it returns nil for
// any non-literal host. Loopback literals are refused too unless
// allowLoopback.
func CheckLiteralHost(host string, allowLoopback bool) error {
	a, err := netip.ParseAddr(host)
	if err != nil {
		return nil
	}
	return CheckAddress(a, allowLoopback)
}
