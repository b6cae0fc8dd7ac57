package settings_test

import (
	"bytes"
	"encoding/base64"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"parley/internal/apperr"
	"parley/internal/settings"
	"parley/internal/testkit/keymatrix"
)

const botToken = "7012345678:AAF1kz9Qx_3mPz-8YtQwErTyUiOpAsDfGhJ"

// nonEmptyText marks a default that is a language-dependent text, checked
// by TestDefaultTexts rather than spelled out here.
const nonEmptyText = `"<non-empty text>"`

// keyCase is one dotted key of SPEC §2: its default in the read form of a
// new account, a PATCH body of its section that is accepted with the read
// value it leads to, and a PATCH body that is refused with exactly that key.
type keyCase struct {
	key    string
	def    string // JSON of the read value of a new (ru) account
	ok     string // PATCH body (the section object)
	okRead string // JSON of the read value after ok
	bad    string // PATCH body refused on key
}

var genMask = settings.Mask(secretOf(0xab))

var sigMask = settings.Mask("whsec_" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0xab}, 32)))

// keyCases are the SPEC §2 key matrix's cases (internal/testkit/keymatrix)
// as the domain sees them.
var keyCases = func() []keyCase {
	keys, err := keymatrix.Domain(keymatrix.Vars{CallbackURL: "https://parley.example.com/v1/channels/vk/acc-1",
		PrivateKeyMask: genMask, VKSecretMask: genMask, SigningSecretMask: sigMask, CallerIP: "10.0.0.5"})
	if err != nil {
		panic(err)
	}
	out := make([]keyCase, len(keys))
	for i, k := range keys {
		out[i] = keyCase{k.Key, k.Default, k.OK, k.OKRead, k.Bad}
	}
	return out
}()

var corporate = settings.WriteContext{Plan: settings.PlanCorporate, SourceIP: "10.0.0.5", View: testView}

func TestEveryKeyIsCovered(t *testing.T) {
	var read []string
	flatKeys("", newAccount(t).View(testView), &read)
	var covered []string
	for _, c := range keyCases {
		covered = append(covered, c.key)
	}
	slices.Sort(read)
	slices.Sort(covered)
	if diff := cmp.Diff(read, covered); diff != "" {
		t.Errorf("read-form keys (-) vs keys with cases (+):\n%s", diff)
	}
}

func TestKeyDefaults(t *testing.T) {
	d, err := settings.NewAccountDocument("", repeatReader(0xab))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range keyCases {
		t.Run(c.key, func(t *testing.T) {
			got := readKey(t, d, c.key)
			if c.def == nonEmptyText {
				if s, ok := got.(string); !ok || s == "" {
					t.Errorf("default = %#v, want a non-empty text", got)
				}
				return
			}
			if diff := cmp.Diff(asJSON(t, c.def), got); diff != "" {
				t.Errorf("default (-want +got):\n%s", diff)
			}
		})
	}
}

func TestKeyAccepted(t *testing.T) {
	for _, c := range keyCases {
		t.Run(c.key, func(t *testing.T) {
			section, _, _ := strings.Cut(c.key, ".")
			d, _, err := validAccount(t).Patch(section, []byte(c.ok), corporate)
			if err != nil {
				t.Fatalf("Patch(%s) = %v", c.ok, err)
			}
			if diff := cmp.Diff(asJSON(t, c.okRead), readKey(t, d, c.key)); diff != "" {
				t.Errorf("read after write (-want +got):\n%s", diff)
			}
		})
	}
}

func TestKeyRefused(t *testing.T) {
	for _, c := range keyCases {
		t.Run(c.key, func(t *testing.T) {
			section, _, _ := strings.Cut(c.key, ".")
			before := validAccount(t)
			got, changes, err := before.Patch(section, []byte(c.bad), corporate)
			if err == nil {
				t.Fatalf("Patch(%s) accepted", c.bad)
			}
			code, fields := fieldsOf(t, err)
			if code != apperr.Invalid {
				t.Errorf("code = %s, want invalid", code)
			}
			if _, ok := fields[c.key]; !ok || len(fields) != 1 {
				t.Errorf("fields = %v, want exactly %s", fields, c.key)
			}
			if changes != nil {
				t.Errorf("changes = %v, want none", changes)
			}
			if diff := cmp.Diff(before, got); diff != "" {
				t.Errorf("document changed on error:\n%s", diff)
			}
		})
	}
}
