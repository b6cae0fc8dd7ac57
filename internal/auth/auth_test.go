package auth_test

import (
	"strings"
	"testing"
	"time"

	"parley/internal/apperr"
	"parley/internal/auth"
)

func newSigner(t *testing.T, now time.Time) *auth.Signer {
	t.Helper()
	s, err := auth.NewSigner([]byte(strings.Repeat("k", 32)))
	if err != nil {
		t.Fatal(err)
	}
	s.Now = func() time.Time { return now }
	return s
}

func TestTokenRoundTripAndRefusals(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	s := newSigner(t, now)
	tok, err := s.Issue(auth.Principal{Kind: auth.Access, AccountID: "a1", Subject: "u1", Role: auth.Administrator}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.Verify(tok, auth.Access)
	if err != nil || p.AccountID != "a1" || p.Subject != "u1" || p.Role != auth.Administrator {
		t.Fatalf("Verify = %+v, %v", p, err)
	}

	other, _ := auth.NewSigner([]byte(strings.Repeat("x", 32)))
	later := newSigner(t, now.Add(2*time.Minute))
	body, sig, _ := strings.Cut(tok, ".")
	cases := map[string]func() (auth.Principal, error){
		"wrong kind":     func() (auth.Principal, error) { return s.Verify(tok, auth.Visitor) },
		"other key":      func() (auth.Principal, error) { return other.Verify(tok, auth.Access) },
		"expired":        func() (auth.Principal, error) { return later.Verify(tok, auth.Access) },
		"tampered body":  func() (auth.Principal, error) { return s.Verify("x"+body+"."+sig, auth.Access) },
		"no signature":   func() (auth.Principal, error) { return s.Verify(body, auth.Access) },
		"empty":          func() (auth.Principal, error) { return s.Verify("", auth.Access) },
		"garbage base64": func() (auth.Principal, error) { return s.Verify("!!.??", auth.Access) },
	}
	for name, verify := range cases {
		if _, err := verify(); apperr.CodeOf(err) != apperr.Unauthorized {
			t.Errorf("%s: err = %v, want unauthorized", name, err)
		}
	}
}

func TestShortKeyRefused(t *testing.T) {
	if _, err := auth.NewSigner([]byte("short")); err == nil {
		t.Fatal("a short key was accepted")
	}
}

func TestPassword(t *testing.T) {
	h, err := auth.HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !auth.CheckPassword(h, "correct horse") {
		t.Fatal("the right password was refused")
	}
	if auth.CheckPassword(h, "correct horsE") || auth.CheckPassword("", "x") || auth.CheckPassword("$argon2id$v=19$m=999999999,t=1,p=1$AA$AA", "x") {
		t.Fatal("a wrong password or a bad hash was accepted")
	}
}

func TestBearerToken(t *testing.T) {
	for in, want := range map[string]string{"Bearer abc": "abc", "bearer  abc ": "abc", "Basic abc": "", "abc": "", "": ""} {
		if got := auth.BearerToken(in); got != want {
			t.Errorf("BearerToken(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzVerify(f *testing.F) {
	s, _ := auth.NewSigner([]byte(strings.Repeat("k", 32)))
	good, _ := s.Issue(auth.Principal{Kind: auth.Access, AccountID: "a", Subject: "u"}, time.Hour)
	f.Add(good)
	f.Add("a.b")
	f.Fuzz(func(t *testing.T, token string) {
		p, err := s.Verify(token, auth.Access)
		if err == nil && token != good && (p.AccountID == "" || p.Subject == "") {
			t.Fatalf("accepted a token without account or subject: %q", token)
		}
	})
}
