package realtime

import (
	"context"
	"parley/internal/apperr"
	"parley/internal/chat"
	"parley/internal/settings"
)

// watchers are the staff connections that see a chat (chat.Sees).
func (h *Hub) watchers(ctx context.Context, ch chat.Chat) ([]Connection, error) {
	aud, err := h.audience(ctx, ch.AccountID)
	if err != nil {
		return nil, err
	}
	return aud.watchers(ctx, ch)
}

// audience is what decides which of an account's staff connections see a
// chat: the settings and the connections (one GetItem, one Query), and
// each person's profile, read only when a chat's language or department
// decides, once.
type audience struct {
	h        *Hub
	doc      settings.Document
	staff    []Connection
	profiles map[string]chat.Operator
}

func (h *Hub) audience(ctx context.Context, accountID string) (*audience, error) {
	doc, err := h.Chats.Settings(ctx, accountID)
	if err != nil {
		return nil, err
	}
	staff, err := h.Store.StaffConnections(ctx, accountID)
	if err != nil {
		return nil, err
	}
	return &audience{h: h, doc: doc, staff: staff, profiles: map[string]chat.Operator{}}, nil
}

func (a *audience) watchers(ctx context.Context, ch chat.Chat) ([]Connection, error) {
	needProfile := a.doc.Features.Multilingual || (ch.OperatorID == "" && ch.DepartmentID != "")
	out := a.staff[:0:0]
	for _, t := range a.staff {
		p := party(t)
		prof, ok := a.profiles[p.ID]
		if !ok && !needProfile {
			prof = chat.Operator{ID: p.ID}
		} else if !ok {
			var err error
			if prof, err = a.h.Chats.Service.Profile(ctx, p); err != nil {
				if apperr.CodeOf(err) != apperr.NotFound {
					return nil, err
				}
				prof = chat.Operator{ID: p.ID} // deleted meanwhile: sees only what anyone sees
			}
			a.profiles[p.ID] = prof
		}
		if chat.Sees(a.doc, p, prof, ch) {
			out = append(out, t)
		}
	}
	return out, nil
}
