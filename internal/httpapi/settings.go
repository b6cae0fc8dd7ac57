package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"

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
	api.Handle("PUT /v1/settings/company/logo", h.putImage(settings.KeyLogo))
	api.Handle("DELETE /v1/settings/company/logo", h.deleteImage(settings.KeyLogo))
	api.Handle("PUT /v1/settings/leads/invite-avatar", h.putImage(settings.KeyInviteAvatar))
	api.Handle("DELETE /v1/settings/leads/invite-avatar", h.deleteImage(settings.KeyInviteAvatar))
	api.Handle("GET /v1/widget/{accountId}/logo", h.widgetImage(settings.KeyLogo))
	api.Handle("GET /v1/widget/{accountId}/invite-avatar", h.widgetImage(settings.KeyInviteAvatar))
	api.Handle("POST /v1/settings/integration/private-key/regenerate", h.regenerate("privateKey", settings.Document.RegeneratePrivateKey))
	api.Handle("POST /v1/settings/integration/vk/secret-key/regenerate", h.regenerate("secretKey", settings.Document.RegenerateVKSecretKey))
	api.Handle("POST /v1/settings/integration/webhooks/signing-secret/regenerate", h.regenerate("signingSecret", settings.Document.RegenerateSigningSecret))
}

type settingsHandlers struct{ Deps }

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
		if err := checkIfMatch(r, rec.Version); err != nil {
			return Response{}, err
		}
		wctx := settings.WriteContext{Plan: acc.Plan, SourceIP: r.SourceIP, ConfirmSelfLockout: r.Query["confirm"] == settings.ConfirmLockout || r.Header("x-parley-confirm") == settings.ConfirmLockout,
			View: h.view(acc.ID), AllowLoopback: h.AllowLoopback}
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

// checkIfMatch refuses a write whose If-Match names another version than
// the stored one; no If-Match (or *) means the caller takes what is there.
func checkIfMatch(r Request, version int64) error {
	m := r.Header("if-match")
	if m == "" || m == "*" || strings.TrimPrefix(m, "W/") == etag(version) {
		return nil
	}
	return apperr.New(apperr.PreconditionFailed, "the settings were changed since you read them (ETag %s); reload them and try again", etag(version))
}

// edit is one change a handler makes to the settings document besides
// PUT and PATCH: the new document, its changes for the audit, and, for an
// image, the bytes to store with it (nil with imageKey set deletes them).
type edit struct {
	doc      settings.Document
	changes  []settings.Change
	imageKey string
	image    *dynamo.StoredImage
}

// editAttempts bounds how often a change is re-applied to a fresh read
// when another write came in between: each round one of the racing
// writers wins, so this many administrators acting at once all succeed.
const editAttempts = 5

// edit reads the document, applies change and stores the result on the
// version it read. A change that does not depend on what the client saw
// (a new image, a regenerated key) is re-applied to a fresh read when
// another write won the race, so two administrators never overwrite each
// other and neither gets a spurious 412. With If-Match the client asked
// for exactly that version: a stale one is 412 and never retried.
func (h settingsHandlers) edit(ctx context.Context, r Request, change func(settings.Document) (edit, error)) (edit, dynamo.SettingsRecord, error) {
	pinned := r.Header("if-match") != "" && r.Header("if-match") != "*"
	for attempt := 1; ; attempt++ {
		doc, rec, err := h.load(ctx, r.Caller.AccountID)
		if err != nil {
			return edit{}, rec, err
		}
		if err := checkIfMatch(r, rec.Version); err != nil {
			return edit{}, rec, err
		}
		e, err := change(doc)
		if err != nil || len(e.changes) == 0 {
			return e, rec, err
		}
		raw, err := json.Marshal(e.doc)
		if err != nil {
			return edit{}, rec, err
		}
		changed, err := json.Marshal(e.changes)
		if err != nil {
			return edit{}, rec, err
		}
		next := dynamo.SettingsRecord{AccountID: rec.AccountID, Doc: string(raw), UpdatedBy: r.Caller.PersonID, UpdatedAt: h.Now().UTC(), Changes: string(changed)}
		var saved dynamo.SettingsRecord
		if e.imageKey != "" {
			saved, err = h.Store.SaveSettingsWithImage(ctx, next, rec.Version, e.imageKey, e.image)
		} else {
			saved, err = h.Store.SaveSettings(ctx, next, rec.Version)
		}
		if apperr.CodeOf(err) == apperr.PreconditionFailed && !pinned && attempt < editAttempts {
			continue
		}
		return e, saved, err
	}
}

// sectionOf is the section of a dotted key.
func sectionOf(key string) string {
	s, _, _ := strings.Cut(key, ".")
	return s
}

// putImage stores an uploaded image (the raw bytes, with their
// Content-Type) and answers with its section as a read shows it. The
// bytes are checked by content: 422 for anything but an allowed image of
// at most 100x100 px, 413 above the size cap.
func (h settingsHandlers) putImage(key string) HandlerFunc {
	return func(ctx context.Context, r Request) (Response, error) {
		img, err := settings.NewImage(key, r.Body, r.Header("content-type"))
		if err != nil {
			return Response{}, err
		}
		stored := &dynamo.StoredImage{ContentType: img.Format.ContentType(), SHA256: img.SHA256, Data: r.Body, UpdatedAt: h.Now().UTC()}
		return h.imageEdit(ctx, r, key, func(d settings.Document) (edit, error) {
			doc, changes, err := d.SetImage(key, &img)
			return edit{doc: doc, changes: changes, imageKey: key, image: stored}, err
		})
	}
}

// deleteImage removes an image: no logo, or the default invite avatar.
// Deleting what is not there is not an error.
func (h settingsHandlers) deleteImage(key string) HandlerFunc {
	return func(ctx context.Context, r Request) (Response, error) {
		return h.imageEdit(ctx, r, key, func(d settings.Document) (edit, error) {
			doc, changes, err := d.SetImage(key, nil)
			return edit{doc: doc, changes: changes, imageKey: key}, err
		})
	}
}

func (h settingsHandlers) imageEdit(ctx context.Context, r Request, key string, change func(settings.Document) (edit, error)) (Response, error) {
	e, rec, err := h.edit(ctx, r, change)
	if err != nil {
		return Response{}, err
	}
	// Without changes (the same image again, none to delete) e.doc is the
	// document as read and rec its version: the answer is the same.
	v, err := e.doc.SectionView(sectionOf(key), h.view(r.Caller.AccountID))
	return Response{Status: 200, JSON: v, Headers: map[string]string{"etag": etag(rec.Version)}}, err
}

// regenerate replaces a generated secret and returns it once, in clear,
// under name; reads and the audit only ever show it masked.
func (h settingsHandlers) regenerate(name string, regen func(settings.Document, io.Reader) (settings.Document, string, error)) HandlerFunc {
	return func(ctx context.Context, r Request) (Response, error) {
		var secret string
		_, rec, err := h.edit(ctx, r, func(d settings.Document) (edit, error) {
			doc, s, err := regen(d, rand.Reader)
			if err != nil {
				return edit{}, err
			}
			secret = s
			return edit{doc: doc, changes: settings.Diff(d, doc)}, nil
		})
		if err != nil {
			return Response{}, err
		}
		return Response{Status: 200, JSON: map[string]any{name: secret}, Headers: map[string]string{"etag": etag(rec.Version)}}, nil
	}
}

// minImageVersion is the shortest ?v= that may be cached for good: the
// read form gives 16 hex characters of the hash, and a shorter prefix
// could name a later image too.
const minImageVersion = 16

// widgetImage serves an image to the widget without a token. Its URL
// carries the start of the image's hash (?v=), so a response for the
// current version is cached for good; a URL with another version (a page
// cached before a new upload) gets the current image, revalidated each
// time.
func (h settingsHandlers) widgetImage(key string) HandlerFunc {
	return func(ctx context.Context, r Request) (Response, error) {
		img, err := h.Store.Image(ctx, r.Path["accountId"], key)
		if apperr.CodeOf(err) == apperr.NotFound {
			return Response{}, apperr.New(apperr.NotFound, "this account has no %s image", key)
		}
		if err != nil {
			return Response{}, err
		}
		tag := `"` + img.SHA256 + `"`
		cache := "no-cache"
		if v := r.Query["v"]; len(v) >= minImageVersion && strings.HasPrefix(img.SHA256, strings.ToLower(v)) {
			cache = "public, max-age=31536000, immutable"
		}
		headers := map[string]string{"etag": tag, "cache-control": cache, "x-content-type-options": "nosniff"}
		if inm := r.Header("if-none-match"); inm != "" && (inm == "*" || strings.Contains(inm, tag)) {
			return Response{Status: http.StatusNotModified, Headers: headers}, nil
		}
		headers["content-type"] = img.ContentType
		return Response{Status: 200, Headers: headers, Raw: img.Data}, nil
	}
}

// widgetImageURLs are the URLs of the account's logo and invite avatar as
// settings reads show them (null when there is none).
func widgetImageURLs(d Deps, doc settings.Document, accountID string) (logo, inviteAvatar any) {
	v := settings.ViewContext{AccountID: accountID, PublicBaseURL: d.Public}
	company, _ := doc.SectionView(settings.SectionCompany, v)
	leads, _ := doc.SectionView(settings.SectionLeads, v)
	return company["logoUrl"], leads["inviteAvatarUrl"]
}
