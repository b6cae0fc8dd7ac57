package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"parley/internal/apperr"
	"parley/internal/realtime"
	"parley/internal/schema"
)

// A chat's participants' connections are subscribed to it: a copy of the
// connection under the chat's partition (ACC#a#CHAT#id, CONN#connection),
// so a message's fan-out is one Query. The connection item lists the chats
// it is subscribed to (chats, a string set), so DeleteConnection removes
// the copies; both carry the connection's TTL in case $disconnect is lost.

// Subscribe adds connections to a chat's fan-out set. A connection that is
// gone meanwhile is skipped (its condition fails), so no stale copy stays.
func (s *Store) Subscribe(ctx context.Context, accountID, chatID string, conns []realtime.Connection) error {
	for _, c := range conns {
		row := connectionRow{Type: "subscription", ID: c.ID, AccountID: c.AccountID, Kind: string(c.Kind), Subject: c.Subject, Role: c.Role,
			SourceIP: c.SourceIP, ConnectedAt: c.ConnectedAt, SetPK: chatPK(accountID, chatID), ExpiresAt: c.ConnectedAt.Add(connectionTTL).Unix()}
		item, err := marshal(row, row.SetPK, "CONN#"+c.ID)
		if err != nil {
			return err
		}
		_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
			{Update: &types.Update{TableName: aws.String(s.Table), Key: key(connectionPK(c.ID), "CONN"),
				UpdateExpression:          aws.String("ADD chats :chat"),
				ConditionExpression:       aws.String("attribute_exists(" + schema.PK + ")"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":chat": &types.AttributeValueMemberSS{Value: []string{accountID + "/" + chatID}}}}},
			{Put: &types.Put{TableName: aws.String(s.Table), Item: item}},
		}})
		if cancelledReasons(err) != nil && cancelledReasons(err)[0] == "ConditionalCheckFailed" {
			continue
		}
		if err != nil {
			return fmt.Errorf("dynamo: subscribe: %w", err)
		}
	}
	return nil
}

// ChatConnections lists the connections subscribed to a chat: one Query.
func (s *Store) ChatConnections(ctx context.Context, accountID, chatID string) ([]realtime.Connection, error) {
	return s.connectionSet(ctx, chatPK(accountID, chatID))
}

// Unsubscribe removes a person's (or a visitor's) connections from a chat's
// set, when they stop leading it.
func (s *Store) Unsubscribe(ctx context.Context, accountID, chatID, subject string) error {
	conns, err := s.ChatConnections(ctx, accountID, chatID)
	if err != nil {
		return err
	}
	for _, c := range conns {
		if c.Subject != subject {
			continue
		}
		if err := s.unsubscribe(ctx, accountID, chatID, c.ID); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) unsubscribe(ctx context.Context, accountID, chatID, connID string) error {
	_, err := s.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(s.Table), Key: key(chatPK(accountID, chatID), "CONN#"+connID)})
	if err != nil {
		return fmt.Errorf("dynamo: unsubscribe: %w", err)
	}
	return nil
}

// PersonConnections lists one staff member's connections: one Query of the
// account's staff set.
func (s *Store) PersonConnections(ctx context.Context, accountID, personID string) ([]realtime.Connection, error) {
	all, err := s.StaffConnections(ctx, accountID)
	if err != nil {
		return nil, err
	}
	var out []realtime.Connection
	for _, c := range all {
		if c.Subject == personID {
			out = append(out, c)
		}
	}
	return out, nil
}

// awaySK marks a staff member as away: it lives in the staff set's
// partition, so one Query gives the connections and who is away.
func awaySK(person string) string { return "AWAY#" + person }

// Away reports whether a person said they are away: one GetItem.
func (s *Store) Away(ctx context.Context, accountID, personID string) (bool, error) {
	out, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.Table), Key: key(accountPK(accountID)+"#STAFF", awaySK(personID)),
		ProjectionExpression: aws.String(schema.PK)})
	if err != nil {
		return false, fmt.Errorf("dynamo: presence: %w", err)
	}
	return out.Item != nil, nil
}

// SetAway records whether a person is away; online and offline follow from
// their connections.
func (s *Store) SetAway(ctx context.Context, accountID, personID string, away bool) error {
	pk := accountPK(accountID) + "#STAFF"
	var err error
	if away {
		_, err = s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: map[string]types.AttributeValue{
			schema.PK: str(pk), schema.SK: str(awaySK(personID)), "type": str("away"), "accountId": str(accountID), "personId": str(personID)}})
	} else {
		_, err = s.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(s.Table), Key: key(pk, awaySK(personID))})
	}
	if err != nil {
		return fmt.Errorf("dynamo: set presence: %w", err)
	}
	return nil
}

// StaffPresence returns the account's staff connections and the people who
// are away: one Query.
func (s *Store) StaffPresence(ctx context.Context, accountID string) ([]realtime.Connection, map[string]bool, error) {
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(s.Table),
		KeyConditionExpression:    aws.String("#pk = :pk"),
		ExpressionAttributeNames:  map[string]string{"#pk": schema.PK},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(accountPK(accountID) + "#STAFF")},
	}
	now := s.Now().Unix()
	var conns []realtime.Connection
	away := map[string]bool{}
	for p := dynamodb.NewQueryPaginator(s.DB, in); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("dynamo: staff presence: %w", err)
		}
		for _, it := range page.Items {
			var r connectionRow
			if err := attributevalue.UnmarshalMap(it, &r); err != nil {
				return nil, nil, fmt.Errorf("dynamo: decode presence: %w", err)
			}
			switch r.Type {
			case "away":
				var a struct {
					PersonID string `dynamodbav:"personId"`
				}
				_ = attributevalue.UnmarshalMap(it, &a)
				away[a.PersonID] = true
			case typeConnection:
				if r.ExpiresAt > now {
					conns = append(conns, fromConnectionRow(r))
				}
			}
		}
	}
	return conns, away, nil
}

// DrawButton returns the visitor's button draw (0..99, SPEC §2.10
// misc.buttonProbability), storing draw if the visitor has none yet, so
// the draw sticks: one UpdateItem.
func (s *Store) DrawButton(ctx context.Context, accountID, visitorID string, draw int) (int, error) {
	res, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(s.Table), Key: key(accountPK(accountID), visitorSK(visitorID)),
		UpdateExpression:         aws.String("SET #type = :type, accountId = :acc, id = :id, buttonDraw = if_not_exists(buttonDraw, :d), expiresAt = :exp"),
		ExpressionAttributeNames: map[string]string{"#type": "type"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":type": str("visitor"), ":acc": str(accountID), ":id": str(visitorID),
			":d": num(int64(draw)), ":exp": s.visitorExpiry()},
		ReturnValues: types.ReturnValueUpdatedNew})
	if err != nil {
		return 0, fmt.Errorf("dynamo: draw button: %w", err)
	}
	var r struct {
		ButtonDraw int `dynamodbav:"buttonDraw"`
	}
	if err := attributevalue.UnmarshalMap(res.Attributes, &r); err != nil {
		return 0, fmt.Errorf("dynamo: decode draw: %w", err)
	}
	return r.ButtonDraw, nil
}

// MarkVisitorSeen stores when a visitor was first seen and reports whether
// this was it: one UpdateItem, so of two racing connections one is first.
func (s *Store) MarkVisitorSeen(ctx context.Context, accountID, visitorID string, at time.Time) (bool, error) {
	_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(s.Table), Key: key(accountPK(accountID), visitorSK(visitorID)),
		UpdateExpression:         aws.String("SET #type = :type, accountId = :acc, id = :id, seenAt = :at, expiresAt = :exp"),
		ConditionExpression:      aws.String("attribute_not_exists(seenAt)"),
		ExpressionAttributeNames: map[string]string{"#type": "type"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":type": str("visitor"), ":acc": str(accountID), ":id": str(visitorID),
			":at": str(at.UTC().Format(time.RFC3339Nano)), ":exp": s.visitorExpiry()}})
	if isConditionFailed(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("dynamo: mark visitor seen: %w", err)
	}
	return true, nil
}

// IsStaff reports apperr.NotFound unless the person is in the account: one
// GetItem.
func (s *Store) IsStaff(ctx context.Context, accountID, personID string) error {
	_, err := s.Person(ctx, accountID, personID)
	if isNotFound(err) {
		return apperr.New(apperr.NotFound, "operator %q not found", personID)
	}
	return err
}

// StaffOnline is StaffPresence as the widget's config reads it: the
// subjects of the live staff connections, and who is away.
func (s *Store) StaffOnline(ctx context.Context, accountID string) ([]string, map[string]bool, error) {
	conns, away, err := s.StaffPresence(ctx, accountID)
	subjects := make([]string, 0, len(conns))
	for _, c := range conns {
		subjects = append(subjects, c.Subject)
	}
	return subjects, away, err
}
