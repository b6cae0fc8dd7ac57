package streams

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// scripted is a consumer whose answer to each call is decided by a func of
// the sequence numbers it was sent.
type scripted struct {
	calls  [][]string
	answer func(call int, seqs []string) ([]byte, error)
}

func (s *scripted) Invoke(_ context.Context, payload []byte) ([]byte, error) {
	var e struct {
		Records []struct {
			Change struct{ SequenceNumber string } `json:"dynamodb"`
		}
	}
	if err := json.Unmarshal(payload, &e); err != nil {
		return nil, err
	}
	var seqs []string
	for _, r := range e.Records {
		seqs = append(seqs, r.Change.SequenceNumber)
	}
	s.calls = append(s.calls, seqs)
	return s.answer(len(s.calls), seqs)
}

func records(seqs ...string) []encoded {
	var out []encoded
	for _, s := range seqs {
		raw, _ := json.Marshal(record{EventName: "INSERT", Change: streamRecord{SequenceNumber: s}})
		out = append(out, encoded{seq: s, raw: raw})
	}
	return out
}

func failItem(seqs ...string) []byte {
	var r struct {
		BatchItemFailures []map[string]string `json:"batchItemFailures"`
	}
	for _, s := range seqs {
		r.BatchItemFailures = append(r.BatchItemFailures, map[string]string{"itemIdentifier": s})
	}
	b, _ := json.Marshal(r)
	return b
}

func TestDeliver(t *testing.T) {
	errBoom := errors.New("boom")
	poison := func(bad string) func(int, []string) ([]byte, error) {
		return func(_ int, seqs []string) ([]byte, error) {
			if slices.Contains(seqs, bad) {
				return nil, errBoom
			}
			return nil, nil
		}
	}
	tests := []struct {
		name       string
		maxRetries int
		noBisect   bool
		replay     bool
		seqs       []string
		answer     func(call int, seqs []string) ([]byte, error)
		wantCalls  [][]string
		wantFailed [][]string // sequence numbers handed to OnFailure, per failure
	}{
		{
			name: "success", seqs: []string{"1", "2", "3"},
			answer:    func(int, []string) ([]byte, error) { return []byte(`{"batchItemFailures":[]}`), nil },
			wantCalls: [][]string{{"1", "2", "3"}},
		},
		{
			name: "null and non-object responses are success", seqs: []string{"1"},
			answer:    func(int, []string) ([]byte, error) { return []byte(`"done"`), nil },
			wantCalls: [][]string{{"1"}},
		},
		{
			name: "batch item failure resumes from the lowest failed record", maxRetries: 3,
			seqs: []string{"1", "2", "3", "4"},
			answer: func(call int, _ []string) ([]byte, error) {
				if call == 1 {
					return failItem("4", "2"), nil
				}
				return nil, nil
			},
			wantCalls: [][]string{{"1", "2", "3", "4"}, {"2", "3", "4"}},
		},
		{
			name: "an identifier not in the batch fails the whole batch", maxRetries: 3, noBisect: true,
			seqs: []string{"1", "2"},
			answer: func(call int, _ []string) ([]byte, error) {
				if call == 1 {
					return []byte(`{"batchItemFailures":[{"itemIdentifier":""}]}`), nil
				}
				return nil, nil
			},
			wantCalls: [][]string{{"1", "2"}, {"1", "2"}},
		},
		{
			name: "an error bisects down to the bad record, which ends in OnFailure", maxRetries: 2,
			seqs:   []string{"1", "2", "3", "4", "5"},
			answer: poison("3"),
			wantCalls: [][]string{
				{"1", "2", "3", "4", "5"},
				{"1", "2"},
				{"3", "4", "5"},
				{"3"}, {"3"}, {"3"}, // first try and MaxRetries retries
				{"4", "5"},
			},
			wantFailed: [][]string{{"3"}},
		},
		{
			name: "without bisecting the whole batch fails", maxRetries: 1, noBisect: true,
			seqs:       []string{"1", "2", "3"},
			answer:     poison("2"),
			wantCalls:  [][]string{{"1", "2", "3"}, {"1", "2", "3"}},
			wantFailed: [][]string{{"1", "2", "3"}},
		},
		{
			name: "a record failing as an item takes the rest of its batch with it", maxRetries: 1,
			seqs:   []string{"1", "2", "3"},
			answer: func(int, []string) ([]byte, error) { return failItem("2"), nil },
			// The failed call counts as the first try of the new head, "2".
			wantCalls:  [][]string{{"1", "2", "3"}, {"2", "3"}},
			wantFailed: [][]string{{"2", "3"}},
		},
		{
			name: "progress resets the retry count", maxRetries: 1,
			seqs: []string{"1", "2", "3"},
			answer: func(call int, seqs []string) ([]byte, error) {
				switch call {
				case 1:
					return failItem("2"), nil
				case 2:
					return failItem("3"), nil // a second failure, but of a new head
				}
				return nil, nil
			},
			wantCalls: [][]string{{"1", "2", "3"}, {"2", "3"}, {"3"}},
		},
		{
			name: "replay delivers a batch again once it succeeded", replay: true,
			seqs:      []string{"1", "2"},
			answer:    func(int, []string) ([]byte, error) { return nil, nil },
			wantCalls: [][]string{{"1", "2"}, {"1", "2"}},
		},
		{
			name: "replay comes after the retries, and is retried itself", replay: true, maxRetries: 3,
			seqs: []string{"1", "2"},
			answer: func(call int, _ []string) ([]byte, error) {
				if call == 1 || call == 3 {
					return failItem("2"), nil
				}
				return nil, nil
			},
			wantCalls: [][]string{{"1", "2"}, {"2"}, {"1", "2"}, {"2"}},
		},
		{
			name: "zero retries", maxRetries: 0, noBisect: true,
			seqs:       []string{"1"},
			answer:     poison("1"),
			wantCalls:  [][]string{{"1"}},
			wantFailed: [][]string{{"1"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := &scripted{answer: tc.answer}
			var failed [][]string
			p := &Poller{
				Consumer: c, MaxRetries: tc.maxRetries, NoBisect: tc.noBisect, Replay: tc.replay,
				RetryDelay: time.Microsecond,
				OnFailure: func(_ context.Context, f Failure) {
					e, err := f.Event()
					if err != nil {
						t.Errorf("failure payload: %v", err)
					}
					var seqs []string
					for _, r := range e.Records {
						seqs = append(seqs, r.Change.SequenceNumber)
					}
					if f.FirstSequenceNumber != seqs[0] || f.LastSequenceNumber != seqs[len(seqs)-1] {
						t.Errorf("failure bounds %s..%s, records %v", f.FirstSequenceNumber, f.LastSequenceNumber, seqs)
					}
					if f.Err == nil {
						t.Error("failure without an error")
					}
					failed = append(failed, seqs)
				},
			}
			p.defaults()
			p.RetryDelay = time.Microsecond
			d := &delivery{p: p, arn: "arn", shardID: "shard"}
			d.deliver(context.Background(), records(tc.seqs...))
			if diff := cmp.Diff(tc.wantCalls, c.calls); diff != "" {
				t.Errorf("calls (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantFailed, failed); diff != "" {
				t.Errorf("failed (-want +got):\n%s", diff)
			}
		})
	}
}

// A negative MaxRetries retries until the consumer succeeds, as Lambda's -1.
func TestDeliverRetriesForever(t *testing.T) {
	c := &scripted{answer: func(call int, _ []string) ([]byte, error) {
		if call < 20 {
			return nil, fmt.Errorf("call %d fails", call)
		}
		return nil, nil
	}}
	p := &Poller{Consumer: c, MaxRetries: -1, OnFailure: func(context.Context, Failure) { t.Error("OnFailure called") }}
	p.defaults()
	p.RetryDelay = time.Microsecond
	(&delivery{p: p}).deliver(context.Background(), records("1"))
	if len(c.calls) != 20 {
		t.Errorf("%d calls, want 20", len(c.calls))
	}
}
