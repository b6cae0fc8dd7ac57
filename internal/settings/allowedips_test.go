package settings_test

import (
	"strings"
	"testing"

	"parley/internal/apperr"
	"parley/internal/settings"
)

func TestParseAllowedIPs(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		want  string // the canonical form; "" with error set = refused
		error string
	}{
		{"empty", "", "", ""},
		{"blank", " \n ", "", ""},
		{"the documented example", "54.37.12.118, 192.168.0.123, 192.168.0.1-192.168.0.50", "54.37.12.118, 192.168.0.123, 192.168.0.1-192.168.0.50", ""},
		{"newlines and spaces", "1.2.3.4\n5.6.7.8 ,\t9.9.9.9", "1.2.3.4, 5.6.7.8, 9.9.9.9", ""},
		{"spaces around the hyphen", "10.0.0.1 - 10.0.0.9, 10.0.1.1 -10.0.1.2, 10.0.2.1- 10.0.2.2", "10.0.0.1-10.0.0.9, 10.0.1.1-10.0.1.2, 10.0.2.1-10.0.2.2", ""},
		{"trailing comma and semicolons", "1.2.3.4;5.6.7.8,", "1.2.3.4, 5.6.7.8", ""},
		{"one-address range", "1.2.3.4-1.2.3.4", "1.2.3.4", ""},
		{"reversed", "10.0.0.9-10.0.0.1", "", "reversed; write 10.0.0.1-10.0.0.9"},
		{"CIDR", "192.168.0.0/24", "", "write the range 192.168.0.0-192.168.0.255 instead"},
		{"CIDR unmasked", "192.168.0.7/30", "", "write the range 192.168.0.4-192.168.0.7 instead"},
		{"bad CIDR", "192.168.0.0/99", "", "subnet masks are not supported"},
		{"IPv6", "2001:db8::1", "", "only IPv4"},
		{"IPv4-mapped IPv6", "::ffff:1.2.3.4", "", "only IPv4"},
		{"host name", "office.example.com", "", "not an IPv4 address"},
		{"octet too big", "1.2.3.256", "", "not an IPv4 address"},
		{"leading zeros", "01.2.3.4", "", "not an IPv4 address"},
		{"open range", "1.2.3.4-", "", "not an IPv4 address"},
		{"three ends", "1.1.1.1-2.2.2.2-3.3.3.3", "", "not an IPv4 address"},
		{"every problem reported", "x, 1.2.3.4, y", "", `"x"`},
		{"too long", strings.Repeat("1.2.3.4,", 2000), "", "too long"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := settings.ParseAllowedIPs(tt.in)
			if tt.error == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if got.String() != tt.want {
					t.Errorf("= %q, want %q", got.String(), tt.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted: %v", got)
			}
			if apperr.CodeOf(err) != apperr.Invalid || !strings.Contains(apperr.Public(err).Message, tt.error) {
				t.Errorf("error %v, want it to contain %q", err, tt.error)
			}
		})
	}
	if _, err := settings.ParseAllowedIPs("x, y"); !strings.Contains(apperr.Public(err).Message, `"y"`) {
		t.Errorf("second problem not reported: %v", err)
	}
}

func TestIPRangesContains(t *testing.T) {
	rs, err := settings.ParseAllowedIPs("54.37.12.118, 192.168.0.1-192.168.0.50")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		ip   string
		want bool
	}{
		{"54.37.12.118", true},
		{"54.37.12.119", false},
		{"192.168.0.1", true},
		{"192.168.0.50", true},
		{"192.168.0.51", false},
		{"192.168.0.0", false},
		{" 192.168.0.7 ", true},
		{"::ffff:192.168.0.7", true},
		{"2001:db8::1", false},
		{"", false},
		{"nonsense", false},
	}
	for _, tt := range tests {
		if got := rs.Contains(tt.ip); got != tt.want {
			t.Errorf("Contains(%q) = %v, want %v", tt.ip, got, tt.want)
		}
		if got := rs.Allows(tt.ip); got != tt.want {
			t.Errorf("Allows(%q) = %v, want %v", tt.ip, got, tt.want)
		}
	}
	var none settings.IPRanges
	if none.Contains("1.2.3.4") || !none.Allows("1.2.3.4") || !none.Allows("") {
		t.Error("an empty list must contain nothing and allow everything")
	}
}

// FuzzParseAllowedIPs: never panics; accepted ranges are IPv4, ordered,
// contain their ends, and their canonical form parses to the same ranges.
func FuzzParseAllowedIPs(f *testing.F) {
	for _, s := range []string{"", "54.37.12.118, 192.168.0.123, 192.168.0.1-192.168.0.50", "1.2.3.4 - 1.2.3.9", "10.0.0.0/8", "::1", "9.9.9.9-1.1.1.1", "1.2.3.4,,\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		rs, err := settings.ParseAllowedIPs(text)
		if err != nil {
			if apperr.CodeOf(err) != apperr.Invalid {
				t.Fatalf("code %s", apperr.CodeOf(err))
			}
			return
		}
		for _, r := range rs {
			if !r.From.Is4() || !r.To.Is4() || r.To.Less(r.From) {
				t.Fatalf("bad range %v", r)
			}
			if !rs.Contains(r.From.String()) || !rs.Contains(r.To.String()) {
				t.Fatalf("%v does not contain its ends", r)
			}
		}
		again, err := settings.ParseAllowedIPs(rs.String())
		if err != nil {
			t.Fatalf("re-parse of %q: %v", rs.String(), err)
		}
		if again.String() != rs.String() || len(again) != len(rs) {
			t.Fatalf("re-parse differs: %q vs %q", again.String(), rs.String())
		}
	})
}
