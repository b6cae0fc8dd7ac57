package bench

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"parley/internal/local/localaws"
	"parley/internal/testkit/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"pk": s(pk), "sk": s(sk)}
}

func item(pk, sk string, text int) map[string]types.AttributeValue {
	it := key(pk, sk)
	it["text"] = s(strings.Repeat("x", text))
	return it
}

// TestMeterOnDynamoDBLocal checks the meter against DynamoDB Local: plain
// operations count what DynamoDB Local reports, which follows DynamoDB's
// item-size rules (a strongly consistent read of up to 4 KB is 1 read unit,
// a write 1 write unit per KB), and transactions, which it misreports, count
// two write units per KB of each item when the meter sizes them.
func TestMeterOnDynamoDBLocal(t *testing.T) {
	_, table := testenv.DynamoDB(t)
	m := &Meter{}
	endpoint := testenv.DynamoDBEndpoint(t)
	db := dynamodb.NewFromConfig(localaws.Config(), func(o *dynamodb.Options) {
		o.BaseEndpoint = aws.String(endpoint)
		o.APIOptions = append(o.APIOptions, m.APIOptions()...)
	})
	m.SizeTransactions(localaws.NewDynamoDBClient(endpoint))
	ctx := t.Context()
	tbl := aws.String(table)
	steps := []struct {
		name        string
		op          string
		do          func() error
		read, write float64
	}{
		{"small put", "PutItem", func() error {
			_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: tbl, Item: item("a", "1", 100)})
			return err
		}, 0, 1},
		{"3 KB put", "PutItem", func() error {
			_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: tbl, Item: item("a", "2", 3000)})
			return err
		}, 0, 3},
		{"consistent get", "GetItem", func() error {
			_, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: tbl, Key: key("a", "1"), ConsistentRead: aws.Bool(true)})
			return err
		}, 1, 0},
		{"query of both", "Query", func() error {
			_, err := db.Query(ctx, &dynamodb.QueryInput{TableName: tbl, KeyConditionExpression: aws.String("pk = :p"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":p": s("a")}, ConsistentRead: aws.Bool(true)})
			return err
		}, 1, 0},
		{"two small puts in a transaction", "TransactWriteItems", func() error {
			_, err := db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
				{Put: &types.Put{TableName: tbl, Item: item("b", "1", 100)}},
				{Put: &types.Put{TableName: tbl, Item: item("b", "2", 100)}},
			}})
			return err
		}, 0, 4},
		{"update of a 3 KB item and two small puts in a transaction", "TransactWriteItems", func() error {
			_, err := db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
				{Update: &types.Update{TableName: tbl, Key: key("a", "2"), UpdateExpression: aws.String("SET n = :n"),
					ExpressionAttributeValues: map[string]types.AttributeValue{":n": &types.AttributeValueMemberN{Value: "1"}}}},
				{Put: &types.Put{TableName: tbl, Item: item("b", "3", 100)}},
				{Put: &types.Put{TableName: tbl, Item: item("b", "4", 10)}},
			}})
			return err
		}, 0, 2*3 + 2 + 2},
	}
	for _, st := range steps {
		before := m.Snapshot()
		if err := st.do(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		d := m.Snapshot().Sub(before)
		if d.Total() != 1 || d.Requests[st.op] != 1 {
			t.Errorf("%s: counted %v, want one %s", st.name, d.Requests, st.op)
		}
		if d.Unreported != 0 || d.ReadUnits != st.read || d.WriteUnits != st.write {
			t.Errorf("%s: read %v write %v (unreported %d), want read %v write %v", st.name, d.ReadUnits, d.WriteUnits, d.Unreported, st.read, st.write)
		}
	}
}

// TestItemSizeAgreesWithDynamoDBLocal writes items of every attribute type
// around the 1 KB boundaries and checks that ItemSize rounds to the write
// units DynamoDB Local reports for a plain PutItem.
func TestItemSizeAgreesWithDynamoDBLocal(t *testing.T) {
	_, table := testenv.DynamoDB(t)
	m := &Meter{}
	db := dynamodb.NewFromConfig(localaws.Config(), func(o *dynamodb.Options) {
		o.BaseEndpoint = aws.String(testenv.DynamoDBEndpoint(t))
		o.APIOptions = append(o.APIOptions, m.APIOptions()...)
	})
	for i, size := range []int{900, 1024, 1025, 2048, 2049, 3100} {
		it := item("size", strings.Repeat("k", i+1), 0)
		it["n"] = &types.AttributeValueMemberN{Value: "12345.678"}
		it["b"] = &types.AttributeValueMemberBOOL{Value: true}
		it["l"] = &types.AttributeValueMemberL{Value: []types.AttributeValue{s("one"), &types.AttributeValueMemberN{Value: "2"}}}
		it["m"] = &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"k": s("v"), "z": &types.AttributeValueMemberNULL{Value: true}}}
		it["ss"] = &types.AttributeValueMemberSS{Value: []string{"a", "bc"}}
		it["text"] = s(strings.Repeat("x", max(0, size-ItemSize(it))))
		before := m.Snapshot()
		if _, err := db.PutItem(t.Context(), &dynamodb.PutItemInput{TableName: aws.String(table), Item: it}); err != nil {
			t.Fatal(err)
		}
		got := m.Snapshot().Sub(before).WriteUnits
		if want := writeUnits(ItemSize(it)); got != want {
			t.Errorf("item of %d bytes by ItemSize: DynamoDB Local counts %v write units, ItemSize gives %v", ItemSize(it), got, want)
		}
	}
}
