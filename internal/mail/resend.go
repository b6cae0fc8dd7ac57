package mail

import (
	"context"
	"time"
)

// The stream consumer sends a mail when its item is written. When the
// stream's retries run out (SES down for longer than they last, a bug
// since fixed) the mail stays pending; the Resender, run every minute by
// the sweeper, sends what is still pending after ResendAfter.
const (
	// ResendAfter is how old a pending mail must be before the sweeper
	// sends it: well past the stream's own retries, so the two do not race.
	ResendAfter = 10 * time.Minute
	// ResendBatch bounds one run (one Query); the rest wait a minute.
	ResendBatch = 50
	// ClaimLease is how long a claim keeps other sweepers off a mail, so
	// overlapping runs send it once; a run that died leaves it to the next.
	ClaimLease = 5 * time.Minute
)

// PendingStore is what the Resender reads and claims.
type PendingStore interface {
	Outbox
	// PendingMail lists pending mail queued before before, oldest first,
	// at most limit: one Query on an index of pending mail.
	PendingMail(ctx context.Context, before time.Time, limit int) ([]Message, error)
	// ClaimMail reserves a pending mail for one sender for lease; false
	// when another holds it or it is no longer pending.
	ClaimMail(ctx context.Context, accountID, id string, lease time.Duration) (bool, error)
}

// Resender sends the mail the stream could not.
type Resender struct {
	Store PendingStore
	Via   Sender
	Now   func() time.Time
}

// Run sends every claimable pending mail older than ResendAfter, at most
// ResendBatch, and returns how many it sent. A failed send stays pending
// for a later run; the first error is returned after the others are tried.
func (r *Resender) Run(ctx context.Context) (int, error) {
	due, err := r.Store.PendingMail(ctx, r.Now().Add(-ResendAfter), ResendBatch)
	if err != nil {
		return 0, err
	}
	sent := 0
	var first error
	for _, m := range due {
		ok, err := r.Store.ClaimMail(ctx, m.AccountID, m.ID, ClaimLease)
		if err == nil && ok {
			if err = Deliver(ctx, r.Store, r.Via, m); err == nil {
				sent++
			}
		}
		if err != nil && first == nil {
			first = err
		}
	}
	return sent, first
}
