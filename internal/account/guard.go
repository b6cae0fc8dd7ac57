package account

import (
	"context"
	"sync"
	"time"

	"parley/internal/apperr"
	"parley/internal/auth"
	"parley/internal/settings"
)

// Allowlists reads an account's security.allowedIps, parsed. An account
// without settings has no limit.
type Allowlists interface {
	AllowedIPs(ctx context.Context, accountID string) (settings.IPRanges, error)
}

// SessionReader is the part of the session store the guard needs.
type SessionReader interface {
	Session(ctx context.Context, accountID, personID, id string) (Session, error)
}

// AllowlistCacheTTL is how long a warm function keeps an account's parsed
// allowlist. Every staff request needs it, and it changes rarely: a few
// seconds saves most reads and delays a change by no more than that.
const AllowlistCacheTTL = 5 * time.Second

// maxCachedAllowlists bounds the cache of one warm function.
const maxCachedAllowlists = 10000

// Guard is the check every staff request passes besides its role: the
// session of the token still exists (signing out, a removal or a role
// change ends it) and the account's IP allowlist admits the source address
// (SPEC §2.9, §4.15). The HTTP authorizer and the WebSocket $connect both
// call it, so the rule lives here once. Visitors never pass through it.
type Guard struct {
	Sessions   SessionReader
	Allowlists Allowlists
	Now        func() time.Time
	// CacheTTL overrides AllowlistCacheTTL; negative disables the cache.
	CacheTTL time.Duration

	mu    sync.Mutex
	cache map[string]cachedAllowlist
}

type cachedAllowlist struct {
	ranges  settings.IPRanges
	fetched time.Time
}

// Allow checks a verified access token's session and the source address.
// Errors: apperr.Unauthorized (no session: signed out, removed, or a token
// older than sessions), apperr.Forbidden (address not allowed).
func (g *Guard) Allow(ctx context.Context, p auth.Principal, sourceIP string) error {
	if p.Kind != auth.Access {
		return apperr.New(apperr.Unauthorized, "not a staff token")
	}
	if p.Session == "" {
		return apperr.New(apperr.Unauthorized, "the token belongs to no session; sign in again")
	}
	sess, err := g.Sessions.Session(ctx, p.AccountID, p.Subject, p.Session)
	if apperr.CodeOf(err) == apperr.NotFound || (err == nil && !g.now().Before(sess.ExpiresAt)) {
		return apperr.New(apperr.Unauthorized, "the session has ended; sign in again")
	}
	if err != nil {
		return err
	}
	return g.AllowAddress(ctx, p.AccountID, sourceIP)
}

// AllowAddress checks sourceIP against the account's allowlist. Errors:
// apperr.Forbidden.
func (g *Guard) AllowAddress(ctx context.Context, accountID, sourceIP string) error {
	ranges, err := g.allowlist(ctx, accountID)
	if err != nil {
		return err
	}
	if !ranges.Allows(sourceIP) {
		return apperr.New(apperr.Forbidden, "your address %s is not in this account's list of allowed addresses (security.allowedIps)", sourceIP)
	}
	return nil
}

func (g *Guard) now() time.Time {
	if g.Now != nil {
		return g.Now()
	}
	return time.Now()
}

func (g *Guard) allowlist(ctx context.Context, accountID string) (settings.IPRanges, error) {
	ttl := g.CacheTTL
	if ttl == 0 {
		ttl = AllowlistCacheTTL
	}
	now := g.now()
	if ttl > 0 {
		g.mu.Lock()
		c, ok := g.cache[accountID]
		g.mu.Unlock()
		if ok && now.Sub(c.fetched) < ttl {
			return c.ranges, nil
		}
	}
	ranges, err := g.Allowlists.AllowedIPs(ctx, accountID)
	if err != nil {
		return nil, err
	}
	if ttl > 0 {
		g.mu.Lock()
		if g.cache == nil || len(g.cache) >= maxCachedAllowlists {
			g.cache = map[string]cachedAllowlist{}
		}
		g.cache[accountID] = cachedAllowlist{ranges: ranges, fetched: now}
		g.mu.Unlock()
	}
	return ranges, nil
}
