package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
)

// secretLen is the entropy of refresh and link secrets: 256 bits, so they
// cannot be guessed and need no salt or slow hash when stored.
const secretLen = 32

// NewSecret returns a random secret for a refresh token or a one-time link,
// URL-safe, and the hash under which it is stored. Only the hash is kept:
// a leaked table does not hand out sign-ins.
func NewSecret() (secret, hash string) {
	b := make([]byte, secretLen)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	secret = base64.RawURLEncoding.EncodeToString(b)
	return secret, HashSecret(secret)
}

// HashSecret is the stored form of a secret made by NewSecret: SHA-256 in
// hex. A fast hash is enough because the secret has 256 bits of entropy;
// lookups by hash are what make the check constant-time with respect to the
// secret (a key lookup, never a byte-by-byte comparison in Go).
func HashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}
