package stream

import (
	"context"
	"time"

	"parley/internal/change"
	"parley/internal/stats"
)

// The consumer's part of the statistics (issue 15): a chat's change adds
// the difference of its contributions (stats.ChatDelta), an ended staff
// connection its online time; the store applies each record once, keyed
// by the stream record's id.

// Stats stores counters once per stream record (the store).
type Stats interface {
	Count(ctx context.Context, accountID, recordID string, deltas []stats.DayDelta) error
}

// maxConnection is API Gateway's limit on a WebSocket connection: a
// connection whose end was lost (removed by TTL later) counts no longer.
const maxConnection = 2 * time.Hour

func (r *Consumer) countChat(ctx context.Context, rec change.Record, c change.ChatChanged) error {
	if r.Stats == nil {
		return nil
	}
	return r.Stats.Count(ctx, c.After.AccountID, rec.ID, stats.ChatDelta(c.Before, c.After))
}

func (r *Consumer) countOnline(ctx context.Context, rec change.Record, c change.StaffConnectionEnded) error {
	if r.Stats == nil || r.Zone == nil {
		return nil
	}
	end := rec.At
	if end.IsZero() || end.Sub(c.Since) > maxConnection {
		end = c.Since.Add(maxConnection)
	}
	loc, err := r.Zone(ctx, c.AccountID)
	if err != nil {
		return err
	}
	return r.Stats.Count(ctx, c.AccountID, rec.ID, stats.Online(c.PersonID, c.Since, end, loc))
}

// Reports schedules an account's daily report (stats.Daily).
type Reports interface {
	Schedule(ctx context.Context, accountID string) error
}
