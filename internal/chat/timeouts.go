package chat

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"parley/internal/apperr"
	"parley/internal/mail"
	"parley/internal/settings"
	"parley/internal/timers"
)

// The timeouts of SPEC §4.4 and the leaving of §4.5 (issue 14). A
// visitor's message that no operator has answered starts the chat's wait
// (Wait.Since); the first one of a chat runs the first-response timer, a
// later one (after the first exchange) the answer timer, each due
// timeout seconds after the message, by the timeouts the chat started
// with (Chat.Timeouts). An
// operator's message ends the wait and deletes the timer in the same
// transaction; a timer that fires finds the chat through a conditional
// write that holds only while the chat still runs that very timer, so a
// cancelled, superseded or already acted timer, or two sweepers firing
// the same one, never act twice.

// Timer kinds of a chat's timeouts and of a visitor's leaving grace.
const (
	TimerFirstResponse = "firstResponse"
	TimerAnswer        = "answer"
	TimerVisitorGone   = "visitorGone"
)

// VisitorGrace is how long a visitor of an unanswered chat may be without
// any connection before they count as gone: enough for a reload or for
// moving to another page of the site (the widget reconnects as the page
// loads), short against refusalTimeout's default of 30 s.
const VisitorGrace = 15 * time.Second

// maxAttachedTranscript bounds the transcript attached to the alert mail.
const maxAttachedTranscript = 200 << 10

// AlertWindow is how long after one "waited too long" mail an account gets
// no other (SPEC §4.4: "unless the account was sent such a mail in the
// last 30 minutes").
const AlertWindow = 30 * time.Minute

// Outcome is how a chat ended for the statistics (SPEC §4.5, §4.8).
type Outcome string

// The outcomes. A chat has at most one, set by what came first.
const (
	Answered       Outcome = "answered" // an operator answered the visitor
	Missed         Outcome = "missed"   // the visitor left unanswered after refusalTimeout
	Refusal        Outcome = "refusal"  // the visitor left unanswered within refusalTimeout
	OfflineRequest Outcome = "offline"  // an offline request (SPEC §4.7)
)

// Outcomes lists every outcome.
var Outcomes = []Outcome{Answered, Missed, Refusal, OfflineRequest}

// ParseOutcome checks a history outcome filter. Errors: apperr.Invalid.
func ParseOutcome(s string) (Outcome, error) {
	if slices.Contains(Outcomes, Outcome(s)) {
		return Outcome(s), nil
	}
	return "", apperr.New(apperr.Invalid, "outcome must be answered, missed, refusal or offline")
}

// Wait is a visitor's wait for an operator's answer.
type Wait struct {
	// Since is when the oldest visitor message no operator has answered
	// yet was sent; zero when nobody waits.
	Since time.Time
	// Due is when the wait's timeout acts, Kind which one; zero and ""
	// when none runs (disabled, acted already, or nobody waits).
	Due  time.Time
	Kind string
}

// Timeouts are autoMessages' two timeouts as a chat started with them (0:
// never): a chat's timers are due by them, so a message costs no read of
// the settings.
type Timeouts struct {
	FirstResponse time.Duration
	Answer        time.Duration
}

// TimeoutsOf are the timeouts of the settings doc.
func TimeoutsOf(doc settings.Document) Timeouts {
	return Timeouts{FirstResponse: doc.AutoMessages.FirstResponse(), Answer: doc.AutoMessages.Answer()}
}

// Timer is the sweeper's timer of chat c's wait; ok is false when none
// runs.
func (c Chat) Timer() (timers.Timer, bool) {
	if c.Wait.Due.IsZero() {
		return timers.Timer{}, false
	}
	return timers.Timer{AccountID: c.AccountID, Subject: c.ID, Kind: c.Wait.Kind, Due: c.Wait.Due}, true
}

// DueSecond is the timer second of a moment: the next whole second, so a
// timeout never acts early.
func DueSecond(t time.Time) time.Time {
	return t.Add(time.Second - 1).Truncate(time.Second).UTC()
}

// waitAfter is the chat's wait once m is stored: an operator's message
// ends it; a visitor's starts one when nobody waited, with the timer the
// chat still has to run (the first response before the first answer, the
// answer timeout after it, each at most once and not when 0).
func waitAfter(c Chat, m Message) Wait {
	switch m.From {
	case FromOperator:
		return Wait{}
	case FromVisitor:
		if !c.Wait.Since.IsZero() {
			return c.Wait
		}
		w := Wait{Since: m.At}
		kind, timeout, acted := TimerAnswer, c.Timeouts.Answer, c.BusyAnswerAt
		if c.AnsweredAt.IsZero() {
			kind, timeout, acted = TimerFirstResponse, c.Timeouts.FirstResponse, c.BusyFirstAt
		}
		if timeout > 0 && acted.IsZero() {
			w.Due, w.Kind = DueSecond(m.At.Add(timeout)), kind
		}
		return w
	}
	return c.Wait
}

// TimedOut acts on a fired timeout timer of a chat (SPEC §4.4): while the
// chat still runs that very timer (open, unanswered since, its visitor
// there) and the timeout is not 0 now, the visitor gets busyMessage as a
// system message and the timeout is marked acted, with its event record,
// in one conditional transaction. acted is false when the timer was
// cancelled, superseded or had acted already, the visitor left, or an
// administrator set the timeout to 0 meanwhile; m.Seq is 0 when
// busyMessage is empty (the timeout still counts).
func (s *Service) TimedOut(ctx context.Context, accountID, chatID, kind string, due time.Time) (c Chat, m Message, acted bool, err error) {
	if kind == TimerClosedForGood && ValidID(chatID) {
		// Nothing for the live side to push: the chat left every list
		// when its operator closed it.
		return Chat{}, Message{}, false, s.closeForGood(ctx, accountID, chatID)
	}
	if !ValidID(chatID) || (kind != TimerFirstResponse && kind != TimerAnswer) {
		return Chat{}, Message{}, false, nil
	}
	for range maxRaces {
		c, err = s.Store.Chat(ctx, accountID, chatID)
		if apperr.CodeOf(err) == apperr.NotFound {
			return Chat{}, Message{}, false, nil
		}
		if err != nil {
			return Chat{}, Message{}, false, err
		}
		if !c.Open() || c.Wait.Kind != kind || !c.Wait.Due.Equal(due.UTC()) || !c.LeftAt.IsZero() || c.VisitorClosed {
			return c, Message{}, false, nil
		}
		doc, err := s.Settings(ctx, accountID)
		if err != nil {
			return Chat{}, Message{}, false, err
		}
		timeout := doc.AutoMessages.Answer()
		if kind == TimerFirstResponse {
			timeout = doc.AutoMessages.FirstResponse()
		}
		if timeout == 0 {
			return c, Message{}, false, nil
		}
		now := s.Now().UTC()
		next := c
		next.Wait.Due, next.Wait.Kind = time.Time{}, ""
		if kind == TimerFirstResponse {
			next.BusyFirstAt = now
		} else {
			next.BusyAnswerAt = now
		}
		var busy *Message
		if doc.AutoMessages.BusyMessage != "" {
			m = Message{AccountID: accountID, ChatID: chatID, Seq: c.Seq + 1, From: FromSystem, Text: doc.AutoMessages.BusyMessage, At: now}
			busy = &m
			next.Seq, next.LastMessageAt = m.Seq, now
		}
		err = s.Store.TimedOut(ctx, c, next, busy)
		if errors.Is(err, ErrRace) {
			continue // a message meanwhile: look again
		}
		if err != nil {
			return Chat{}, Message{}, false, err
		}
		return next, m, true, nil
	}
	return Chat{}, Message{}, false, ErrRace
}

// Event is a durable record of what the statistics count (SPEC §4.8): a
// busy message sent, a chat's outcome. There is one per chat and kind,
// whatever is delivered twice; the statistics read them from the stream
// or by time.
type Event struct {
	AccountID    string
	ChatID       string
	Kind         string  // EventBusyFirst, EventBusyAnswer or EventOutcome
	Outcome      Outcome // with EventOutcome
	At           time.Time
	OperatorID   string
	DepartmentID string
	Language     string
}

// The kinds of events.
const (
	EventBusyFirst  = "busyFirstResponse"
	EventBusyAnswer = "busyAnswer"
	EventOutcome    = "outcome"
)

// BusyEvent is the event of timeout kind acting on next (TimedOut).
func BusyEvent(next Chat, kind string) Event {
	e := Event{AccountID: next.AccountID, ChatID: next.ID, Kind: EventBusyAnswer, At: next.BusyAnswerAt,
		OperatorID: next.OperatorID, DepartmentID: next.DepartmentID, Language: next.Language}
	if kind == TimerFirstResponse {
		e.Kind, e.At = EventBusyFirst, next.BusyFirstAt
	}
	return e
}

// OutcomeEvent is the event of a chat's outcome; ok is false without one.
func OutcomeEvent(c Chat) (Event, bool) {
	if c.Outcome == "" {
		return Event{}, false
	}
	return Event{AccountID: c.AccountID, ChatID: c.ID, Kind: EventOutcome, Outcome: c.Outcome, At: c.OutcomeAt,
		OperatorID: c.OperatorID, DepartmentID: c.DepartmentID, Language: c.Language}, true
}

// Alerts is the account's "waited too long" mail guard.
type Alerts interface {
	// ClaimAlert records that the account is sent the alert of key (a
	// chat's timeout) at, with one conditional write: false when another
	// key's alert was sent less than window before. The same key claims
	// again, so a redelivered event re-enqueues its own mail (stored once).
	ClaimAlert(ctx context.Context, accountID, key string, at time.Time, window time.Duration) (bool, error)
}

// AlertBusy mails emails.negativeReviews that a visitor waited too long
// (SPEC §4.4), in the account's language, signed, with the transcript,
// unless the account was sent such a mail within AlertWindow of e.At.
func (s *Service) AlertBusy(ctx context.Context, e Event) error {
	if s.Alerts == nil {
		return nil
	}
	doc, err := s.Settings(ctx, e.AccountID)
	if err != nil || len(doc.Emails.NegativeReviews) == 0 {
		return err
	}
	ok, err := s.Alerts.ClaimAlert(ctx, e.AccountID, e.ChatID+"#"+e.Kind, e.At, AlertWindow)
	if err != nil || !ok {
		return err
	}
	c, err := s.Store.Chat(ctx, e.AccountID, e.ChatID)
	if err != nil {
		return err
	}
	ms, err := s.Store.Messages(ctx, c.AccountID, c.ID, 0, 0)
	if err != nil {
		return err
	}
	operator, err := s.operatorName(ctx, c.AccountID, c.OperatorID)
	if err != nil {
		return err
	}
	if operator == "" {
		operator = text(doc, "nobody")
	}
	which := text(doc, "busy."+e.Kind)
	waited := e.At.Sub(c.Wait.Since).Round(time.Second)
	if c.Wait.Since.IsZero() {
		waited = e.At.Sub(c.StartedAt).Round(time.Second)
	}
	transcript := Transcript(doc, ms)
	if len(transcript) > maxAttachedTranscript {
		// A mail item must fit in one DynamoDB item: the end of a very
		// long chat is in the history.
		transcript = strings.ToValidUTF8(transcript[:maxAttachedTranscript], "") + "\n…\n"
	}
	m := mail.Message{AccountID: c.AccountID, ID: "busy-" + c.ID + "-" + e.Kind, To: doc.Emails.NegativeReviews, ReplyTo: replyTo(doc),
		Subject:     text(doc, "busySubject"),
		Text:        signer(doc).Sign(fmt.Sprintf(text(doc, "busyBody"), c.ID, which, int64(waited/time.Second), operator)),
		Attachments: []mail.Attachment{{Name: "transcript-" + c.ID + ".txt", ContentType: "text/plain; charset=utf-8", Data: []byte(transcript)}}}
	return s.Outbox.Enqueue(ctx, m)
}

// leave records on next that its visitor left at, with the chat's
// outcome when no operator answered: a refusal if they waited less than
// refusalTimeout since their first message (or the start, if they wrote
// nothing), missed otherwise (SPEC §4.5).
func leave(doc settings.Document, next *Chat, at time.Time) {
	if !next.AnsweredAt.IsZero() {
		return
	}
	next.LeftAt = at
	if next.Outcome != "" {
		return
	}
	since := next.Wait.Since
	if since.IsZero() {
		since = next.StartedAt
	}
	next.Outcome, next.OutcomeAt = Missed, at
	if at.Sub(since) < doc.AutoMessages.Refusal() {
		next.Outcome = Refusal
	}
}

// Gone records that the visitor of an unanswered open chat left at (their
// last connection closed at and none came back within VisitorGrace): the
// chat's outcome is set and it leaves the waiting lists for the missed
// one. changed is false when there was nothing to record.
func (s *Service) Gone(ctx context.Context, v Party, at time.Time) (c Chat, changed bool, err error) {
	id, err := s.Store.OpenChatID(ctx, v.AccountID, v.ID)
	if err != nil || id == "" {
		return Chat{}, false, err
	}
	doc, err := s.Settings(ctx, v.AccountID)
	if err != nil {
		return Chat{}, false, err
	}
	c, err = s.update(ctx, v, id, func(c Chat) (Chat, error) {
		if !c.Open() || !c.AnsweredAt.IsZero() || !c.LeftAt.IsZero() || c.VisitorClosed {
			return c, errNothingToDo
		}
		leave(doc, &c, at.UTC())
		return c, nil
	})
	if errors.Is(err, errNothingToDo) || apperr.CodeOf(err) == apperr.NotFound {
		return c, false, nil
	}
	return c, err == nil, err
}

// Back records that the visitor of a chat they had left is back: it waits
// in the lists again (its outcome stays). changed is false when they had
// not left.
func (s *Service) Back(ctx context.Context, v Party, chatID string) (c Chat, changed bool, err error) {
	c, err = s.update(ctx, v, chatID, func(c Chat) (Chat, error) {
		if c.LeftAt.IsZero() || !c.Open() {
			return c, errNothingToDo
		}
		c.LeftAt = time.Time{}
		return c, nil
	})
	if errors.Is(err, errNothingToDo) {
		return c, false, nil
	}
	return c, err == nil, err
}

var errNothingToDo = errors.New("chat: nothing to do")

// MissedWindow is how far back the workplace's missed list reaches for
// chats their visitors closed unanswered.
const MissedWindow = 24 * time.Hour

// LeftUnanswered reports whether the visitor left c before any answer:
// it belongs in the workplace's missed list.
func (c Chat) LeftUnanswered() bool {
	return c.AnsweredAt.IsZero() && (c.Outcome == Missed || c.Outcome == Refusal) && (!c.LeftAt.IsZero() || !c.Open())
}
