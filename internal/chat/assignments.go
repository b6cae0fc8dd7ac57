package chat

import (
	"context"
	"time"
)

// Assignment is one chat that routing gave to an operator (auto-assigned
// at its start, or taken off the common queue by a drain).
type Assignment struct {
	AccountID  string
	ChatID     string
	OperatorID string
	FromQueue  bool
}

// ObserveAssignments wraps a routing store so that fn hears of every
// assignment it commits, in the process that made it. Drains run in many
// places (a close, an operator coming online, a limit rising, an operator
// gone offline), and the operator must be subscribed to the chat and told
// at once wherever that was; the chatAssign event item stays the record
// for the integrations. fn is best effort: the assignment is already
// stored, and a workplace that missed the news gets it on its next hello.
func ObserveAssignments(store RoutingStore, fn func(context.Context, Assignment)) RoutingStore {
	return observedRouting{RoutingStore: store, fn: fn}
}

type observedRouting struct {
	RoutingStore
	fn func(context.Context, Assignment)
}

func (o observedRouting) AutoAssign(ctx context.Context, c Chat, operatorID string, limit int, at time.Time) error {
	err := o.RoutingStore.AutoAssign(ctx, c, operatorID, limit, at)
	if err == nil {
		o.fn(ctx, Assignment{AccountID: c.AccountID, ChatID: c.ID, OperatorID: operatorID})
	}
	return err
}

func (o observedRouting) AssignQueued(ctx context.Context, q Queued, operatorID string, limit int, at time.Time) error {
	err := o.RoutingStore.AssignQueued(ctx, q, operatorID, limit, at)
	if err == nil {
		o.fn(ctx, Assignment{AccountID: q.AccountID, ChatID: q.ChatID, OperatorID: operatorID, FromQueue: true})
	}
	return err
}
