package faults_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"parley/internal/dynamo"
)

// TestStreamReplay: the same scenario (settings writes for the audit trail,
// offline, rating and welcome mails) is consumed once with every stream
// batch delivered once, and once with every batch delivered twice (the
// poller's Replay, as Lambda redelivers after a lost checkpoint). Both end
// with the same audit entries, the same items, and every mail in the
// local SES exactly once.
func TestStreamReplay(t *testing.T) {
	type outcome struct {
		audit   []dynamo.AuditEntry
		items   map[string]int // by type
		waiting int            // the waiting count, summed over its shards
		mails   map[string]int
		records int
	}
	scenario := func(t *testing.T, replay bool) outcome {
		w := newWorld(t)
		ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
		defer cancel()
		for v, name := range []string{"Acme", "Acme Ltd", "Acme GmbH", "Acme Inc"} {
			w.settings(ctx, int64(v+1), name)
		}
		w.mails(ctx, 4, 3, 6)
		allSent := w.allSent(ctx)
		w.run(ctx, w.clean, w.sesClient(), replay, func() bool {
			a, err := w.check.Audit(ctx, w.acc, 0, 100)
			if err != nil {
				t.Fatal(err)
			}
			return len(a) == 3 && allSent()
		})
		var o outcome
		var err error
		if o.audit, err = w.check.Audit(ctx, w.acc, 0, 100); err != nil {
			t.Fatal(err)
		}
		for i := range o.audit {
			o.audit[i].AccountID = ""
		}
		o.items = map[string]int{}
		p := dynamodb.NewScanPaginator(w.clean, &dynamodb.ScanInput{TableName: aws.String(w.table), ConsistentRead: aws.Bool(true)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, it := range page.Items {
				typ, _ := it["type"].(*ddbtypes.AttributeValueMemberS)
				if typ == nil {
					o.items["(none)"]++
					continue
				}
				if typ.Value == "queue" {
					// The waiting count is spread over shards drawn at
					// random, so what must match is its sum, not how
					// many shards the run happened to touch.
					if n, ok := it["waiting"].(*ddbtypes.AttributeValueMemberN); ok {
						v, err := strconv.Atoi(n.Value)
						if err != nil {
							t.Fatal(err)
						}
						o.waiting += v
					}
					continue
				}
				o.items[typ.Value]++
			}
		}
		o.mails = w.delivered(ctx)
		if diff := cmp.Diff(wantMails(w), o.mails); diff != "" {
			t.Errorf("replay %v: mails in the local SES (-want +got):\n%s", replay, diff)
		}
		// Without faults every record succeeds at once: delivered once,
		// or exactly twice with replay.
		w.seqMu.Lock()
		defer w.seqMu.Unlock()
		want := 1
		if replay {
			want = 2
		}
		for seq, n := range w.seqs {
			if n != want {
				t.Errorf("replay %v: record %s delivered %d times, want %d", replay, seq, n, want)
			}
		}
		o.records = len(w.seqs)
		return o
	}
	once := scenario(t, false)
	twice := scenario(t, true)
	if once.records == 0 || twice.records == 0 {
		t.Fatalf("records delivered: %d once, %d with replay", once.records, twice.records)
	}
	if len(once.audit) != 3 {
		t.Errorf("%d audit entries, want 3: %+v", len(once.audit), once.audit)
	}
	if diff := cmp.Diff(once.audit, twice.audit); diff != "" {
		t.Errorf("audit entries differ with replay (-once +twice):\n%s", diff)
	}
	if diff := cmp.Diff(once.items, twice.items); diff != "" {
		t.Errorf("items by type differ with replay (-once +twice):\n%s", diff)
	}
	if once.waiting != twice.waiting {
		t.Errorf("waiting count %d once, %d with replay", once.waiting, twice.waiting)
	}
}
