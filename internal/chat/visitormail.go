package chat

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"parley/internal/apperr"
	"parley/internal/mail"
)

// A visitor's requests that end in a mail: rating the operator (a
// negative rating goes to the reviewers), leaving a message while no
// operator is online, and sending themselves the transcript.

// Rate records the visitor's rating of the operator (SPEC §4.6); a
// satisfactory, poor or bad one is mailed to emails.negativeReviews with
// the transcript. Rating again replaces the rating. Errors:
// apperr.Invalid, apperr.NotFound, apperr.Conflict (no operator answered).
func (s *Service) Rate(ctx context.Context, v Party, chatID, rating string) (Chat, error) {
	r, err := ParseRating(rating)
	if err != nil {
		return Chat{}, err
	}
	c, err := s.update(ctx, v, chatID, func(c Chat) (Chat, error) {
		if c.OperatorID == "" && c.AnsweredAt.IsZero() {
			return c, apperr.New(apperr.Conflict, "there is no operator to rate in this chat yet")
		}
		c.Rating = r
		return c, nil
	})
	if err != nil || !r.Negative() {
		return c, err
	}
	doc, err := s.Settings(ctx, v.AccountID)
	if err != nil || len(doc.Emails.NegativeReviews) == 0 {
		return c, err
	}
	ms, err := s.Store.Messages(ctx, c.AccountID, c.ID, 0, 0)
	if err != nil {
		return c, err
	}
	label := text(doc, "rating."+string(r))
	operator, err := s.operatorName(ctx, c.AccountID, c.OperatorID)
	if err != nil {
		return c, err
	}
	m := mail.Message{AccountID: c.AccountID, ID: "rating-" + c.ID + "-" + string(r), To: doc.Emails.NegativeReviews, ReplyTo: replyTo(doc),
		Subject: fmt.Sprintf(text(doc, "ratingSubject"), label),
		Text:    signer(doc).Sign(fmt.Sprintf(text(doc, "ratingBody"), c.ID, label, operator, Transcript(doc, ms)))}
	return c, s.Outbox.Enqueue(ctx, m)
}

// operatorName is how a mail names a chat's operator: their name, with
// their id so two of the same name are told apart; the id alone for one
// removed since.
func (s *Service) operatorName(ctx context.Context, accountID, id string) (string, error) {
	if s.Profiles == nil || id == "" {
		return id, nil
	}
	op, err := s.Profiles(ctx, accountID, id)
	if apperr.CodeOf(err) == apperr.NotFound || (err == nil && op.Name == "") {
		return id, nil
	}
	if err != nil {
		return "", err
	}
	return op.Name + " (" + id + ")", nil
}

// OfflineInput is the offline form (SPEC §4.7).
type OfflineInput struct {
	Name    string
	Contact string
	Text    string
	Page    string
	// ClientID makes a resend harmless, as for a message: the visitor's
	// latest request with the same one is returned, not stored again.
	ClientID string
}

// LeaveMessage stores an offline request as a chat (it is a chat start,
// SPEC §3) and mails it to emails.leftMessages. It counts as unanswered
// until an operator closes it (Close), so misc.offlineQueueLimit can hide
// the offline button. Errors: apperr.Invalid; ErrOfflineQueueFull (a
// conflict) when the limit is reached; ErrRace when another tab started a
// chat meanwhile.
func (s *Service) LeaveMessage(ctx context.Context, v Party, in OfflineInput) (Chat, error) {
	fields := map[string]string{}
	var err error
	in.Name, in.Contact = strings.TrimSpace(in.Name), strings.TrimSpace(in.Contact)
	if in.Name == "" || len(in.Name) > MaxNameBytes || strings.ContainsAny(in.Name, "\r\n") {
		fields["name"] = fmt.Sprintf("is required, one line of at most %d bytes", MaxNameBytes)
	}
	if in.Contact == "" || len(in.Contact) > MaxNameBytes || strings.ContainsAny(in.Contact, "\r\n") {
		fields["contact"] = fmt.Sprintf("is required (an e-mail address or a phone number), one line of at most %d bytes", MaxNameBytes)
	}
	if in.Text, err = CheckText(in.Text); err != nil {
		fields["text"] = apperr.Public(err).Message
	}
	if in.Page != "" {
		if in.Page, err = CheckPage(in.Page); err != nil {
			fields["page"] = "must be an absolute http(s) URL"
		}
	}
	if err := CheckClientID(in.ClientID); err != nil {
		fields["clientId"] = apperr.Public(err).Message
	}
	if err := apperr.Fields(fields); err != nil {
		return Chat{}, err
	}
	doc, err := s.Settings(ctx, v.AccountID)
	if err != nil {
		return Chat{}, err
	}
	prev, err := s.Store.OpenChatID(ctx, v.AccountID, v.ID)
	if err != nil {
		return Chat{}, err
	}
	if dup, ok, err := s.sameOfflineRequest(ctx, v, prev, in.ClientID); err != nil || ok {
		return dup, err
	}
	if err := s.limitOffline(ctx, v); err != nil {
		return Chat{}, err
	}
	now := s.Now().UTC()
	c := Chat{AccountID: v.AccountID, ID: NewID(now), VisitorID: v.ID, Status: Closed, Offline: true, Unanswered: true, OfflineName: in.Name, OfflineContact: in.Contact,
		Language: doc.Company.Language, Question: in.Text, Page: in.Page, StartedAt: now, ClosedAt: now, LastMessageAt: now, Seq: 1, VisitorRead: 1,
		Outcome: OfflineRequest, OutcomeAt: now}
	first := []Message{{AccountID: c.AccountID, ChatID: c.ID, Seq: 1, From: FromVisitor, SenderID: v.ID, ClientID: in.ClientID, Text: in.Text, At: now}}
	c.Day = DayOf(now, doc.Company.Location())
	countFirst(&c, first)
	limit := 0
	if doc.Misc.OfflineQueueLimit != nil {
		limit = *doc.Misc.OfflineQueueLimit
	}
	if err := s.Store.StartOffline(ctx, c, first, prev, limit); err != nil {
		return Chat{}, err
	}
	if len(doc.Emails.LeftMessages) == 0 {
		return c, nil // a fresh account without addresses: the request is in the history
	}
	m := mail.Message{AccountID: c.AccountID, ID: "offline-" + c.ID, To: doc.Emails.LeftMessages, ReplyTo: replyTo(doc),
		Subject: fmt.Sprintf(text(doc, "offlineSubject"), in.Name),
		Text:    signer(doc).Sign(fmt.Sprintf(text(doc, "offlineBody"), in.Name, in.Contact, in.Page, in.Text))}
	return c, s.Outbox.Enqueue(ctx, m)
}

// sameOfflineRequest finds the request a resend repeats: the visitor's
// latest chat, when it is an offline request whose message carries the
// same clientId. Two racing sends store one: the store's start is
// conditional on the visitor's latest chat, so the loser gets ErrRace and
// its client's resend lands here.
func (s *Service) sameOfflineRequest(ctx context.Context, v Party, latest, clientID string) (Chat, bool, error) {
	if clientID == "" || latest == "" {
		return Chat{}, false, nil
	}
	c, err := s.Store.Chat(ctx, v.AccountID, latest)
	if apperr.CodeOf(err) == apperr.NotFound || (err == nil && !c.Offline) {
		return Chat{}, false, nil
	}
	if err != nil {
		return Chat{}, false, err
	}
	ms, err := s.Store.Messages(ctx, v.AccountID, c.ID, 0, 1)
	if err != nil || len(ms) == 0 || ms[0].ClientID != clientID {
		return Chat{}, false, err
	}
	return c, true, nil
}

// SendTranscript mails the chat's transcript to an address the visitor
// typed, when features.visitorTranscriptEmail is on (SPEC §4.10). Asking
// twice for the same messages and address sends one mail. Only an
// answered chat's transcript is mailed, within limits (limitTranscript).
// Errors: apperr.Forbidden, apperr.Invalid, apperr.NotFound,
// apperr.Conflict (unanswered), apperr.RateLimited.
func (s *Service) SendTranscript(ctx context.Context, v Party, chatID, email string) (Chat, error) {
	doc, err := s.Settings(ctx, v.AccountID)
	if err != nil {
		return Chat{}, err
	}
	if !doc.Features.VisitorTranscriptEmail {
		return Chat{}, apperr.New(apperr.Forbidden, "mailing the transcript is off for this site (features.visitorTranscriptEmail)")
	}
	if email, err = CheckEmail(email); err != nil {
		return Chat{}, err
	}
	c, ms, err := s.Messages(ctx, v, chatID, 0, 0)
	if err != nil {
		return Chat{}, err
	}
	if err := s.limitTranscript(ctx, v, c, email); err != nil {
		return Chat{}, err
	}
	h := sha256.Sum256([]byte(strings.ToLower(email)))
	m := mail.Message{AccountID: c.AccountID, ID: fmt.Sprintf("transcript-%s-%d-%s", c.ID, c.Seq, hex.EncodeToString(h[:8])), To: []string{email}, ReplyTo: replyTo(doc),
		Subject: text(doc, "transcriptSubject"),
		Text:    signer(doc).Sign(fmt.Sprintf(text(doc, "transcriptBody"), c.StartedAt.In(doc.Company.Location()).Format("2006-01-02 15:04"), Transcript(doc, ms)))}
	return c, s.Outbox.Enqueue(ctx, m)
}
