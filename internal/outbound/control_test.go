package outbound

import (
	"errors"
	"testing"
)

// TestControlHook: the socket-level check refuses what the dialler was
// about to connect to, whatever resolution said before, in every form the
// kernel reports it.
func TestControlHook(t *testing.T) {
	for addr, loopbackOK := range map[string]bool{
		"127.0.0.1:80": true, "[::1]:80": true, "[::ffff:127.0.0.1]:80": true,
		"10.0.0.1:80": false, "169.254.169.254:80": false, "[fe80::1]:80": false, "[::ffff:192.168.0.1]:443": false, "not-an-address": false,
	} {
		if err := control(false)("tcp", addr, nil); !errors.Is(err, ErrForbiddenAddress) {
			t.Errorf("%s: %v, want a refusal", addr, err)
		}
		if err := control(true)("tcp", addr, nil); (err == nil) != loopbackOK {
			t.Errorf("%s with loopback allowed: %v", addr, err)
		}
	}
	if err := control(false)("tcp", "93.184.216.34:443", nil); err != nil {
		t.Errorf("a public address: %v", err)
	}
}
