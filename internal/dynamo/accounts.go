package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"parley/internal/account"
	"parley/internal/apperr"
	"parley/internal/routes"
	"parley/internal/settings"
)

// accountRow is the stored form of an account: pk ACC#id, sk ACCOUNT.
type accountRow struct {
	Type      string    `dynamodbav:"type"`
	ID        string    `dynamodbav:"id"`
	Name      string    `dynamodbav:"name"`
	Plan      string    `dynamodbav:"plan"`
	Language  string    `dynamodbav:"language"`
	CreatedAt time.Time `dynamodbav:"createdAt"`
	// AdminCount counts the account's administrators, so that removing or
	// demoting one is a conditional update that can never leave none.
	AdminCount int `dynamodbav:"adminCount"`
}

// personRow is the stored form of a person: pk ACC#account, sk PERSON#id.
type personRow struct {
	Type              string          `dynamodbav:"type"`
	AccountID         string          `dynamodbav:"accountId"`
	ID                string          `dynamodbav:"id"`
	Email             string          `dynamodbav:"email"`
	Name              string          `dynamodbav:"name"`
	Role              string          `dynamodbav:"role"`
	PasswordHash      string          `dynamodbav:"passwordHash"`
	Status            string          `dynamodbav:"status,omitempty"`
	InterfaceLanguage string          `dynamodbav:"interfaceLanguage,omitempty"`
	Languages         []string        `dynamodbav:"languages,omitempty"`
	Departments       []string        `dynamodbav:"departments,omitempty"`
	ChatLimit         *int            `dynamodbav:"chatLimit,omitempty"`
	Photo             *settings.Image `dynamodbav:"photo,omitempty"`
	LinkHash          string          `dynamodbav:"linkHash,omitempty"`
	Version           int64           `dynamodbav:"version"`
	CreatedAt         time.Time       `dynamodbav:"createdAt"`
}

// emailRow reserves an e-mail across all accounts: pk EMAIL#address, sk
// EMAIL. Its conditional put is what makes e-mails unique, and it points
// login to the person with one GetItem.
type emailRow struct {
	Type      string `dynamodbav:"type"`
	AccountID string `dynamodbav:"accountId"`
	PersonID  string `dynamodbav:"personId"`
}

func toAccountRow(a account.Account) accountRow {
	return accountRow{Type: typeAccount, ID: a.ID, Name: a.Name, Plan: a.Plan, Language: a.Language, CreatedAt: a.CreatedAt}
}

func fromAccountRow(r accountRow) account.Account {
	return account.Account{ID: r.ID, Name: r.Name, Plan: r.Plan, Language: r.Language, CreatedAt: r.CreatedAt}
}

func toPersonRow(p account.Person) personRow {
	return personRow{Type: typePerson, AccountID: p.AccountID, ID: p.ID, Email: p.Email, Name: p.Name, Role: string(p.Role), PasswordHash: p.PasswordHash,
		Status: string(p.Status), InterfaceLanguage: p.InterfaceLanguage, Languages: p.Languages, Departments: p.Departments, ChatLimit: p.ChatLimit,
		Photo: p.Photo, LinkHash: p.LinkHash, Version: p.Version, CreatedAt: p.CreatedAt}
}

func fromPersonRow(r personRow) account.Person {
	p := account.Person{AccountID: r.AccountID, ID: r.ID, Email: r.Email, Name: r.Name, Role: routes.Role(r.Role), PasswordHash: r.PasswordHash,
		Status: account.Status(r.Status), InterfaceLanguage: r.InterfaceLanguage, Languages: r.Languages, Departments: r.Departments, ChatLimit: r.ChatLimit,
		Photo: r.Photo, LinkHash: r.LinkHash, Version: r.Version, CreatedAt: r.CreatedAt}
	if p.Status == "" {
		p.Status = account.StatusActive // stored before invitations existed
	}
	return p
}

// personPuts writes a new person: the e-mail reservation first (the
// callers read a failed condition at index 0 as "e-mail taken"), the person,
// then one member item per department, each with a check that the
// department exists.
func (s *Store) personPuts(p account.Person) ([]types.TransactWriteItem, error) {
	if p.Version == 0 {
		p.Version = 1
	}
	person, err := marshal(toPersonRow(p), accountPK(p.AccountID), personSK(p.ID))
	if err != nil {
		return nil, err
	}
	email, err := marshal(emailRow{Type: "email", AccountID: p.AccountID, PersonID: p.ID}, emailPK(p.Email), "EMAIL")
	if err != nil {
		return nil, err
	}
	items := []types.TransactWriteItem{
		{Put: &types.Put{TableName: aws.String(s.Table), Item: email, ConditionExpression: notExists}},
		{Put: &types.Put{TableName: aws.String(s.Table), Item: person, ConditionExpression: notExists}},
	}
	for _, d := range p.Departments {
		add, err := s.memberPut(p.AccountID, d, p.ID)
		if err != nil {
			return nil, err
		}
		items = append(items, add...)
	}
	return items, nil
}

// CreateAccount stores an account and its first person in one transaction.
// Errors: apperr.Conflict when the e-mail is taken.
func (s *Store) CreateAccount(ctx context.Context, a account.Account, first account.Person) error {
	row := toAccountRow(a)
	if first.Role == routes.Administrator {
		row.AdminCount = 1
	}
	acc, err := marshal(row, accountPK(a.ID), "ACCOUNT")
	if err != nil {
		return err
	}
	puts, err := s.personPuts(first)
	if err != nil {
		return err
	}
	items := append(puts, types.TransactWriteItem{Put: &types.Put{TableName: aws.String(s.Table), Item: acc, ConditionExpression: notExists}})
	return s.transactPeople(ctx, items)
}

// AddPerson stores a person of an existing account. Errors: apperr.Conflict
// when the e-mail is taken.
func (s *Store) AddPerson(ctx context.Context, p account.Person) error {
	puts, err := s.personPuts(p)
	if err != nil {
		return err
	}
	return s.transactPeople(ctx, puts)
}

func (s *Store) transactPeople(ctx context.Context, items []types.TransactWriteItem) error {
	_, err := s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if reasons := cancelledReasons(err); reasons != nil {
		if reasons[0] == "ConditionalCheckFailed" {
			return &apperr.Error{Code: apperr.Conflict, Message: "this e-mail is already registered", Fields: map[string]string{"email": "is already registered"}}
		}
		for i, r := range reasons {
			if r == "ConditionalCheckFailed" && i >= 2 && isDeptCheck(items[i]) {
				return errNoDepartment
			}
		}
		return fmt.Errorf("dynamo: create person: %w", err)
	}
	if err != nil {
		return fmt.Errorf("dynamo: create person: %w", err)
	}
	return nil
}

// PersonByEmail finds a person by lower-cased e-mail with two GetItems.
// Errors: apperr.NotFound.
func (s *Store) PersonByEmail(ctx context.Context, email string) (account.Person, error) {
	var e emailRow
	if err := s.get(ctx, emailPK(email), "EMAIL", &e, "person"); err != nil {
		return account.Person{}, err
	}
	return s.Person(ctx, e.AccountID, e.PersonID)
}

// Person returns one person of an account. Errors: apperr.NotFound.
func (s *Store) Person(ctx context.Context, accountID, personID string) (account.Person, error) {
	var r personRow
	if err := s.get(ctx, accountPK(accountID), personSK(personID), &r, typePerson); err != nil {
		return account.Person{}, err
	}
	return fromPersonRow(r), nil
}

// Account returns an account. Errors: apperr.NotFound.
func (s *Store) Account(ctx context.Context, id string) (account.Account, error) {
	var r accountRow
	if err := s.get(ctx, accountPK(id), "ACCOUNT", &r, typeAccount); err != nil {
		return account.Account{}, err
	}
	return fromAccountRow(r), nil
}
