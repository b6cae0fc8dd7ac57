package dynamo

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"parley/internal/schema"
	"parley/internal/stats"
)

// The statistics' day items (internal/stats): ACC#a#STATS / DAY#yyyy-mm-dd,
// one per account and day, each counter one number attribute named
// "dimension=value|metric". A range of days is one Query of that
// partition, so a year is at most 366 items (a few 1 MB pages), however
// many chats they count. A counted stream record leaves a marker
// ACC#a#STATSREC / <record id> (TTL two days, beyond the stream's 24-hour
// retention), written in the transaction that adds its counts: a record
// delivered again fails the marker's condition and adds nothing.

func statsPK(accountID string) string    { return accountPK(accountID) + "#STATS" }
func statsRecPK(accountID string) string { return accountPK(accountID) + "#STATSREC" }
func statsDaySK(day string) string       { return "DAY#" + day }

// statsMarkerTTL outlives the stream's retention, so no redelivery can
// find its marker gone.
const statsMarkerTTL = 48 * time.Hour

// Count adds deltas to their days once per record id.
func (s *Store) Count(ctx context.Context, accountID, recordID string, deltas []stats.DayDelta) error {
	if len(deltas) == 0 {
		return nil
	}
	items := []types.TransactWriteItem{{Put: &types.Put{TableName: aws.String(s.Table), ConditionExpression: notExists, Item: map[string]types.AttributeValue{
		schema.PK: str(statsRecPK(accountID)), schema.SK: str(recordID), "type": str("statsRecord"),
		schema.TTL: num(s.Now().Add(statsMarkerTTL).Unix())}}}}
	for _, d := range deltas {
		names := map[string]string{"#type": "type", "#acc": "accountId", "#day": "day"}
		values := map[string]types.AttributeValue{":type": str("statsDay"), ":acc": str(accountID), ":day": str(d.Day)}
		expr := "SET #type = :type, #acc = :acc, #day = :day ADD "
		i := 0
		for k, n := range d.Counts {
			if i > 0 {
				expr += ", "
			}
			ni, vi := "#k"+strconv.Itoa(i), ":v"+strconv.Itoa(i)
			names[ni], values[vi] = k.String(), num(n)
			expr += ni + " " + vi
			i++
		}
		if i == 0 {
			continue
		}
		items = append(items, types.TransactWriteItem{Update: &types.Update{TableName: aws.String(s.Table), Key: key(statsPK(accountID), statsDaySK(d.Day)),
			UpdateExpression: aws.String(expr), ExpressionAttributeNames: names, ExpressionAttributeValues: values}})
	}
	if len(items) == 1 {
		return nil
	}
	_, err := s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if r := cancelledReasons(err); len(r) > 0 && r[0] == "ConditionalCheckFailed" {
		return nil // this record was counted already
	}
	if err != nil {
		return fmt.Errorf("dynamo: count statistics: %w", err)
	}
	return nil
}

// Days returns an account's day items of [from, to]: one Query.
func (s *Store) Days(ctx context.Context, accountID, from, to string) ([]stats.Day, error) {
	in := &dynamodb.QueryInput{TableName: aws.String(s.Table),
		KeyConditionExpression:    aws.String("#pk = :pk AND #sk BETWEEN :from AND :to"),
		ExpressionAttributeNames:  map[string]string{"#pk": schema.PK, "#sk": schema.SK},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(statsPK(accountID)), ":from": str(statsDaySK(from)), ":to": str(statsDaySK(to))}}
	var out []stats.Day
	for p := dynamodb.NewQueryPaginator(s.DB, in); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("dynamo: statistics days: %w", err)
		}
		for _, it := range page.Items {
			d := stats.Day{Counts: stats.Counters{}}
			if v, ok := it["day"].(*types.AttributeValueMemberS); ok {
				d.Date = v.Value
			}
			for name, av := range it {
				k, ok := stats.ParseKey(name)
				n, isNum := av.(*types.AttributeValueMemberN)
				if !ok || !isNum {
					continue
				}
				v, err := strconv.ParseInt(n.Value, 10, 64)
				if err != nil {
					return nil, fmt.Errorf("dynamo: decode statistics %s: %w", name, err)
				}
				if v != 0 {
					d.Counts[k] = v
				}
			}
			out = append(out, d)
		}
	}
	return out, nil
}
