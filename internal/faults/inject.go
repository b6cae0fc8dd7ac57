// Package faults injects AWS failures into real SDK clients, for the fault
// tests of this package: they run the product against DynamoDB Local, the
// local SES and the local gateway, and an Injector, added to a client's
// middleware, makes a share of its calls fail the way AWS fails them.
//
// A fault comes in two kinds:
//   - Before: the request never leaves (throttled, or a 5xx at the front
//     door); nothing happened, and the SDK retries.
//   - After: the request was served, but its response is lost and replaced
//     by a retryable error: the SDK sends again a request that already took
//     effect, which is what idempotency keys and conditions must absorb.
package faults

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Kind says when a fault strikes.
type Kind int

// The kinds of fault.
const (
	Before Kind = iota // the request is not sent
	After              // the request is served, its response lost
)

func (k Kind) String() string {
	if k == After {
		return "after"
	}
	return "before"
}

// Injector fails a share of the attempts of the operations it is told to,
// with the errors AWS answers under load: throttling and 500s. Its zero
// value injects nothing; set Rate and call Enable.
type Injector struct {
	// Rate is the share of attempts that fail, 0 to 1.
	Rate float64
	// Ops limits faults to these operations (e.g. "SendEmail"); empty
	// means every operation.
	Ops []string
	// Kinds are the kinds to pick from, uniformly; empty means both.
	Kinds []Kind
	// Throttle are the error codes of throttling faults, picked
	// uniformly, e.g. "ProvisionedThroughputExceededException" (DynamoDB)
	// or "TooManyRequestsException" (SES); empty means
	// "ThrottlingException".
	Throttle []string
	// Permanent, when set, is the error code of every fault instead: an
	// error the SDK does not retry (e.g. "AccessDeniedException"), for a
	// call that must fail outright.
	Permanent string
	// Match, when set, must hold for a call's input for it to be faulted.
	Match func(op string, input any) bool
	// OnFault, when set, is told of every fault with the call's input
	// (nil unless InputOption is installed too).
	OnFault func(op string, k Kind, input any)

	on      atomic.Bool
	mu      sync.Mutex
	rnd     *rand.Rand
	counts  sync.Map // "op/kind" -> *atomic.Int64
	Seed    uint64   // the random sequence; 0 means 1
	faulted atomic.Int64
}

// Enable turns injection on or off (off while a test sets up and checks).
func (in *Injector) Enable(on bool) { in.on.Store(on) }

// Faulted is how many attempts failed so far.
func (in *Injector) Faulted() int64 { return in.faulted.Load() }

// Count is how many attempts of op failed with kind.
func (in *Injector) Count(op string, k Kind) int64 {
	if v, ok := in.counts.Load(op + "/" + k.String()); ok {
		return v.(*atomic.Int64).Load()
	}
	return 0
}

// Counts lists the faults by operation and kind.
func (in *Injector) Counts() map[string]int64 {
	out := map[string]int64{}
	in.counts.Range(func(k, v any) bool {
		out[k.(string)] = v.(*atomic.Int64).Load()
		return true
	})
	return out
}

// APIOption adds the injector to a client's middleware stack: it goes at
// the end of the finalize step, after the retry middleware, so that every
// attempt (the SDK's retries included) is one draw.
func (in *Injector) APIOption(s *middleware.Stack) error {
	return s.Finalize.Add(middleware.FinalizeMiddlewareFunc("parley/faults", in.handle), middleware.After)
}

// input carries the operation's input from the initialize step (where it
// is still the typed input) to the finalize step.
type inputKey struct{}

// InputOption records the typed input, for Match; add it with APIOption
// when Match is set.
func (in *Injector) InputOption(s *middleware.Stack) error {
	return s.Initialize.Add(middleware.InitializeMiddlewareFunc("parley/faults-input",
		func(ctx context.Context, i middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			return next.HandleInitialize(context.WithValue(ctx, inputKey{}, i.Parameters), i)
		}), middleware.After)
}

func (in *Injector) handle(ctx context.Context, i middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
	op := awsmiddleware.GetOperationName(ctx)
	kind, strike := in.draw(ctx, op)
	if !strike {
		return next.HandleFinalize(ctx, i)
	}
	in.faulted.Add(1)
	v, _ := in.counts.LoadOrStore(op+"/"+kind.String(), new(atomic.Int64))
	v.(*atomic.Int64).Add(1)
	if in.OnFault != nil {
		in.OnFault(op, kind, ctx.Value(inputKey{}))
	}
	if kind == Before {
		return middleware.FinalizeOutput{}, middleware.Metadata{}, in.fault(op, kind)
	}
	out, md, err := next.HandleFinalize(ctx, i)
	if err != nil {
		return out, md, err // it failed on its own: nothing to lose
	}
	return middleware.FinalizeOutput{}, md, in.fault(op, kind)
}

func (in *Injector) draw(ctx context.Context, op string) (Kind, bool) {
	if !in.on.Load() || in.Rate <= 0 {
		return 0, false
	}
	if len(in.Ops) > 0 {
		found := false
		for _, o := range in.Ops {
			found = found || o == op
		}
		if !found {
			return 0, false
		}
	}
	if in.Match != nil && !in.Match(op, ctx.Value(inputKey{})) {
		return 0, false
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.rnd == nil {
		seed := in.Seed
		if seed == 0 {
			seed = 1
		}
		in.rnd = rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	}
	if in.rnd.Float64() >= in.Rate {
		return 0, false
	}
	kinds := in.Kinds
	if len(kinds) == 0 {
		kinds = []Kind{Before, After}
	}
	return kinds[in.rnd.IntN(len(kinds))], true
}

// fault returns a throttling error or a 500, half each; both are errors
// the SDK's standard retryer retries, as it would AWS's.
func (in *Injector) fault(op string, k Kind) error {
	msg := fmt.Sprintf("injected fault (%s) in %s", k, op)
	if in.Permanent != "" {
		return &smithy.GenericAPIError{Code: in.Permanent, Message: msg, Fault: smithy.FaultClient}
	}
	in.mu.Lock()
	throttle := in.rnd.IntN(2) == 0
	code := "ThrottlingException"
	if len(in.Throttle) > 0 {
		code = in.Throttle[in.rnd.IntN(len(in.Throttle))]
	}
	in.mu.Unlock()
	if throttle {
		return &smithy.GenericAPIError{Code: code, Message: msg, Fault: smithy.FaultClient}
	}
	return &awshttp.ResponseError{RequestID: "injected", ResponseError: &smithyhttp.ResponseError{
		Response: &smithyhttp.Response{Response: &http.Response{StatusCode: http.StatusInternalServerError, Header: http.Header{}}},
		Err:      &smithy.GenericAPIError{Code: "InternalServerError", Message: msg, Fault: smithy.FaultServer},
	}}
}
