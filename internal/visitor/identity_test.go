package visitor_test

import (
	"context"
	"maps"
	"strings"
	"testing"
	"time"

	"parley/internal/apperr"
	"parley/internal/visitor"
)

func TestCanonicalForm(t *testing.T) {
	// "é" composed and decomposed: the canonical form holds the NFC one.
	f, canonical, err := visitor.Canonical(map[string]string{"name": "Ren\u0065\u0301", "id": "42", "email": "ann@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if want := "email=ann@example.com\nid=42\nname=Ren\u00e9"; canonical != want {
		t.Fatalf("canonical = %q, want %q", canonical, want)
	}
	if f["name"] != "Ren\u00e9" {
		t.Fatalf("fields keep the value as sent: %q", f["name"])
	}
	back, err := visitor.ParseCanonical(canonical)
	if err != nil || !maps.Equal(back, f) {
		t.Fatalf("ParseCanonical(canonical) = %v, %v, want %v", back, err, f)
	}
}

func TestCanonicalRefusals(t *testing.T) {
	for name, in := range map[string]map[string]string{
		"no fields":        {},
		"upper-case key":   {"Name": "x"},
		"key with =":       {"a=b": "x"},
		"empty value":      {"id": ""},
		"line break":       {"name": "Ann\nid=1"},
		"control":          {"name": "Ann\x00"},
		"too long":         {"name": strings.Repeat("x", visitor.MaxValueLen+1)},
		"key starts digit": {"1d": "x"},
	} {
		if _, _, err := visitor.Canonical(in); apperr.CodeOf(err) != apperr.Invalid {
			t.Errorf("%s: err = %v, want invalid", name, err)
		}
	}
	for name, text := range map[string]string{
		"unsorted":       "name=Ann\nid=1",
		"duplicate":      "id=1\nid=2",
		"no equals":      "id",
		"trailing line":  "id=1\n",
		"not NFC":        "name=Rene\u0301",
		"empty":          "",
		"bad key":        "ID=1",
		"carriage":       "id=1\r",
		"invalid utf8":   "id=\xff",
		"too many lines": strings.Repeat("a=1\n", visitor.MaxFields) + "b=1",
	} {
		if _, err := visitor.ParseCanonical(text); apperr.CodeOf(err) != apperr.Invalid {
			t.Errorf("%s: ParseCanonical(%q) err = %v, want invalid", name, text, err)
		}
	}
}

func TestSignAndVerify(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef0123456789abcdef")
	sig := visitor.Sign(key, "id=42")
	if !visitor.Verify(key, "id=42", sig) || !visitor.Verify(key, "id=42", strings.ToUpper(sig)) {
		t.Fatal("a good signature was refused")
	}
	for name, c := range map[string][3]string{
		"other text":  {string(key), "id=43", sig},
		"other key":   {"another key", "id=42", sig},
		"not hex":     {string(key), "id=42", "zz" + sig[2:]},
		"short":       {string(key), "id=42", sig[:62]},
		"empty key":   {"", "id=42", visitor.Sign(nil, "id=42")},
		"empty input": {string(key), "id=42", ""},
	} {
		if visitor.Verify([]byte(c[0]), c[1], c[2]) {
			t.Errorf("%s: accepted", name)
		}
	}
}

type memStore struct{ got map[string]visitor.Fields }

func (m *memStore) SetVisitorIdentity(_ context.Context, acc, v string, f visitor.Fields, _ time.Time) error {
	m.got[acc+"/"+v] = f
	return nil
}

func TestIdentifyStoresOnlyAValidSignature(t *testing.T) {
	m := &memStore{got: map[string]visitor.Fields{}}
	s := &visitor.Service{Store: m, Now: time.Now}
	key := "account-private-key"
	fields := map[string]string{"id": "7", "phone": "+1 555 0100"}
	_, canonical, _ := visitor.Canonical(fields)
	good := visitor.Sign([]byte(key), canonical)

	if _, err := s.Identify(context.Background(), "a", "v", key, visitor.Identification{Fields: fields, Signature: good[:60] + "0000"}); apperr.CodeOf(err) != apperr.Invalid {
		t.Fatalf("bad signature: %v", err)
	}
	if _, err := s.Identify(context.Background(), "a", "v", "other-key", visitor.Identification{Fields: fields, Signature: good}); apperr.CodeOf(err) != apperr.Invalid {
		t.Fatalf("another account's key: %v", err)
	}
	if len(m.got) != 0 {
		t.Fatalf("a refused identification was stored: %v", m.got)
	}
	if _, err := s.Identify(context.Background(), "a", "v", key, visitor.Identification{Payload: canonical, Signature: good}); err != nil {
		t.Fatalf("payload form: %v", err)
	}
	if got := m.got["a/v"]; !maps.Equal(got, visitor.Fields(fields)) {
		t.Fatalf("stored %v, want %v", got, fields)
	}
	if _, err := s.Identify(context.Background(), "a", "v", key, visitor.Identification{Fields: fields, Payload: canonical, Signature: good}); apperr.CodeOf(err) != apperr.Invalid {
		t.Fatalf("both forms at once: %v", err)
	}
}

// FuzzParseCanonical: whatever the text, the parser either refuses it or
// returns fields whose canonical form is exactly the text, so a signature
// checked over the text is a signature over what is stored.
func FuzzParseCanonical(f *testing.F) {
	for _, s := range []string{"id=1", "email=a@b.c\nid=42\nname=Ann", "name=Ren\u00e9", "a=b=c", "id=1\nid=2", "x=\u00a0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		fields, err := visitor.ParseCanonical(text)
		if err != nil {
			if apperr.CodeOf(err) != apperr.Invalid {
				t.Fatalf("error of the wrong kind: %v", err)
			}
			return
		}
		_, canonical, err := visitor.Canonical(fields)
		if err != nil || canonical != text {
			t.Fatalf("ParseCanonical(%q) = %v, whose canonical form is %q (%v)", text, fields, canonical, err)
		}
	})
}

// FuzzCanonical: two fields from arbitrary input are either refused or
// give a canonical form that parses back to the same fields.
func FuzzCanonical(f *testing.F) {
	f.Add("id", "42", "name", "Ann")
	f.Add("name", "a\nb=c", "b", "x")
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2 string) {
		fields, canonical, err := visitor.Canonical(map[string]string{k1: v1, k2: v2})
		if err != nil {
			return
		}
		back, err := visitor.ParseCanonical(canonical)
		if err != nil || !maps.Equal(back, fields) {
			t.Fatalf("canonical %q parses to %v (%v), want %v", canonical, back, err, fields)
		}
	})
}
