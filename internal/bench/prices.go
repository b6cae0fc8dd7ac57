package bench

// Prices are AWS list prices in US dollars, in the region the stacks deploy
// to by default, for what a chat uses. Free tiers are left out: the figure
// is what chats cost once an account has outgrown them.
type Prices struct {
	Date   string // when the prices were looked up
	Region string

	DynamoDBWriteRequestUnit float64 // on-demand, Standard table class, per WRU
	DynamoDBReadRequestUnit  float64 // on-demand, Standard table class, per RRU

	LambdaRequest        float64 // per invocation
	LambdaArmGBSecond    float64 // arm64 duration, first tier, per GB-second
	WebSocketMessage     float64 // per message sent or received, metered in 32 KB units
	WebSocketConnMinute  float64 // per connection minute
	WebSocketMessageUnit int     // bytes per metered message
}

// ListPrices were looked up on 2026-11-25 for us-east-1 (US East, N.
// Virginia), from AWS's pages "Amazon DynamoDB pricing" (on-demand
// capacity), "AWS Lambda pricing" (Arm price) and "Amazon API Gateway
// pricing" (WebSocket APIs).
//
// The official pages render their rate tables with scripts, so their
// stored text gave the units and metering (WebSocket messages up to 128 KB
// metered in 32 KB increments; Lambda duration billed per 1 ms) but not
// every rate. The rates below agree across several published summaries of
// those pages and with the rates known before the look-up:
//   - DynamoDB on-demand: $0.625 per million write request units and
//     $0.125 per million read request units, the rates since AWS halved
//     on-demand prices on 2024-11-01 (confirmed by secondary sources only);
//   - Lambda: $0.20 per million requests and, on arm64, $0.0000133334 per
//     GB-second for the first 7.5 billion GB-seconds a month;
//   - API Gateway WebSocket APIs: $1.00 per million messages for the first
//     billion a month and $0.25 per million connection minutes (the
//     connection-minute rate is from secondary sources and known rates, not
//     read off the official page).
var ListPrices = Prices{
	Date:   "2026-11-25",
	Region: "us-east-1",

	DynamoDBWriteRequestUnit: 0.625 / 1e6,
	DynamoDBReadRequestUnit:  0.125 / 1e6,

	LambdaRequest:        0.20 / 1e6,
	LambdaArmGBSecond:    0.0000133334,
	WebSocketMessage:     1.00 / 1e6,
	WebSocketConnMinute:  0.25 / 1e6,
	WebSocketMessageUnit: 32 * 1024,
}
