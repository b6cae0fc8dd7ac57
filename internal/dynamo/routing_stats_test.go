package dynamo_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	awsmw "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"
)

type opStats struct {
	mu sync.Mutex
	n  map[string]int
	d  map[string]time.Duration
}

func (s *opStats) reset() {
	s.mu.Lock()
	s.n, s.d = map[string]int{}, map[string]time.Duration{}
	s.mu.Unlock()
}
func (s *opStats) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ks []string
	for k := range s.n {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	var b strings.Builder
	for _, k := range ks {
		fmt.Fprintf(&b, "\n  %-60s %6d %10v avg %v", k, s.n[k], s.d[k].Round(time.Millisecond), (s.d[k] / time.Duration(s.n[k])).Round(time.Microsecond))
	}
	return b.String()
}

func instrument(db *dynamodb.Client, st *opStats) *dynamodb.Client {
	st.reset()
	return dynamodb.New(db.Options(), func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error {
			return s.Initialize.Add(middleware.InitializeMiddlewareFunc("stats", func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				op := awsmw.GetOperationName(ctx)
				t0 := time.Now()
				out, md, err := next.HandleInitialize(ctx, in)
				k := op
				var tc *types.TransactionCanceledException
				if errors.As(err, &tc) {
					var rs []string
					for _, r := range tc.CancellationReasons {
						if r.Code != nil && *r.Code != "None" {
							rs = append(rs, *r.Code)
						}
					}
					k += " cancel " + strings.Join(rs, ",")
				} else if err != nil {
					k += " err"
				}
				st.mu.Lock()
				st.n[k]++
				st.d[k] += time.Since(t0)
				st.mu.Unlock()
				return out, md, err
			}), middleware.After)
		})
	})
}
