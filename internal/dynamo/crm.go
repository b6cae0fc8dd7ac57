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

	"parley/internal/crm"
	"parley/internal/schema"
)

// The CRM integrations' items (internal/crm): links to what a service made
// (a chat's Zendesk ticket, a visitor's amoCRM contact) and the account's
// Unisender export with its cursor.
func crmLinkSK(kind, key string) string { return "CRMLINK#" + kind + "#" + key }

const crmExportSK = "CRMEXPORT#unisender"

type crmLinkRow struct {
	Type  string `dynamodbav:"type"`
	Value string `dynamodbav:"value"`
}

// Link reads a link; "" when there is none.
func (s *Store) Link(ctx context.Context, accountID, kind, key string) (string, error) {
	var r crmLinkRow
	err := s.get(ctx, accountPK(accountID), crmLinkSK(kind, key), &r, "crm link")
	if isNotFound(err) {
		return "", nil
	}
	return r.Value, err
}

// SetLink stores a link, replacing an earlier one.
func (s *Store) SetLink(ctx context.Context, accountID, kind, key, value string) error {
	item, err := marshal(crmLinkRow{Type: "crmlink", Value: value}, accountPK(accountID), crmLinkSK(kind, key))
	if err != nil {
		return err
	}
	if _, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: item}); err != nil {
		return fmt.Errorf("dynamo: put crm link: %w", err)
	}
	return nil
}

type crmExportRow struct {
	Type       string    `dynamodbav:"type"`
	AccountID  string    `dynamodbav:"accountId"`
	ID         string    `dynamodbav:"id"`
	Status     string    `dynamodbav:"status"`
	Total      int       `dynamodbav:"total"`
	Done       int       `dynamodbav:"done"`
	Cursor     string    `dynamodbav:"cursor"`
	Error      string    `dynamodbav:"error,omitempty"`
	StartedAt  time.Time `dynamodbav:"startedAt"`
	UpdatedAt  time.Time `dynamodbav:"updatedAt"`
	FinishedAt time.Time `dynamodbav:"finishedAt,omitempty"`
}

// StartExport stores a new running export, replacing a finished one.
func (s *Store) StartExport(ctx context.Context, e crm.Export) (bool, error) {
	item, err := marshal(crmExportRow{Type: "crmexport", AccountID: e.AccountID, ID: e.ID, Status: string(e.Status), Total: e.Total, Done: e.Done,
		Cursor: e.Cursor, StartedAt: e.StartedAt.UTC(), UpdatedAt: e.UpdatedAt.UTC()}, accountPK(e.AccountID), crmExportSK)
	if err != nil {
		return false, err
	}
	_, err = s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: item,
		ConditionExpression:       aws.String("attribute_not_exists(" + schema.PK + ") OR #st <> :running"),
		ExpressionAttributeNames:  map[string]string{"#st": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":running": str(string(crm.ExportRunning))}})
	if isConditionFailed(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("dynamo: start export: %w", err)
	}
	return true, nil
}

// Export reads the account's export.
func (s *Store) Export(ctx context.Context, accountID string) (crm.Export, error) {
	var r crmExportRow
	if err := s.get(ctx, accountPK(accountID), crmExportSK, &r, "export"); err != nil {
		return crm.Export{}, err
	}
	return crm.Export{AccountID: r.AccountID, ID: r.ID, Status: crm.ExportStatus(r.Status), Total: r.Total, Done: r.Done, Cursor: r.Cursor,
		Error: r.Error, StartedAt: r.StartedAt, UpdatedAt: r.UpdatedAt, FinishedAt: r.FinishedAt}, nil
}

// AdvanceExport moves the cursor, conditional on the export being e.ID,
// running, at e.Cursor.
func (s *Store) AdvanceExport(ctx context.Context, e crm.Export, next string, n int, finished bool, at time.Time) (bool, error) {
	set := "SET #cur = :next, #done = #done + :n, updatedAt = :at"
	vals := map[string]types.AttributeValue{":next": str(next), ":n": num(int64(n)), ":at": str(at.UTC().Format(time.RFC3339Nano)),
		":id": str(e.ID), ":cur0": str(e.Cursor), ":running": str(string(crm.ExportRunning))}
	if finished {
		set += ", #st = :done, finishedAt = :at"
		vals[":done"] = str(string(crm.ExportDone))
	}
	_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(s.Table), Key: key(accountPK(e.AccountID), crmExportSK),
		UpdateExpression: aws.String(set), ConditionExpression: aws.String("#id = :id AND #st = :running AND #cur = :cur0"),
		ExpressionAttributeNames:  map[string]string{"#cur": "cursor", "#done": "done", "#st": "status", "#id": "id"},
		ExpressionAttributeValues: vals})
	if isConditionFailed(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("dynamo: advance export: %w", err)
	}
	return true, nil
}

// StopExport sets a running export's status and error.
func (s *Store) StopExport(ctx context.Context, accountID, id string, status crm.ExportStatus, errText string, at time.Time) (bool, error) {
	_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(s.Table), Key: key(accountPK(accountID), crmExportSK),
		UpdateExpression: aws.String("SET #st = :st, #err = :err, updatedAt = :at, finishedAt = :at"), ConditionExpression: aws.String("#id = :id AND #st = :running"),
		ExpressionAttributeNames: map[string]string{"#st": "status", "#err": "error", "#id": "id"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":st": str(string(status)), ":err": str(errText), ":at": str(at.UTC().Format(time.RFC3339Nano)),
			":id": str(id), ":running": str(string(crm.ExportRunning))}})
	if isConditionFailed(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("dynamo: stop export: %w", err)
	}
	return true, nil
}

// identified is the Query of an account's identified visitors.
func (s *Store) identified(accountID string) *dynamodb.QueryInput {
	return &dynamodb.QueryInput{TableName: aws.String(s.Table),
		KeyConditionExpression:    aws.String(schema.PK + " = :pk AND begins_with(" + schema.SK + ", :v)"),
		FilterExpression:          aws.String("attribute_exists(#identity)"),
		ExpressionAttributeNames:  map[string]string{"#identity": "identity"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(accountPK(accountID)), ":v": str("VISITOR#")}}
}

// CountContacts counts the identified visitors with an e-mail or phone.
func (s *Store) CountContacts(ctx context.Context, accountID string) (int, error) {
	n := 0
	for after := ""; ; {
		cs, next, err := s.Contacts(ctx, accountID, after, 1000)
		if err != nil {
			return 0, err
		}
		n += len(cs)
		if next == "" {
			return n, nil
		}
		after = next
	}
}

// Contacts lists identified visitors after the cursor (a visitor's sort
// key), at most limit with an e-mail or phone: Query pages until limit.
func (s *Store) Contacts(ctx context.Context, accountID, after string, limit int) ([]crm.Contact, string, error) {
	in := s.identified(accountID)
	if after != "" {
		in.ExclusiveStartKey = key(accountPK(accountID), after)
	}
	var out []crm.Contact
	for {
		in.Limit = aws.Int32(int32(max(limit-len(out), 1)))
		res, err := s.DB.Query(ctx, in)
		if err != nil {
			return nil, "", fmt.Errorf("dynamo: contacts: %w", err)
		}
		for _, it := range res.Items {
			var r struct {
				Identity map[string]string `dynamodbav:"identity"`
			}
			if err := attributevalue.UnmarshalMap(it, &r); err != nil {
				return nil, "", err
			}
			c := crm.Contact{Name: r.Identity["name"], Email: r.Identity["email"], Phone: r.Identity["phone"]}
			if c.Email != "" || c.Phone != "" {
				out = append(out, c)
			}
		}
		last, ok := res.LastEvaluatedKey[schema.SK].(*types.AttributeValueMemberS)
		if len(res.LastEvaluatedKey) == 0 || !ok || !strings.HasPrefix(last.Value, "VISITOR#") {
			return out, "", nil
		}
		if len(out) >= limit {
			return out, last.Value, nil
		}
		in.ExclusiveStartKey = res.LastEvaluatedKey
	}
}
