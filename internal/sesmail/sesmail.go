// Package sesmail sends Parley's mail with the SES v2 API.
package sesmail

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"

	"parley/internal/mail"
)

// Sender implements mail.Sender with SES v2 SendEmail.
type Sender struct {
	Client           *sesv2.Client
	From             string
	ConfigurationSet string // optional; events (bounces, complaints) are published through it
}

// Send sends one plain-text mail, UTF-8.
func (s *Sender) Send(ctx context.Context, m mail.Message) error {
	in := &sesv2.SendEmailInput{
		FromEmailAddress: aws.String(s.From),
		Destination:      &types.Destination{ToAddresses: m.To},
		ReplyToAddresses: m.ReplyTo,
		Content: &types.EmailContent{Simple: &types.Message{
			Subject: &types.Content{Data: aws.String(m.Subject), Charset: aws.String("UTF-8")},
			Body:    &types.Body{Text: &types.Content{Data: aws.String(m.Text), Charset: aws.String("UTF-8")}},
		}},
		EmailTags: []types.MessageTag{{Name: aws.String("mailId"), Value: aws.String(m.ID)}},
	}
	for _, a := range m.Attachments {
		in.Content.Simple.Attachments = append(in.Content.Simple.Attachments, types.Attachment{FileName: aws.String(a.Name), RawContent: a.Data,
			ContentType: aws.String(a.ContentType), ContentDisposition: types.AttachmentContentDispositionAttachment})
	}
	if s.ConfigurationSet != "" {
		in.ConfigurationSetName = aws.String(s.ConfigurationSet)
	}
	if _, err := s.Client.SendEmail(ctx, in); err != nil {
		return fmt.Errorf("sesmail: send %s: %w", m.ID, err)
	}
	return nil
}
