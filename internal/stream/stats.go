package stream

import (
	"context"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"parley/internal/chat"
	"parley/internal/dynamo"
	"parley/internal/stats"
)

// The consumer's part of the statistics (issue 15): a chat's change adds
// the difference of its contributions (stats.ChatDelta), an ended staff
// connection its online time; the store applies each record once, keyed
// by the stream record's id.

// Stats stores counters once per stream record (dynamo.Store).
type Stats interface {
	Count(ctx context.Context, accountID, recordID string, deltas []stats.DayDelta) error
}

// maxConnection is API Gateway's limit on a WebSocket connection: a
// connection whose end was lost (removed by TTL later) counts no longer.
const maxConnection = 2 * time.Hour

func (r *Consumer) countChat(ctx context.Context, rec events.DynamoDBEventRecord) error {
	if r.Stats == nil {
		return nil
	}
	after, err := dynamo.ChatFromImage(rec.Change.NewImage)
	if err != nil {
		return err
	}
	var before *chat.Chat
	if rec.Change.OldImage != nil {
		b, err := dynamo.ChatFromImage(rec.Change.OldImage)
		if err != nil {
			return err
		}
		before = &b
	}
	return r.Stats.Count(ctx, after.AccountID, rec.EventID, stats.ChatDelta(before, after))
}

func (r *Consumer) countOnline(ctx context.Context, rec events.DynamoDBEventRecord) error {
	if r.Stats == nil || r.Zone == nil {
		return nil
	}
	accountID, personID, since, ok, err := dynamo.EndedStaffConnection(rec.Change.OldImage)
	if err != nil || !ok {
		return err
	}
	end := rec.Change.ApproximateCreationDateTime.Time
	if end.IsZero() || end.Sub(since) > maxConnection {
		end = since.Add(maxConnection)
	}
	loc, err := r.Zone(ctx, accountID)
	if err != nil {
		return err
	}
	return r.Stats.Count(ctx, accountID, rec.EventID, stats.Online(personID, since, end, loc))
}

// Reports schedules an account's daily report (stats.Daily).
type Reports interface {
	Schedule(ctx context.Context, accountID string) error
}

// scheduleReport writes the account's next report due item when the
// account is created or its zone changes.
func (r *Consumer) scheduleReport(ctx context.Context, rec events.DynamoDBEventRecord) error {
	if r.Reports == nil {
		return nil
	}
	accountID, changed, err := dynamo.ZoneChanged(rec.Change.OldImage, rec.Change.NewImage)
	if err != nil || !changed {
		return err
	}
	return r.Reports.Schedule(ctx, accountID)
}
