// Package visitor holds what Parley knows about a site's visitors beyond
// their anonymous token: the identification a site may sign for them
// (SPEC §4.11).
//
// # Signed identification
//
// A site that knows who its visitor is (a signed-in customer) passes the
// fields (id, name, email, phone, or others) to the widget together with a
// signature computed on the site's server:
//
//	signature = hex(HMAC-SHA256(key = integration.privateKey as UTF-8 bytes,
//	                            message = canonical form of the fields))
//
// The canonical form is one line `key=value` per field, the lines sorted
// by key (byte order) and joined with a single "\n", no trailing newline.
// Keys are 1 to 32 characters of a-z, 0-9 and _, starting with a letter;
// values are 1 to 1000 bytes of UTF-8 in Unicode normalisation form C
// (NFC), without control characters (so no value can forge a line). For
// example, {"name": "Ann", "id": "42"} is "id=42\nname=Ann".
package visitor

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"parley/internal/apperr"
)

// Fields are what a site says about its visitor, by key.
type Fields map[string]string

// Limits of an identification.
const (
	MaxFields   = 20
	MaxKeyLen   = 32
	MaxValueLen = 1000
)

// Canonical checks fields and returns them with NFC-normalised values and
// their canonical form (see the package comment). Errors: apperr.Invalid
// with a message per offending field, under "fields.<key>".
func Canonical(in map[string]string) (Fields, string, error) {
	if len(in) == 0 {
		return nil, "", invalid("fields", "at least one field (id, name, email, phone...) is required")
	}
	if len(in) > MaxFields {
		return nil, "", invalid("fields", fmt.Sprintf("at most %d fields are allowed", MaxFields))
	}
	problems := map[string]string{}
	out := Fields{}
	for k, v := range in {
		if msg := checkKey(k); msg != "" {
			problems["fields."+k] = msg
			continue
		}
		v = norm.NFC.String(v)
		if msg := checkValue(v); msg != "" {
			problems["fields."+k] = msg
			continue
		}
		out[k] = v
	}
	if len(problems) > 0 {
		return nil, "", &apperr.Error{Code: apperr.Invalid, Message: "the identification fields are not valid", Fields: problems}
	}
	return out, out.canonical(), nil
}

func (f Fields) canonical() string {
	keys := make([]string, 0, len(f))
	for k := range f {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(f[k])
	}
	return b.String()
}

// ParseCanonical reads a canonical form back into its fields, for sites
// that pass the signed text itself. Only text that is exactly canonical is
// accepted (sorted, no duplicate keys, NFC values): anything else has a
// different canonical form, and a signature over it could not be checked
// against what Parley stores. Errors: apperr.Invalid (field payload).
func ParseCanonical(text string) (Fields, error) {
	if text == "" {
		return nil, invalid("payload", "is empty: at least one field key=value is required")
	}
	if !utf8.ValidString(text) {
		return nil, invalid("payload", "is not valid UTF-8")
	}
	lines := strings.Split(text, "\n")
	if len(lines) > MaxFields {
		return nil, invalid("payload", fmt.Sprintf("at most %d fields are allowed", MaxFields))
	}
	out := Fields{}
	prev := ""
	for i, line := range lines {
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return nil, invalid("payload", fmt.Sprintf("line %d is not key=value", i+1))
		}
		if msg := checkKey(k); msg != "" {
			return nil, invalid("payload", fmt.Sprintf("line %d: key %s", i+1, msg))
		}
		if i > 0 && k <= prev {
			return nil, invalid("payload", fmt.Sprintf("line %d: keys must be sorted and distinct (%q after %q)", i+1, k, prev))
		}
		if msg := checkValue(v); msg != "" {
			return nil, invalid("payload", fmt.Sprintf("line %d: value %s", i+1, msg))
		}
		if !norm.NFC.IsNormalString(v) {
			return nil, invalid("payload", fmt.Sprintf("line %d: the value must be in Unicode normalisation form C (NFC)", i+1))
		}
		out[k] = v
		prev = k
	}
	return out, nil
}

func checkKey(k string) string {
	if k == "" || len(k) > MaxKeyLen || k[0] < 'a' || k[0] > 'z' {
		return fmt.Sprintf("must be 1 to %d characters of a-z, 0-9 and _, starting with a letter", MaxKeyLen)
	}
	for _, c := range []byte(k) {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return fmt.Sprintf("must be 1 to %d characters of a-z, 0-9 and _, starting with a letter", MaxKeyLen)
		}
	}
	return ""
}

func checkValue(v string) string {
	switch {
	case v == "":
		return "must not be empty (leave the field out instead)"
	case len(v) > MaxValueLen:
		return fmt.Sprintf("must be at most %d bytes", MaxValueLen)
	case !utf8.ValidString(v):
		return "must be valid UTF-8"
	case strings.ContainsFunc(v, unicode.IsControl):
		return "must not contain control characters such as line breaks"
	}
	return ""
}

func invalid(field, msg string) error {
	return &apperr.Error{Code: apperr.Invalid, Message: "the identification is not valid: " + field + " " + msg, Fields: map[string]string{field: msg}}
}

// Sign is the signature of a canonical form under key: lower-case hex of
// HMAC-SHA256. Sites compute the same on their server.
func Sign(key []byte, canonical string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(canonical))
	return hex.EncodeToString(m.Sum(nil))
}

// Verify reports whether signature (hex, either case) is the signature of
// canonical under key, comparing in constant time.
func Verify(key []byte, canonical, signature string) bool {
	got, err := hex.DecodeString(signature)
	if err != nil || len(got) != sha256.Size || len(key) == 0 {
		return false
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(canonical))
	return hmac.Equal(got, m.Sum(nil))
}
