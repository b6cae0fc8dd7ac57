package realtime

import (
	"context"

	"parley/internal/apperr"
	"parley/internal/auth"
)

// A staff connection is checked once, at $connect (session and IP
// allowlist, as the HTTP authorizer checks every request). What would
// have refused it later is acted on when it happens instead, from the
// stream: the connections of an ended session, or from an address a new
// allowlist leaves out, are told why and closed. That costs nothing per
// frame, and bites within the stream's delay (about a second) rather than
// at the next request.

// SessionEnded closes the staff connections opened under a session that
// ended (sign-out, password reset, removal, role change, expiry).
func (h *Hub) SessionEnded(ctx context.Context, accountID, personID, sessionID string) error {
	conns, err := h.personConnections(ctx, accountID, personID)
	if err != nil {
		return err
	}
	for _, c := range conns {
		if c.Session == sessionID || c.Session == "" {
			h.revoke(ctx, c, apperr.New(apperr.Unauthorized, "the session has ended; sign in again"))
		}
	}
	return nil
}

// AllowlistChanged closes the account's staff connections whose address
// the account's new IP allowlist (security.allowedIps) leaves out.
func (h *Hub) AllowlistChanged(ctx context.Context, accountID string, allows func(ip string) bool) error {
	conns, err := h.Store.StaffConnections(ctx, accountID)
	if err != nil {
		return err
	}
	for _, c := range conns {
		if !allows(c.SourceIP) {
			h.revoke(ctx, c, apperr.New(apperr.Forbidden, "your address %s is no longer in this account's list of allowed addresses (security.allowedIps)", c.SourceIP))
		}
	}
	return nil
}

func (h *Hub) personConnections(ctx context.Context, accountID, personID string) ([]Connection, error) {
	if h.Chats != nil {
		return h.Chats.Store.PersonConnections(ctx, accountID, personID)
	}
	all, err := h.Store.StaffConnections(ctx, accountID)
	var out []Connection
	for _, c := range all {
		if c.Subject == personID {
			out = append(out, c)
		}
	}
	return out, err
}

// revoke tells a staff connection why it ends, closes it and forgets it.
// Best effort per connection: the others are still closed.
func (h *Hub) revoke(ctx context.Context, c Connection, why error) {
	if c.Kind != auth.Access {
		return
	}
	h.deliver(ctx, c.ID, ErrorFrame(why, ""))
	if err := h.Poster.Close(ctx, c.ID); err != nil {
		h.Log.ErrorContext(ctx, "close revoked connection", "connection", c.ID, "err", err)
	}
	if err := h.forgetConnection(ctx, c.ID); err != nil {
		h.Log.ErrorContext(ctx, "forget revoked connection", "connection", c.ID, "err", err)
	}
}
