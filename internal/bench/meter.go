package bench

import (
	"context"
	"fmt"
	"maps"
	"reflect"
	"sort"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"

	"parley/internal/schema"
)

// Meter counts every DynamoDB request a client makes and the capacity each
// consumed. Install it on the handlers' client (lambdas.Deps or
// stack.Options DynamoDBAPIOptions): it asks DynamoDB for the consumed
// capacity of every request that can report it.
//
// DynamoDB Local reports the capacity of every operation by DynamoDB's
// item-size rules except TransactWriteItems, which it gets wrong both ways
// (3.3.0 counts a Put in a transaction once, where DynamoDB bills it twice,
// and an Update twice plus something). While Sizer is set, the meter
// computes a transaction's write units itself instead: twice each item's
// standard write units, from the larger of its sizes before and after,
// read with Sizer around the transaction. That is only exact when nothing
// else writes those items meanwhile, which is how measureOps runs.
type Meter struct {
	mu     sync.Mutex
	counts Usage
	sizer  *dynamodb.Client // reads items to size transactions; nil: trust the report
}

// Usage is what a set of requests cost in DynamoDB.
type Usage struct {
	Requests map[string]int // by operation name, e.g. GetItem
	// ReadUnits and WriteUnits are the consumed read and write capacity
	// units, which on-demand bills one for one as request units.
	ReadUnits, WriteUnits float64
	// SizedWriteUnits is the part of WriteUnits the meter computed from
	// item sizes rather than took from DynamoDB Local's report.
	SizedWriteUnits float64
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
	d := Usage{Requests: map[string]int{}, ReadUnits: u.ReadUnits - earlier.ReadUnits, WriteUnits: u.WriteUnits - earlier.WriteUnits,
		SizedWriteUnits: u.SizedWriteUnits - earlier.SizedWriteUnits, Unreported: u.Unreported - earlier.Unreported}
	for op, n := range u.Requests {
		if n -= earlier.Requests[op]; n != 0 {
			d.Requests[op] = n
		}
	}
	return d
}

// Add returns u plus more.
func (u Usage) Add(more Usage) Usage {
	sum := Usage{Requests: map[string]int{}, ReadUnits: u.ReadUnits + more.ReadUnits, WriteUnits: u.WriteUnits + more.WriteUnits,
		SizedWriteUnits: u.SizedWriteUnits + more.SizedWriteUnits, Unreported: u.Unreported + more.Unreported}
	for op, n := range u.Requests {
		sum.Requests[op] += n
	}
	for op, n := range more.Requests {
		sum.Requests[op] += n
	}
	return sum
}

// SizeTransactions makes the meter compute transactions' write units from
// item sizes, reading the items with client (which must not be metered);
// nil goes back to DynamoDB Local's report.
func (m *Meter) SizeTransactions(client *dynamodb.Client) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sizer = client
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
	op := awsmiddleware.GetOperationName(ctx)
	m.mu.Lock()
	sizer := m.sizer
	m.mu.Unlock()
	var tx *txSizes
	if t, ok := in.Parameters.(*dynamodb.TransactWriteItemsInput); ok && sizer != nil {
		tx = sizeBefore(ctx, sizer, t)
	}
	asked := false
	in.Parameters, asked = askForCapacity(in.Parameters)
	out, md, err := next.HandleInitialize(ctx, in)
	read, write, reported := consumed(op, out.Result)
	sized := 0.0
	if tx != nil && err == nil {
		if units, ok := tx.units(ctx, sizer); ok {
			write, sized, reported = units, units, true
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.counts.Requests == nil {
		m.counts.Requests = map[string]int{}
	}
	m.counts.Requests[op]++
	if err == nil {
		m.counts.ReadUnits += read
		m.counts.WriteUnits += write
		m.counts.SizedWriteUnits += sized
		if asked && !reported {
			m.counts.Unreported++
		}
	}
	return out, md, err
}

// txSizes are the items of a transaction and their sizes before it.
type txSizes struct {
	items  []txItem
	failed error
}

type txItem struct {
	table  string
	key    map[string]types.AttributeValue
	before int // bytes; 0 when absent
	put    int // the size a Put writes
	update bool
}

func sizeBefore(ctx context.Context, sizer *dynamodb.Client, t *dynamodb.TransactWriteItemsInput) *txSizes {
	tx := &txSizes{}
	for _, it := range t.TransactItems {
		var x txItem
		switch {
		case it.Put != nil:
			x = txItem{table: aws.ToString(it.Put.TableName), put: ItemSize(it.Put.Item)}
			x.key = keyOf(it.Put.Item)
		case it.Update != nil:
			x = txItem{table: aws.ToString(it.Update.TableName), key: it.Update.Key, update: true}
		case it.Delete != nil:
			x = txItem{table: aws.ToString(it.Delete.TableName), key: it.Delete.Key}
		case it.ConditionCheck != nil:
			x = txItem{table: aws.ToString(it.ConditionCheck.TableName), key: it.ConditionCheck.Key}
		}
		if x.key != nil {
			size, err := readSize(ctx, sizer, x.table, x.key)
			if err != nil {
				tx.failed = err
			}
			x.before = size
		}
		tx.items = append(tx.items, x)
	}
	return tx
}

// units are the transaction's write units: two for each KB or part of one
// of the larger of each item's sizes before and after. A ConditionCheck,
// which no chat operation uses, is counted like a write of its item: an
// assumption, not a rule read off DynamoDB's pages.
func (tx *txSizes) units(ctx context.Context, sizer *dynamodb.Client) (float64, bool) {
	if tx.failed != nil {
		return 0, false
	}
	total := 0.0
	for _, x := range tx.items {
		size := max(x.before, x.put)
		if x.update {
			after, err := readSize(ctx, sizer, x.table, x.key)
			if err != nil {
				return 0, false
			}
			size = max(size, after)
		}
		total += 2 * writeUnits(size)
	}
	return total, true
}

func readSize(ctx context.Context, sizer *dynamodb.Client, table string, key map[string]types.AttributeValue) (int, error) {
	out, err := sizer.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: key, ConsistentRead: aws.Bool(true)})
	if err != nil {
		return 0, fmt.Errorf("bench: size an item: %w", err)
	}
	return ItemSize(out.Item), nil
}

// keyOf picks the table's key attributes out of an item.
func keyOf(item map[string]types.AttributeValue) map[string]types.AttributeValue {
	key := map[string]types.AttributeValue{}
	for _, k := range []string{schema.PK, schema.SK} {
		if v, ok := item[k]; ok {
			key[k] = v
		}
	}
	return key
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
