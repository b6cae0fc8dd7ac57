package bench

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"parley/internal/local/localaws"
	"parley/internal/local/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// TestMeterOnDynamoDBLocal checks that DynamoDB Local reports consumed
// capacity when asked and that, once calibrated, the meter counts what
// DynamoDB would bill: a strongly consistent read of a small item is 1 read
// unit, a small write 1 write unit, a transaction of two small writes 4.
func TestMeterOnDynamoDBLocal(t *testing.T) {
	_, table := testenv.DynamoDB(t)
	client := func(m *Meter) *dynamodb.Client {
		return dynamodb.NewFromConfig(localaws.Config(), func(o *dynamodb.Options) {
			o.BaseEndpoint = aws.String(testenv.DynamoDBEndpoint(t))
			o.APIOptions = append(o.APIOptions, m.APIOptions()...)
		})
	}
	ctx := t.Context()
	factors, err := Calibrate(ctx, client, table)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("corrections for DynamoDB Local: %v", factors)
	m := &Meter{Factor: factors}
	db := client(m)
	item := func(pk, sk string) map[string]types.AttributeValue {
		return map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: pk}, "sk": &types.AttributeValueMemberS{Value: sk},
			"text": &types.AttributeValueMemberS{Value: strings.Repeat("x", 100)}}
	}
	steps := []struct {
		name        string
		do          func() error
		read, write float64
	}{
		{"PutItem", func() error {
			_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: item("a", "1")})
			return err
		}, 0, 1},
		{"GetItem", func() error {
			_, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: map[string]types.AttributeValue{
				"pk": &types.AttributeValueMemberS{Value: "a"}, "sk": &types.AttributeValueMemberS{Value: "1"}}, ConsistentRead: aws.Bool(true)})
			return err
		}, 1, 0},
		{"Query", func() error {
			_, err := db.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(table), KeyConditionExpression: aws.String("pk = :p"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":p": &types.AttributeValueMemberS{Value: "a"}}, ConsistentRead: aws.Bool(true)})
			return err
		}, 1, 0},
		{"TransactWriteItems", func() error {
			_, err := db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
				{Put: &types.Put{TableName: aws.String(table), Item: item("b", "1")}},
				{Put: &types.Put{TableName: aws.String(table), Item: item("b", "2")}},
			}})
			return err
		}, 0, 4},
	}
	for _, s := range steps {
		before := m.Snapshot()
		if err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		d := m.Snapshot().Sub(before)
		t.Logf("%s: %+v", s.name, d)
		if d.Total() != 1 || d.Requests[s.name] != 1 {
			t.Errorf("%s: counted %v, want one %s", s.name, d.Requests, s.name)
		}
		if d.Unreported != 0 || d.ReadUnits != s.read || d.WriteUnits != s.write {
			t.Errorf("%s: read %v write %v (unreported %d), want read %v write %v", s.name, d.ReadUnits, d.WriteUnits, d.Unreported, s.read, s.write)
		}
	}
}
