package dynamo

import (
	"context"
	"fmt"
	"parley/internal/chat"
	"parley/internal/schema"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// OpenChats lists the account's open chats from the sparse index, oldest
// first: one Query (and more only past 1 MB of open chats).
func (s *Store) OpenChats(ctx context.Context, accountID string) ([]chat.Chat, error) {
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(s.Table),
		IndexName:                 aws.String(schema.GSI1),
		KeyConditionExpression:    aws.String("#pk = :pk"),
		ExpressionAttributeNames:  map[string]string{"#pk": schema.GSI1PK},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(openChatsPK(accountID))},
	}
	return queryChats(ctx, s, in, "open chats")
}

// OperatorChatIDs lists the chats an operator leads: one Query.
func (s *Store) OperatorChatIDs(ctx context.Context, accountID, operatorID string) ([]string, error) {
	var rows []struct {
		ChatID string `dynamodbav:"chatId"`
	}
	if err := s.queryPrefix(ctx, accountPK(accountID), "OPCHAT#"+operatorID+"#", &rows); err != nil {
		return nil, fmt.Errorf("dynamo: operator chats: %w", err)
	}
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.ChatID
	}
	return ids, nil
}

// OperatorLoad is how many chats an operator leads, from their counter.
func (s *Store) OperatorLoad(ctx context.Context, accountID, operatorID string) (int64, error) {
	var r struct {
		Open int64 `dynamodbav:"open"`
	}
	err := s.get(ctx, accountPK(accountID), loadSK(operatorID), &r, "load")
	if isNotFound(err) {
		return 0, nil
	}
	return r.Open, err
}

// WaitingCount is how many chats wait for an operator, the sum of the
// shards the chat transactions keep (misc.onlineQueueLimit): one Query.
func (s *Store) WaitingCount(ctx context.Context, accountID string) (int64, error) {
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(s.Table),
		KeyConditionExpression:    aws.String("#pk = :pk AND #sk BETWEEN :first AND :last"),
		ExpressionAttributeNames:  map[string]string{"#pk": schema.PK, "#sk": schema.SK},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(accountPK(accountID)), ":first": str(queueSK), ":last": str(queueSK + "#~")},
		ConsistentRead:            aws.Bool(true),
	}
	var n int64
	for p := dynamodb.NewQueryPaginator(s.DB, in); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			return 0, fmt.Errorf("dynamo: waiting count: %w", err)
		}
		var rows []struct {
			Waiting int64 `dynamodbav:"waiting"`
		}
		if err := attributevalue.UnmarshalListOfMaps(page.Items, &rows); err != nil {
			return 0, fmt.Errorf("dynamo: decode waiting count: %w", err)
		}
		for _, r := range rows {
			n += r.Waiting
		}
	}
	return n, nil
}
