package streams_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/google/go-cmp/cmp"

	"parley/internal/local/localaws"
	"parley/internal/local/streams"
)

// fakeStream serves the three Streams API calls the poller makes, over a
// set of shards the test reshapes at will: DynamoDB Local does not roll
// shards over within a test's lifetime, AWS does every few hours.
type fakeStream struct {
	mu     sync.Mutex
	shards []*fakeShard
	seq    int
	slow   string // reads of this shard take a while
}

type fakeShard struct {
	id, parent string
	records    []string // sort keys; the sequence number is kept beside
	seqs       []string
	closed     bool
}

func (f *fakeStream) shard(id string) *fakeShard {
	for _, s := range f.shards {
		if s.id == id {
			return s
		}
	}
	return nil
}

// add appends records to a shard, creating it (as a child of parent) first
// if needed.
func (f *fakeStream) add(id, parent string, sks ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.shard(id)
	if s == nil {
		s = &fakeShard{id: id, parent: parent}
		f.shards = append(f.shards, s)
	}
	for _, sk := range sks {
		f.seq++
		s.records = append(s.records, sk)
		s.seqs = append(s.seqs, fmt.Sprintf("%021d", f.seq))
	}
}

func (f *fakeStream) close(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.shard(id).closed = true
}

func (f *fakeStream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var in map[string]any
	_ = json.NewDecoder(r.Body).Decode(&in)
	if it, ok := in["ShardIterator"].(string); ok && f.slow != "" && strings.HasPrefix(it, f.slow+"|") {
		// A slow parent: a child read meanwhile would overtake it.
		time.Sleep(30 * time.Millisecond)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var out any
	switch op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "DynamoDBStreams_20120810."); op {
	case "DescribeStream":
		var shards []any
		for _, s := range f.shards {
			rng := map[string]any{"StartingSequenceNumber": "0"}
			if s.closed {
				rng["EndingSequenceNumber"] = fmt.Sprintf("%021d", f.seq)
			}
			sh := map[string]any{"ShardId": s.id, "SequenceNumberRange": rng}
			if s.parent != "" {
				sh["ParentShardId"] = s.parent
			}
			shards = append(shards, sh)
		}
		out = map[string]any{"StreamDescription": map[string]any{"StreamArn": in["StreamArn"], "StreamStatus": "ENABLED", "Shards": shards}}
	case "GetShardIterator":
		s := f.shard(in["ShardId"].(string))
		pos := 0
		if in["ShardIteratorType"] == "LATEST" {
			pos = len(s.records)
		}
		out = map[string]any{"ShardIterator": s.id + "|" + strconv.Itoa(pos)}
	case "GetRecords":
		id, p, _ := strings.Cut(in["ShardIterator"].(string), "|")
		pos, _ := strconv.Atoi(p)
		s := f.shard(id)
		var recs []any
		for i := pos; i < len(s.records); i++ {
			recs = append(recs, map[string]any{
				"eventID": s.seqs[i], "eventName": "INSERT", "eventVersion": "1.1", "eventSource": "aws:dynamodb", "awsRegion": "ddblocal",
				"dynamodb": map[string]any{
					"ApproximateCreationDateTime": 1795610040,
					"Keys":                        map[string]any{"sk": map[string]string{"S": s.records[i]}},
					"SequenceNumber":              s.seqs[i], "SizeBytes": 10, "StreamViewType": "NEW_AND_OLD_IMAGES",
				},
			})
		}
		res := map[string]any{"Records": recs}
		if !s.closed || pos < len(s.records) {
			res["NextShardIterator"] = id + "|" + strconv.Itoa(len(s.records))
		}
		out = res
	default:
		http.Error(w, "unexpected "+op, http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	_ = json.NewEncoder(w).Encode(out)
}

// sortKeys collects delivered records in delivery order.
type sortKeys struct {
	mu  sync.Mutex
	got []string
	ch  chan struct{}
}

func (s *sortKeys) handle(_ context.Context, e events.DynamoDBEvent) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range e.Records {
		s.got = append(s.got, r.Change.Keys["sk"].String())
	}
	s.ch <- struct{}{}
	return nil
}

func (s *sortKeys) waitFor(t *testing.T, n int) []string {
	t.Helper()
	deadline := time.After(wait)
	for {
		s.mu.Lock()
		got := append([]string(nil), s.got...)
		s.mu.Unlock()
		if len(got) >= n {
			return got
		}
		select {
		case <-s.ch:
		case <-deadline:
			t.Fatalf("delivered %v, want %d records", got, n)
		}
	}
}

func runFake(t *testing.T, f *fakeStream, pos streams.StartingPosition) *sortKeys {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	c := &sortKeys{ch: make(chan struct{}, 100)}
	p := &streams.Poller{
		Streams:          localaws.NewStreamsClient(srv.URL),
		StreamARN:        "arn:aws:dynamodb:ddblocal:000000000000:table/t/stream/x",
		Consumer:         lambda.NewHandler(c.handle),
		StartingPosition: pos,
		PollInterval:     5 * time.Millisecond,
		ShardRefresh:     10 * time.Millisecond,
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	<-p.Ready()
	return c
}

// From the trim horizon, a parent's records all come before its child's,
// and shards that appear later are followed.
func TestShardLineageTrimHorizon(t *testing.T) {
	f := &fakeStream{slow: "A"}
	// The child is listed first: order must come from the lineage.
	f.add("B", "A", "b1")
	f.add("A", "", "a1", "a2")
	f.close("A")
	c := runFake(t, f, streams.TrimHorizon)
	c.waitFor(t, 3)
	f.add("B", "", "b2")
	f.close("B")
	f.add("C", "B", "c1")
	got := c.waitFor(t, 5)
	if diff := cmp.Diff([]string{"a1", "a2", "b1", "b2", "c1"}, got); diff != "" {
		t.Errorf("delivery order (-want +got):\n%s", diff)
	}
}

// From the latest position, closed shards and old records are skipped, and
// a child appearing later is read from its start.
func TestShardLineageLatest(t *testing.T) {
	f := &fakeStream{}
	f.add("A", "", "old-a")
	f.close("A")
	f.add("B", "A", "old-b")
	c := runFake(t, f, streams.Latest)
	f.add("B", "", "b1")
	c.waitFor(t, 1)
	f.close("B")
	f.add("C", "B", "c1", "c2")
	got := c.waitFor(t, 3)
	if diff := cmp.Diff([]string{"b1", "c1", "c2"}, got); diff != "" {
		t.Errorf("delivery order (-want +got):\n%s", diff)
	}
}
