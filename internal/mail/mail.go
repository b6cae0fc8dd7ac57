// Package mail composes the mails Parley sends for an account and queues
// them. A mail is first stored (the outbox) in the request that causes it,
// then sent by the stream consumer, so a failed send is retried and a
// request never waits on SES.
package mail

import (
	"context"
	"strings"
	"time"
)

// Message is one mail to send on an account's behalf.
type Message struct {
	AccountID string
	ID        string // unique per mail; the idempotency key of the send
	To        []string
	ReplyTo   []string
	Subject   string
	Text      string
	CreatedAt time.Time
	// Attachments are files sent with the mail (a transcript).
	Attachments []Attachment
}

// Attachment is one file of a mail.
type Attachment struct {
	Name        string
	ContentType string
	Data        []byte
}

// Sender delivers a message (SES in production and locally).
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// Outbox stores messages to send and records that they were sent.
type Outbox interface {
	// Enqueue stores a message; the stream consumer sends it.
	Enqueue(ctx context.Context, m Message) error
	// MarkSent records that a message was sent. It reports false when it
	// was already marked.
	MarkSent(ctx context.Context, accountID, id string) (bool, error)
	// Sent reports whether a message was already sent, so a redelivered
	// stream record does not send it again.
	Sent(ctx context.Context, accountID, id string) (bool, error)
}

// Signer says who a mail is from (SPEC §4.10).
type Signer struct {
	CompanyName string
	Website     string
	Language    string
}

var regards = map[string]string{"ru": "С уважением,", "en": "Regards,"}

// Sign appends the account's signature to a body: "Regards, {company}",
// the website if any, and "Powered by Parley".
func (s Signer) Sign(body string) string {
	r, ok := regards[s.Language]
	if !ok {
		r = regards["en"]
	}
	var b strings.Builder
	b.WriteString(strings.TrimRight(body, "\n"))
	b.WriteString("\n\n--\n")
	b.WriteString(r)
	if s.CompanyName != "" {
		b.WriteString(" " + s.CompanyName)
	}
	b.WriteString("\n")
	if s.Website != "" {
		b.WriteString(s.Website + "\n")
	}
	b.WriteString("Powered by Parley\n")
	return b.String()
}

// markAttempts bounds Deliver's tries at recording a send that succeeded.
const markAttempts = 5

// Deliver sends a queued message unless it was already sent, then marks it
// sent.
//
// Delivery is at least once, not exactly once, and cannot be more with SES:
// SendEmail has no idempotency key and no way to ask whether a mail went
// out. So when SES accepts a mail but its answer is lost (a timeout, a 5xx
// after the fact), the SDK sends it again, and so does the stream's
// redelivery of the record: the recipient gets it twice. The same holds
// when the function dies between sending and marking. Marking first
// instead would turn each of those cases into a lost mail, which is worse.
// What Deliver does close is the window it can: a mark that fails after a
// send known to have succeeded is retried here, a few times, rather than
// left to the stream, whose redelivery would send the mail again.
func Deliver(ctx context.Context, out Outbox, via Sender, m Message) error {
	sent, err := out.Sent(ctx, m.AccountID, m.ID)
	if err != nil || sent {
		return err
	}
	if err := via.Send(ctx, m); err != nil {
		return err
	}
	for attempt := 1; ; attempt++ {
		// false (already marked) is fine: an earlier try that seemed to
		// fail did mark it.
		_, err = out.MarkSent(ctx, m.AccountID, m.ID)
		if err == nil || attempt == markAttempts || ctx.Err() != nil {
			return err
		}
		t := time.NewTimer(time.Duration(attempt) * 50 * time.Millisecond)
		select {
		case <-ctx.Done():
		case <-t.C:
		}
		t.Stop()
	}
}
