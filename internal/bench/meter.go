package bench

import (
	"context"
	"maps"
	"reflect"
	"sort"
	"sync"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"
)

// Meter counts every DynamoDB request a client makes and the capacity each
// consumed. Install it on the handlers' client (lambdas.Deps or
// stack.Options DynamoDBAPIOptions): it asks DynamoDB for the consumed
// capacity of every request that can report it, so the figures are
// DynamoDB's own accounting, not an estimate from item sizes.
type Meter struct {
	// Factor multiplies the capacity an operation reports, by operation
	// name: Calibrate finds it where DynamoDB Local's accounting differs
	// from DynamoDB's rules. Set it with SetFactor once requests may flow.
	Factor map[string]float64

	mu     sync.Mutex
	counts Usage
}

// Usage is what a set of requests cost in DynamoDB.
type Usage struct {
	Requests map[string]int // by operation name, e.g. GetItem
	// ReadUnits and WriteUnits are the consumed read and write capacity
	// units, which on-demand bills one for one as request units.
	ReadUnits, WriteUnits float64
	// Unreported counts requests whose output carried no consumed
	// capacity although they asked for it; non-zero means the capacity
	// figures are short.
	Unreported int
}

// Total is the number of requests of every operation.
func (u Usage) Total() int {
	n := 0
	for _, c := range u.Requests {
		n += c
	}
	return n
}

// Ops lists the operations counted, sorted.
func (u Usage) Ops() []string {
	ops := make([]string, 0, len(u.Requests))
	for op := range u.Requests {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	return ops
}

// Sub returns u minus earlier: what happened between two snapshots.
func (u Usage) Sub(earlier Usage) Usage {
	d := Usage{Requests: map[string]int{}, ReadUnits: u.ReadUnits - earlier.ReadUnits,
		WriteUnits: u.WriteUnits - earlier.WriteUnits, Unreported: u.Unreported - earlier.Unreported}
	for op, n := range u.Requests {
		if n -= earlier.Requests[op]; n != 0 {
			d.Requests[op] = n
		}
	}
	return d
}

// SetFactor replaces Factor safely while requests are being counted.
func (m *Meter) SetFactor(f map[string]float64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.Factor = f
}

// Snapshot returns the counts so far.
func (m *Meter) Snapshot() Usage {
	m.mu.Lock()
	defer m.mu.Unlock()
	u := m.counts
	u.Requests = maps.Clone(m.counts.Requests)
	if u.Requests == nil {
		u.Requests = map[string]int{}
	}
	return u
}

// APIOptions returns the middleware to append to a DynamoDB client's
// APIOptions.
func (m *Meter) APIOptions() []func(*middleware.Stack) error {
	return []func(*middleware.Stack) error{func(s *middleware.Stack) error {
		// Initialize runs once per call, before retries: a request
		// retried after a throttle counts once, as DynamoDB bills only the
		// attempt that succeeds.
		return s.Initialize.Add(middleware.InitializeMiddlewareFunc("ParleyBenchMeter", m.handle), middleware.After)
	}}
}

func (m *Meter) handle(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
	asked := false
	in.Parameters, asked = askForCapacity(in.Parameters)
	out, md, err := next.HandleInitialize(ctx, in)
	op := awsmiddleware.GetOperationName(ctx)
	read, write, reported := consumed(op, out.Result)
	m.mu.Lock()
	if f, ok := m.Factor[op]; ok {
		read, write = read*f, write*f
	}
	if m.counts.Requests == nil {
		m.counts.Requests = map[string]int{}
	}
	m.counts.Requests[op]++
	if err == nil {
		m.counts.ReadUnits += read
		m.counts.WriteUnits += write
		if asked && !reported {
			m.counts.Unreported++
		}
	}
	m.mu.Unlock()
	return out, md, err
}

// askForCapacity returns a copy of params, a pointer to an operation's
// input, with ReturnConsumedCapacity set to TOTAL where the operation has
// the field and the caller left it empty. It copies rather than sets, since
// the caller may reuse its input (the SDK's paginators do).
func askForCapacity(params any) (any, bool) {
	v := reflect.ValueOf(params)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return params, false
	}
	f := v.Elem().FieldByName("ReturnConsumedCapacity")
	if !f.IsValid() || f.Type() != reflect.TypeFor[types.ReturnConsumedCapacity]() {
		return params, false
	}
	if f.String() != "" {
		return params, f.String() != string(types.ReturnConsumedCapacityNone)
	}
	cp := reflect.New(v.Elem().Type())
	cp.Elem().Set(v.Elem())
	cp.Elem().FieldByName("ReturnConsumedCapacity").SetString(string(types.ReturnConsumedCapacityTotal))
	return cp.Interface(), true
}

// readOps are the operations whose capacity is read capacity when the
// response gives only the combined CapacityUnits.
var readOps = map[string]bool{"GetItem": true, "Query": true, "Scan": true, "BatchGetItem": true, "TransactGetItems": true}

// consumed sums the ConsumedCapacity of an operation's output, a single
// value or a list (batch and transaction operations report per table).
func consumed(op string, result any) (read, write float64, reported bool) {
	v := reflect.ValueOf(result)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return 0, 0, false
	}
	f := v.Elem().FieldByName("ConsumedCapacity")
	if !f.IsValid() {
		return 0, 0, false
	}
	var list []types.ConsumedCapacity
	switch c := f.Interface().(type) {
	case *types.ConsumedCapacity:
		if c != nil {
			list = append(list, *c)
		}
	case []types.ConsumedCapacity:
		list = c
	}
	for _, c := range list {
		reported = true
		r, w := deref(c.ReadCapacityUnits), deref(c.WriteCapacityUnits)
		if r == 0 && w == 0 {
			// TOTAL may give only the combined figure; the operation
			// says which kind it is.
			if readOps[op] {
				r = deref(c.CapacityUnits)
			} else {
				w = deref(c.CapacityUnits)
			}
		}
		read += r
		write += w
	}
	return read, write, reported
}

func deref(p *float64) float64 {
	if p == nil {
		return 0
	}
	return *p
}
