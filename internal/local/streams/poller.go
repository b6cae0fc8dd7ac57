// Package streams feeds a table's DynamoDB stream to a consumer the way
// Lambda's event source mapping does, for the local stack: it reads DynamoDB
// Local's stream through the Streams API, shard by shard, parents before
// children, and invokes the consumer with the same events.DynamoDBEvent JSON
// Lambda sends, honouring batch item failures, bisecting failing batches,
// retrying a bounded number of times and handing what still fails to an
// on-failure function (where AWS has the SQS queue).
package streams

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"

	"parley/internal/local/localaws"
)

// Invoker is a function as the poller sees it: JSON in, JSON out.
// lambda.NewHandler(fn) of aws-lambda-go is one, so the consumer's own
// decoding runs as it does in Lambda.
type Invoker interface {
	Invoke(ctx context.Context, payload []byte) ([]byte, error)
}

// StartingPosition says where in the stream a poller starts.
type StartingPosition string

// Starting positions, as Lambda names them.
const (
	// Latest delivers only what is written after the poller started: for a
	// dev session on a data folder, whose old records must not cause mail
	// and webhooks a second time.
	Latest StartingPosition = "LATEST"
	// TrimHorizon delivers every record the stream still holds: for tests
	// on a fresh table.
	TrimHorizon StartingPosition = "TRIM_HORIZON"
)

// Failure is a batch the consumer could not process within MaxRetries.
type Failure struct {
	StreamARN string
	ShardID   string
	// FirstSequenceNumber and LastSequenceNumber bound the records, as the
	// metadata Lambda sends to its on-failure destination does.
	FirstSequenceNumber string
	LastSequenceNumber  string
	// Attempts is how many times the last batch was invoked.
	Attempts int
	// Err is the last invocation's error, or the batch item failure.
	Err error
	// Payload is a DynamoDBEvent holding exactly the failed records.
	Payload []byte
}

// Event decodes the failed records.
func (f Failure) Event() (events.DynamoDBEvent, error) {
	var e events.DynamoDBEvent
	err := json.Unmarshal(f.Payload, &e)
	return e, err
}

// Poller delivers a table's stream to a consumer. Set the fields, then call
// Run; the zero values of the optional fields are usable.
type Poller struct {
	// DynamoDB finds the table's stream; Streams reads it.
	DynamoDB *dynamodb.Client
	Streams  *dynamodbstreams.Client
	Table    string
	// StreamARN skips the lookup of the table's latest stream when set.
	StreamARN string

	Consumer Invoker

	// BatchSize caps the records per invocation; 0 means 100, Lambda's
	// default.
	BatchSize int
	// MaxRetries is how many times a failing batch is invoked again before
	// it goes to OnFailure; 0 means never, negative means until it
	// succeeds (Lambda's -1).
	MaxRetries int
	// NoBisect turns off splitting a batch in two when the consumer returns
	// an error (BisectBatchOnFunctionError, on in the stack).
	NoBisect bool
	// StartingPosition defaults to Latest.
	StartingPosition StartingPosition
	// PollInterval is the pause after an empty read of a shard; 0 means
	// 100 ms, so a change reaches the consumer well within the 1 s the
	// timers allow.
	PollInterval time.Duration
	// RetryDelay is the pause before the first retry of a failed batch,
	// doubling for each further one up to 5 s; 0 means 100 ms.
	RetryDelay time.Duration
	// ShardRefresh is how often the stream is listed for new shards; 0
	// means 1 s. A shard that ends is followed at once, whatever this is.
	ShardRefresh time.Duration
	// Region fills the records' awsRegion; "" means localaws.Region.
	Region string
	// Replay delivers every batch a second time once it has succeeded, as
	// Lambda may (a checkpoint lost to a timeout or a poller restart): a
	// test turns it on to check that the consumer is idempotent.
	Replay bool
	// OnFailure receives what retries could not deliver; nil logs it.
	OnFailure func(ctx context.Context, f Failure)
	// Logger defaults to slog.Default().
	Logger *slog.Logger

	readyOnce sync.Once
	ready     chan struct{}
}

// Ready is closed once Run holds an iterator on every shard it starts with:
// from then on a write is delivered, even with StartingPosition Latest.
func (p *Poller) Ready() <-chan struct{} {
	p.readyOnce.Do(func() { p.ready = make(chan struct{}) })
	return p.ready
}

// shard is what Run knows of one shard.
type shard struct {
	id, parent string
	started    bool
	done       bool
}

// Run delivers the stream until ctx is cancelled, and returns nil then. It
// returns an error if the stream cannot be found or listed.
func (p *Poller) Run(ctx context.Context) error {
	p.defaults()
	arn := p.StreamARN
	if arn == "" {
		out, err := p.DynamoDB.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(p.Table)})
		if err != nil {
			return fmt.Errorf("streams: describe table %s: %w", p.Table, err)
		}
		arn = aws.ToString(out.Table.LatestStreamArn)
		if arn == "" {
			return fmt.Errorf("streams: table %s has no stream", p.Table)
		}
	}
	list, err := p.listShards(ctx, arn)
	if err != nil {
		return err
	}

	// Deferred in this order so that the readers are told to stop before
	// Run waits for them, whichever way it returns.
	var wg sync.WaitGroup
	defer wg.Wait()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	finished := make(chan string)
	known := map[string]*shard{}
	order := []string{} // shards in the order DescribeStream listed them
	launch := func(id, iterator string, pos types.ShardIteratorType) {
		known[id].started = true
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.readShard(ctx, arn, id, iterator, pos)
			select {
			case finished <- id:
			case <-ctx.Done():
			}
		}()
	}
	// startReady launches every shard whose parent is done or unknown (its
	// records trimmed): parents before children, like Lambda.
	startReady := func() {
		for _, id := range order {
			s := known[id]
			if s.started || s.done {
				continue
			}
			if parent, ok := known[s.parent]; ok && !parent.done {
				continue
			}
			launch(id, "", types.ShardIteratorTypeTrimHorizon)
		}
	}

	// The shards of the start. Iterators are taken here, before Ready, so
	// that Latest means "after Ready" to a test or a dev session.
	for _, sh := range list {
		id := aws.ToString(sh.ShardId)
		known[id] = &shard{id: id, parent: aws.ToString(sh.ParentShardId)}
		order = append(order, id)
	}
	for _, sh := range list {
		id := aws.ToString(sh.ShardId)
		s := known[id]
		closed := sh.SequenceNumberRange != nil && sh.SequenceNumberRange.EndingSequenceNumber != nil
		if p.StartingPosition == Latest {
			if closed {
				s.done = true // nothing new will ever be written to it
				continue
			}
		} else if parent, ok := known[s.parent]; ok && !parent.done {
			continue // startReady launches it when its parent is done
		}
		pos := types.ShardIteratorType(p.StartingPosition)
		it, err := p.iterator(ctx, arn, id, pos, "")
		if err != nil {
			return err
		}
		launch(id, it, pos)
	}
	// The shards left (children of unfinished parents) start as their
	// parents finish, below.
	p.Ready() // makes p.ready
	close(p.ready)

	tick := time.NewTicker(p.ShardRefresh)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case id := <-finished:
			known[id].done = true
			// A shard ends when DynamoDB rolls it over: its child exists
			// already, so look now rather than at the next tick.
		case <-tick.C:
		}
		list, err := p.listShards(ctx, arn)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			var nf *types.ResourceNotFoundException
			if errors.As(err, &nf) {
				return err // the table or its stream is gone
			}
			p.Logger.Warn("streams: list shards", "stream", arn, "err", err)
			continue
		}
		for _, sh := range list {
			id := aws.ToString(sh.ShardId)
			if _, ok := known[id]; !ok {
				known[id] = &shard{id: id, parent: aws.ToString(sh.ParentShardId)}
				order = append(order, id)
			}
		}
		startReady()
	}
}

func (p *Poller) defaults() {
	if p.BatchSize <= 0 {
		p.BatchSize = 100
	}
	if p.StartingPosition == "" {
		p.StartingPosition = Latest
	}
	if p.PollInterval <= 0 {
		p.PollInterval = 100 * time.Millisecond
	}
	if p.RetryDelay <= 0 {
		p.RetryDelay = 100 * time.Millisecond
	}
	if p.ShardRefresh <= 0 {
		p.ShardRefresh = time.Second
	}
	if p.Region == "" {
		p.Region = localaws.Region
	}
	if p.Logger == nil {
		p.Logger = slog.Default()
	}
	if p.OnFailure == nil {
		p.OnFailure = p.logFailure
	}
}

// logFailure logs where the discarded records are, as the on-failure
// queue's message would in AWS, and never the records themselves: their
// images hold settings documents with every secret of an account.
func (p *Poller) logFailure(_ context.Context, f Failure) {
	p.Logger.Error("streams: records discarded after retries (in AWS their position would go to the on-failure queue)",
		"stream", f.StreamARN, "shard", f.ShardID,
		"first", f.FirstSequenceNumber, "last", f.LastSequenceNumber,
		"attempts", f.Attempts, "err", f.Err)
}

func (p *Poller) listShards(ctx context.Context, arn string) ([]types.Shard, error) {
	var shards []types.Shard
	var start *string
	for {
		out, err := p.Streams.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(arn), ExclusiveStartShardId: start})
		if err != nil {
			return nil, fmt.Errorf("streams: describe stream %s: %w", arn, err)
		}
		shards = append(shards, out.StreamDescription.Shards...)
		start = out.StreamDescription.LastEvaluatedShardId
		if start == nil {
			return shards, nil
		}
	}
}

func (p *Poller) iterator(ctx context.Context, arn, shardID string, pos types.ShardIteratorType, after string) (string, error) {
	in := &dynamodbstreams.GetShardIteratorInput{StreamArn: aws.String(arn), ShardId: aws.String(shardID), ShardIteratorType: pos}
	if after != "" {
		in.ShardIteratorType = types.ShardIteratorTypeAfterSequenceNumber
		in.SequenceNumber = aws.String(after)
	}
	out, err := p.Streams.GetShardIterator(ctx, in)
	if err != nil {
		return "", fmt.Errorf("streams: shard iterator %s %s: %w", shardID, in.ShardIteratorType, err)
	}
	return aws.ToString(out.ShardIterator), nil
}

// readShard reads one shard to its end (or until ctx ends), delivering its
// records in order.
func (p *Poller) readShard(ctx context.Context, arn, shardID, iterator string, pos types.ShardIteratorType) {
	log := p.Logger.With("stream", arn, "shard", shardID)
	d := &delivery{p: p, arn: arn, shardID: shardID}
	last := "" // sequence number of the last record handled
	backoff := p.PollInterval
	for ctx.Err() == nil {
		if iterator == "" {
			it, err := p.iterator(ctx, arn, shardID, pos, last)
			var nf *types.ResourceNotFoundException
			var trimmed *types.TrimmedDataAccessException
			switch {
			case errors.As(err, &trimmed) && last != "":
				// What followed last is gone: resume at the oldest record.
				log.Warn("streams: records trimmed before delivery", "after", last)
				last, pos = "", types.ShardIteratorTypeTrimHorizon
				continue
			case errors.As(err, &nf):
				log.Warn("streams: shard gone", "err", err)
				return
			case err != nil:
				if ctx.Err() == nil {
					log.Warn("streams: get shard iterator", "err", err)
				}
				sleep(ctx, time.Second)
				continue
			}
			iterator = it
		}
		out, err := p.Streams.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: aws.String(iterator)})
		if err != nil {
			var expired *types.ExpiredIteratorException
			var trimmed *types.TrimmedDataAccessException
			var nf *types.ResourceNotFoundException
			switch {
			case errors.As(err, &expired), errors.As(err, &trimmed):
				// Iterators live 15 minutes, which a long retry can
				// outlast: take a new one after the last record handled.
				iterator = ""
			case errors.As(err, &nf):
				log.Warn("streams: shard gone", "err", err)
				return
			default:
				if ctx.Err() == nil {
					log.Warn("streams: get records", "err", err)
				}
				sleep(ctx, backoff)
				backoff = min(backoff*2, 5*time.Second)
			}
			continue
		}
		backoff = p.PollInterval
		if len(out.Records) > 0 {
			recs, err := p.encode(arn, out.Records)
			if err != nil {
				// Unreachable with the SDK's types; if it happens, the
				// records cannot be delivered in any form.
				log.Error("streams: encode records", "err", err)
			}
			for i := 0; i < len(recs) && ctx.Err() == nil; i += p.BatchSize {
				d.deliver(ctx, recs[i:min(i+p.BatchSize, len(recs))])
			}
			if ctx.Err() != nil {
				return
			}
			last = aws.ToString(out.Records[len(out.Records)-1].Dynamodb.SequenceNumber)
		}
		if out.NextShardIterator == nil {
			return // the shard is closed and fully read
		}
		iterator = aws.ToString(out.NextShardIterator)
		if len(out.Records) == 0 {
			sleep(ctx, p.PollInterval)
		}
	}
}

// encoded is one record ready to send.
type encoded struct {
	seq string
	raw json.RawMessage
}

func (p *Poller) encode(arn string, records []types.Record) ([]encoded, error) {
	out := make([]encoded, 0, len(records))
	var errs []error
	for _, r := range records {
		raw, err := encodeRecord(arn, p.Region, r)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, encoded{seq: aws.ToString(r.Dynamodb.SequenceNumber), raw: raw})
	}
	return out, errors.Join(errs...)
}

// delivery applies Lambda's failure handling to the batches of one shard.
type delivery struct {
	p       *Poller
	arn     string
	shardID string
}

// deliver invokes the consumer with recs until every record is either
// processed or handed to OnFailure, or ctx ends:
//   - a batch item failure checkpoints before the lowest failed record and
//     retries from it (the records before it are done);
//   - an error splits the batch in two, each half delivered in turn, down
//     to single records (bisecting does not count as a retry);
//   - a batch failing MaxRetries+1 times in a row goes to OnFailure;
//   - with Replay, a batch that succeeded is delivered once more, whole.
//
// Lambda would re-read from the checkpoint and may add newer records to the
// retried batch; here a retry holds only the remaining records, which
// changes batch boundaries, not order or outcome.
func (d *delivery) deliver(ctx context.Context, recs []encoded) {
	attempts := 0
	whole, replayed := recs, !d.p.Replay
	for len(recs) > 0 && ctx.Err() == nil {
		failedAt, err := d.invoke(ctx, recs)
		if ctx.Err() != nil {
			return // cancelled mid-invocation: not the consumer's failure
		}
		if err == nil && failedAt == len(recs) {
			if replayed {
				return
			}
			// Replay: the whole batch again, records already handled
			// included, with the same failure handling.
			recs, attempts, replayed = whole, 0, true
			continue
		}
		if err != nil && len(recs) > 1 && !d.p.NoBisect {
			half := len(recs) / 2
			d.deliver(ctx, recs[:half])
			d.deliver(ctx, recs[half:])
			return
		}
		if err == nil {
			if failedAt > 0 {
				recs, attempts = recs[failedAt:], 0 // progress: a new head
			}
			err = fmt.Errorf("batch item failure reported for sequence number %s", recs[0].seq)
		}
		attempts++
		if d.p.MaxRetries >= 0 && attempts > d.p.MaxRetries {
			d.p.OnFailure(ctx, Failure{
				StreamARN:           d.arn,
				ShardID:             d.shardID,
				FirstSequenceNumber: recs[0].seq,
				LastSequenceNumber:  recs[len(recs)-1].seq,
				Attempts:            attempts,
				Err:                 err,
				Payload:             payload(recs),
			})
			return
		}
		delay := d.p.RetryDelay << min(attempts-1, 16)
		sleep(ctx, min(delay, 5*time.Second))
	}
}

// invoke calls the consumer once. It returns len(recs) on success, the
// index of the lowest failed record on a partial failure, or an error when
// the batch failed as a whole: the consumer's error, or a response Lambda
// would read as a total failure (an itemIdentifier that is missing, empty
// or not in the batch).
func (d *delivery) invoke(ctx context.Context, recs []encoded) (int, error) {
	resp, err := d.p.Consumer.Invoke(ctx, payload(recs))
	if err != nil {
		return 0, fmt.Errorf("invoke: %w", err)
	}
	var r struct {
		BatchItemFailures []struct {
			ItemIdentifier *string `json:"itemIdentifier"`
		} `json:"batchItemFailures"`
	}
	// A response that is not such an object (null, "", a string) reports
	// no failures: Lambda reads it as success too.
	if json.Unmarshal(resp, &r) != nil || len(r.BatchItemFailures) == 0 {
		return len(recs), nil
	}
	index := make(map[string]int, len(recs))
	for i, rec := range recs {
		index[rec.seq] = i
	}
	first := len(recs)
	for _, f := range r.BatchItemFailures {
		id := aws.ToString(f.ItemIdentifier)
		i, ok := index[id]
		if !ok {
			return 0, fmt.Errorf("invalid batch item failure %q: not a sequence number of the batch", id)
		}
		first = min(first, i)
	}
	return first, nil
}

func payload(recs []encoded) []byte {
	raws := make([]json.RawMessage, len(recs))
	for i, r := range recs {
		raws[i] = r.raw
	}
	return joinEvent(raws)
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
