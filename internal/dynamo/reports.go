package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"parley/internal/schema"
	"parley/internal/stats"
)

// The daily reports' due items (stats/daily.go): REPORTDUE#<UTC hour> /
// ACC#a, one per account and hour, holding the due second. A run Queries
// the few hours up to now; no read touches the accounts not due.

func reportDuePK(hour string) string { return "REPORTDUE#" + hour }

type reportDueRow struct {
	AccountID string `dynamodbav:"accountId"`
	At        int64  `dynamodbav:"at"`
}

// DueIn lists one hour's due items.
func (s *Store) DueIn(ctx context.Context, hour string) ([]stats.Due, error) {
	rows, err := queryAll[reportDueRow](ctx, s, &dynamodb.QueryInput{TableName: aws.String(s.Table), KeyConditionExpression: aws.String("#pk = :pk"),
		ExpressionAttributeNames: map[string]string{"#pk": schema.PK}, ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(reportDuePK(hour))},
		ConsistentRead: aws.Bool(true)}, "due reports")
	if err != nil {
		return nil, err
	}
	out := make([]stats.Due, 0, len(rows))
	for _, r := range rows {
		out = append(out, stats.Due{AccountID: r.AccountID, At: time.Unix(r.At, 0).UTC()})
	}
	return out, nil
}

// PutDue stores a due item; the same account and hour twice is one item.
func (s *Store) PutDue(ctx context.Context, d stats.Due) error {
	_, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: map[string]types.AttributeValue{
		schema.PK: str(reportDuePK(stats.HourKey(d.At))), schema.SK: str(accountPK(d.AccountID)), "type": str("reportDue"),
		"accountId": str(d.AccountID), "at": num(d.At.Unix()), schema.TTL: num(d.At.Add(7 * 24 * time.Hour).Unix())}})
	if err != nil {
		return fmt.Errorf("dynamo: put due report: %w", err)
	}
	return nil
}

// DeleteDue removes a served due item.
func (s *Store) DeleteDue(ctx context.Context, d stats.Due) error {
	_, err := s.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(s.Table), Key: key(reportDuePK(stats.HourKey(d.At)), accountPK(d.AccountID))})
	if err != nil {
		return fmt.Errorf("dynamo: delete due report: %w", err)
	}
	return nil
}

// PeopleNames maps an account's person ids to their names: one Query.
func (s *Store) PeopleNames(ctx context.Context, accountID string) (map[string]string, error) {
	people, err := s.People(ctx, accountID)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(people))
	for _, p := range people {
		out[p.ID] = p.Name
	}
	return out, nil
}
