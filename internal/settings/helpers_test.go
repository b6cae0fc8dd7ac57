package settings_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"parley/internal/apperr"
	"parley/internal/settings"
)

// repeatReader is a random source that returns one byte forever, so
// generated secrets are known in advance.
type repeatReader byte

func (r repeatReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r)
	}
	return len(p), nil
}

// failingReader is a random source that is broken.
type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("entropy exhausted") }

// secretOf is what NewSecret returns from repeatReader(b).
func secretOf(b byte) string {
	s, err := settings.NewSecret(repeatReader(b))
	if err != nil {
		panic(err)
	}
	return s
}

var testView = settings.ViewContext{AccountID: "acc-1", PublicBaseURL: "https://parley.example.com/"}

// newAccount is a fresh English account with generated secrets from
// repeatReader(0xab).
func newAccount(t testing.TB) settings.Document {
	t.Helper()
	d, err := settings.NewAccountDocument("en", repeatReader(0xab))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// validAccount is a fresh account whose required keys are filled, so that
// any section can be written.
func validAccount(t testing.TB) settings.Document {
	t.Helper()
	d := newAccount(t)
	d.Company.Name = "Acme"
	d.Emails.LeftMessages = []string{"left@acme.example"}
	d.Emails.NegativeReviews = []string{"bad@acme.example"}
	d.Emails.DailyReports = []string{"daily@acme.example"}
	return d
}

// readKey is the value of a dotted key in the read form, as JSON decodes
// it (numbers are float64, objects map[string]any).
func readKey(t testing.TB, d settings.Document, key string) any {
	t.Helper()
	b, err := json.Marshal(d.View(testView))
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	for _, p := range strings.Split(key, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("read form: %s is not under an object", key)
		}
		v, ok = m[p]
		if !ok {
			t.Fatalf("read form has no %s", key)
		}
	}
	return v
}

// asJSON decodes a JSON literal the way readKey returns values.
func asJSON(t testing.TB, lit string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(lit), &v); err != nil {
		t.Fatalf("bad literal %s: %v", lit, err)
	}
	return v
}

// fieldsOf returns the code and fields of an apperr error.
func fieldsOf(t testing.TB, err error) (apperr.Code, map[string]string) {
	t.Helper()
	var e *apperr.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v is not an *apperr.Error", err)
	}
	return e.Code, e.Fields
}

// flatKeys lists the dotted keys of a read form.
func flatKeys(prefix string, m map[string]any, out *[]string) {
	for k, v := range m {
		key := k
		if prefix != "" {
			key = prefix + "." + k
		}
		if sub, ok := v.(map[string]any); ok {
			flatKeys(key, sub, out)
			continue
		}
		*out = append(*out, key)
	}
}
