package settings_test

import (
	"strings"
	"testing"

	"parley/internal/apperr"
	"parley/internal/settings"
)

func TestParseTelegramBotToken(t *testing.T) {
	secret := "AAF1kz9Qx_3mPz-8YtQwErTyUiOpAsDfGhJ"
	tests := []struct {
		in, want string // want "" = refused
	}{
		{"7012345678:" + secret, "7012345678:" + secret},
		{" 1:" + secret + "\n", "1:" + secret},
		{"1:" + strings.Repeat("_", 35), "1:" + strings.Repeat("_", 35)},
		{"", ""},
		{secret, ""},
		{":" + secret, ""},
		{"12a:" + secret, ""},
		{"-1:" + secret, ""},
		{"1:" + secret[:34], ""},
		{"1:" + secret + "X", ""},
		{"1:" + secret[:34] + "=", ""},
		{"1:" + secret[:34] + "é", ""},
		{"1:2:" + secret[:33], ""},
		{strings.Repeat("9", 21) + ":" + secret, ""},
	}
	for _, tt := range tests {
		got, err := settings.ParseTelegramBotToken(tt.in)
		if tt.want != "" {
			if err != nil || got != tt.want {
				t.Errorf("ParseTelegramBotToken(%q) = %q, %v", tt.in, got, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("ParseTelegramBotToken(%q) accepted", tt.in)
			continue
		}
		// The message never repeats the token: it is a secret.
		if msg := apperr.Public(err).Message; apperr.CodeOf(err) != apperr.Invalid || (tt.in != "" && strings.Contains(msg, strings.TrimSpace(tt.in))) {
			t.Errorf("ParseTelegramBotToken(%q): %v", tt.in, err)
		}
	}
}

// FuzzParseTelegramBotToken: never panics; an accepted token is digits, a
// colon and 35 characters of [A-Za-z0-9_-], and parses to itself.
func FuzzParseTelegramBotToken(f *testing.F) {
	f.Add("7012345678:AAF1kz9Qx_3mPz-8YtQwErTyUiOpAsDfGhJ")
	f.Add("1:x")
	f.Add(" 2:AAF1kz9Qx_3mPz-8YtQwErTyUiOpAsDfGhJ ")
	f.Fuzz(func(t *testing.T, s string) {
		got, err := settings.ParseTelegramBotToken(s)
		if err != nil {
			if apperr.CodeOf(err) != apperr.Invalid {
				t.Fatalf("code %s", apperr.CodeOf(err))
			}
			return
		}
		id, secret, ok := strings.Cut(got, ":")
		if !ok || id == "" || len(secret) != 35 || strings.Trim(id, "0123456789") != "" ||
			strings.Trim(secret, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") != "" {
			t.Fatalf("accepted %q", got)
		}
		if again, err := settings.ParseTelegramBotToken(got); err != nil || again != got {
			t.Fatalf("re-parse: %q, %v", again, err)
		}
	})
}
