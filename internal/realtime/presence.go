package realtime

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"slices"

	"parley/internal/apperr"
	"parley/internal/auth"
	"parley/internal/chat"
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

// staffList answers `staff`: whose staff connections are live, split by
// away, so a workplace offers a redirect to people who can take it.
func (h *Hub) staffList(ctx context.Context, p chat.Party) (ChatFrame, error) {
	if h.Chats.Presence == nil {
		return ChatFrame{}, apperr.New(apperr.Internal, "presence is not configured")
	}
	conns, away, err := h.Chats.Presence.StaffPresence(ctx, p.AccountID)
	if err != nil {
		return ChatFrame{}, err
	}
	on, off := map[string]bool{}, map[string]bool{}
	for _, c := range conns {
		if c.Kind != auth.Access {
			continue
		}
		if away[c.Subject] {
			off[c.Subject] = true
		} else {
			on[c.Subject] = true
		}
	}
	out := ChatFrame{Type: "staff", Online: []string{}, Away: []string{}}
	for id := range on {
		out.Online = append(out.Online, id)
	}
	for id := range off {
		out.Away = append(out.Away, id)
	}
	slices.Sort(out.Online)
	slices.Sort(out.Away)
	return out, nil
}
