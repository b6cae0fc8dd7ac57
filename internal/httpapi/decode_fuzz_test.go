package httpapi_test

import (
	"encoding/json"
	"testing"

	"parley/internal/apperr"
	"parley/internal/httpapi"
)

// FuzzDecodeJSON: any body either decodes or is refused as invalid with a
// message, never a panic or an internal error.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{`{"email":"a@b","password":"x"}`, `{"email":1}`, `{"other":true}`, `{} {}`, `{}]`, `[`, ``} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var v struct {
			Email    string `json:"email"`
			Password string `json:"password"`
		}
		err := httpapi.DecodeJSON(body, &v)
		if err != nil && apperr.CodeOf(err) != apperr.Invalid {
			t.Fatalf("DecodeJSON(%q): %v is not an invalid-input error", body, err)
		}
		// What is accepted is one JSON value: encoding/json agrees it is
		// valid as a whole (trailing garbage is not).
		if err == nil && !json.Valid(body) {
			t.Fatalf("DecodeJSON(%q) accepted a body that is not one JSON value", body)
		}
	})
}
