package lambdas

import (
	"context"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"

	"parley/internal/change"
	"parley/internal/dynamo"
	"parley/internal/stream"
)

// StreamHandler is the stream function's handler: the store decodes each
// record of a batch into its changes, the consumer reacts to them in
// order, and the first record that failed (to decode or to react) is
// reported with every later one, so that Lambda resumes from it and each
// item's changes stay in order.
func StreamHandler(c *stream.Consumer) func(context.Context, events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	log := c.Log
	if log == nil {
		log = slog.Default()
	}
	return func(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
		batch := make([]change.Record, 0, len(ev.Records))
		for _, rec := range ev.Records {
			decoded, err := dynamo.DecodeStreamRecord(rec)
			if err != nil {
				log.ErrorContext(ctx, "stream record failed", "eventID", rec.EventID, "sequence", rec.Change.SequenceNumber, "err", err)
				break
			}
			batch = append(batch, decoded)
		}
		var resp events.DynamoDBEventResponse
		for _, rest := range ev.Records[c.Handle(ctx, batch):] {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.DynamoDBBatchItemFailure{ItemIdentifier: rest.Change.SequenceNumber})
		}
		return resp, nil
	}
}
