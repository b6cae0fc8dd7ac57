package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"time"

	"parley/internal/account"
	"parley/internal/apperr"
	"parley/internal/routes"
)

func registerPeople(api *API, d Deps) {
	h := peopleHandlers{d}
	api.Handle("GET /v1/people", h.list)
	api.Handle("POST /v1/people", h.invite)
	api.Handle("GET /v1/people/{personId}", h.get)
	api.Handle("PATCH /v1/people/{personId}", h.update)
	api.Handle("DELETE /v1/people/{personId}", h.remove)
	api.Handle("POST /v1/people/{personId}/invitation", h.resendInvitation)
	api.Handle("PUT /v1/people/{personId}/photo", h.setPhoto)
	api.Handle("DELETE /v1/people/{personId}/photo", h.deletePhoto)
	api.Handle("GET /v1/widget/{accountId}/people/{personId}/photo", h.photo)
}

type peopleHandlers struct{ Deps }

// profileView is a person as the API shows them; the password hash and
// link hash never leave the store.
type profileView struct {
	ID                string    `json:"id"`
	AccountID         string    `json:"accountId"`
	Email             string    `json:"email"`
	Name              string    `json:"name"`
	Role              string    `json:"role"`
	Status            string    `json:"status"`
	InterfaceLanguage string    `json:"interfaceLanguage"`
	Languages         []string  `json:"languages"`
	Departments       []string  `json:"departments"`
	ChatLimit         *int      `json:"chatLimit"`
	PhotoURL          *string   `json:"photoUrl"`
	CreatedAt         time.Time `json:"createdAt"`
}

func viewProfile(p account.Person, public string) profileView {
	v := profileView{ID: p.ID, AccountID: p.AccountID, Email: p.Email, Name: p.Name, Role: string(p.Role), Status: string(p.Status),
		InterfaceLanguage: p.InterfaceLanguage, Languages: p.Languages, Departments: p.Departments, ChatLimit: p.ChatLimit, CreatedAt: p.CreatedAt}
	if v.Languages == nil {
		v.Languages = []string{}
	}
	if v.Departments == nil {
		v.Departments = []string{}
	}
	if p.Photo != nil {
		// The version in the URL changes with the photo, so caches may
		// keep it for long.
		u := public + "/v1/widget/" + url.PathEscape(p.AccountID) + "/people/" + url.PathEscape(p.ID) + "/photo?v=" + p.Photo.SHA256[:16]
		v.PhotoURL = &u
	}
	return v
}

func actorOf(r Request) account.Actor {
	return account.Actor{AccountID: r.Caller.AccountID, PersonID: r.Caller.PersonID, Role: r.Caller.Role}
}

func (h peopleHandlers) hidden(ctx context.Context, r Request) (bool, error) {
	return h.Settings.HiddenProfiles(ctx, r.Caller.AccountID)
}

func (h peopleHandlers) list(ctx context.Context, r Request) (Response, error) {
	hidden, err := h.hidden(ctx, r)
	if err != nil {
		return Response{}, err
	}
	people, err := h.Accounts.People(ctx, actorOf(r), hidden)
	if err != nil {
		return Response{}, err
	}
	items := make([]profileView, len(people))
	for i, p := range people {
		items[i] = viewProfile(p, h.Public)
	}
	return OK(map[string]any{"items": items}), nil
}

func (h peopleHandlers) invite(ctx context.Context, r Request) (Response, error) {
	var in account.Invitation
	if err := DecodeJSON(r.Body, &in); err != nil {
		return Response{}, err
	}
	p, err := h.Accounts.Invite(ctx, actorOf(r), in)
	if err != nil {
		return Response{}, err
	}
	return Response{Status: http.StatusCreated, JSON: viewProfile(p, h.Public)}, nil
}

func (h peopleHandlers) get(ctx context.Context, r Request) (Response, error) {
	hidden, err := h.hidden(ctx, r)
	if err != nil {
		return Response{}, err
	}
	p, err := h.Accounts.Person(ctx, actorOf(r), r.Path["personId"], hidden)
	if err != nil {
		return Response{}, err
	}
	return OK(viewProfile(p, h.Public)), nil
}

// profilePatch is the PATCH body. chatLimit is raw so that null (use the
// account's limit) can be told from absent (leave it).
type profilePatch struct {
	Name              *string         `json:"name"`
	Email             *string         `json:"email"`
	Role              *routes.Role    `json:"role"`
	InterfaceLanguage *string         `json:"interfaceLanguage"`
	Languages         *[]string       `json:"languages"`
	Departments       *[]string       `json:"departments"`
	ChatLimit         json.RawMessage `json:"chatLimit"`
}

func (p profilePatch) change() (account.ProfileChange, error) {
	ch := account.ProfileChange{Name: p.Name, Email: p.Email, Role: p.Role, InterfaceLanguage: p.InterfaceLanguage, Languages: p.Languages, Departments: p.Departments}
	if len(p.ChatLimit) > 0 {
		var limit *int
		if !bytes.Equal(bytes.TrimSpace(p.ChatLimit), []byte("null")) {
			var n int
			if err := json.Unmarshal(p.ChatLimit, &n); err != nil {
				return ch, &apperr.Error{Code: apperr.Invalid, Message: "chatLimit must be an integer or null", Fields: map[string]string{"chatLimit": "must be an integer or null"}}
			}
			limit = &n
		}
		ch.ChatLimit = &limit
	}
	return ch, nil
}

func (h peopleHandlers) update(ctx context.Context, r Request) (Response, error) {
	var in profilePatch
	if err := DecodeJSON(r.Body, &in); err != nil {
		return Response{}, err
	}
	ch, err := in.change()
	if err != nil {
		return Response{}, err
	}
	hidden, err := h.hidden(ctx, r)
	if err != nil {
		return Response{}, err
	}
	p, err := h.Accounts.Update(ctx, actorOf(r), r.Path["personId"], ch, hidden)
	if err != nil {
		return Response{}, err
	}
	return OK(viewProfile(p, h.Public)), nil
}

func (h peopleHandlers) remove(ctx context.Context, r Request) (Response, error) {
	if err := h.Accounts.Remove(ctx, actorOf(r), r.Path["personId"]); err != nil {
		return Response{}, err
	}
	return Response{Status: http.StatusNoContent}, nil
}

func (h peopleHandlers) resendInvitation(ctx context.Context, r Request) (Response, error) {
	if err := h.Accounts.ResendInvitation(ctx, actorOf(r), r.Path["personId"]); err != nil {
		return Response{}, err
	}
	return Response{Status: http.StatusAccepted, JSON: map[string]any{"status": "a new invitation is on its way; earlier links no longer work"}}, nil
}

func (h peopleHandlers) setPhoto(ctx context.Context, r Request) (Response, error) {
	hidden, err := h.hidden(ctx, r)
	if err != nil {
		return Response{}, err
	}
	p, err := h.Accounts.SetPhoto(ctx, actorOf(r), r.Path["personId"], r.Body, r.Header("content-type"), hidden)
	if err != nil {
		return Response{}, err
	}
	return OK(viewProfile(p, h.Public)), nil
}

func (h peopleHandlers) deletePhoto(ctx context.Context, r Request) (Response, error) {
	hidden, err := h.hidden(ctx, r)
	if err != nil {
		return Response{}, err
	}
	p, err := h.Accounts.DeletePhoto(ctx, actorOf(r), r.Path["personId"], hidden)
	if err != nil {
		return Response{}, err
	}
	return OK(viewProfile(p, h.Public)), nil
}

// photo serves a person's photo without a token: the widget shows the
// operator's photo to visitors. The account comes from the path, and the
// photo is looked up under it only.
func (h peopleHandlers) photo(ctx context.Context, r Request) (Response, error) {
	body, img, err := h.Accounts.Photo(ctx, r.Path["accountId"], r.Path["personId"])
	if err != nil {
		return Response{}, err
	}
	return Response{Status: http.StatusOK, Raw: body, Headers: map[string]string{
		"content-type": img.Format.ContentType(), "cache-control": "public, max-age=86400",
		"x-content-type-options": "nosniff", "etag": `"` + img.SHA256 + `"`,
	}}, nil
}
