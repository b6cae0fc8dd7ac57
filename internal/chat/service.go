package chat

import (
	"context"
	"math/rand/v2"
	"parley/internal/mail"
	"parley/internal/ratelimit"
	"time"
)

// Service is the chat use cases.
type Service struct {
	Store       Store
	Settings    Settings
	Departments Departments
	Outbox      mail.Outbox
	Now         func() time.Time
	// Router routes started chats under features.autoAssign; nil leaves
	// every chat to be taken by hand.
	Router *Router
	// Profiles reads a staff member's languages and departments, which
	// decide the chats they see (Sees); nil shows every chat to everyone.
	Profiles func(ctx context.Context, accountID, personID string) (Operator, error)
	// Alerts guards the "waited too long" mail (AlertBusy); nil sends none.
	Alerts Alerts
	// Limiter and Limits keep what a visitor can trigger within bounds
	// (limits.go); a nil Limiter counts nothing.
	Limiter *ratelimit.Limiter
	Limits  ratelimit.Limits
}

// maxRaces bounds the retries of an optimistic write that keeps losing to
// concurrent writes on the same chat; each loss means someone else made
// progress, so this is only hit under pathological contention.
const maxRaces = 8

// maxAppendRaces bounds the retries of a message: many writers on one chat
// (several tabs, a supervisor) each lose at most once per message that
// wins, and a user's message must not be dropped for having lost.
const maxAppendRaces = 100

// backoff waits a random moment, growing with the attempt, so writers that
// lost together do not collide again.
func backoff(ctx context.Context, attempt int) {
	d := time.Duration(rand.IntN(1+min(attempt, 10)*4)) * time.Millisecond
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
