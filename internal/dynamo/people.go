package dynamo

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"parley/internal/account"
	"parley/internal/apperr"
	"parley/internal/routes"
	"parley/internal/schema"
	"parley/internal/settings"
)

// photoRow holds a person's photo bytes: pk ACC#account, sk PHOTO#person.
// They are kept apart from the person so that listing people does not read
// every photo; at most settings.MaxImageBytes, well under the item limit.
type photoRow struct {
	Type  string         `dynamodbav:"type"`
	Image settings.Image `dynamodbav:"image"`
	Bytes []byte         `dynamodbav:"bytes"`
}

func photoSK(person string) string { return "PHOTO#" + person }

// InvitePerson stores an invited person (with their e-mail reservation and
// memberships) and their invitation link in one transaction. Errors:
// apperr.Conflict (e-mail taken), apperr.NotFound (a department).
func (s *Store) InvitePerson(ctx context.Context, p account.Person, l account.Link) error {
	items, err := s.personPuts(p)
	if err != nil {
		return err
	}
	link, err := marshal(toLinkRow(l), linkPK(l.Hash), "LINK")
	if err != nil {
		return err
	}
	items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: aws.String(s.Table), Item: link, ConditionExpression: notExists}})
	return s.transactPeople(ctx, items)
}

// People lists an account's people: one Query (paged).
func (s *Store) People(ctx context.Context, accountID string) ([]account.Person, error) {
	var rows []personRow
	if err := s.queryPrefix(ctx, accountPK(accountID), "PERSON#", &rows); err != nil {
		return nil, fmt.Errorf("dynamo: people: %w", err)
	}
	out := make([]account.Person, len(rows))
	for i, r := range rows {
		out[i] = fromPersonRow(r)
	}
	return out, nil
}

// versionCondition makes a write to a person conditional on the version it
// read. People stored before versions existed have none.
func versionCondition(v int64) (*string, map[string]types.AttributeValue) {
	if v == 0 {
		return aws.String("attribute_exists(" + schema.PK + ") AND attribute_not_exists(version)"), nil
	}
	return aws.String("version = :v"), map[string]types.AttributeValue{":v": &types.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)}}
}

// txn collects transaction items with the error each one's failed
// condition means.
type txn struct {
	items []types.TransactWriteItem
	fails []error
}

func (t *txn) add(it types.TransactWriteItem, onFail error) {
	t.items = append(t.items, it)
	t.fails = append(t.fails, onFail)
}

func (s *Store) run(ctx context.Context, t *txn, what string) error {
	_, err := s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: t.items})
	if reasons := cancelledReasons(err); reasons != nil {
		for i, r := range reasons {
			if r == "ConditionalCheckFailed" && i < len(t.fails) && t.fails[i] != nil {
				return t.fails[i]
			}
		}
	}
	if err != nil {
		return fmt.Errorf("dynamo: %s: %w", what, err)
	}
	return nil
}

var (
	errPersonChanged = apperr.New(apperr.PreconditionFailed, "the person was changed by someone else; reload and try again")
	errEmailTaken    = &apperr.Error{Code: apperr.Conflict, Message: "this e-mail is already registered", Fields: map[string]string{"email": "is already registered"}}
)

// adminDelta updates the account's administrator count; a decrement is
// refused when it would leave none.
func (s *Store) adminDelta(accountID string, delta int) types.TransactWriteItem {
	u := &types.Update{TableName: aws.String(s.Table), Key: key(accountPK(accountID), "ACCOUNT"),
		UpdateExpression:          aws.String("ADD adminCount :d"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":d": &types.AttributeValueMemberN{Value: strconv.Itoa(delta)}}}
	if delta < 0 {
		u.ConditionExpression = aws.String("adminCount > :one")
		u.ExpressionAttributeValues[":one"] = &types.AttributeValueMemberN{Value: "1"}
	}
	return types.TransactWriteItem{Update: u}
}

// UpdatePerson replaces old by next (whose Version the caller has set to
// old.Version+1) if old is still what is stored, in one transaction with
// everything that mirrors the person: the e-mail reservation, department
// member items (each join checks that the department exists), the
// account's administrator count and the photo bytes. Errors:
// apperr.PreconditionFailed, apperr.Conflict (e-mail taken; last
// administrator), apperr.NotFound (a department).
func (s *Store) UpdatePerson(ctx context.Context, old, next account.Person, photo []byte) error {
	if next.AccountID != old.AccountID || next.ID != old.ID {
		return fmt.Errorf("dynamo: update person: the account or id changed")
	}
	pk := accountPK(old.AccountID)
	t := &txn{}
	item, err := marshal(toPersonRow(next), pk, personSK(next.ID))
	if err != nil {
		return err
	}
	cond, values := versionCondition(old.Version)
	t.add(types.TransactWriteItem{Put: &types.Put{TableName: aws.String(s.Table), Item: item, ConditionExpression: cond, ExpressionAttributeValues: values}}, errPersonChanged)
	if next.Email != old.Email {
		email, err := marshal(emailRow{Type: "email", AccountID: next.AccountID, PersonID: next.ID}, emailPK(next.Email), "EMAIL")
		if err != nil {
			return err
		}
		t.add(types.TransactWriteItem{Put: &types.Put{TableName: aws.String(s.Table), Item: email, ConditionExpression: notExists}}, errEmailTaken)
		t.add(types.TransactWriteItem{Delete: &types.Delete{TableName: aws.String(s.Table), Key: key(emailPK(old.Email), "EMAIL")}}, nil)
	}
	switch {
	case old.Role == routes.Administrator && next.Role != routes.Administrator:
		t.add(s.adminDelta(old.AccountID, -1), account.ErrLastAdmin())
	case old.Role != routes.Administrator && next.Role == routes.Administrator:
		t.add(s.adminDelta(old.AccountID, 1), nil)
	}
	for _, d := range next.Departments {
		if slices.Contains(old.Departments, d) {
			continue
		}
		add, err := s.memberPut(old.AccountID, d, old.ID)
		if err != nil {
			return err
		}
		t.add(add[0], nil)
		t.add(add[1], errNoDepartment)
	}
	for _, d := range old.Departments {
		if !slices.Contains(next.Departments, d) {
			t.add(s.memberDelete(old.AccountID, d, old.ID), nil)
		}
	}
	switch {
	case photo != nil && next.Photo != nil:
		row, err := marshal(photoRow{Type: "photo", Image: *next.Photo, Bytes: photo}, pk, photoSK(next.ID))
		if err != nil {
			return err
		}
		t.add(types.TransactWriteItem{Put: &types.Put{TableName: aws.String(s.Table), Item: row}}, nil)
	case next.Photo == nil && old.Photo != nil:
		t.add(types.TransactWriteItem{Delete: &types.Delete{TableName: aws.String(s.Table), Key: key(pk, photoSK(next.ID))}}, nil)
	}
	return s.run(ctx, t, "update person")
}

// DeletePerson removes a person, their e-mail reservation, memberships and
// photo, if the person is still at the version read. Errors:
// apperr.PreconditionFailed, apperr.Conflict (the last administrator).
func (s *Store) DeletePerson(ctx context.Context, p account.Person) error {
	pk := accountPK(p.AccountID)
	t := &txn{}
	cond, values := versionCondition(p.Version)
	t.add(types.TransactWriteItem{Delete: &types.Delete{TableName: aws.String(s.Table), Key: key(pk, personSK(p.ID)), ConditionExpression: cond, ExpressionAttributeValues: values}}, errPersonChanged)
	t.add(types.TransactWriteItem{Delete: &types.Delete{TableName: aws.String(s.Table), Key: key(emailPK(p.Email), "EMAIL")}}, nil)
	if p.Role == routes.Administrator {
		t.add(s.adminDelta(p.AccountID, -1), account.ErrLastAdmin())
	}
	for _, d := range p.Departments {
		t.add(s.memberDelete(p.AccountID, d, p.ID), nil)
	}
	if p.Photo != nil {
		t.add(types.TransactWriteItem{Delete: &types.Delete{TableName: aws.String(s.Table), Key: key(pk, photoSK(p.ID))}}, nil)
	}
	return s.run(ctx, t, "delete person")
}

// Photo returns a person's photo bytes and description. Errors:
// apperr.NotFound.
func (s *Store) Photo(ctx context.Context, accountID, personID string) ([]byte, settings.Image, error) {
	var r photoRow
	if err := s.get(ctx, accountPK(accountID), photoSK(personID), &r, "photo"); err != nil {
		return nil, settings.Image{}, err
	}
	return r.Bytes, r.Image, nil
}

// linkRow is a one-time link: pk LINK#{hash of the secret}, sk LINK, so
// the link is found from the secret alone with one GetItem. The secret
// itself is never stored.
type linkRow struct {
	Type      string `dynamodbav:"type"`
	AccountID string `dynamodbav:"accountId"`
	PersonID  string `dynamodbav:"personId"`
	Kind      string `dynamodbav:"kind"`
	ExpiresAt int64  `dynamodbav:"expiresAt"` // also the TTL
}

func linkPK(hash string) string { return "LINK#" + hash }

func toLinkRow(l account.Link) linkRow {
	return linkRow{Type: "link", AccountID: l.AccountID, PersonID: l.PersonID, Kind: string(l.Kind), ExpiresAt: l.ExpiresAt.Unix()}
}

// IssueLink stores a link and makes it the person's only valid one.
// Errors: apperr.NotFound (no such person).
func (s *Store) IssueLink(ctx context.Context, l account.Link) error {
	item, err := marshal(toLinkRow(l), linkPK(l.Hash), "LINK")
	if err != nil {
		return err
	}
	t := &txn{}
	t.add(types.TransactWriteItem{Put: &types.Put{TableName: aws.String(s.Table), Item: item, ConditionExpression: notExists}}, nil)
	t.add(types.TransactWriteItem{Update: &types.Update{TableName: aws.String(s.Table), Key: key(accountPK(l.AccountID), personSK(l.PersonID)),
		UpdateExpression:          aws.String("SET linkHash = :h"),
		ConditionExpression:       aws.String("attribute_exists(" + schema.PK + ")"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":h": &types.AttributeValueMemberS{Value: l.Hash}}}},
		apperr.New(apperr.NotFound, "person not found"))
	return s.run(ctx, t, "issue link")
}

// ConsumeLink uses a link once. The link is read to learn whose it is;
// then one transaction deletes it, if it has not expired, and sets the
// person's password, if the link is still their latest: whichever of two
// concurrent uses commits first wins, the other fails. Errors:
// apperr.Invalid (field token) for an unknown, expired, used or replaced
// link.
func (s *Store) ConsumeLink(ctx context.Context, hash, passwordHash string, now time.Time) (account.Person, error) {
	var l linkRow
	if err := s.get(ctx, linkPK(hash), "LINK", &l, "link"); err != nil {
		if isNotFound(err) {
			return account.Person{}, account.ErrBadLink()
		}
		return account.Person{}, err
	}
	if now.Unix() >= l.ExpiresAt {
		return account.Person{}, account.ErrBadLink()
	}
	bad := account.ErrBadLink()
	t := &txn{}
	t.add(types.TransactWriteItem{Delete: &types.Delete{TableName: aws.String(s.Table), Key: key(linkPK(hash), "LINK"),
		ConditionExpression:       aws.String("attribute_exists(" + schema.PK + ") AND expiresAt > :now"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":now": &types.AttributeValueMemberN{Value: strconv.FormatInt(now.Unix(), 10)}}}}, bad)
	t.add(types.TransactWriteItem{Update: &types.Update{TableName: aws.String(s.Table), Key: key(accountPK(l.AccountID), personSK(l.PersonID)),
		UpdateExpression:         aws.String("SET passwordHash = :p, #st = :active ADD version :one REMOVE linkHash"),
		ConditionExpression:      aws.String("linkHash = :h"),
		ExpressionAttributeNames: map[string]string{"#st": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":p": &types.AttributeValueMemberS{Value: passwordHash}, ":active": &types.AttributeValueMemberS{Value: string(account.StatusActive)},
			":one": &types.AttributeValueMemberN{Value: "1"}, ":h": &types.AttributeValueMemberS{Value: hash},
		}}}, bad)
	if err := s.run(ctx, t, "consume link"); err != nil {
		return account.Person{}, err
	}
	return s.Person(ctx, l.AccountID, l.PersonID)
}

// LiveLink checks a link exists and has not expired: one GetItem.
// Errors: apperr.Invalid (field token).
func (s *Store) LiveLink(ctx context.Context, hash string, now time.Time) error {
	var l linkRow
	if err := s.get(ctx, linkPK(hash), "LINK", &l, "link"); err != nil {
		if isNotFound(err) {
			return account.ErrBadLink()
		}
		return err
	}
	if now.Unix() >= l.ExpiresAt {
		return account.ErrBadLink()
	}
	return nil
}

// The store is what the account service and its guard need.
var (
	_ account.Store         = (*Store)(nil)
	_ account.Allowlists    = (*Store)(nil)
	_ account.SessionReader = (*Store)(nil)
)
