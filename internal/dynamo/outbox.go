package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"parley/internal/mail"
	"parley/internal/schema"
)

// mailRow is a queued mail: pk ACC#account, sk MAIL#id. Its INSERT on the
// stream makes the consumer send it; status goes pending -> sent once.
type mailRow struct {
	Type      string    `dynamodbav:"type"`
	AccountID string    `dynamodbav:"accountId"`
	ID        string    `dynamodbav:"id"`
	To        []string  `dynamodbav:"to"`
	ReplyTo   []string  `dynamodbav:"replyTo,omitempty"`
	Subject   string    `dynamodbav:"subject"`
	Text      string    `dynamodbav:"text"`
	Status    string    `dynamodbav:"status"`
	CreatedAt time.Time `dynamodbav:"createdAt"`
	ExpiresAt int64     `dynamodbav:"expiresAt"` // sent or not, a mail record is kept 30 days
	// Attachments are small files (a transcript, capped by its composer).
	Attachments []attachmentRow `dynamodbav:"attachments,omitempty"`
	// A pending mail is in the sparse index of pending mail (gsi1pk
	// PENDINGMAIL, gsi1sk its creation time and key), which the sweeper
	// reads; marking it sent removes it from there.
	GSI1PK string `dynamodbav:"gsi1pk,omitempty"`
	GSI1SK string `dynamodbav:"gsi1sk,omitempty"`
}

// pendingMailPK is the index partition of every pending mail. One
// partition for all accounts: a mail leaves it within seconds unless the
// stream failed to send it, so it holds only the stuck ones.
const pendingMailPK = "PENDINGMAIL"

func pendingMailSK(createdAt time.Time, accountID, id string) string {
	return createdAt.UTC().Format(time.RFC3339Nano) + "#" + accountID + "#" + id
}

type attachmentRow struct {
	Name        string `dynamodbav:"name"`
	ContentType string `dynamodbav:"contentType"`
	Data        []byte `dynamodbav:"data"`
}

// ToMessage converts a stored mail to the domain message.
func (r mailRow) ToMessage() mail.Message {
	m := mail.Message{AccountID: r.AccountID, ID: r.ID, To: r.To, ReplyTo: r.ReplyTo, Subject: r.Subject, Text: r.Text, CreatedAt: r.CreatedAt}
	for _, a := range r.Attachments {
		m.Attachments = append(m.Attachments, mail.Attachment{Name: a.Name, ContentType: a.ContentType, Data: a.Data})
	}
	return m
}

// Enqueue stores a mail to send. The same id twice stores it once.
func (s *Store) Enqueue(ctx context.Context, m mail.Message) error {
	if m.CreatedAt.IsZero() {
		m.CreatedAt = s.Now().UTC()
	}
	row := mailRow{Type: typeMail, AccountID: m.AccountID, ID: m.ID, To: m.To, ReplyTo: m.ReplyTo, Subject: m.Subject, Text: m.Text,
		Status: mailPending, CreatedAt: m.CreatedAt, ExpiresAt: m.CreatedAt.Add(30 * 24 * time.Hour).Unix(),
		GSI1PK: pendingMailPK, GSI1SK: pendingMailSK(m.CreatedAt, m.AccountID, m.ID)}
	for _, a := range m.Attachments {
		row.Attachments = append(row.Attachments, attachmentRow{Name: a.Name, ContentType: a.ContentType, Data: a.Data})
	}
	item, err := marshal(row, accountPK(m.AccountID), "MAIL#"+m.ID)
	if err != nil {
		return err
	}
	_, err = s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: item, ConditionExpression: notExists})
	if err != nil && !isConditionFailed(err) {
		return fmt.Errorf("dynamo: enqueue mail: %w", err)
	}
	return nil
}

// MarkSent moves a mail from pending to sent; false if it was not pending.
func (s *Store) MarkSent(ctx context.Context, accountID, id string) (bool, error) {
	_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(s.Table),
		Key:                      key(accountPK(accountID), "MAIL#"+id),
		UpdateExpression:         aws.String("SET #st = :sent, sentAt = :now REMOVE gsi1pk, gsi1sk"),
		ConditionExpression:      aws.String("#st = :pending"),
		ExpressionAttributeNames: map[string]string{"#st": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":sent": &types.AttributeValueMemberS{Value: "sent"}, ":pending": &types.AttributeValueMemberS{Value: "pending"},
			":now": &types.AttributeValueMemberS{Value: s.Now().UTC().Format(time.RFC3339Nano)},
		},
	})
	if isConditionFailed(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("dynamo: mark mail sent: %w", err)
	}
	return true, nil
}

// MailStatus returns a queued mail's status (for tests and the console).
func (s *Store) MailStatus(ctx context.Context, accountID, id string) (string, error) {
	var r mailRow
	if err := s.get(ctx, accountPK(accountID), "MAIL#"+id, &r, typeMail); err != nil {
		return "", err
	}
	return r.Status, nil
}

// Sent reports whether a queued mail was sent; an unknown mail counts as
// not sent.
func (s *Store) Sent(ctx context.Context, accountID, id string) (bool, error) {
	status, err := s.MailStatus(ctx, accountID, id)
	if isNotFound(err) {
		return false, nil
	}
	return status == "sent", err
}

// PendingMail lists mail still pending that was queued before before,
// oldest first, at most limit: one Query on the sparse index of pending
// mail (no Scan).
func (s *Store) PendingMail(ctx context.Context, before time.Time, limit int) ([]mail.Message, error) {
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(s.Table),
		IndexName:                 aws.String(schema.GSI1),
		KeyConditionExpression:    aws.String("#pk = :pk AND #sk < :before"),
		ExpressionAttributeNames:  map[string]string{"#pk": schema.GSI1PK, "#sk": schema.GSI1SK},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(pendingMailPK), ":before": str(before.UTC().Format(time.RFC3339Nano))},
		Limit:                     aws.Int32(int32(limit)),
	}
	out, err := s.DB.Query(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("dynamo: pending mail: %w", err)
	}
	var rows []mailRow
	if err := attributevalue.UnmarshalListOfMaps(out.Items, &rows); err != nil {
		return nil, fmt.Errorf("dynamo: decode pending mail: %w", err)
	}
	ms := make([]mail.Message, 0, len(rows))
	for _, r := range rows {
		if r.Status == "pending" {
			ms = append(ms, r.ToMessage())
		}
	}
	return ms, nil
}

// ClaimMail lets one sweeper at a time resend a pending mail: it records
// the claim unless another claimed it less than lease ago; false then, or
// when the mail is no longer pending.
func (s *Store) ClaimMail(ctx context.Context, accountID, id string, lease time.Duration) (bool, error) {
	now := s.Now().UTC()
	_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(s.Table),
		Key:                      key(accountPK(accountID), "MAIL#"+id),
		UpdateExpression:         aws.String("SET claimedAt = :now"),
		ConditionExpression:      aws.String("#st = :pending AND (attribute_not_exists(claimedAt) OR claimedAt < :stale)"),
		ExpressionAttributeNames: map[string]string{"#st": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pending": str("pending"), ":now": &types.AttributeValueMemberN{Value: fmt.Sprint(now.UnixMilli())},
			":stale": &types.AttributeValueMemberN{Value: fmt.Sprint(now.Add(-lease).UnixMilli())},
		},
	})
	if isConditionFailed(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("dynamo: claim mail: %w", err)
	}
	return true, nil
}
