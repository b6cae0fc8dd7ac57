package realtime

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"slices"

	"parley/internal/auth"
)

// The button follows operators' presence live (SPEC §4.16): when the
// account goes from nobody online to someone online (a staff member says
// hello or comes back from away) or back (their last connection closes, or
// they go away), every connected visitor of the account is pushed a
// `button` frame, and the widget asks the config again for the button of
// its placement (which also weighs the placement's language, the queue
// limits and the visitor's draw). The account's last pushed state is kept
// in DynamoDB and changed by a conditional write, so of the events that
// race on one change exactly one pushes.

// PresenceStore is what the push needs from storage.
type PresenceStore interface {
	// StaffPresence lists the account's staff connections and who of them
	// is away: one Query.
	StaffPresence(ctx context.Context, accountID string) ([]Connection, map[string]bool, error)
	// SetOnline records the account's online state and reports whether it
	// changed (a conditional write).
	SetOnline(ctx context.Context, accountID string, online bool) (bool, error)
	// AccountVisitorConnections lists every visitor connection of the
	// account.
	AccountVisitorConnections(ctx context.Context, accountID string) ([]Connection, error)
}

// ButtonFrame is the push telling visitors that the account's operators
// came online or all left: Online is whether some staff member is online
// and not away.
type ButtonFrame struct {
	Type   string `json:"type"`
	Online bool   `json:"online"`
	// RefreshMs spreads the visitors' config requests over a second or so.
	RefreshMs int `json:"refreshMs"`
}

// presenceChanged pushes the account's online state to its visitors when
// it changed. Best effort: a failure is logged, the widget still learns
// the button at its next config call.
func (h *Hub) presenceChanged(ctx context.Context, accountID string) {
	if h.Chats == nil || h.Chats.Presence == nil {
		return
	}
	ps := h.Chats.Presence
	conns, away, err := ps.StaffPresence(ctx, accountID)
	if err != nil {
		h.Log.ErrorContext(ctx, "staff presence", "err", err)
		return
	}
	online := slices.ContainsFunc(conns, func(c Connection) bool { return c.Kind == auth.Access && !away[c.Subject] })
	changed, err := ps.SetOnline(ctx, accountID, online)
	if err != nil || !changed {
		if err != nil {
			h.Log.ErrorContext(ctx, "account online state", "err", err)
		}
		return
	}
	visitors, err := ps.AccountVisitorConnections(ctx, accountID)
	if err != nil {
		h.Log.ErrorContext(ctx, "visitor connections", "err", err)
		return
	}
	for _, v := range visitors {
		b, _ := json.Marshal(ButtonFrame{Type: "button", Online: online, RefreshMs: rand.IntN(1500)})
		h.deliver(ctx, v.ID, b)
	}
}
