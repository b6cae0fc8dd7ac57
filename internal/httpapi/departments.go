package httpapi

import (
	"context"
	"net/http"
	"time"

	"parley/internal/account"
)

func registerDepartments(api *API, d Deps) {
	h := departmentHandlers{d}
	api.Handle("GET /v1/departments", h.list)
	api.Handle("POST /v1/departments", h.create)
	api.Handle("GET /v1/departments/{departmentId}", h.get)
	api.Handle("PATCH /v1/departments/{departmentId}", h.rename)
	api.Handle("DELETE /v1/departments/{departmentId}", h.remove)
	api.Handle("PUT /v1/departments/{departmentId}/members/{personId}", h.addMember)
	api.Handle("DELETE /v1/departments/{departmentId}/members/{personId}", h.removeMember)
}

type departmentHandlers struct{ Deps }

type departmentView struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"createdAt"`
}

func viewDepartment(d account.Department) departmentView {
	return departmentView{ID: d.ID, Name: d.Name, CreatedAt: d.CreatedAt}
}

type departmentBody struct {
	Name string `json:"name"`
}

func (h departmentHandlers) list(ctx context.Context, r Request) (Response, error) {
	ds, err := h.Accounts.Departments(ctx, actorOf(r))
	if err != nil {
		return Response{}, err
	}
	items := make([]departmentView, len(ds))
	for i, d := range ds {
		items[i] = viewDepartment(d)
	}
	return OK(map[string]any{"items": items}), nil
}

func (h departmentHandlers) create(ctx context.Context, r Request) (Response, error) {
	var in departmentBody
	if err := DecodeJSON(r.Body, &in); err != nil {
		return Response{}, err
	}
	d, err := h.Accounts.CreateDepartment(ctx, actorOf(r), in.Name)
	if err != nil {
		return Response{}, err
	}
	return Response{Status: http.StatusCreated, JSON: viewDepartment(d)}, nil
}

func (h departmentHandlers) get(ctx context.Context, r Request) (Response, error) {
	d, members, err := h.Accounts.Department(ctx, actorOf(r), r.Path["departmentId"])
	if err != nil {
		return Response{}, err
	}
	if members == nil {
		members = []string{}
	}
	// members is always present here, [] for none: it used to be an
	// omitempty field of departmentView, which dropped an empty list
	// despite the [] set for it, so a department without members came
	// without the array clients read.
	return OK(struct {
		departmentView
		Members []string `json:"members"`
	}{viewDepartment(d), members}), nil
}

func (h departmentHandlers) rename(ctx context.Context, r Request) (Response, error) {
	var in departmentBody
	if err := DecodeJSON(r.Body, &in); err != nil {
		return Response{}, err
	}
	d, err := h.Accounts.RenameDepartment(ctx, actorOf(r), r.Path["departmentId"], in.Name)
	if err != nil {
		return Response{}, err
	}
	return OK(viewDepartment(d)), nil
}

func (h departmentHandlers) remove(ctx context.Context, r Request) (Response, error) {
	if err := h.Accounts.DeleteDepartment(ctx, actorOf(r), r.Path["departmentId"]); err != nil {
		return Response{}, err
	}
	return Response{Status: http.StatusNoContent}, nil
}

func (h departmentHandlers) membership(in bool) HandlerFunc {
	return func(ctx context.Context, r Request) (Response, error) {
		hidden, err := h.Settings.HiddenProfiles(ctx, r.Caller.AccountID)
		if err != nil {
			return Response{}, err
		}
		p, err := h.Accounts.SetMembership(ctx, actorOf(r), r.Path["departmentId"], r.Path["personId"], in, hidden)
		if err != nil {
			return Response{}, err
		}
		return OK(viewProfile(p, h.Public)), nil
	}
}

func (h departmentHandlers) addMember(ctx context.Context, r Request) (Response, error) {
	return h.membership(true)(ctx, r)
}

func (h departmentHandlers) removeMember(ctx context.Context, r Request) (Response, error) {
	return h.membership(false)(ctx, r)
}
