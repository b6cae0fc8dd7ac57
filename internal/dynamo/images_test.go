package dynamo_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"parley/internal/apperr"
	"parley/internal/dynamo"
)

// An image and the settings document that describes it are written in one
// transaction: a write on a stale version stores neither, and a delete
// removes the bytes with the description.
func TestSettingsWithImageAreAtomic(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	rec, err := s.SaveSettings(ctx, dynamo.SettingsRecord{AccountID: "a1", Doc: `{"v":1}`}, 0)
	if err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte{0x89, 'P', 'N', 'G'}, 50_000) // 200 KB: images are stored whole in one item
	img := &dynamo.StoredImage{ContentType: "image/png", SHA256: "abc", Data: data, UpdatedAt: time.Now().UTC()}

	if _, err := s.SaveSettingsWithImage(ctx, dynamo.SettingsRecord{AccountID: "a1", Doc: `{"v":"stale"}`}, rec.Version+1, "company.logo", img); apperr.CodeOf(err) != apperr.PreconditionFailed {
		t.Fatalf("stale write: %v", err)
	}
	if _, err := s.Image(ctx, "a1", "company.logo"); apperr.CodeOf(err) != apperr.NotFound {
		t.Fatalf("a refused write stored the image: %v", err)
	}

	saved, err := s.SaveSettingsWithImage(ctx, dynamo.SettingsRecord{AccountID: "a1", Doc: `{"v":2}`}, rec.Version, "company.logo", img)
	if err != nil || saved.Version != 2 {
		t.Fatalf("save: %+v %v", saved, err)
	}
	got, err := s.Image(ctx, "a1", "company.logo")
	if err != nil || !bytes.Equal(got.Data, data) || got.ContentType != "image/png" || got.SHA256 != "abc" || got.Key != "company.logo" || got.AccountID != "a1" {
		t.Fatalf("Image = %+v (%d bytes), %v", got.ContentType, len(got.Data), err)
	}
	if _, err := s.Image(ctx, "a2", "company.logo"); apperr.CodeOf(err) != apperr.NotFound {
		t.Fatalf("another account's image: %v", err)
	}
	if doc, _ := s.Settings(ctx, "a1"); doc.Doc != `{"v":2}` {
		t.Fatalf("settings = %s", doc.Doc)
	}

	if _, err := s.SaveSettingsWithImage(ctx, dynamo.SettingsRecord{AccountID: "a1", Doc: `{"v":3}`}, saved.Version, "company.logo", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Image(ctx, "a1", "company.logo"); apperr.CodeOf(err) != apperr.NotFound {
		t.Fatalf("deleted image still there: %v", err)
	}
}
