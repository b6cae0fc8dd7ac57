package dynamo

import (
	"context"
	"fmt"
	"parley/internal/chat"
	"parley/internal/schema"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// AppendMessage is one transaction: the chat's seq moves from c.Seq to
// m.Seq (so messages are numbered in commit order without gaps), the
// message is stored, and so is its client id (so a resend is recognised).
func (s *Store) AppendMessage(ctx context.Context, c chat.Chat, m chat.Message, w chat.Wait) (chat.Message, bool, error) {
	set := "seq = :n, lastMessageAt = :at"
	cond := "seq = :prev AND #st IN (:waiting, :active)"
	values := map[string]types.AttributeValue{":n": num(m.Seq), ":prev": num(c.Seq), ":at": str(m.At.Format(time.RFC3339Nano)),
		":waiting": str(string(chat.Waiting)), ":active": str(string(chat.Active))}
	// Each side's message count, for the statistics (a resend never gets
	// here: its client id's put fails the transaction).
	switch m.From {
	case chat.FromVisitor:
		set += ", visitorMsgs = if_not_exists(visitorMsgs, :zero) + :one"
		values[":zero"], values[":one"] = num(0), num(1)
	case chat.FromOperator:
		set += ", operatorMsgs = if_not_exists(operatorMsgs, :zero) + :one"
		values[":zero"], values[":one"] = num(0), num(1)
	}
	if m.From == chat.FromOperator {
		cond += " AND operatorId = :op"
		values[":op"] = str(m.SenderID)
		if c.AnsweredAt.IsZero() {
			set += ", answeredAt = :at"
		}
		// The first answer is the outcome, unless the visitor left first.
		set += ", outcome = if_not_exists(outcome, :answered), outcomeAt = if_not_exists(outcomeAt, :at)"
		values[":answered"] = str(string(chat.Answered))
	}
	expr := "SET " + set + waitUpdate(w, values)
	t := &txn{}
	t.add(types.TransactWriteItem{Update: &types.Update{TableName: aws.String(s.Table), Key: key(accountPK(c.AccountID), chatSK(c.ID)),
		UpdateExpression: aws.String(expr), ConditionExpression: aws.String(cond),
		ExpressionAttributeNames: map[string]string{"#st": "status"}, ExpressionAttributeValues: values}}, chat.ErrRace)
	it, err := s.put(toMessageRow(c, m), chatPK(c.AccountID, c.ID), messageSK(m.Seq), notExists, nil, nil)
	if err != nil {
		return chat.Message{}, false, err
	}
	t.add(it, chat.ErrRace)
	if m.ClientID != "" {
		it, err := s.put(map[string]any{"type": "clientId", "seq": m.Seq}, chatPK(c.AccountID, c.ID), clientIDSK(m), notExists, nil, nil)
		if err != nil {
			return chat.Message{}, false, err
		}
		t.add(it, nil)
	}
	if err := s.timerChange(t, c, w); err != nil {
		return chat.Message{}, false, err
	}
	_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: t.items})
	reasons := cancelledReasons(err)
	if len(reasons) >= 3 && m.ClientID != "" && reasons[2] == "ConditionalCheckFailed" {
		stored, err := s.messageByClientID(ctx, m)
		return stored, true, err
	}
	for _, r := range reasons {
		if r == "ConditionalCheckFailed" || r == "TransactionConflict" {
			return chat.Message{}, false, chat.ErrRace
		}
	}
	if err != nil {
		return chat.Message{}, false, fmt.Errorf("dynamo: append message: %w", err)
	}
	return m, false, nil
}

func (s *Store) messageByClientID(ctx context.Context, m chat.Message) (chat.Message, error) {
	var ref struct {
		Seq int64 `dynamodbav:"seq"`
	}
	if err := s.get(ctx, chatPK(m.AccountID, m.ChatID), clientIDSK(m), &ref, "message id"); err != nil {
		return chat.Message{}, err
	}
	var r messageRow
	if err := s.get(ctx, chatPK(m.AccountID, m.ChatID), messageSK(ref.Seq), &r, typeMessage); err != nil {
		return chat.Message{}, err
	}
	return fromMessageRow(r), nil
}

// Messages returns a chat's messages after seq in order: one Query per
// page of 1 MB.
func (s *Store) Messages(ctx context.Context, accountID, chatID string, after int64, limit int) ([]chat.Message, error) {
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(s.Table),
		KeyConditionExpression:    aws.String("#pk = :pk AND #sk BETWEEN :from AND :to"),
		ExpressionAttributeNames:  map[string]string{"#pk": schema.PK, "#sk": schema.SK},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(chatPK(accountID, chatID)), ":from": str(messageSK(after + 1)), ":to": str("MSG#~")},
		ConsistentRead:            aws.Bool(true),
	}
	if limit > 0 {
		in.Limit = aws.Int32(int32(limit))
	}
	out := []chat.Message{}
	for p := dynamodb.NewQueryPaginator(s.DB, in); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("dynamo: messages: %w", err)
		}
		var rows []messageRow
		if err := attributevalue.UnmarshalListOfMaps(page.Items, &rows); err != nil {
			return nil, fmt.Errorf("dynamo: decode messages: %w", err)
		}
		for _, r := range rows {
			out = append(out, fromMessageRow(r))
		}
		if limit > 0 && len(out) >= limit {
			break
		}
	}
	return out, nil
}
