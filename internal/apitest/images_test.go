package apitest_test

import (
	"bytes"
	"crypto/rand"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"net/url"
	"strings"
	"testing"

	"parley/internal/testkit"
)

func picture(w, h int) image.Image {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for x := range w {
		for y := range h {
			img.Set(x, y, color.RGBA{uint8(x * 2), uint8(y * 2), 128, 255})
		}
	}
	return img
}

func pngImage(t *testing.T, w, h int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, picture(w, h)); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func jpegImage(t *testing.T, w, h int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, picture(w, h), nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func gifImage(t *testing.T, w, h int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := gif.Encode(&b, picture(w, h), nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// The logo and the invite avatar: uploads checked by content, served to
// the widget without a token with caching headers, shown in the widget
// config, deleted back to none.
func TestImages(t *testing.T) {
	e := newEnv(t)
	a := e.signUp("basic")
	logoPath, avatarPath := "/v1/settings/company/logo", "/v1/settings/leads/invite-avatar"
	widgetLogo := "/v1/widget/" + a.ID + "/logo"
	start := expect(t, "GET", e.do(testkit.Request{Method: "GET", Path: "/v1/settings", Token: a.Admin}), 200)

	// Refused uploads: 422 (413 when too large) on the image key, nothing
	// changed.
	big := make([]byte, 300<<10)
	_, _ = rand.Read(big)
	for _, c := range []struct {
		name, path, key, contentType string
		body                         []byte
		status                       int
	}{
		{"too many pixels", logoPath, "company.logo", "image/png", pngImage(t, 101, 100), 422},
		{"not an image", logoPath, "company.logo", "image/png", []byte("hello, I am text"), 422},
		{"declared as another format", logoPath, "company.logo", "image/jpeg", pngImage(t, 10, 10), 422},
		{"declared as no image type", logoPath, "company.logo", "text/plain", pngImage(t, 10, 10), 422},
		{"empty", logoPath, "company.logo", "image/png", []byte{}, 422},
		{"too large", logoPath, "company.logo", "image/png", big, 413},
		{"GIF is not an avatar format", avatarPath, "leads.inviteAvatar", "image/gif", gifImage(t, 10, 10), 422},
		{"damaged PNG", avatarPath, "leads.inviteAvatar", "image/png", pngImage(t, 50, 50)[:120], 422},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := expect(t, "upload", e.do(testkit.Request{Method: "PUT", Path: c.path, Token: a.Admin, Body: c.body, ContentType: c.contentType}), c.status)
			if f := r.ErrorFields(); len(f) != 1 || f[c.key] == nil {
				t.Errorf("fields = %v, want exactly %s", f, c.key)
			}
		})
	}
	if r := e.do(testkit.Request{Method: "GET", Path: "/v1/settings", Token: a.Admin}); r.ETag() != start.ETag() {
		t.Fatalf("a refused upload changed the settings")
	}
	expect(t, "widget logo before any upload", e.do(testkit.Request{Method: "GET", Path: widgetLogo}), 404)

	// Accepted uploads, each format where it is allowed.
	logo := pngImage(t, 100, 100)
	up := expect(t, "PUT logo", e.do(testkit.Request{Method: "PUT", Path: logoPath, Token: a.Admin, Body: logo, ContentType: "image/png"}), 200)
	logoURL, _ := up.Body["logoUrl"].(string)
	u, err := url.Parse(logoURL)
	if err != nil || u.Path != widgetLogo || len(u.Query().Get("v")) < 8 || !strings.HasPrefix(logoURL, e.stack.HTTPURL) {
		t.Fatalf("logoUrl = %q", logoURL)
	}
	if up.Body["name"] != "Acme" || up.ETag() == start.ETag() {
		t.Errorf("upload answer: %v, ETag %s", up.Body, up.ETag())
	}
	if r := e.do(testkit.Request{Method: "GET", Path: "/v1/settings/company", Token: a.Admin}); r.Body["logoUrl"] != logoURL || r.ETag() != up.ETag() {
		t.Errorf("read after upload: %v %s", r.Body, r.ETag())
	}

	// The widget gets the bytes without a token, cached for good under
	// the versioned URL, revalidated under any other.
	img := expect(t, "widget logo", e.do(testkit.Request{Method: "GET", Path: logoURL}), 200)
	if !bytes.Equal(img.Raw, logo) || img.Header.Get("Content-Type") != "image/png" ||
		img.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" || img.ETag() == "" {
		t.Errorf("widget logo: %d bytes, headers %v", len(img.Raw), img.Header)
	}
	notModified := expect(t, "If-None-Match", e.do(testkit.Request{Method: "GET", Path: logoURL, Headers: map[string]string{"If-None-Match": img.ETag()}}), 304)
	if len(notModified.Raw) != 0 {
		t.Errorf("304 with a body")
	}
	stale := expect(t, "old version", e.do(testkit.Request{Method: "GET", Path: widgetLogo + "?v=0000000000000000"}), 200)
	if stale.Header.Get("Cache-Control") != "no-cache" || !bytes.Equal(stale.Raw, logo) {
		t.Errorf("a stale version: %v", stale.Header)
	}

	// A JPEG and a GIF logo replace it; the URL changes with the image.
	for _, c := range []struct {
		body        []byte
		contentType string
	}{{jpegImage(t, 64, 32), "image/jpeg"}, {gifImage(t, 16, 16), "image/gif"}, {gifImage(t, 16, 16), ""}} {
		r := expect(t, "replace logo", e.do(testkit.Request{Method: "PUT", Path: logoPath, Token: a.Admin, Body: c.body, ContentType: c.contentType}), 200)
		next, _ := r.Body["logoUrl"].(string)
		if c.contentType != "" && next == logoURL {
			t.Errorf("the logo URL did not change with the image")
		}
		logoURL = next
		got := expect(t, "widget logo", e.do(testkit.Request{Method: "GET", Path: logoURL}), 200)
		if !bytes.Equal(got.Raw, c.body) {
			t.Errorf("widget serves the old image")
		}
	}

	avatar := jpegImage(t, 40, 40)
	av := expect(t, "PUT avatar", e.do(testkit.Request{Method: "PUT", Path: avatarPath, Token: a.Admin, Body: avatar, ContentType: "image/jpeg"}), 200)
	avatarURL, _ := av.Body["inviteAvatarUrl"].(string)
	if got := expect(t, "widget avatar", e.do(testkit.Request{Method: "GET", Path: avatarURL}), 200); !bytes.Equal(got.Raw, avatar) || got.Header.Get("Content-Type") != "image/jpeg" {
		t.Errorf("widget avatar: %v", got.Header)
	}

	// The widget config names both.
	cfg := expect(t, "widget config", e.do(testkit.Request{Method: "GET", Path: "/v1/widget/" + a.ID + "/config"}), 200)
	if cfg.Body["logoUrl"] != logoURL || cfg.Body["inviteAvatarUrl"] != avatarURL {
		t.Errorf("widget config: logo %v, avatar %v", cfg.Body["logoUrl"], cfg.Body["inviteAvatarUrl"])
	}

	// DELETE resets: no logo, the default avatar; deleting again is fine.
	for _, p := range []string{logoPath, logoPath, avatarPath} {
		expect(t, "DELETE "+p, e.do(testkit.Request{Method: "DELETE", Path: p, Token: a.Admin}), 200)
	}
	expect(t, "widget logo after delete", e.do(testkit.Request{Method: "GET", Path: widgetLogo}), 404)
	expect(t, "widget avatar after delete", e.do(testkit.Request{Method: "GET", Path: "/v1/widget/" + a.ID + "/invite-avatar"}), 404)
	cfg = expect(t, "widget config", e.do(testkit.Request{Method: "GET", Path: "/v1/widget/" + a.ID + "/config"}), 200)
	if cfg.Body["logoUrl"] != nil || cfg.Body["inviteAvatarUrl"] != nil {
		t.Errorf("widget config after delete: %v %v", cfg.Body["logoUrl"], cfg.Body["inviteAvatarUrl"])
	}
	end := expect(t, "GET", e.do(testkit.Request{Method: "GET", Path: "/v1/settings", Token: a.Admin}), 200)
	if end.Body["company"].(map[string]any)["logoUrl"] != nil || end.Body["leads"].(map[string]any)["inviteAvatarUrl"] != nil {
		t.Errorf("settings after delete: %v %v", end.Body["company"], end.Body["leads"])
	}

	// Another account's widget has none of it.
	b := e.signUp("basic")
	expect(t, "other account's logo", e.do(testkit.Request{Method: "GET", Path: "/v1/widget/" + b.ID + "/logo"}), 404)
}
