package gateway

import (
	"bytes"
	"context"
	"reflect"
	"sync"

	"github.com/aws/aws-lambda-go/lambda"
)

// NewFunction makes an Invoker from a Go Lambda handler function (any
// signature lambda.Start accepts), decoding and encoding exactly as the
// runtime does.
//
// Use it rather than handing the gateway lambda.NewHandler(fn) directly. The
// bytes that handler's Invoke returns alias a buffer it recycles on its next
// Invoke, which is harmless in the Lambda runtime (one invocation at a time
// per execution environment) and a data race when two requests invoke it at
// once. NewFunction keeps a pool of handlers, one per concurrent invocation,
// like Lambda's pool of execution environments, and copies each result out
// before its handler is reused.
func NewFunction(handler any, opts ...lambda.Option) Invoker {
	f := &function{}
	f.envs.New = func() any { return lambda.NewHandlerWithOptions(handler, opts...) }
	return f
}

type function struct {
	envs sync.Pool // of lambda.Handler, each used by one invocation at a time
}

func (f *function) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	h := f.envs.Get().(lambda.Handler)
	defer f.envs.Put(h)
	out, err := h.Invoke(ctx, payload)
	return bytes.Clone(out), err
}

// serialized runs an Invoker that is not known to be safe for concurrent
// use one invocation at a time, copying its result before the next one (a
// function with reserved concurrency 1, in Lambda's terms).
type serialized struct {
	mu  sync.Mutex
	inv Invoker
}

func (s *serialized) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out, err := s.inv.Invoke(ctx, payload)
	return bytes.Clone(out), err
}

// serializers holds one serialized wrapper per Invoker, so that the HTTP
// and WebSocket APIs built from the same map share the lock.
var serializers sync.Map // Invoker -> *serialized

// safeInvoker returns inv itself when it is safe for concurrent use, and a
// serializing wrapper otherwise.
func safeInvoker(inv Invoker) Invoker {
	if _, ok := inv.(*function); ok {
		return inv
	}
	if !reflect.TypeOf(inv).Comparable() {
		return &serialized{inv: inv}
	}
	s, _ := serializers.LoadOrStore(inv, &serialized{inv: inv})
	return s.(*serialized)
}

// safeFunctions wraps every function with safeInvoker.
func safeFunctions(fns map[string]Invoker) map[string]Invoker {
	out := make(map[string]Invoker, len(fns))
	for name, inv := range fns {
		if inv != nil {
			out[name] = safeInvoker(inv)
		}
	}
	return out
}
