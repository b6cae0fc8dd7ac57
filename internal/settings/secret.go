package settings

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net/url"
	"strings"
	"unicode/utf8"
)

// secretBytes is the entropy of a generated secret: 192 bits, written as
// 48 hex characters, which also fits VK's 50-character limit on the
// Callback API secret key.
const secretBytes = 24

// MaskPrefix starts every masked secret.
const MaskPrefix = "••••"

// maskRevealMin is the shortest secret whose last 4 characters a mask
// shows; shorter ones (passwords, mostly) show none, so a mask never gives
// away a large part of a secret.
const maskRevealMin = 12

// NewSecret draws a new generated secret from rand (crypto/rand.Reader in
// production; tests inject a fixed stream). It fails only when rand does.
func NewSecret(rand io.Reader) (string, error) {
	b := make([]byte, secretBytes)
	if _, err := io.ReadFull(rand, b); err != nil {
		return "", fmt.Errorf("settings: read random bytes: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// signingKeyBytes is the webhook signing key's entropy: 256 bits.
const signingKeyBytes = 32

// NewSigningSecret draws integration.webhooks.signingSecret from rand, in
// the Standard Webhooks form: whsec_ and the key's bytes in base64.
func NewSigningSecret(rand io.Reader) (string, error) {
	b := make([]byte, signingKeyBytes)
	if _, err := io.ReadFull(rand, b); err != nil {
		return "", fmt.Errorf("settings: read random bytes: %w", err)
	}
	return "whsec_" + base64.StdEncoding.EncodeToString(b), nil
}

// Mask is the read form of a secret: "" stays "", a secret of at least 12
// characters shows as MaskPrefix and its last 4 characters (••••1a2b), a
// shorter one as MaskPrefix alone. A write that sends the mask back keeps
// the secret.
func Mask(secret string) string {
	if secret == "" {
		return ""
	}
	if utf8.RuneCountInString(secret) < maskRevealMin {
		return MaskPrefix
	}
	r := []rune(secret)
	return MaskPrefix + string(r[len(r)-4:])
}

// maskURLPassword replaces the password of a URL's user-info with
// MaskPrefix, leaving the rest as stored. URLs without a password come back
// unchanged.
func maskURLPassword(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	if _, ok := u.User.Password(); !ok {
		return raw
	}
	// Rebuild only the authority so the rest stays byte-for-byte as typed.
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return raw
	}
	at := strings.LastIndexByte(authorityOf(rest), '@')
	if at < 0 {
		return raw
	}
	userinfo := rest[:at]
	name, _, _ := strings.Cut(userinfo, ":")
	return scheme + "://" + name + ":" + MaskPrefix + rest[at:]
}

// authorityOf is the authority part of what follows "scheme://".
func authorityOf(rest string) string {
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		return rest[:i]
	}
	return rest
}

// looksMasked reports whether a value a client sent contains the mask
// bullets, which no real secret does: it is a mask that does not match the
// stored secret.
func looksMasked(s string) bool {
	return strings.Contains(s, "•")
}
