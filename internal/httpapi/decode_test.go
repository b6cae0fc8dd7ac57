package httpapi_test

import (
	"testing"

	"parley/internal/apperr"
	"parley/internal/httpapi"
)

// TestDecodeJSONTrailing: a body is one JSON value and white space; a
// stray bracket or anything else after it is refused, and v stays as a
// refused body leaves it for the handler (which then does nothing).
func TestDecodeJSONTrailing(t *testing.T) {
	for body, ok := range map[string]bool{
		`{"email":"a@b"}`:          true,
		"{\"email\":\"a@b\"} \n\t": true,
		`{"email":"a@b"}]`:         false,
		`{"email":"a@b"}}`:         false,
		`{"email":"a@b"} x`:        false,
		`{"email":"a@b"}{}`:        false,
		`{"email":"a@b"},`:         false,
	} {
		var v struct {
			Email string `json:"email"`
		}
		err := httpapi.DecodeJSON([]byte(body), &v)
		if ok && err != nil {
			t.Errorf("DecodeJSON(%q): %v, want it accepted", body, err)
		}
		if !ok && apperr.CodeOf(err) != apperr.Invalid {
			t.Errorf("DecodeJSON(%q): %v, want invalid", body, err)
		}
	}
}
