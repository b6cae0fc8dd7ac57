package bench

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"parley/internal/schema"
)

// Calibrate compares DynamoDB Local's capacity accounting of transactions
// with DynamoDB's rules and returns the factor that corrects each
// operation where they differ, for Meter.Factor.
//
// DynamoDB bills a transactional write 2 write units per item of up to
// 1 KB, and a transactional read 2 read units per item of up to 4 KB.
// DynamoDB Local 3.3.0 reports transactional reads that way but
// transactional writes as plain ones (1 unit per KB), so a connect, whose
// two items go in one TransactWriteItems, would be counted at half its
// cost. Every other operation it reports by DynamoDB's item-size rules (a
// 9 KB item is 9 write units, 3 strongly consistent read units). Probing
// rather than assuming keeps the figures right if a later DynamoDB Local
// fixes its count.
func Calibrate(ctx context.Context, db func(*Meter) *dynamodb.Client, table string) (map[string]float64, error) {
	m := &Meter{}
	client := db(m)
	key := func(sk string) map[string]types.AttributeValue {
		return map[string]types.AttributeValue{
			schema.PK: &types.AttributeValueMemberS{Value: "BENCH#CALIBRATE"},
			schema.SK: &types.AttributeValueMemberS{Value: sk},
		}
	}
	probes := []struct {
		op   string
		want float64 // units DynamoDB would charge
		do   func() error
	}{
		{"TransactWriteItems", 4, func() error {
			_, err := client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
				{Put: &types.Put{TableName: aws.String(table), Item: key("1")}},
				{Put: &types.Put{TableName: aws.String(table), Item: key("2")}},
			}})
			return err
		}},
		{"TransactGetItems", 4, func() error {
			_, err := client.TransactGetItems(ctx, &dynamodb.TransactGetItemsInput{TransactItems: []types.TransactGetItem{
				{Get: &types.Get{TableName: aws.String(table), Key: key("1")}},
				{Get: &types.Get{TableName: aws.String(table), Key: key("2")}},
			}})
			return err
		}},
	}
	factors := map[string]float64{}
	for _, p := range probes {
		before := m.Snapshot()
		if err := p.do(); err != nil {
			return nil, fmt.Errorf("bench: calibrate %s: %w", p.op, err)
		}
		d := m.Snapshot().Sub(before)
		got := d.ReadUnits + d.WriteUnits
		if got == 0 {
			return nil, fmt.Errorf("bench: DynamoDB reported no consumed capacity for %s", p.op)
		}
		if got != p.want {
			factors[p.op] = p.want / got
		}
	}
	return factors, nil
}
