package dynamo

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"parley/internal/auth"
	"parley/internal/realtime"
	"parley/internal/schema"
)

// connectionTTL outlives API Gateway's 2-hour connection limit, so a
// connection whose $disconnect was lost disappears on its own.
const connectionTTL = 3 * time.Hour

// connectionRow is stored twice: under CONN#id (to find a connection from
// its id) and under its fan-out set (ACC#a#STAFF or ACC#a#VIS#v, sk CONN#id)
// so delivery is one Query.
type connectionRow struct {
	Type        string    `dynamodbav:"type"`
	ID          string    `dynamodbav:"id"`
	AccountID   string    `dynamodbav:"accountId"`
	Kind        string    `dynamodbav:"kind"`
	Subject     string    `dynamodbav:"subject"`
	Role        string    `dynamodbav:"role,omitempty"`
	SourceIP    string    `dynamodbav:"sourceIp"`
	Session     string    `dynamodbav:"session,omitempty"`
	ConnectedAt time.Time `dynamodbav:"connectedAt"`
	SetPK       string    `dynamodbav:"setPk"`
	ExpiresAt   int64     `dynamodbav:"expiresAt"`
	// Chats lists "account/chat" of the chats the connection is subscribed
	// to (chatconns.go), so deleting it deletes those copies too.
	Chats []string `dynamodbav:"chats,stringset,omitempty"`
}

func connectionPK(id string) string { return "CONN#" + id }

func connectionSet(c realtime.Connection) string {
	if c.Kind == auth.Visitor {
		return accountPK(c.AccountID) + "#VIS#" + c.Subject
	}
	return accountPK(c.AccountID) + "#STAFF"
}

// PutConnection stores a connection and its set membership together.
func (s *Store) PutConnection(ctx context.Context, c realtime.Connection) error {
	row := connectionRow{Type: typeConnection, ID: c.ID, AccountID: c.AccountID, Kind: string(c.Kind), Subject: c.Subject, Role: c.Role,
		SourceIP: c.SourceIP, Session: c.Session, ConnectedAt: c.ConnectedAt, SetPK: connectionSet(c), ExpiresAt: c.ConnectedAt.Add(connectionTTL).Unix()}
	byID, err := marshal(row, connectionPK(c.ID), "CONN")
	if err != nil {
		return err
	}
	inSet, err := marshal(row, row.SetPK, "CONN#"+c.ID)
	if err != nil {
		return err
	}
	items := []types.TransactWriteItem{
		{Put: &types.Put{TableName: aws.String(s.Table), Item: byID}},
		{Put: &types.Put{TableName: aws.String(s.Table), Item: inSet}},
	}
	if c.Kind == auth.Visitor {
		// And in the account's set of visitors, for the button's push.
		inAccount, err := marshal(row, visitorsPK(c.AccountID), "CONN#"+c.ID)
		if err != nil {
			return err
		}
		items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: aws.String(s.Table), Item: inAccount}})
	}
	_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if err != nil {
		return fmt.Errorf("dynamo: put connection: %w", err)
	}
	return nil
}

// Connection returns a connection by id. Errors: apperr.NotFound.
func (s *Store) Connection(ctx context.Context, id string) (realtime.Connection, error) {
	var r connectionRow
	if err := s.get(ctx, connectionPK(id), "CONN", &r, typeConnection); err != nil {
		return realtime.Connection{}, err
	}
	return fromConnectionRow(r), nil
}

func fromConnectionRow(r connectionRow) realtime.Connection {
	return realtime.Connection{ID: r.ID, AccountID: r.AccountID, Kind: auth.Kind(r.Kind), Subject: r.Subject, Role: r.Role, SourceIP: r.SourceIP, Session: r.Session, ConnectedAt: r.ConnectedAt, Chats: r.Chats}
}

// DeleteConnection removes both items of a connection; an unknown id is fine.
func (s *Store) DeleteConnection(ctx context.Context, id string) error {
	res, err := s.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(s.Table), Key: key(connectionPK(id), "CONN"), ReturnValues: types.ReturnValueAllOld})
	if err != nil {
		return fmt.Errorf("dynamo: delete connection: %w", err)
	}
	if res.Attributes == nil {
		return nil
	}
	var r connectionRow
	if err := attributevalue.UnmarshalMap(res.Attributes, &r); err != nil {
		return fmt.Errorf("dynamo: decode connection: %w", err)
	}
	if _, err := s.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(s.Table), Key: key(r.SetPK, "CONN#"+id)}); err != nil {
		return fmt.Errorf("dynamo: delete connection membership: %w", err)
	}
	if auth.Kind(r.Kind) == auth.Visitor {
		if _, err := s.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(s.Table), Key: key(visitorsPK(r.AccountID), "CONN#"+id)}); err != nil {
			return fmt.Errorf("dynamo: delete visitor membership: %w", err)
		}
	}
	for _, c := range r.Chats {
		acc, chatID, _ := strings.Cut(c, "/")
		if err := s.unsubscribe(ctx, acc, chatID, id); err != nil {
			return err
		}
	}
	return nil
}

// StaffConnections lists an account's staff connections with one Query.
func (s *Store) StaffConnections(ctx context.Context, accountID string) ([]realtime.Connection, error) {
	return s.connectionSet(ctx, accountPK(accountID)+"#STAFF")
}

// visitorsPK is the set of every visitor connection of an account.
func visitorsPK(accountID string) string { return accountPK(accountID) + "#VISITORS" }

// AccountVisitorConnections lists every visitor connection of an account
// (the button's push, realtime/presence.go): one Query, paged.
func (s *Store) AccountVisitorConnections(ctx context.Context, accountID string) ([]realtime.Connection, error) {
	return s.connectionSet(ctx, visitorsPK(accountID))
}

// SetOnline records whether the account has someone online (item ACC#a /
// ONLINE) and reports whether that changed: a conditional write, so of
// the events racing on one change exactly one sees it.
func (s *Store) SetOnline(ctx context.Context, accountID string, online bool) (bool, error) {
	_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(s.Table), Key: key(accountPK(accountID), "ONLINE"),
		UpdateExpression:          aws.String("SET #type = :type, #online = :v"),
		ConditionExpression:       aws.String("attribute_not_exists(#online) OR #online <> :v"),
		ExpressionAttributeNames:  map[string]string{"#type": "type", "#online": "online"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":type": str("online"), ":v": &types.AttributeValueMemberBOOL{Value: online}}})
	if isConditionFailed(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("dynamo: online state: %w", err)
	}
	return true, nil
}

// VisitorConnections lists one visitor's connections with one Query.
func (s *Store) VisitorConnections(ctx context.Context, accountID, visitorID string) ([]realtime.Connection, error) {
	return s.connectionSet(ctx, accountPK(accountID)+"#VIS#"+visitorID)
}

func (s *Store) connectionSet(ctx context.Context, pk string) ([]realtime.Connection, error) {
	var out []realtime.Connection
	now := s.Now().Unix()
	p := dynamodb.NewQueryPaginator(s.DB, &dynamodb.QueryInput{
		TableName:                 aws.String(s.Table),
		KeyConditionExpression:    aws.String("#pk = :pk AND begins_with(#sk, :conn)"),
		ExpressionAttributeNames:  map[string]string{"#pk": schema.PK, "#sk": schema.SK},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: pk}, ":conn": &types.AttributeValueMemberS{Value: "CONN#"}},
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("dynamo: query connections: %w", err)
		}
		for _, it := range page.Items {
			var r connectionRow
			if err := attributevalue.UnmarshalMap(it, &r); err != nil {
				return nil, fmt.Errorf("dynamo: decode connection: %w", err)
			}
			if r.ExpiresAt <= now {
				continue // TTL deletes late; an expired connection is gone
			}
			out = append(out, fromConnectionRow(r))
		}
	}
	return out, nil
}
