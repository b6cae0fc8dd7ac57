package bench

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"parley/internal/local/localaws"
	"parley/internal/schema"
)

// runFloor is the relay run without the relay: as many workers as chats,
// each doing a bare PutItem then a strongly consistent GetItem of a small
// item, on an open-loop schedule at the relay's rate of messages. It runs
// for half the relay's time, with half as many pairs per worker: the rate
// and concurrency are what the comparison needs, and the run is a part of
// make bench's few minutes. What the relay adds above this is the gateway,
// the handler, its other requests and @connections; below it nothing in
// Parley can go.
func runFloor(ctx context.Context, endpoint, table string, o LoadOptions) ([]time.Duration, int, error) {
	db := localaws.NewDynamoDBClient(endpoint)
	perWorker := o.MessagesPerSide
	interval := o.Spread / 2 / time.Duration(perWorker)
	payload := strings.Repeat("p", 200)
	start := time.Now().Add(200 * time.Millisecond)
	var mu sync.Mutex
	var latencies []time.Duration
	failures := 0
	var wg sync.WaitGroup
	for w := range o.Chats {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pk := "BENCH#FLOOR#" + strconv.Itoa(w)
			offset := interval * time.Duration(w) / time.Duration(o.Chats)
			for k := range perWorker {
				due := start.Add(offset + time.Duration(k)*interval)
				time.Sleep(time.Until(due))
				key := map[string]types.AttributeValue{
					schema.PK: &types.AttributeValueMemberS{Value: pk},
					schema.SK: &types.AttributeValueMemberS{Value: "ITEM#" + strconv.Itoa(k)},
				}
				item := map[string]types.AttributeValue{"payload": &types.AttributeValueMemberS{Value: payload}}
				for k, v := range key {
					item[k] = v
				}
				_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: item})
				if err == nil {
					_, err = db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: key, ConsistentRead: aws.Bool(true)})
				}
				at := time.Now()
				mu.Lock()
				if err != nil {
					failures++
				} else {
					latencies = append(latencies, at.Sub(due))
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return latencies, failures, ctx.Err()
}

// warmUp runs PutItem+GetItem pairs on a few workers for d, unmeasured.
// DynamoDB Local's JVM compiles its hot paths over the first few thousand
// requests; warmed up first, no figure depends on which phase ran first.
// The workers go as fast as answers come (closed loop), so a cold JVM on a
// busy machine is not buried under a backlog.
func warmUp(ctx context.Context, endpoint, table string, d time.Duration) (int, error) {
	db := localaws.NewDynamoDBClient(endpoint)
	deadline := time.Now().Add(d)
	var mu sync.Mutex
	var done int
	var first error
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			key := map[string]types.AttributeValue{
				schema.PK: &types.AttributeValueMemberS{Value: "BENCH#WARMUP"},
				schema.SK: &types.AttributeValueMemberS{Value: strconv.Itoa(w)},
			}
			item := map[string]types.AttributeValue{"payload": &types.AttributeValueMemberS{Value: strings.Repeat("p", 200)}}
			for k, v := range key {
				item[k] = v
			}
			for time.Now().Before(deadline) && ctx.Err() == nil {
				_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: item})
				if err == nil {
					_, err = db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: key, ConsistentRead: aws.Bool(true)})
				}
				mu.Lock()
				if err != nil && first == nil {
					first = err
				}
				done++
				mu.Unlock()
				if err != nil {
					return
				}
			}
		}()
	}
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return done, first
}
