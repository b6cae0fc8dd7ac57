package httpapi

import (
	"context"
	"time"

	"parley/internal/crm"
)

// The Unisender contact export (SPEC §2.8): start, read its progress,
// cancel. The export runs in the webhook dispatcher, a batch a delivery.
func registerCRM(api *API, d Deps) {
	h := crmHandlers{d}
	api.Handle("POST /v1/integrations/unisender/export", h.start)
	api.Handle("GET /v1/integrations/unisender/export", h.get)
	api.Handle("DELETE /v1/integrations/unisender/export", h.cancel)
}

type crmHandlers struct{ Deps }

type exportJSON struct {
	ID         string     `json:"id"`
	Status     string     `json:"status"`
	Total      int        `json:"total"`
	Done       int        `json:"done"`
	Error      string     `json:"error,omitempty"`
	StartedAt  time.Time  `json:"startedAt"`
	UpdatedAt  time.Time  `json:"updatedAt"`
	FinishedAt *time.Time `json:"finishedAt"`
}

func toExportJSON(e crm.Export) exportJSON {
	return exportJSON{ID: e.ID, Status: string(e.Status), Total: max(e.Total, e.Done), Done: e.Done, Error: e.Error,
		StartedAt: e.StartedAt.UTC(), UpdatedAt: e.UpdatedAt.UTC(), FinishedAt: optTime(e.FinishedAt)}
}

func (h crmHandlers) start(ctx context.Context, r Request) (Response, error) {
	e, err := h.Exports.Start(ctx, r.Caller.AccountID)
	if err != nil {
		return Response{}, err
	}
	return Response{Status: 202, JSON: toExportJSON(e)}, nil
}

func (h crmHandlers) get(ctx context.Context, r Request) (Response, error) {
	e, err := h.Exports.Get(ctx, r.Caller.AccountID)
	if err != nil {
		return Response{}, err
	}
	return OK(toExportJSON(e)), nil
}

func (h crmHandlers) cancel(ctx context.Context, r Request) (Response, error) {
	e, err := h.Exports.Cancel(ctx, r.Caller.AccountID)
	if err != nil {
		return Response{}, err
	}
	return OK(toExportJSON(e)), nil
}
