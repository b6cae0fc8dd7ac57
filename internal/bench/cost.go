package bench

import (
	"math"
	"time"
)

// OpCost is what one occurrence of an operation (a visitor's message, an
// operator's message, a visitor's connect…) was measured to use.
type OpCost struct {
	Name       string
	Requests   float64 // DynamoDB requests
	ReadUnits  float64 // DynamoDB read capacity units, billed on demand as read request units
	WriteUnits float64 // DynamoDB write capacity units, billed as write request units
	// Invocations of a function with MemoryMB, each lasting Duration.
	Invocations float64
	MemoryMB    int
	Duration    time.Duration
	// Messages are the WebSocket messages API Gateway meters: the frame
	// received from the client and every frame sent to a client.
	Messages float64
}

// GBSeconds is the Lambda duration billed for one occurrence: memory times
// the duration, rounded up to Lambda's 1 ms billing unit per invocation.
func (o OpCost) GBSeconds() float64 {
	ms := math.Ceil(float64(o.Duration) / float64(time.Millisecond))
	return o.Invocations * float64(o.MemoryMB) / 1024 * ms / 1000
}

// Counted is an operation and how many times one chat does it.
type Counted struct {
	Op    OpCost
	Times float64
}

// Chat is the usage of one chat: the operations it does and how long the
// visitor stays connected.
type Chat struct {
	Ops               []Counted
	ConnectionMinutes float64
}

// Usage sums the chat's operations.
func (c Chat) Usage() ChatUsage {
	u := ChatUsage{ConnectionMinutes: c.ConnectionMinutes}
	for _, o := range c.Ops {
		u.Requests += o.Times * o.Op.Requests
		u.ReadUnits += o.Times * o.Op.ReadUnits
		u.WriteUnits += o.Times * o.Op.WriteUnits
		u.Invocations += o.Times * o.Op.Invocations
		u.GBSeconds += o.Times * o.Op.GBSeconds()
		u.Messages += o.Times * o.Op.Messages
	}
	return u
}

// ChatUsage is one chat's billable units.
type ChatUsage struct {
	Requests          float64
	ReadUnits         float64
	WriteUnits        float64
	Invocations       float64
	GBSeconds         float64
	Messages          float64
	ConnectionMinutes float64
}

// Bill is a cost in US dollars, by service.
type Bill struct {
	DynamoDB, Lambda, APIGateway float64
}

// Total is the sum over services.
func (b Bill) Total() float64 { return b.DynamoDB + b.Lambda + b.APIGateway }

// Cost prices chats chats of usage u: on-demand request units, Lambda
// requests and arm64 GB-seconds, WebSocket messages and connection minutes.
func (p Prices) Cost(u ChatUsage, chats float64) Bill {
	return Bill{
		DynamoDB:   chats * (u.ReadUnits*p.DynamoDBReadRequestUnit + u.WriteUnits*p.DynamoDBWriteRequestUnit),
		Lambda:     chats * (u.Invocations*p.LambdaRequest + u.GBSeconds*p.LambdaArmGBSecond),
		APIGateway: chats * (u.Messages*p.WebSocketMessage + u.ConnectionMinutes*p.WebSocketConnMinute),
	}
}
