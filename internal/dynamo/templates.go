package dynamo

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"parley/internal/apperr"
	"parley/internal/schema"
	"parley/internal/templates"
)

// Templates live under their account in two items:
//
//   - the template: sk TPL#{level}#{owner}#{language}#{id}, where owner is
//     "-" (global), the department id or the person id. A list is one
//     Query on the prefix of a scope (and language), so an operator's list
//     costs one Query per scope however many templates others keep;
//   - its reference: sk TPLID#{id}, which holds the parts of that key, so
//     the template can be found from its id alone with two GetItems.
//
// Both are written in one transaction, and the reference carries the
// version every update is conditioned on.

// templateRow is the stored form of a template.
type templateRow struct {
	Type         string    `dynamodbav:"type"`
	AccountID    string    `dynamodbav:"accountId"`
	ID           string    `dynamodbav:"id"`
	Level        string    `dynamodbav:"level"`
	DepartmentID string    `dynamodbav:"departmentId,omitempty"`
	OwnerID      string    `dynamodbav:"ownerId,omitempty"`
	Language     string    `dynamodbav:"language"`
	Section      string    `dynamodbav:"section"`
	Title        string    `dynamodbav:"title"`
	Text         string    `dynamodbav:"text"`
	Version      int64     `dynamodbav:"version"`
	CreatedAt    time.Time `dynamodbav:"createdAt"`
	UpdatedAt    time.Time `dynamodbav:"updatedAt"`
}

// templateRef points from a template's id to its key.
type templateRef struct {
	Type      string `dynamodbav:"type"`
	AccountID string `dynamodbav:"accountId"`
	ID        string `dynamodbav:"id"`
	Level     string `dynamodbav:"level"`
	Owner     string `dynamodbav:"owner"`
	Language  string `dynamodbav:"language"`
	Version   int64  `dynamodbav:"version"`
}

func toTemplateRow(t templates.Template) templateRow {
	return templateRow{Type: "template", AccountID: t.AccountID, ID: t.ID, Level: string(t.Level), DepartmentID: t.DepartmentID,
		OwnerID: t.OwnerID, Language: t.Language, Section: t.Section, Title: t.Title, Text: t.Text, Version: t.Version,
		CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt}
}

func fromTemplateRow(r templateRow) templates.Template {
	return templates.Template{ID: r.ID, AccountID: r.AccountID, Level: templates.Level(r.Level), DepartmentID: r.DepartmentID,
		OwnerID: r.OwnerID, Language: r.Language, Section: r.Section, Title: r.Title, Text: r.Text, Version: r.Version,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

func toTemplateRef(t templates.Template) templateRef {
	sc := t.ScopeOf()
	return templateRef{Type: "templateRef", AccountID: t.AccountID, ID: t.ID, Level: string(sc.Level), Owner: sc.Owner, Language: t.Language, Version: t.Version}
}

func templateScopePrefix(sc templates.Scope) string {
	p := "TPL#" + string(sc.Level) + "#"
	if sc.Owner != templates.AllDepartments {
		p += sc.Owner + "#"
	}
	return p
}

func templateSK(t templates.Template) string {
	return templateScopePrefix(t.ScopeOf()) + t.Language + "#" + t.ID
}

func (r templateRef) itemSK() string {
	return templateScopePrefix(templates.Scope{Level: templates.Level(r.Level), Owner: r.Owner}) + r.Language + "#" + r.ID
}

func templateRefSK(id string) string { return "TPLID#" + id }

// templatePuts are the puts of a template and its reference; the
// reference's condition is refCond (nil for none).
func (s *Store) templatePuts(t templates.Template, refCond *string, refValues map[string]types.AttributeValue) ([]types.TransactWriteItem, error) {
	item, err := marshal(toTemplateRow(t), accountPK(t.AccountID), templateSK(t))
	if err != nil {
		return nil, err
	}
	ref, err := marshal(toTemplateRef(t), accountPK(t.AccountID), templateRefSK(t.ID))
	if err != nil {
		return nil, err
	}
	return []types.TransactWriteItem{
		{Put: &types.Put{TableName: aws.String(s.Table), Item: ref, ConditionExpression: refCond, ExpressionAttributeValues: refValues}},
		{Put: &types.Put{TableName: aws.String(s.Table), Item: item}},
	}, nil
}

// CreateTemplate stores a new template and its reference in one
// transaction. Errors: apperr.Conflict if the id is taken.
func (s *Store) CreateTemplate(ctx context.Context, t templates.Template) error {
	items, err := s.templatePuts(t, notExists, nil)
	if err != nil {
		return err
	}
	_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if reasons := cancelledReasons(err); len(reasons) > 0 && reasons[0] == "ConditionalCheckFailed" {
		return apperr.New(apperr.Conflict, "a template with this id already exists")
	}
	if err != nil {
		return fmt.Errorf("dynamo: create template: %w", err)
	}
	return nil
}

// Template returns a template by id: its reference, then the template
// (two GetItems). Errors: apperr.NotFound.
func (s *Store) Template(ctx context.Context, accountID, id string) (templates.Template, error) {
	var ref templateRef
	if err := s.get(ctx, accountPK(accountID), templateRefSK(id), &ref, "template"); err != nil {
		return templates.Template{}, err
	}
	var row templateRow
	if err := s.get(ctx, accountPK(accountID), ref.itemSK(), &row, "template"); err != nil {
		return templates.Template{}, err
	}
	return fromTemplateRow(row), nil
}

// ReplaceTemplate stores next in place of old if the stored version is
// still old.Version, moving the item when its key changes (a new
// language). Errors: apperr.NotFound if it was deleted meanwhile,
// apperr.PreconditionFailed if another update came first.
func (s *Store) ReplaceTemplate(ctx context.Context, old, next templates.Template) error {
	cond := aws.String("version = :v")
	values := map[string]types.AttributeValue{":v": &types.AttributeValueMemberN{Value: strconv.FormatInt(old.Version, 10)}}
	items, err := s.templatePuts(next, cond, values)
	if err != nil {
		return err
	}
	if oldSK := templateSK(old); oldSK != templateSK(next) {
		items = append(items, types.TransactWriteItem{Delete: &types.Delete{TableName: aws.String(s.Table), Key: key(accountPK(old.AccountID), oldSK)}})
	}
	_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if reasons := cancelledReasons(err); len(reasons) > 0 && reasons[0] == "ConditionalCheckFailed" {
		return s.lostRace(ctx, old)
	}
	if err != nil {
		return fmt.Errorf("dynamo: replace template: %w", err)
	}
	return nil
}

// lostRace tells why a conditioned write on a template failed: it is gone,
// or it has a newer version.
func (s *Store) lostRace(ctx context.Context, t templates.Template) error {
	var ref templateRef
	err := s.get(ctx, accountPK(t.AccountID), templateRefSK(t.ID), &ref, "template")
	if isNotFound(err) {
		return apperr.New(apperr.NotFound, "template not found")
	}
	if err != nil {
		return err
	}
	return apperr.New(apperr.PreconditionFailed, "the template was changed by someone else; reload it and try again")
}

// DeleteTemplate removes a template and its reference if it is still the
// version read. Errors: apperr.NotFound, apperr.PreconditionFailed.
func (s *Store) DeleteTemplate(ctx context.Context, t templates.Template) error {
	items := []types.TransactWriteItem{
		{Delete: &types.Delete{TableName: aws.String(s.Table), Key: key(accountPK(t.AccountID), templateRefSK(t.ID)), ConditionExpression: aws.String("version = :v"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":v": &types.AttributeValueMemberN{Value: strconv.FormatInt(t.Version, 10)}}}},
		{Delete: &types.Delete{TableName: aws.String(s.Table), Key: key(accountPK(t.AccountID), templateSK(t))}},
	}
	_, err := s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if reasons := cancelledReasons(err); len(reasons) > 0 && reasons[0] == "ConditionalCheckFailed" {
		return s.lostRace(ctx, t)
	}
	if err != nil {
		return fmt.Errorf("dynamo: delete template: %w", err)
	}
	return nil
}

// ListTemplates returns one scope's templates, of one language when
// language is set: one Query on the key prefix, followed through its
// pages. The all-departments scope cannot put the language in its prefix,
// so it filters by it.
func (s *Store) ListTemplates(ctx context.Context, accountID string, scope templates.Scope, language string) ([]templates.Template, error) {
	prefix := templateScopePrefix(scope)
	in := &dynamodb.QueryInput{
		TableName:              aws.String(s.Table),
		KeyConditionExpression: aws.String("#pk = :pk AND begins_with(#sk, :prefix)"),
		ExpressionAttributeNames: map[string]string{
			"#pk": schema.PK, "#sk": schema.SK,
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": &types.AttributeValueMemberS{Value: accountPK(accountID)},
		},
	}
	if language != "" {
		if scope.Owner == templates.AllDepartments {
			in.FilterExpression = aws.String("#lang = :lang")
			in.ExpressionAttributeNames["#lang"] = "language"
			in.ExpressionAttributeValues[":lang"] = &types.AttributeValueMemberS{Value: language}
		} else {
			prefix += language + "#"
		}
	}
	in.ExpressionAttributeValues[":prefix"] = &types.AttributeValueMemberS{Value: prefix}
	out := []templates.Template{}
	p := dynamodb.NewQueryPaginator(s.DB, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("dynamo: query templates: %w", err)
		}
		for _, it := range page.Items {
			var r templateRow
			if err := attributevalue.UnmarshalMap(it, &r); err != nil {
				return nil, fmt.Errorf("dynamo: decode template: %w", err)
			}
			out = append(out, fromTemplateRow(r))
		}
	}
	return out, nil
}
