package dynamo

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"parley/internal/account"
	"parley/internal/apperr"
	"parley/internal/schema"
)

// sessionRow is one sign-in: pk ACC#account, sk SESSION#person#id, with a
// TTL. Keyed under the person so that ending all of a person's sessions
// is one Query, and checking one (the authorizer, on every request) is
// one GetItem.
type sessionRow struct {
	Type        string    `dynamodbav:"type"`
	AccountID   string    `dynamodbav:"accountId"`
	PersonID    string    `dynamodbav:"personId"`
	ID          string    `dynamodbav:"id"`
	RefreshHash string    `dynamodbav:"refreshHash"`
	PrevHash    string    `dynamodbav:"prevHash,omitempty"`
	CreatedAt   time.Time `dynamodbav:"createdAt"`
	ExpiresAt   int64     `dynamodbav:"expiresAt"`
}

func sessionSK(person, id string) string { return "SESSION#" + person + "#" + id }

// PutSession stores a new session.
func (s *Store) PutSession(ctx context.Context, ss account.Session) error {
	row := sessionRow{Type: typeSession, AccountID: ss.AccountID, PersonID: ss.PersonID, ID: ss.ID, RefreshHash: ss.RefreshHash,
		PrevHash: ss.PrevHash, CreatedAt: ss.CreatedAt, ExpiresAt: ss.ExpiresAt.Unix()}
	item, err := marshal(row, accountPK(ss.AccountID), sessionSK(ss.PersonID, ss.ID))
	if err != nil {
		return err
	}
	if _, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: item, ConditionExpression: notExists}); err != nil {
		return fmt.Errorf("dynamo: put session: %w", err)
	}
	return nil
}

// Session returns a session, expired or not (TTL deletes late; callers
// compare ExpiresAt). Errors: apperr.NotFound.
func (s *Store) Session(ctx context.Context, accountID, personID, id string) (account.Session, error) {
	var r sessionRow
	if err := s.get(ctx, accountPK(accountID), sessionSK(personID, id), &r, typeSession); err != nil {
		return account.Session{}, err
	}
	return account.Session{AccountID: r.AccountID, PersonID: r.PersonID, ID: r.ID, RefreshHash: r.RefreshHash, PrevHash: r.PrevHash,
		CreatedAt: r.CreatedAt, ExpiresAt: time.Unix(r.ExpiresAt, 0).UTC()}, nil
}

// RotateSession swaps the refresh hash if oldHash is still current and the
// session is unexpired at now: of two refreshes with the same token, one
// wins. Errors: apperr.Unauthorized otherwise.
func (s *Store) RotateSession(ctx context.Context, ss account.Session, oldHash, newHash string, expires, now time.Time) error {
	_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           aws.String(s.Table),
		Key:                 key(accountPK(ss.AccountID), sessionSK(ss.PersonID, ss.ID)),
		UpdateExpression:    aws.String("SET refreshHash = :new, prevHash = :old, expiresAt = :exp"),
		ConditionExpression: aws.String("refreshHash = :old AND expiresAt > :now"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":new": &types.AttributeValueMemberS{Value: newHash}, ":old": &types.AttributeValueMemberS{Value: oldHash},
			":exp": &types.AttributeValueMemberN{Value: strconv.FormatInt(expires.Unix(), 10)},
			":now": &types.AttributeValueMemberN{Value: strconv.FormatInt(now.Unix(), 10)},
		},
	})
	if isConditionFailed(err) {
		return apperr.New(apperr.Unauthorized, "the session has ended; sign in again")
	}
	if err != nil {
		return fmt.Errorf("dynamo: rotate session: %w", err)
	}
	return nil
}

// DeleteSession ends a session; an unknown one is not an error.
func (s *Store) DeleteSession(ctx context.Context, accountID, personID, id string) error {
	_, err := s.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(s.Table), Key: key(accountPK(accountID), sessionSK(personID, id))})
	if err != nil {
		return fmt.Errorf("dynamo: delete session: %w", err)
	}
	return nil
}

// DeleteSessions ends every session of a person: one Query for their
// keys, then deletes in batches.
func (s *Store) DeleteSessions(ctx context.Context, accountID, personID string) error {
	return s.DeleteSessionsExcept(ctx, accountID, personID, "")
}

// DeleteSessionsExcept ends every session of a person but keep ("" keeps
// none).
func (s *Store) DeleteSessionsExcept(ctx context.Context, accountID, personID, keep string) error {
	kept := sessionSK(personID, keep)
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(s.Table),
		KeyConditionExpression:    aws.String("#pk = :pk AND begins_with(#sk, :prefix)"),
		ProjectionExpression:      aws.String("#pk, #sk"),
		ExpressionAttributeNames:  map[string]string{"#pk": schema.PK, "#sk": schema.SK},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: accountPK(accountID)}, ":prefix": &types.AttributeValueMemberS{Value: "SESSION#" + personID + "#"}},
		ConsistentRead:            aws.Bool(true),
	}
	for p := dynamodb.NewQueryPaginator(s.DB, in); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("dynamo: list sessions: %w", err)
		}
		// One DeleteItem each: a person has a handful of sessions, and
		// single deletes need no handling of unprocessed batch items.
		for _, it := range page.Items {
			if sk, ok := it[schema.SK].(*types.AttributeValueMemberS); ok && keep != "" && sk.Value == kept {
				continue
			}
			if _, err := s.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(s.Table), Key: map[string]types.AttributeValue{schema.PK: it[schema.PK], schema.SK: it[schema.SK]}}); err != nil {
				return fmt.Errorf("dynamo: delete session: %w", err)
			}
		}
	}
	return nil
}
