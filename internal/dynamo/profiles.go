package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"parley/internal/chat"
	"parley/internal/schema"
)

// OperatorProfile is a staff member as routing and the workplace see them:
// the languages they speak, their departments, their chat limit. One
// GetItem: the person item carries its departments.
func (s *Store) OperatorProfile(ctx context.Context, accountID, personID string) (chat.Operator, error) {
	p, err := s.Person(ctx, accountID, personID)
	if err != nil {
		return chat.Operator{}, err
	}
	op := chat.Operator{ID: p.ID, Name: p.Name, Languages: p.Languages, Departments: p.Departments}
	if p.ChatLimit != nil {
		op.Limit = *p.ChatLimit
	}
	if p.Photo != nil && len(p.Photo.SHA256) >= 16 {
		op.PhotoVersion = p.Photo.SHA256[:16]
	}
	return op, nil
}

// QueueAssignmentsSince counts the chats taken off the common queue by
// routing since a moment, from the chatAssign events (their sort keys
// start with the time): one Query returning only the count, for the
// visitor's estimated wait.
func (s *Store) QueueAssignmentsSince(ctx context.Context, accountID string, since time.Time) (int, error) {
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(s.Table),
		KeyConditionExpression:    aws.String("#pk = :pk AND #sk BETWEEN :from AND :to"),
		FilterExpression:          aws.String("via = :queue"),
		ExpressionAttributeNames:  map[string]string{"#pk": schema.PK, "#sk": schema.SK},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(eventPK(accountID)), ":from": str("EVT#" + since.UTC().Format("20060102T150405.000000000Z")), ":to": str("EVT#~"), ":queue": str("queue")},
		Select:                    types.SelectCount,
	}
	n := 0
	for p := dynamodb.NewQueryPaginator(s.DB, in); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			return 0, fmt.Errorf("dynamo: queue assignments: %w", err)
		}
		n += int(page.Count)
	}
	return n, nil
}
