// Package chat is the chat lifecycle of SPEC §3: a visitor starts a chat,
// operators take it, both sides exchange messages in order, and it is
// categorised, rated and closed. It decides; the realtime package delivers
// what it decides to the participants' connections, and the store keeps the
// invariants (one open chat per visitor, exactly one operator wins a take,
// no duplicate message on a resend, gap-free order) with conditional writes.
//
// Where things are: the chat, its message, checks of what a client sends and
// the Store this package needs (chat.go); the Service and its retries of
// optimistic writes (service.go); starting a chat (start.go); posting a
// message and read marks (post.go); taking, categorising and closing
// (takeclose.go); the visitor's page and teleport (pages.go); redirecting
// (redirect.go); an operator's lists (workplace.go); messages and the
// history (history.go); who sees which chat (visibility.go); auto-assignment
// (routing.go), an offline operator's unanswered chats going back to
// routing (returnunanswered.go), timeouts (timeouts.go), closing for good
// (final.go) and the widget's decisions (widget.go); a visitor's rating,
// left message and transcript request, which end in a mail
// (visitormail.go), the words of every mail and system message per
// language (wording.go) and a mail's transcript (transcript.go).
package chat

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"parley/internal/apperr"
	"parley/internal/auth"
	"parley/internal/settings"
)

// Status is where a chat is in its life.
type Status string

// The statuses of a chat. Closed is "closed for good" (SPEC §3).
const (
	Waiting Status = "waiting" // started, no operator yet
	Active  Status = "active"  // an operator leads it
	Closed  Status = "closed"
)

// Kind says who wrote a message.
type Kind string

// The senders of messages.
const (
	FromVisitor  Kind = "visitor"
	FromOperator Kind = "operator"
	FromSystem   Kind = "system"
)

// Limits of what clients send. API Gateway refuses frames over 32 KB; these
// keep every frame Parley sends (a message with its envelope) under it.
const (
	MaxTextBytes     = 16 * 1024
	MaxClientIDBytes = 64
	MaxURLBytes      = 2048
	MaxNameBytes     = 200
)

// ReadGrace is how long a chat the visitor has not read to the end stays
// theirs to come back to after it closed (SPEC §3).
const ReadGrace = 3 * 24 * time.Hour

// Chat is one conversation between a visitor and at most one operator at a
// time.
type Chat struct {
	AccountID    string
	ID           string // time-ordered: history pages by id
	VisitorID    string
	Status       Status
	OperatorID   string
	DepartmentID string
	Language     string
	Category     string // "Top" or "Top / Sub", from the account's tree
	Priority     bool   // the visitor is on one of features.priorityPages
	Page         string // the page the visitor last reported
	Rating       Rating
	Question     string
	// Offline marks an offline request (SPEC §4.7): a chat started by the
	// offline form while no operator was online.
	Offline bool
	// Unanswered marks an offline request no operator has handled yet;
	// these count against misc.offlineQueueLimit.
	Unanswered     bool
	OfflineName    string
	OfflineContact string
	StartedAt      time.Time
	// Day is the date the chat started in the account's time zone then
	// (YYYY-MM-DD): the statistics count the chat on it for its life, even
	// if the account's zone changes later.
	Day           string
	AssignedAt    time.Time
	AnsweredAt    time.Time // the first operator message
	ClosedAt      time.Time
	VisitorClosed bool
	// FinalAt is when the chat was closed for good (final.go).
	FinalAt time.Time
	// Seq is the sequence number of the last message; messages are
	// numbered from 1 without gaps.
	Seq int64
	// VisitorMessages and OperatorMessages count the messages each side
	// wrote (system messages are neither), for the statistics.
	VisitorMessages  int64
	OperatorMessages int64
	VisitorRead      int64 // the last seq the visitor has read
	OperatorRead     int64
	LastMessageAt    time.Time
	// QueueSeq is the chat's arrival number in the common queue of
	// auto-assignment while it waits there; 0 otherwise.
	QueueSeq int64
	// Wait is the visitor's wait for an operator's answer and the timer
	// it runs (timeouts.go); Timeouts the account's timeouts when the chat
	// started, which apply to it for its life.
	Wait     Wait
	Timeouts Timeouts
	// BusyFirstAt and BusyAnswerAt are when the first-response and the
	// answer timeouts sent the busy message: each acts once per chat.
	BusyFirstAt  time.Time
	BusyAnswerAt time.Time
	// LeftAt is when the visitor left an unanswered chat (closed it, or
	// lost their last connection for VisitorGrace); zero while they stay
	// or once they came back.
	LeftAt time.Time
	// Outcome is set once, by what came first: an operator's answer, the
	// visitor leaving unanswered, or an offline request.
	Outcome   Outcome
	OutcomeAt time.Time
	// Channel is where the visitor writes from: "" (the widget), or a
	// messenger (ChannelTelegram, ChannelVK), whose answers go out
	// through it and which cannot show what only the widget can.
	Channel string
}

// The channels a chat can come from besides the widget (SPEC §4.12).
const (
	ChannelWidget   = "widget"
	ChannelTelegram = "telegram"
	ChannelVK       = "vk"
)

// ChannelName is the chat's channel as shown: widget for "".
func (c Chat) ChannelName() string {
	if c.Channel == "" {
		return ChannelWidget
	}
	return c.Channel
}

// DayOf is the date of t in loc, as Chat.Day holds it.
func DayOf(t time.Time, loc *time.Location) string { return t.In(loc).Format(time.DateOnly) }

// countFirst sets the message counts of a new chat from its first messages.
func countFirst(c *Chat, first []Message) {
	for _, m := range first {
		switch m.From {
		case FromVisitor:
			c.VisitorMessages++
		case FromOperator:
			c.OperatorMessages++
		}
	}
}

// Open reports whether messages may still be added.
func (c Chat) Open() bool { return c.Status == Waiting || c.Status == Active }

// Message is one line of a chat's transcript.
type Message struct {
	AccountID string
	ChatID    string
	Seq       int64
	From      Kind
	SenderID  string // visitor or person id; empty for system messages
	ClientID  string // the sender's id for it: a resend with it is a no-op
	Text      string
	At        time.Time
}

// Rating is the visitor's verdict on the operator (SPEC §4.6).
type Rating string

// The ratings, best first.
const (
	Excellent    Rating = "excellent"
	Good         Rating = "good"
	Satisfactory Rating = "satisfactory"
	Poor         Rating = "poor"
	Bad          Rating = "bad"
)

// Ratings lists every rating, best first.
var Ratings = []Rating{Excellent, Good, Satisfactory, Poor, Bad}

// Negative reports whether the rating notifies emails.negativeReviews.
func (r Rating) Negative() bool { return r == Satisfactory || r == Poor || r == Bad }

// ParseRating checks a rating. Errors: apperr.Invalid.
func ParseRating(s string) (Rating, error) {
	for _, r := range Ratings {
		if string(r) == s {
			return r, nil
		}
	}
	return "", apperr.New(apperr.Invalid, "rating must be one of excellent, good, satisfactory, poor, bad")
}

// Party is who acts: a visitor, or a person with a role.
type Party struct {
	AccountID string
	Kind      Kind // FromVisitor or FromOperator (any staff role)
	ID        string
	Role      auth.Role
	// SourceIP is the visitor's address as API Gateway reports it, which
	// the per-address limits count by; empty counts nowhere.
	SourceIP string
}

// Manages reports whether the party sees every chat (SPEC §2.7
// hideOthersChats spares supervisors and administrators).
func (p Party) Manages() bool { return p.Role == auth.Supervisor || p.Role == auth.Administrator }

// NewID makes a chat id that sorts by start time: 12 hex digits of Unix
// milliseconds, then 8 random ones.
func NewID(at time.Time) string {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return IDPrefix(at) + hex.EncodeToString(b)
}

// IDPrefix is the time part of the ids of chats started at t.
func IDPrefix(t time.Time) string { return fmt.Sprintf("%012x", t.UnixMilli()) }

// ValidID reports whether s can be a chat id, so malformed ids never reach
// the store.
func ValidID(s string) bool {
	if len(s) != 20 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

// CheckText cleans a message text (cleanText), trims it and checks it.
// Errors: apperr.Invalid, apperr.TooLarge.
func CheckText(s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", apperr.New(apperr.Invalid, "text must be valid UTF-8")
	}
	s = strings.TrimSpace(cleanText(s))
	switch {
	case s == "":
		return "", apperr.New(apperr.Invalid, "text must not be empty")
	case len(s) > MaxTextBytes:
		return "", apperr.New(apperr.TooLarge, "text is longer than %d bytes: split it into several messages", MaxTextBytes)
	}
	return s, nil
}

// CheckClientID checks the sender's id of a message: optional, at most
// MaxClientIDBytes of printable ASCII.
func CheckClientID(s string) error {
	if len(s) > MaxClientIDBytes {
		return apperr.New(apperr.Invalid, "clientId must be at most %d characters", MaxClientIDBytes)
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return apperr.New(apperr.Invalid, "clientId must be printable ASCII without spaces")
		}
	}
	return nil
}

// CheckPage checks a page URL the visitor reports or an operator teleports
// to: an absolute http(s) URL. Errors: apperr.Invalid.
func CheckPage(s string) (string, error) {
	if len(s) > MaxURLBytes {
		return "", apperr.New(apperr.Invalid, "url must be at most %d bytes", MaxURLBytes)
	}
	u, err := settings.ParseURL(s)
	if err != nil {
		return "", apperr.New(apperr.Invalid, "url must be an absolute http(s) URL")
	}
	return u, nil
}

// PriorityPage reports whether page is one of the priority pages: the same
// URL, or a page under it (the priority URL followed by /, ? or #), so a
// listed section covers its pages.
func PriorityPage(pages []string, page string) bool {
	for _, p := range pages {
		if page == p {
			return true
		}
		if rest, ok := strings.CutPrefix(page, p); ok && rest != "" {
			if strings.HasSuffix(p, "/") || strings.ContainsRune("/?#", rune(rest[0])) {
				return true
			}
		}
	}
	return false
}

// CheckCategory finds category in the account's tree: "Top" or
// "Top / Sub" (sub-categories under their parent). Empty clears it.
// Errors: apperr.Invalid.
func CheckCategory(tree []settings.Category, category string) (string, error) {
	category = strings.TrimSpace(category)
	if category == "" {
		return "", nil
	}
	top, sub, hasSub := strings.Cut(category, "/")
	top, sub = strings.TrimSpace(top), strings.TrimSpace(sub)
	for _, t := range tree {
		if !strings.EqualFold(t.Name, top) {
			continue
		}
		if !hasSub {
			return t.Name, nil
		}
		for _, s := range t.Children {
			if strings.EqualFold(s.Name, sub) {
				return t.Name + " / " + s.Name, nil
			}
		}
	}
	return "", apperr.New(apperr.Invalid, "category %q is not in the account's classification (classification.categories)", category)
}

// CheckEmail checks one address a visitor types (the transcript's
// recipient). Errors: apperr.Invalid.
func CheckEmail(s string) (string, error) {
	e, err := settings.ParseEmail(strings.TrimSpace(s))
	if err != nil {
		return "", apperr.New(apperr.Invalid, "email must be one valid e-mail address")
	}
	return e, nil
}

// Errors the store returns, so the service can tell a lost race from a
// failure.
var (
	// ErrRace: the chat changed since it was read (an optimistic write
	// lost); the service reads again and retries.
	ErrRace = apperr.New(apperr.Conflict, "the chat changed meanwhile: try again")
	// ErrTaken: another operator took the chat first.
	ErrTaken = apperr.New(apperr.Conflict, "another operator has already taken this chat")
	// ErrOfflineQueueFull: misc.offlineQueueLimit offline requests wait
	// for an answer already.
	ErrOfflineQueueFull = apperr.New(apperr.Conflict, "too many messages are waiting for an answer: please try again later")
)

// Store declares what the chat lifecycle needs from storage. Each write is
// conditional: the invariant it protects is named on the method.
type Store interface {
	// StartChat stores a new chat with its first messages and makes it the
	// visitor's open chat, only if the visitor's open chat is still
	// prevOpen ("" for none): two racing starts make one chat. Errors:
	// ErrRace when another start won.
	StartChat(ctx context.Context, c Chat, first []Message, prevOpen string) error
	// StartOffline stores an offline request as StartChat stores a chat,
	// and counts it as unanswered, only while fewer than limit are (0: no
	// limit). Errors: ErrRace, ErrOfflineQueueFull.
	StartOffline(ctx context.Context, c Chat, first []Message, prevOpen string, limit int) error
	// AnswerOffline marks an unanswered offline request handled and
	// uncounts it, only if it is still unanswered. Errors: ErrRace.
	AnswerOffline(ctx context.Context, c Chat) error
	// OpenChatID returns the id of the visitor's latest chat ("" for none).
	OpenChatID(ctx context.Context, accountID, visitorID string) (string, error)
	// Chat returns a chat. Errors: apperr.NotFound.
	Chat(ctx context.Context, accountID, id string) (Chat, error)
	// AppendMessage stores m as message c.Seq+1 if the chat's last seq is
	// still c.Seq and it is open, and updates the chat's counters. A
	// message whose sender already sent m.ClientID is not stored again:
	// the stored one is returned with dup true. Errors: ErrRace.
	// It stores w as the chat's wait, and schedules w's timer and
	// deletes c's in the same transaction when they differ (timeouts.go).
	AppendMessage(ctx context.Context, c Chat, m Message, w Wait) (stored Message, dup bool, err error)
	// TimedOut stores next (a timeout acted: its mark, the wait without
	// its timer) with the busy message busy (nil for none) as message
	// c.Seq+1 and the timeout's event record, only while the chat's seq
	// and timer are still c's. Errors: ErrRace.
	TimedOut(ctx context.Context, c Chat, next Chat, busy *Message) error
	// MissedChats lists the chats started since then that their visitors
	// closed unanswered (LeftUnanswered): one Query of a sparse index.
	MissedChats(ctx context.Context, accountID string, since time.Time) ([]Chat, error)
	// Messages returns a chat's messages after seq, in order, at most
	// limit (0: all).
	Messages(ctx context.Context, accountID, chatID string, after int64, limit int) ([]Message, error)
	// Take assigns a waiting chat to operator: exactly one of racing takes
	// succeeds, and the operator's open-chat count rises with it.
	// Errors: ErrTaken.
	Take(ctx context.Context, c Chat, operatorID string, at time.Time) error
	// Release ends operator's hold on an active chat and stores next
	// (closed, redirected or back to waiting), only if the chat is still
	// theirs. Errors: ErrRace.
	Release(ctx context.Context, c Chat, next Chat) error
	// CloseWaiting closes a chat no operator took, only while it waits.
	// Errors: ErrRace.
	CloseWaiting(ctx context.Context, c Chat, next Chat) error
	// SetChatFields stores the plain attributes of next (category, rating,
	// page, priority, read marks, visitorClosed) only if the chat's status
	// and operator are still c's. Errors: ErrRace.
	SetChatFields(ctx context.Context, c Chat, next Chat) error
	// OpenChats lists an account's open chats, oldest first.
	OpenChats(ctx context.Context, accountID string) ([]Chat, error)
	// OperatorChatIDs lists the ids of the chats an operator leads.
	OperatorChatIDs(ctx context.Context, accountID, operatorID string) ([]string, error)
	// ListChats is the history: chats started in [q.From, q.To), newest
	// first, narrowed by q's filters, a page at a time.
	ListChats(ctx context.Context, accountID string, q Query) (Page, error)
}

// Query narrows the history (GET /v1/chats).
type Query struct {
	From, To     time.Time
	OperatorID   string
	DepartmentID string
	Category     string
	// VisitorID keeps one visitor's chats: the workplace shows a returning
	// visitor's earlier chats and their categories (SPEC §2.3).
	VisitorID string
	Rating    Rating
	Status    Status
	Outcome   Outcome
	// Offline, when set, keeps only offline requests (true) or only
	// chats (false).
	Offline *bool
	Limit   int
	Cursor  string // from the previous page's Next
}

// Page is one page of the history.
type Page struct {
	Chats []Chat
	Next  string // "" on the last page
}

// Settings returns an account's settings document.
type Settings func(ctx context.Context, accountID string) (settings.Document, error)

// Departments answers whether a department exists.
type Departments interface {
	DepartmentExists(ctx context.Context, accountID, departmentID string) (bool, error)
}

// Button states of the widget (SPEC §4.16, §2.10).
const (
	ButtonOnline  = "online"
	ButtonOffline = "offline"
	ButtonHidden  = "hidden"
)

// Button decides which button the widget shows. draw (0..99) is the
// visitor's sticky draw against misc.buttonProbability; online is whether
// some operator is online and not away; waiting is how many chats wait for
// an operator, against misc.onlineQueueLimit (a full queue hides the
// online button, leaving the offline one); unanswered is how many offline
// requests wait for an answer, against misc.offlineQueueLimit (a full one
// hides the offline button).
func Button(m settings.Misc, draw int, online bool, waiting, unanswered int64) string {
	switch {
	case draw >= m.ButtonProbability:
		return ButtonHidden
	case online && (m.OnlineQueueLimit == nil || waiting < int64(*m.OnlineQueueLimit)):
		return ButtonOnline
	case m.OfflineQueueLimit != nil && unanswered >= int64(*m.OfflineQueueLimit):
		return ButtonHidden
	}
	return ButtonOffline
}
