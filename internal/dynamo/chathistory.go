package dynamo

import (
	"context"
	"fmt"
	"parley/internal/apperr"
	"parley/internal/chat"
	"parley/internal/schema"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// maxHistoryReads bounds the Queries one history page may make when
// filters discard most chats: the page then ends early with a cursor.
const maxHistoryReads = 10

// ListChats pages through the chats started in [q.From, q.To), newest
// first, with a Query on the account's partition (ids sort by start time)
// and the filters as a FilterExpression.
func (s *Store) ListChats(ctx context.Context, accountID string, q chat.Query) (chat.Page, error) {
	names := map[string]string{"#pk": schema.PK, "#sk": schema.SK}
	values := map[string]types.AttributeValue{":pk": str(accountPK(accountID)), ":from": str(chatSK(chat.IDPrefix(q.From))), ":to": str(chatSK(chat.IDPrefix(q.To)))}
	var filters []string
	add := func(attr, v string) {
		if v != "" {
			names["#"+attr] = attr
			values[":"+attr] = str(v)
			filters = append(filters, "#"+attr+" = :"+attr)
		}
	}
	add("operatorId", q.OperatorID)
	add("visitorId", q.VisitorID)
	add("departmentId", q.DepartmentID)
	add("category", q.Category)
	if q.Category != "" && !strings.Contains(q.Category, " / ") {
		// A top-level category takes in its sub-categories ("Top / Sub").
		values[":categorySub"] = str(q.Category + " / ")
		filters[len(filters)-1] = "(#category = :category OR begins_with(#category, :categorySub))"
	}
	add("rating", string(q.Rating))
	add("status", string(q.Status))
	add("outcome", string(q.Outcome))
	if q.Offline != nil {
		// offline is stored only when true.
		names["#offline"] = "offline"
		if *q.Offline {
			values[":offline"] = &types.AttributeValueMemberBOOL{Value: true}
			filters = append(filters, "#offline = :offline")
		} else {
			filters = append(filters, "attribute_not_exists(#offline)")
		}
	}
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(s.Table),
		KeyConditionExpression:    aws.String("#pk = :pk AND #sk BETWEEN :from AND :to"),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
		ScanIndexForward:          aws.Bool(false),
	}
	if len(filters) > 0 {
		in.FilterExpression = aws.String(strings.Join(filters, " AND "))
	}
	if q.Cursor != "" {
		if !chat.ValidID(q.Cursor) {
			return chat.Page{}, &apperr.Error{Code: apperr.Invalid, Message: "cursor is not one this API returned", Fields: map[string]string{"cursor": "is not valid"}}
		}
		in.ExclusiveStartKey = key(accountPK(accountID), chatSK(q.Cursor))
	}
	var page chat.Page
	for range maxHistoryReads {
		// Evaluating at most the chats still wanted means every match of
		// this read is kept, so LastEvaluatedKey is an exact cursor.
		in.Limit = aws.Int32(int32(q.Limit - len(page.Chats)))
		res, err := s.DB.Query(ctx, in)
		if err != nil {
			return chat.Page{}, fmt.Errorf("dynamo: list chats: %w", err)
		}
		var rows []chatRow
		if err := attributevalue.UnmarshalListOfMaps(res.Items, &rows); err != nil {
			return chat.Page{}, fmt.Errorf("dynamo: decode chats: %w", err)
		}
		for _, r := range rows {
			page.Chats = append(page.Chats, fromChatRow(r))
		}
		page.Next = ""
		if res.LastEvaluatedKey == nil {
			return page, nil
		}
		var k struct {
			SK string `dynamodbav:"sk"`
		}
		if err := attributevalue.UnmarshalMap(res.LastEvaluatedKey, &k); err != nil {
			return chat.Page{}, fmt.Errorf("dynamo: decode cursor: %w", err)
		}
		page.Next = strings.TrimPrefix(k.SK, "CHAT#")
		if len(page.Chats) >= q.Limit {
			return page, nil
		}
		in.ExclusiveStartKey = res.LastEvaluatedKey
	}
	return page, nil
}
