package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"strconv"
	"strings"

	"parley/internal/account"
	"parley/internal/apperr"
	"parley/internal/dynamo"
	"parley/internal/settings"
)

func registerSettings(api *API, d Deps) {
	h := settingsHandlers{d}
	api.Handle("GET /v1/settings", h.getAll)
	api.Handle("GET /v1/settings/{section}", h.getSection)
	api.Handle("PUT /v1/settings/{section}", h.write(settings.Document.Put))
	api.Handle("PATCH /v1/settings/{section}", h.write(settings.Document.Patch))
}

type settingsHandlers struct{ Deps }

// createSettings stores a new account's settings with their defaults.
func createSettings(ctx context.Context, d Deps, a account.Account, by string) error {
	doc, err := settings.NewAccountDocument(a.Language, rand.Reader)
	if err != nil {
		return err
	}
	raw, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	_, err = d.Store.SaveSettings(ctx, dynamo.SettingsRecord{AccountID: a.ID, Doc: string(raw), UpdatedBy: by, UpdatedAt: d.Now().UTC()}, 0)
	return err
}

func etag(version int64) string { return `"v` + strconv.FormatInt(version, 10) + `"` }

func (h settingsHandlers) load(ctx context.Context, accountID string) (settings.Document, dynamo.SettingsRecord, error) {
	rec, err := h.Store.Settings(ctx, accountID)
	if err != nil {
		return settings.Document{}, rec, err
	}
	doc, err := settings.Load([]byte(rec.Doc))
	return doc, rec, err
}

func (h settingsHandlers) view(accountID string) settings.ViewContext {
	return settings.ViewContext{AccountID: accountID, PublicBaseURL: h.Public}
}

func (h settingsHandlers) getAll(ctx context.Context, r Request) (Response, error) {
	doc, rec, err := h.load(ctx, r.Caller.AccountID)
	if err != nil {
		return Response{}, err
	}
	return Response{Status: 200, JSON: doc.View(h.view(r.Caller.AccountID)), Headers: map[string]string{"etag": etag(rec.Version)}}, nil
}

func (h settingsHandlers) getSection(ctx context.Context, r Request) (Response, error) {
	doc, rec, err := h.load(ctx, r.Caller.AccountID)
	if err != nil {
		return Response{}, err
	}
	v, err := doc.SectionView(r.Path["section"], h.view(r.Caller.AccountID))
	if err != nil {
		return Response{}, err
	}
	return Response{Status: 200, JSON: v, Headers: map[string]string{"etag": etag(rec.Version)}}, nil
}

type writeFunc func(d settings.Document, section string, body []byte, w settings.WriteContext) (settings.Document, []settings.Change, error)

// write applies a PUT or PATCH to one section: all-or-nothing, refused
// with 412 when If-Match names an older version, and stored only if no
// other write came in between (the store's conditional put).
func (h settingsHandlers) write(apply writeFunc) HandlerFunc {
	return func(ctx context.Context, r Request) (Response, error) {
		acc, err := h.Store.Account(ctx, r.Caller.AccountID)
		if err != nil {
			return Response{}, err
		}
		doc, rec, err := h.load(ctx, r.Caller.AccountID)
		if err != nil {
			return Response{}, err
		}
		if m := r.Header("if-match"); m != "" && m != "*" && strings.TrimPrefix(m, "W/") != etag(rec.Version) {
			return Response{}, apperr.New(apperr.PreconditionFailed, "the settings were changed since you read them (ETag %s); reload them and try again", etag(rec.Version))
		}
		wctx := settings.WriteContext{Plan: acc.Plan, SourceIP: r.SourceIP, ConfirmSelfLockout: r.Query["confirm"] == "lockout" || r.Header("x-parley-confirm") == "lockout"}
		next, changes, err := apply(doc, r.Path["section"], r.Body, wctx)
		if err != nil {
			return Response{}, err
		}
		if len(changes) == 0 {
			v, err := doc.SectionView(r.Path["section"], h.view(acc.ID))
			return Response{Status: 200, JSON: v, Headers: map[string]string{"etag": etag(rec.Version)}}, err
		}
		raw, err := json.Marshal(next)
		if err != nil {
			return Response{}, err
		}
		changed, err := json.Marshal(changes)
		if err != nil {
			return Response{}, err
		}
		saved, err := h.Store.SaveSettings(ctx, dynamo.SettingsRecord{AccountID: acc.ID, Doc: string(raw), UpdatedBy: r.Caller.PersonID, UpdatedAt: h.Now().UTC(), Changes: string(changed)}, rec.Version)
		if err != nil {
			return Response{}, err
		}
		v, err := next.SectionView(r.Path["section"], h.view(acc.ID))
		return Response{Status: 200, JSON: v, Headers: map[string]string{"etag": etag(saved.Version)}}, err
	}
}

func rawJSON(s string) json.RawMessage {
	if s == "" {
		return json.RawMessage("null")
	}
	return json.RawMessage(s)
}
