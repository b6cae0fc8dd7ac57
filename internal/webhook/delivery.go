package webhook

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"
)

// Status is where a delivery is.
type Status string

// The statuses of a delivery: pending until a 2xx (delivered) or until it
// is given up or fails for good (failed). Only pending deliveries have a
// due pointer.
const (
	Pending   Status = "pending"
	Delivered Status = "delivered"
	Failed    Status = "failed"
)

// Delivery is one event for one handler, and its attempts so far.
type Delivery struct {
	AccountID string
	// ID is the webhook-id header and the body's id: the same on every
	// attempt, so a receiver can drop a duplicate. Time-ordered.
	ID     string
	Event  Event
	ChatID string
	Body   []byte
	Test   bool
	Status Status
	// Attempts counts every attempt, redeliveries included.
	Attempts int
	// LastStatus is the HTTP status of the last answer, 0 for none;
	// LastError why the last attempt failed (never with credentials);
	// Latency how long it took.
	LastStatus int
	LastError  string
	Latency    time.Duration
	// Target is the redacted URL of the last attempt (no credentials, no
	// query).
	Target    string
	CreatedAt time.Time
	// Since is when the current series of attempts began (creation, or a
	// redelivery): GiveUpAfter counts from it.
	Since time.Time
	// NextAt is when the next attempt is due while pending.
	NextAt     time.Time
	FinishedAt time.Time
}

// Due points at a pending delivery from the second it is due.
type Due struct {
	AccountID string
	ID        string
	Second    int64
}

// Store declares what deliveries need from storage.
type Store interface {
	// PutDelivery stores a new pending delivery with its due pointer at
	// d.NextAt, in one transaction conditional on the id being new: false
	// when it exists (a replayed stream record), and nothing changes.
	PutDelivery(ctx context.Context, d Delivery) (bool, error)
	// DueDeliveries lists the pointers due at exactly that second: one Query.
	DueDeliveries(ctx context.Context, second int64) ([]Due, error)
	// Delivery reads one delivery. Errors: apperr.NotFound.
	Delivery(ctx context.Context, accountID, id string) (Delivery, error)
	// Claim starts an attempt: it moves the pointer from due.Second to
	// lease and counts the attempt, in one transaction conditional on the
	// pointer existing and the delivery being pending with d.Attempts
	// attempts, so of overlapping dispatchers exactly one claims it. If
	// the attempt never finishes (the function died), the pointer at lease
	// brings it back.
	Claim(ctx context.Context, due Due, d Delivery, lease time.Time) (bool, error)
	// Finish records the attempt d (with Attempts counted) made under a
	// lease: the delivery's new state, the lease pointer gone and, while
	// still pending, a pointer at d.NextAt.
	Finish(ctx context.Context, d Delivery, lease time.Time) error
	// Defer moves a pointer to a later second, without an attempt.
	Defer(ctx context.Context, due Due, to time.Time) error
	// RecentDeliveries lists an account's deliveries, newest first, at
	// most limit: one Query.
	RecentDeliveries(ctx context.Context, accountID string, limit int) ([]Delivery, error)
	// Redeliver makes a finished delivery pending again from at, with a
	// pointer at at: false when it is pending already.
	Redeliver(ctx context.Context, d Delivery, at time.Time) (bool, error)
}

// dueSecond is the second a delivery due at t is queued under: the next
// whole second, since the dispatcher's tick for the current second may have
// passed.
func dueSecond(t time.Time) time.Time {
	return t.Truncate(time.Second).Add(time.Second)
}

// NewID is a delivery's id: msg_, the event's time to the microsecond (so
// ids sort by time) and a digest of what the event is (so the same stream
// record, replayed, gives the same id).
func NewID(at time.Time, source string) string {
	sum := sha256.Sum256([]byte(source))
	return "msg_" + strings.Replace(at.UTC().Format("20060102T150405.000000"), ".", "", 1) + "_" + hex.EncodeToString(sum[:8])
}

// ValidID reports whether s has the shape of a delivery id (for the API).
func ValidID(s string) bool {
	if len(s) != len("msg_20060102T150405000000_")+16 || !strings.HasPrefix(s, "msg_") {
		return false
	}
	for _, r := range s[4:] {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f' || r == 'T' || r == '_') {
			return false
		}
	}
	return true
}
