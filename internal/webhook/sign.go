// Package webhook delivers the events of SPEC §4.9 (chatStart, chatAssign,
// chatClose) to the account's event handlers, signed after the Standard
// Webhooks convention, at least once, with back-off, durably: the stream
// consumer turns a chat's change into a Delivery (Enqueuer) and the
// dispatcher, its own function, sends due deliveries through the outbound
// client and schedules the retries (Dispatcher). The store keeps a
// delivery and a pointer to it under the second it is due, so finding
// what is due is one Query per second, as for timers.
package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"
)

// SecretPrefix starts every signing secret (settings.NewSigningSecret
// draws them), as Standard Webhooks writes them: the rest is the key,
// base64-encoded.
const SecretPrefix = "whsec_"

// The headers of a signed delivery.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

func secretKey(secret string) ([]byte, error) {
	k, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, SecretPrefix))
	if err != nil || len(k) == 0 {
		return nil, errors.New("webhook: the signing secret is not whsec_ and base64")
	}
	return k, nil
}

// Sign is the webhook-signature header of a delivery: v1, and the base64
// HMAC-SHA256, keyed with the secret's bytes, of "id.timestamp.body".
func Sign(secret, id string, ts time.Time, body []byte) (string, error) {
	k, err := secretKey(secret)
	if err != nil {
		return "", err
	}
	return "v1," + base64.StdEncoding.EncodeToString(mac(k, id, ts.Unix(), body)), nil
}

func mac(key []byte, id string, ts int64, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id + "." + strconv.FormatInt(ts, 10) + "."))
	m.Write(body)
	return m.Sum(nil)
}

// Verify is what a receiver does (the README shows it in Go): the
// timestamp within tolerance of now, and one of the space-separated v1
// signatures equal, compared in constant time. Parley's tests check every
// delivery with it.
func Verify(secret, id, timestamp, signatures string, body []byte, now time.Time, tolerance time.Duration) error {
	k, err := secretKey(secret)
	if err != nil {
		return err
	}
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return errors.New("webhook: bad timestamp")
	}
	if d := now.Sub(time.Unix(ts, 0)); d > tolerance || d < -tolerance {
		return errors.New("webhook: timestamp out of tolerance")
	}
	want := mac(k, id, ts, body)
	for _, s := range strings.Fields(signatures) {
		v, sig, ok := strings.Cut(s, ",")
		if !ok || v != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(sig)
		if err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return errors.New("webhook: no signature matches")
}
