package httpapi

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"parley/internal/apperr"
	"parley/internal/templates"
)

func registerTemplates(api *API, d Deps) {
	h := templateHandlers{d}
	api.Handle("GET /v1/templates", h.list)
	api.Handle("POST /v1/templates", h.create)
	api.Handle("GET /v1/templates/{id}", h.get)
	api.Handle("PUT /v1/templates/{id}", h.update)
	api.Handle("DELETE /v1/templates/{id}", h.delete)
}

type templateHandlers struct{ Deps }

// templateView is a template as the API shows it.
type templateView struct {
	ID           string    `json:"id"`
	Level        string    `json:"level"`
	DepartmentID *string   `json:"departmentId"`
	OwnerID      *string   `json:"ownerId"`
	Language     string    `json:"language"`
	Section      string    `json:"section"`
	Title        string    `json:"title"`
	Text         string    `json:"text"`
	Version      int64     `json:"version"`
	CreatedAt    time.Time `json:"createdAt"`
	UpdatedAt    time.Time `json:"updatedAt"`
}

func viewTemplate(t templates.Template) templateView {
	v := templateView{ID: t.ID, Level: string(t.Level), Language: t.Language, Section: t.Section, Title: t.Title, Text: t.Text,
		Version: t.Version, CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt}
	if t.DepartmentID != "" {
		v.DepartmentID = &t.DepartmentID
	}
	if t.OwnerID != "" {
		v.OwnerID = &t.OwnerID
	}
	return v
}

func templateCaller(r Request) templates.Caller {
	return templates.Caller{AccountID: r.Caller.AccountID, PersonID: r.Caller.PersonID, Role: r.Caller.Role}
}

func templateResponse(status int, t templates.Template) Response {
	return Response{Status: status, JSON: viewTemplate(t), Headers: map[string]string{"etag": etag(t.Version)}}
}

func (h templateHandlers) list(ctx context.Context, r Request) (Response, error) {
	f := templates.Filter{Language: r.Query["language"], Level: templates.Level(r.Query["level"]), Section: r.Query["section"], DepartmentID: r.Query["departmentId"]}
	ts, err := h.Templates.List(ctx, templateCaller(r), f)
	if err != nil {
		return Response{}, err
	}
	items := make([]templateView, 0, len(ts))
	for _, t := range ts {
		items = append(items, viewTemplate(t))
	}
	return OK(map[string]any{"items": items}), nil
}

func (h templateHandlers) create(ctx context.Context, r Request) (Response, error) {
	var in templates.Input
	if err := DecodeJSON(r.Body, &in); err != nil {
		return Response{}, err
	}
	t, err := h.Templates.Create(ctx, templateCaller(r), in)
	if err != nil {
		return Response{}, err
	}
	return templateResponse(http.StatusCreated, t), nil
}

func (h templateHandlers) get(ctx context.Context, r Request) (Response, error) {
	t, err := h.Templates.Get(ctx, templateCaller(r), r.Path["id"])
	if err != nil {
		return Response{}, err
	}
	return templateResponse(http.StatusOK, t), nil
}

func (h templateHandlers) update(ctx context.Context, r Request) (Response, error) {
	var in templates.Input
	if err := DecodeJSON(r.Body, &in); err != nil {
		return Response{}, err
	}
	version, err := ifMatchVersion(r)
	if err != nil {
		return Response{}, err
	}
	t, err := h.Templates.Update(ctx, templateCaller(r), r.Path["id"], in, version)
	if err != nil {
		return Response{}, err
	}
	return templateResponse(http.StatusOK, t), nil
}

func (h templateHandlers) delete(ctx context.Context, r Request) (Response, error) {
	if err := h.Templates.Delete(ctx, templateCaller(r), r.Path["id"]); err != nil {
		return Response{}, err
	}
	return Response{Status: http.StatusNoContent}, nil
}

// ifMatchVersion reads an If-Match of the form "v<version>" (as an ETag
// of this API): 0 when absent or *, 412 when it names no version, since it
// then cannot match the stored one.
func ifMatchVersion(r Request) (int64, error) {
	m := strings.TrimPrefix(r.Header("if-match"), "W/")
	if m == "" || m == "*" {
		return 0, nil
	}
	v, err := strconv.ParseInt(strings.TrimPrefix(strings.Trim(m, `"`), "v"), 10, 64)
	if err != nil || v < 1 {
		return 0, apperr.New(apperr.PreconditionFailed, "If-Match %s is not an ETag of this API; reload the template and try again", m)
	}
	return v, nil
}
