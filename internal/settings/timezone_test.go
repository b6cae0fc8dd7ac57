package settings_test

import (
	"testing"

	"parley/internal/apperr"
	"parley/internal/settings"
)

func TestParseTimezone(t *testing.T) {
	tests := []struct {
		in string
		ok bool
	}{
		{"Europe/Moscow", true},
		{"Asia/Yekaterinburg", true},
		{"America/Argentina/Buenos_Aires", true},
		{"Etc/GMT+3", true},
		{"UTC", true},
		{"", false},
		{"Local", false},
		{"europe/moscow", false},
		{"Mars/Olympus", false},
		{"Europe/Moscow ", false},
		{"../../etc/passwd", false},
		{"/usr/share/zoneinfo/UTC", false},
		{"Europe//Moscow", false},
		{"posix/Europe/Moscow", false},
		{"right/UTC", false},
		{"posixrules", false},
		{"localtime", false},
		{"UTC+3", false},
	}
	for _, tt := range tests {
		loc, err := settings.ParseTimezone(tt.in)
		if tt.ok {
			if err != nil || loc.String() != tt.in {
				t.Errorf("ParseTimezone(%q) = %v, %v", tt.in, loc, err)
			}
			continue
		}
		if apperr.CodeOf(err) != apperr.Invalid {
			t.Errorf("ParseTimezone(%q) = %v, %v; want invalid", tt.in, loc, err)
		}
	}
}

// FuzzParseTimezone: never panics; an accepted zone is named as given and
// loads again.
func FuzzParseTimezone(f *testing.F) {
	for _, s := range []string{"Europe/Moscow", "Local", "", "UTC", "../x", "Etc/GMT-14"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		loc, err := settings.ParseTimezone(name)
		if err != nil {
			if apperr.CodeOf(err) != apperr.Invalid {
				t.Fatalf("code %s", apperr.CodeOf(err))
			}
			return
		}
		if loc.String() != name || name == "Local" {
			t.Fatalf("accepted %q as %q", name, loc)
		}
		if _, err := settings.ParseTimezone(loc.String()); err != nil {
			t.Fatalf("re-parse: %v", err)
		}
	})
}
