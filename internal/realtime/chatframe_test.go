package realtime_test

import (
	"encoding/json"
	"strings"
	"testing"

	"parley/internal/apperr"
	"parley/internal/realtime"
)

func TestDecodeFrame(t *testing.T) {
	for _, tc := range []struct {
		in   string
		code apperr.Code // "" for success
	}{
		{`{"action":"sendMessage","chatId":"01a2","clientId":"c1","text":"hi"}`, ""},
		{`{"action":"hello","since":3}`, ""},
		{`not json`, apperr.Invalid},
		{`[]`, apperr.Invalid},
		{`{"text":"no action"}`, apperr.Invalid},
		{`{"action":"sendMessage","txet":"typo"}`, apperr.Invalid},
		{`{"action":"read","seq":"3"}`, apperr.Invalid},
		{`{"action":"read","seq":-1}`, apperr.Invalid},
		{`{"action":"ping"} {"action":"ping"}`, apperr.Invalid},
		{`{"action":"sendMessage","text":"` + strings.Repeat("a", realtime.MaxFrameBytes) + `"}`, apperr.TooLarge},
	} {
		_, err := realtime.DecodeFrame([]byte(tc.in))
		if got := map[bool]apperr.Code{true: apperr.CodeOf(err)}[err != nil]; got != tc.code {
			t.Errorf("DecodeFrame(%.60q): %v, want code %q", tc.in, err, tc.code)
		}
	}
}

// FuzzDecodeFrame: any input decodes or is refused with a client error,
// never a panic or an internal error, and what decodes re-encodes to a
// frame that decodes the same.
func FuzzDecodeFrame(f *testing.F) {
	for _, s := range []string{`{"action":"sendMessage","chatId":"x","clientId":"c","text":"hi"}`, `{"action":"hello","since":1}`, `{"action":"typing","typing":true}`, `{}`, `[`, `{"action":1}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, err := realtime.DecodeFrame(b)
		if err != nil {
			if c := apperr.CodeOf(err); c != apperr.Invalid && c != apperr.TooLarge {
				t.Fatalf("code %s for %q", c, b)
			}
			return
		}
		again, err := json.Marshal(fr)
		if err != nil {
			t.Fatal(err)
		}
		back, err := realtime.DecodeFrame(again)
		if err != nil || back != fr {
			t.Fatalf("round trip of %q: %+v, %v", b, back, err)
		}
	})
}
