package settings_test

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"parley/internal/apperr"
	"parley/internal/settings"
)

func pngOf(t testing.TB, w, h int) []byte {
	t.Helper()
	var b bytes.Buffer
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	img.Set(0, 0, color.RGBA{R: 255, A: 255})
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func jpegOf(t testing.TB, w, h int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, image.NewGray(image.Rect(0, 0, w, h)), nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func gifOf(t testing.TB, w, h int) []byte {
	t.Helper()
	var b bytes.Buffer
	img := image.NewPaletted(image.Rect(0, 0, w, h), color.Palette{color.Black, color.White})
	if err := gif.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// pngClaiming is a valid tiny PNG whose header claims w x h pixels: a
// decompression bomb as far as a naive decoder is concerned.
func pngClaiming(t testing.TB, w, h uint32) []byte {
	t.Helper()
	b := pngOf(t, 1, 1)
	// Signature (8), IHDR length (4), "IHDR" (4), width, height...
	binary.BigEndian.PutUint32(b[16:], w)
	binary.BigEndian.PutUint32(b[20:], h)
	crc := crc32.ChecksumIEEE(b[12:29])
	binary.BigEndian.PutUint32(b[29:], crc)
	return b
}

func TestCheckImage(t *testing.T) {
	okPNG := pngOf(t, 100, 100)
	tests := []struct {
		name        string
		body        []byte
		contentType string
		allowed     []settings.Format
		want        settings.Format
		code        apperr.Code
	}{
		{"png", okPNG, "image/png", settings.LogoFormats, settings.PNG, ""},
		{"jpeg", jpegOf(t, 64, 32), "image/jpeg", settings.LogoFormats, settings.JPEG, ""},
		{"jpeg declared image/jpg", jpegOf(t, 8, 8), "image/jpg", settings.InviteAvatarFormats, settings.JPEG, ""},
		{"gif logo", gifOf(t, 10, 10), "image/gif", settings.LogoFormats, settings.GIF, ""},
		{"no declared type", okPNG, "", settings.LogoFormats, settings.PNG, ""},
		{"octet-stream", okPNG, "application/octet-stream", settings.LogoFormats, settings.PNG, ""},
		{"declared with parameters", okPNG, "image/png; charset=binary", settings.LogoFormats, settings.PNG, ""},
		{"gif avatar refused", gifOf(t, 10, 10), "image/gif", settings.InviteAvatarFormats, "", apperr.Invalid},
		{"declared type disagrees", okPNG, "image/jpeg", settings.LogoFormats, "", apperr.Invalid},
		{"declared webp", okPNG, "image/webp", settings.LogoFormats, "", apperr.Invalid},
		{"declared text", okPNG, "text/plain", settings.LogoFormats, "", apperr.Invalid},
		{"declared garbage", okPNG, ";;", settings.LogoFormats, "", apperr.Invalid},
		{"too wide", pngOf(t, 101, 10), "image/png", settings.LogoFormats, "", apperr.Invalid},
		{"too tall", jpegOf(t, 10, 101), "image/jpeg", settings.LogoFormats, "", apperr.Invalid},
		{"bomb header", pngClaiming(t, 1<<20, 1<<20), "image/png", settings.LogoFormats, "", apperr.Invalid},
		{"truncated", okPNG[:len(okPNG)-20], "image/png", settings.LogoFormats, "", apperr.Invalid},
		{"not an image", []byte("<svg xmlns='http://www.w3.org/2000/svg'/>"), "image/svg+xml", settings.LogoFormats, "", apperr.Invalid},
		{"empty", nil, "image/png", settings.LogoFormats, "", apperr.Invalid},
		{"too large, not even decoded", make([]byte, settings.MaxImageBytes+1), "image/png", settings.LogoFormats, "", apperr.TooLarge},
		{"too large valid start", append(pngOf(t, 1, 1), make([]byte, settings.MaxImageBytes)...), "image/png", settings.LogoFormats, "", apperr.TooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := settings.CheckImage(tt.body, tt.contentType, tt.allowed)
			if tt.code == "" {
				if err != nil || got != tt.want {
					t.Errorf("= %q, %v; want %q", got, err, tt.want)
				}
				return
			}
			if code := apperr.CodeOf(err); code != tt.code {
				t.Errorf("code = %s (%v), want %s", code, err, tt.code)
			}
			if want, ok := imageMessages[tt.name]; ok && !strings.Contains(apperr.Public(err).Message, want) {
				t.Errorf("message %q lacks %q", apperr.Public(err).Message, want)
			}
		})
	}
}

// imageMessages pins which check refused a file, where that matters.
var imageMessages = map[string]string{
	"bomb header":                 "1048576x1048576 pixels",
	"truncated":                   "damaged",
	"declared type disagrees":     "declared as",
	"too large, not even decoded": "257 KB",
}

func TestNewImageAndSetImage(t *testing.T) {
	body := pngOf(t, 20, 30)
	img, err := settings.NewImage(settings.KeyLogo, body, "image/png")
	if err != nil {
		t.Fatal(err)
	}
	if img.Format != settings.PNG || img.Width != 20 || img.Height != 30 || img.Size != len(body) || len(img.SHA256) != 64 {
		t.Errorf("image = %+v", img)
	}

	d := validAccount(t)
	n, changes, err := d.SetImage(settings.KeyLogo, &img)
	if err != nil {
		t.Fatal(err)
	}
	if got := readKey(t, n, "company.logoUrl"); got != "https://parley.example.com/v1/widget/acc-1/logo?v="+img.SHA256[:16] {
		t.Errorf("logoUrl = %v", got)
	}
	if diff := cmp.Diff([]settings.Change{{Key: "company.logo", Old: nil, New: img}}, changes); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
	if d.Company.Logo != nil {
		t.Error("the receiver changed")
	}
	n, _, err = n.SetImage(settings.KeyLogo, nil)
	if err != nil || n.Company.Logo != nil {
		t.Errorf("delete: %v, %+v", err, n.Company.Logo)
	}

	// Errors carry the dotted key.
	_, err = settings.NewImage(settings.KeyInviteAvatar, gifOf(t, 5, 5), "image/gif")
	if code, fields := fieldsOf(t, err); code != apperr.Invalid || fields["leads.inviteAvatar"] == "" {
		t.Errorf("code %s, fields %v", code, fields)
	}
	_, err = settings.NewImage(settings.KeyLogo, make([]byte, settings.MaxImageBytes+1), "image/png")
	if code, fields := fieldsOf(t, err); code != apperr.TooLarge || fields["company.logo"] == "" {
		t.Errorf("code %s, fields %v", code, fields)
	}
	if _, err := settings.NewImage("company.banner", body, "image/png"); apperr.CodeOf(err) != apperr.NotFound {
		t.Errorf("unknown key: %v", err)
	}
	gifImg := settings.Image{Format: settings.GIF, Width: 1, Height: 1}
	if _, _, err := d.SetImage(settings.KeyInviteAvatar, &gifImg); apperr.CodeOf(err) != apperr.Invalid {
		t.Errorf("GIF avatar recorded: %v", err)
	}
	if _, _, err := d.SetImage("x", nil); apperr.CodeOf(err) != apperr.NotFound {
		t.Errorf("unknown key: %v", err)
	}
}

// FuzzCheckImage: never panics; whatever is accepted is within the limits,
// of an allowed format agreeing with the declared type, and decodes.
func FuzzCheckImage(f *testing.F) {
	f.Add(pngOf(f, 3, 3), "image/png")
	f.Add(jpegOf(f, 3, 3), "image/jpeg")
	f.Add(gifOf(f, 3, 3), "")
	f.Add(pngClaiming(f, 1<<16, 1<<16), "image/png")
	f.Add([]byte("GIF89a"), "image/gif")
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		format, err := settings.CheckImage(body, contentType, settings.LogoFormats)
		if err != nil {
			if c := apperr.CodeOf(err); c != apperr.Invalid && c != apperr.TooLarge {
				t.Fatalf("code %s", c)
			}
			return
		}
		if len(body) > settings.MaxImageBytes {
			t.Fatal("accepted an oversized body")
		}
		cfg, name, err := image.DecodeConfig(bytes.NewReader(body))
		if err != nil || settings.Format(name) != format {
			t.Fatalf("accepted %q as %s: %v", name, format, err)
		}
		if cfg.Width < 1 || cfg.Height < 1 || cfg.Width > settings.MaxImageSide || cfg.Height > settings.MaxImageSide {
			t.Fatalf("accepted %dx%d", cfg.Width, cfg.Height)
		}
		if _, err := settings.CheckImage(body, format.ContentType(), []settings.Format{format}); err != nil {
			t.Fatalf("not accepted with its own type: %v", err)
		}
	})
}
