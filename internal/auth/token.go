// Package auth signs and checks Parley's tokens and hashes passwords. It
// holds no storage: the account package decides who may sign in, this
// package proves it afterwards.
package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"parley/internal/apperr"
)

// Kind tells what a token was issued for, so a visitor token can never pass
// as an operator's access token.
type Kind string

// Token kinds.
const (
	Access  Kind = "access"
	Visitor Kind = "visitor"
)

// Principal is who is calling: resolved once by the authorizer (HTTP) or at
// $connect (WebSocket) and passed to every handler.
type Principal struct {
	Kind      Kind   `json:"typ"`
	AccountID string `json:"acc"`
	Subject   string `json:"sub"` // person id, or visitor id
	Role      Role   `json:"role,omitempty"`
	// Session names the sign-in an access token belongs to, so signing out
	// (or an administrator revoking a person) ends every token of it at
	// once: the authorizer checks that the session still exists.
	Session   string `json:"sid,omitempty"`
	IssuedAt  int64  `json:"iat"`
	ExpiresAt int64  `json:"exp"`
}

// Signer issues and verifies tokens with one HMAC-SHA256 key.
type Signer struct {
	key []byte
	Now func() time.Time
}

// NewSigner returns a Signer; the key must be at least 32 bytes so it cannot
// be guessed.
func NewSigner(key []byte) (*Signer, error) {
	if len(key) < 32 {
		return nil, errors.New("auth: signing key shorter than 32 bytes")
	}
	return &Signer{key: append([]byte(nil), key...), Now: time.Now}, nil
}

// AccessTTL is how long an access token lives; short, because revocation of
// a person only takes effect when it runs out.
const AccessTTL = 15 * time.Minute

// VisitorTTL is how long a visitor token lives: a returning visitor is
// recognised for a year.
const VisitorTTL = 365 * 24 * time.Hour

// Issue signs a token for p, filling IssuedAt and ExpiresAt from ttl.
func (s *Signer) Issue(p Principal, ttl time.Duration) (string, error) {
	now := s.Now()
	p.IssuedAt = now.Unix()
	p.ExpiresAt = now.Add(ttl).Unix()
	payload, err := json.Marshal(p)
	if err != nil {
		return "", err
	}
	body := base64.RawURLEncoding.EncodeToString(payload)
	return body + "." + base64.RawURLEncoding.EncodeToString(s.mac(body)), nil
}

func (s *Signer) mac(body string) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(body))
	return m.Sum(nil)
}

// Verify checks a token's signature (in constant time), kind and expiry.
// Every failure is apperr.Unauthorized with no detail an attacker could use.
func (s *Signer) Verify(token string, want Kind) (Principal, error) {
	fail := apperr.New(apperr.Unauthorized, "the token is missing, invalid or expired")
	body, sig, ok := strings.Cut(token, ".")
	if !ok || body == "" {
		return Principal{}, fail
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, s.mac(body)) {
		return Principal{}, fail
	}
	payload, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil {
		return Principal{}, fail
	}
	var p Principal
	if err := json.Unmarshal(payload, &p); err != nil {
		return Principal{}, fail
	}
	if p.Kind != want || p.AccountID == "" || p.Subject == "" || s.Now().Unix() >= p.ExpiresAt {
		return Principal{}, fail
	}
	return p, nil
}

// BearerToken extracts the token from an Authorization header value.
func BearerToken(header string) string {
	scheme, token, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}
