package httpapi

import (
	"context"

	"parley/internal/apperr"
	"parley/internal/auth"
	"parley/internal/visitor"
)

func registerVisitors(api *API, d Deps) {
	h := visitorHandlers{d}
	api.Handle("POST /v1/widget/{accountId}/identify", h.identify)
}

type visitorHandlers struct{ Deps }

// identify attaches a site's signed identification to the visitor of the
// visitor token (SPEC §4.11). The account is the path's, and the visitor
// token must belong to it; the key is the account's own private key.
func (h visitorHandlers) identify(ctx context.Context, r Request) (Response, error) {
	var in struct {
		VisitorToken string `json:"visitorToken"`
		visitor.Identification
	}
	if err := DecodeJSON(r.Body, &in); err != nil {
		return Response{}, err
	}
	accountID := r.Path["accountId"]
	v, err := h.Tokens.Verify(in.VisitorToken, auth.Visitor)
	if err != nil || v.AccountID != accountID {
		return Response{}, apperr.New(apperr.Unauthorized, "the visitor token is missing, invalid, or of another account: load the widget config first")
	}
	doc, err := h.Settings.Document(ctx, accountID)
	if err != nil {
		return Response{}, err
	}
	fields, err := h.Visitors.Identify(ctx, accountID, v.Subject, doc.Integration.PrivateKey, in.Identification)
	if err != nil {
		return Response{}, err
	}
	return OK(map[string]any{"visitorId": v.Subject, "identified": true, "fields": fields}), nil
}
