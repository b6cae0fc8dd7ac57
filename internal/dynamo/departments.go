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

	"parley/internal/account"
	"parley/internal/apperr"
	"parley/internal/schema"
)

// Department items, all in the account's partition:
//
//	DEPT#{id}               the department
//	DEPTNAME#{name key}     reserves the name (account.DepartmentNameKey)
//	MEMBER#{dept}#{person}  one per membership, so a department's members
//	                        are one Query; the person item lists the same
//	                        ids, and every write changes both together
type departmentRow struct {
	Type      string    `dynamodbav:"type"`
	AccountID string    `dynamodbav:"accountId"`
	ID        string    `dynamodbav:"id"`
	Name      string    `dynamodbav:"name"`
	CreatedAt time.Time `dynamodbav:"createdAt"`
}

type departmentNameRow struct {
	Type         string `dynamodbav:"type"`
	DepartmentID string `dynamodbav:"departmentId"`
}

type memberRow struct {
	Type         string `dynamodbav:"type"`
	DepartmentID string `dynamodbav:"departmentId"`
	PersonID     string `dynamodbav:"personId"`
}

func personSK(id string) string           { return "PERSON#" + id }
func departmentSK(id string) string       { return "DEPT#" + id }
func departmentNameSK(name string) string { return "DEPTNAME#" + account.DepartmentNameKey(name) }
func memberSK(dept, person string) string { return "MEMBER#" + dept + "#" + person }

var errNoDepartment = &apperr.Error{Code: apperr.NotFound, Message: "a department named in departments does not exist",
	Fields: map[string]string{"departments": "names a department that does not exist"}}

// memberPut adds a person to a department inside a transaction: the member
// item, and a check that the department exists (so nobody joins one that
// is being deleted).
func (s *Store) memberPut(accountID, dept, person string) ([]types.TransactWriteItem, error) {
	item, err := marshal(memberRow{Type: "member", DepartmentID: dept, PersonID: person}, accountPK(accountID), memberSK(dept, person))
	if err != nil {
		return nil, err
	}
	return []types.TransactWriteItem{
		{Put: &types.Put{TableName: aws.String(s.Table), Item: item}},
		{ConditionCheck: &types.ConditionCheck{TableName: aws.String(s.Table), Key: key(accountPK(accountID), departmentSK(dept)),
			ConditionExpression: aws.String("attribute_exists(" + schema.PK + ")")}},
	}, nil
}

func (s *Store) memberDelete(accountID, dept, person string) types.TransactWriteItem {
	return types.TransactWriteItem{Delete: &types.Delete{TableName: aws.String(s.Table), Key: key(accountPK(accountID), memberSK(dept, person))}}
}

// isDeptCheck tells whether a transaction item is memberPut's check.
func isDeptCheck(it types.TransactWriteItem) bool {
	if it.ConditionCheck == nil {
		return false
	}
	sk, ok := it.ConditionCheck.Key[schema.SK].(*types.AttributeValueMemberS)
	return ok && strings.HasPrefix(sk.Value, "DEPT#")
}

// CreateDepartment stores a department and reserves its name. Errors:
// apperr.Conflict (name taken).
func (s *Store) CreateDepartment(ctx context.Context, d account.Department) error {
	dept, err := marshal(departmentRow{Type: typeDepartment, AccountID: d.AccountID, ID: d.ID, Name: d.Name, CreatedAt: d.CreatedAt}, accountPK(d.AccountID), departmentSK(d.ID))
	if err != nil {
		return err
	}
	name, err := marshal(departmentNameRow{Type: "departmentName", DepartmentID: d.ID}, accountPK(d.AccountID), departmentNameSK(d.Name))
	if err != nil {
		return err
	}
	_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: aws.String(s.Table), Item: name, ConditionExpression: notExists}},
		{Put: &types.Put{TableName: aws.String(s.Table), Item: dept, ConditionExpression: notExists}},
	}})
	if reasons := cancelledReasons(err); reasons != nil && reasons[0] == "ConditionalCheckFailed" {
		return errDepartmentName
	}
	if err != nil {
		return fmt.Errorf("dynamo: create department: %w", err)
	}
	return nil
}

var errDepartmentName = &apperr.Error{Code: apperr.Conflict, Message: "the account already has a department with this name",
	Fields: map[string]string{"name": "is already the name of a department"}}

// Department returns one department. Errors: apperr.NotFound.
func (s *Store) Department(ctx context.Context, accountID, id string) (account.Department, error) {
	var r departmentRow
	if err := s.get(ctx, accountPK(accountID), departmentSK(id), &r, typeDepartment); err != nil {
		return account.Department{}, err
	}
	return account.Department{AccountID: r.AccountID, ID: r.ID, Name: r.Name, CreatedAt: r.CreatedAt}, nil
}

// Departments lists an account's departments: one Query (paged).
func (s *Store) Departments(ctx context.Context, accountID string) ([]account.Department, error) {
	var rows []departmentRow
	if err := s.queryPrefix(ctx, accountPK(accountID), "DEPT#", &rows); err != nil {
		return nil, fmt.Errorf("dynamo: departments: %w", err)
	}
	out := make([]account.Department, len(rows))
	for i, r := range rows {
		out[i] = account.Department{AccountID: r.AccountID, ID: r.ID, Name: r.Name, CreatedAt: r.CreatedAt}
	}
	return out, nil
}

// RenameDepartment moves the name reservation and renames d in one
// transaction. Errors: apperr.Conflict (name taken), apperr.NotFound.
func (s *Store) RenameDepartment(ctx context.Context, d account.Department, name string) error {
	pk := accountPK(d.AccountID)
	items := []types.TransactWriteItem{
		{Update: &types.Update{TableName: aws.String(s.Table), Key: key(pk, departmentSK(d.ID)),
			UpdateExpression:          aws.String("SET #n = :n"),
			ConditionExpression:       aws.String("attribute_exists(" + schema.PK + ")"),
			ExpressionAttributeNames:  map[string]string{"#n": "name"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":n": &types.AttributeValueMemberS{Value: name}}}},
	}
	if account.DepartmentNameKey(name) != account.DepartmentNameKey(d.Name) {
		reserve, err := marshal(departmentNameRow{Type: "departmentName", DepartmentID: d.ID}, pk, departmentNameSK(name))
		if err != nil {
			return err
		}
		items = append(items,
			types.TransactWriteItem{Put: &types.Put{TableName: aws.String(s.Table), Item: reserve, ConditionExpression: notExists}},
			types.TransactWriteItem{Delete: &types.Delete{TableName: aws.String(s.Table), Key: key(pk, departmentNameSK(d.Name))}})
	}
	_, err := s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if reasons := cancelledReasons(err); reasons != nil {
		switch {
		case reasons[0] == "ConditionalCheckFailed":
			return apperr.New(apperr.NotFound, "department not found")
		case len(reasons) > 1 && reasons[1] == "ConditionalCheckFailed":
			return errDepartmentName
		}
	}
	if err != nil {
		return fmt.Errorf("dynamo: rename department: %w", err)
	}
	return nil
}

// DeleteDepartment deletes a department and its name reservation; member
// items are left for the caller to remove with the people's updates.
// Errors: apperr.NotFound.
func (s *Store) DeleteDepartment(ctx context.Context, d account.Department) error {
	pk := accountPK(d.AccountID)
	_, err := s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Delete: &types.Delete{TableName: aws.String(s.Table), Key: key(pk, departmentSK(d.ID)), ConditionExpression: aws.String("attribute_exists(" + schema.PK + ")")}},
		{Delete: &types.Delete{TableName: aws.String(s.Table), Key: key(pk, departmentNameSK(d.Name))}},
	}})
	if reasons := cancelledReasons(err); reasons != nil && reasons[0] == "ConditionalCheckFailed" {
		return apperr.New(apperr.NotFound, "department not found")
	}
	if err != nil {
		return fmt.Errorf("dynamo: delete department: %w", err)
	}
	return nil
}

// DepartmentMembers lists the ids of a department's members: one Query.
func (s *Store) DepartmentMembers(ctx context.Context, accountID, id string) ([]string, error) {
	var rows []memberRow
	if err := s.queryPrefix(ctx, accountPK(accountID), "MEMBER#"+id+"#", &rows); err != nil {
		return nil, fmt.Errorf("dynamo: department members: %w", err)
	}
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r.PersonID
	}
	return out, nil
}

// PersonDepartments returns the ids of the departments a person belongs
// to, sorted: one GetItem. Errors: apperr.NotFound (no such person in the
// account).
func (s *Store) PersonDepartments(ctx context.Context, accountID, personID string) ([]string, error) {
	p, err := s.Person(ctx, accountID, personID)
	if err != nil {
		return nil, err
	}
	if p.Departments == nil {
		return []string{}, nil
	}
	return p.Departments, nil
}

// DepartmentExists reports whether the account has this department: one
// GetItem.
func (s *Store) DepartmentExists(ctx context.Context, accountID, departmentID string) (bool, error) {
	_, err := s.Department(ctx, accountID, departmentID)
	if isNotFound(err) {
		return false, nil
	}
	return err == nil, err
}

// queryPrefix reads every item of a partition whose sort key starts with
// prefix into out (a pointer to a slice of rows), following pages.
func (s *Store) queryPrefix(ctx context.Context, pk, prefix string, out any) error {
	var items []map[string]types.AttributeValue
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(s.Table),
		KeyConditionExpression:    aws.String("#pk = :pk AND begins_with(#sk, :prefix)"),
		ExpressionAttributeNames:  map[string]string{"#pk": schema.PK, "#sk": schema.SK},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: pk}, ":prefix": &types.AttributeValueMemberS{Value: prefix}},
		ConsistentRead:            aws.Bool(true),
	}
	for p := dynamodb.NewQueryPaginator(s.DB, in); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		items = append(items, page.Items...)
	}
	return attributevalue.UnmarshalListOfMaps(items, out)
}
