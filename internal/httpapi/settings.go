package httpapi

import (
	"context"
	"io"
	"net/http"
	"strings"

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

func etag(version int64) string { return settings.ETag(version) }

func (h settingsHandlers) view(accountID string) settings.ViewContext {
	return h.Settings.View(accountID)
}

// editor is who writes the settings, with the version they read.
func editor(r Request) settings.Editor {
	return settings.Editor{AccountID: r.Caller.AccountID, PersonID: r.Caller.PersonID, IfMatch: r.Header("if-match"), SourceIP: r.SourceIP,
		ConfirmSelfLockout: r.Query["confirm"] == settings.ConfirmLockout || r.Header("x-parley-confirm") == settings.ConfirmLockout}
}

// section answers with a section as a read shows it, tagged with version.
func (h settingsHandlers) section(doc settings.Document, section, accountID string, version int64) (Response, error) {
	v, err := doc.SectionView(section, h.view(accountID))
	if err != nil {
		return Response{}, err
	}
	return Response{Status: 200, JSON: v, Headers: map[string]string{"etag": etag(version)}}, nil
}

func (h settingsHandlers) getAll(ctx context.Context, r Request) (Response, error) {
	doc, version, err := h.Settings.Read(ctx, r.Caller.AccountID)
	if err != nil {
		return Response{}, err
	}
	return Response{Status: 200, JSON: doc.View(h.view(r.Caller.AccountID)), Headers: map[string]string{"etag": etag(version)}}, nil
}

func (h settingsHandlers) getSection(ctx context.Context, r Request) (Response, error) {
	doc, version, err := h.Settings.Read(ctx, r.Caller.AccountID)
	if err != nil {
		return Response{}, err
	}
	return h.section(doc, r.Path["section"], r.Caller.AccountID, version)
}

// write applies a PUT or a PATCH to one section (settings.Service.WriteSection).
func (h settingsHandlers) write(apply settings.WriteFunc) HandlerFunc {
	return func(ctx context.Context, r Request) (Response, error) {
		doc, version, err := h.Settings.WriteSection(ctx, editor(r), r.Path["section"], r.Body, apply)
		if err != nil {
			return Response{}, err
		}
		return h.section(doc, r.Path["section"], r.Caller.AccountID, version)
	}
}

// sectionOf is the section of a dotted key.
func sectionOf(key string) string {
	s, _, _ := strings.Cut(key, ".")
	return s
}

// putImage stores an uploaded image (the raw bytes, with their
// Content-Type) and answers with its section as a read shows it.
func (h settingsHandlers) putImage(key string) HandlerFunc {
	return func(ctx context.Context, r Request) (Response, error) {
		doc, version, err := h.Settings.SetImage(ctx, editor(r), key, r.Body, r.Header("content-type"))
		if err != nil {
			return Response{}, err
		}
		return h.section(doc, sectionOf(key), r.Caller.AccountID, version)
	}
}

// deleteImage removes an image: no logo, or the default invite avatar.
func (h settingsHandlers) deleteImage(key string) HandlerFunc {
	return func(ctx context.Context, r Request) (Response, error) {
		doc, version, err := h.Settings.DeleteImage(ctx, editor(r), key)
		if err != nil {
			return Response{}, err
		}
		return h.section(doc, sectionOf(key), r.Caller.AccountID, version)
	}
}

// regenerate replaces a generated secret and returns it once, in clear,
// under name; reads and the audit only ever show it masked.
func (h settingsHandlers) regenerate(name string, regen func(settings.Document, io.Reader) (settings.Document, string, error)) HandlerFunc {
	return func(ctx context.Context, r Request) (Response, error) {
		secret, version, err := h.Settings.Regenerate(ctx, editor(r), regen)
		if err != nil {
			return Response{}, err
		}
		return Response{Status: 200, JSON: map[string]any{name: secret}, Headers: map[string]string{"etag": etag(version)}}, nil
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
		img, err := h.Settings.Image(ctx, r.Path["accountId"], key)
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
