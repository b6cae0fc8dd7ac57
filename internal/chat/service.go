package chat

import (
	"context"
	"errors"
	"math/rand/v2"
	neturl "net/url"
	"slices"
	"strings"
	"time"

	"parley/internal/apperr"
	"parley/internal/settings"
)

// maxRaces bounds the retries of an optimistic write that keeps losing to
// concurrent writes on the same chat; each loss means someone else made
// progress, so this is only hit under pathological contention.
const maxRaces = 8

// maxAppendRaces bounds the retries of a message: many writers on one chat
// (several tabs, a supervisor) each lose at most once per message that
// wins, and a user's message must not be dropped for having lost.
const maxAppendRaces = 100

// backoff waits a random moment, growing with the attempt, so writers that
// lost together do not collide again.
func backoff(ctx context.Context, attempt int) {
	d := time.Duration(rand.IntN(1+min(attempt, 10)*4)) * time.Millisecond
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// ChatLanguage is a new chat's language: the placement's in multilingual
// mode, company.language otherwise (SPEC §4.3).
func ChatLanguage(doc settings.Document, placement string) string {
	if doc.Features.Multilingual && slices.Contains(settings.Languages, placement) {
		return placement
	}
	return doc.Company.Language
}

// StartInput is what the widget asks before a chat (SPEC §3 "chat start").
type StartInput struct {
	DepartmentID string
	Question     string
	Page         string
	// Language is the placement's chat language: the chat's in
	// multilingual mode (SPEC §4.3), ignored otherwise. It is fixed at the
	// start: the visitor cannot change it later.
	Language string
	// Channel is the messenger a chat started from (Chat.Channel); "" for
	// the widget.
	Channel string
}

// Start starts a chat for the visitor, or resumes the one they have open:
// a returning visitor is not a new start. started reports a new chat.
// A new chat opens with the greeting (SPEC §4.1) and, when given, the
// visitor's question as their first message. Errors: apperr.Invalid,
// apperr.NotFound (department).
func (s *Service) Start(ctx context.Context, v Party, in StartInput) (c Chat, first []Message, started bool, err error) {
	if in.Question != "" {
		if in.Question, err = CheckText(in.Question); err != nil {
			return Chat{}, nil, false, err
		}
	}
	if in.Page != "" {
		if in.Page, err = CheckPage(in.Page); err != nil {
			return Chat{}, nil, false, err
		}
	}
	if in.Language != "" && !slices.Contains(settings.Languages, in.Language) {
		return Chat{}, nil, false, apperr.New(apperr.Invalid, "language must be one of %s", strings.Join(settings.Languages, ", "))
	}
	if in.DepartmentID != "" {
		ok, err := s.Departments.DepartmentExists(ctx, v.AccountID, in.DepartmentID)
		if err != nil {
			return Chat{}, nil, false, err
		}
		if !ok {
			return Chat{}, nil, false, apperr.New(apperr.NotFound, "department %q not found", in.DepartmentID)
		}
	}
	counted := false
	for range maxRaces {
		prev, err := s.Store.OpenChatID(ctx, v.AccountID, v.ID)
		if err != nil {
			return Chat{}, nil, false, err
		}
		if prev != "" {
			old, err := s.Store.Chat(ctx, v.AccountID, prev)
			if err != nil && apperr.CodeOf(err) != apperr.NotFound {
				return Chat{}, nil, false, err
			}
			// An open chat is resumed, unless the visitor ended it: the
			// operator closes that one, and the visitor's new question
			// is a new chat.
			if err == nil && old.Open() && !old.VisitorClosed {
				return old, nil, false, nil
			}
		}
		doc, err := s.Settings(ctx, v.AccountID)
		if err != nil {
			return Chat{}, nil, false, err
		}
		now := s.Now().UTC()
		c = Chat{AccountID: v.AccountID, ID: NewID(now), VisitorID: v.ID, Status: Waiting, DepartmentID: in.DepartmentID,
			Language: ChatLanguage(doc, in.Language), Question: in.Question, Page: in.Page, Priority: PriorityPage(doc.Features.PriorityPages, in.Page),
			StartedAt: now, LastMessageAt: now, Channel: in.Channel}
		first = []Message{}
		if g := doc.GreetingFor(c.Language); g != "" {
			first = append(first, Message{From: FromSystem, Text: g})
		}
		if in.Question != "" {
			first = append(first, Message{From: FromVisitor, SenderID: v.ID, Text: in.Question})
		}
		for i := range first {
			first[i].AccountID, first[i].ChatID, first[i].Seq, first[i].At = c.AccountID, c.ID, int64(i+1), now
		}
		c.Seq = int64(len(first))
		c.Day = DayOf(now, doc.Company.Location())
		countFirst(&c, first)
		c.Timeouts = TimeoutsOf(doc)
		if in.Question != "" {
			c.Wait = waitAfter(c, first[len(first)-1])
		}
		if !counted {
			if err := s.limitStart(ctx, v); err != nil {
				return Chat{}, nil, false, err
			}
			counted = true
		}
		err = s.Store.StartChat(ctx, c, first, prev)
		if errors.Is(err, ErrRace) {
			continue // another tab started one: resume it
		}
		if err != nil {
			return Chat{}, nil, false, err
		}
		if c, err = s.route(ctx, doc, c); err != nil {
			return Chat{}, nil, false, err
		}
		return c, first, true, nil
	}
	return Chat{}, nil, false, ErrRace
}

// route hands a waiting chat to auto-assignment (SPEC §4.2) and returns
// it as routed: assigned, queued (QueueSeq), or untouched in manual mode.
func (s *Service) route(ctx context.Context, doc settings.Document, c Chat) (Chat, error) {
	if s.Router == nil || c.Status != Waiting {
		return c, nil
	}
	r, err := s.Router.Route(ctx, doc, c)
	if err != nil {
		return Chat{}, err
	}
	switch {
	case r.OperatorID != "":
		c.Status, c.OperatorID, c.AssignedAt = Active, r.OperatorID, s.Now().UTC()
	case r.Queued:
		c.QueueSeq = r.Seq
	}
	return c, nil
}

// drain gives the operator who has room again the oldest eligible queued
// chats (SPEC §4.2: they closed a chat).
func (s *Service) drain(ctx context.Context, doc settings.Document, accountID, operatorID string) error {
	if s.Router == nil {
		return nil
	}
	return s.Router.DrainWith(ctx, doc, accountID, operatorID)
}

// Post adds a message to a chat. A visitor without an open chat starts one
// (chatID may be empty for a visitor: their open chat). An operator
// answering a waiting chat takes it first: the first to answer wins
// (SPEC §4.2), the others get ErrTaken. A resend with the same clientID
// returns the stored message and stores nothing. took reports that this
// message took the chat; started that it started it.
// Errors: apperr.Invalid, apperr.TooLarge, apperr.NotFound, apperr.Conflict.
func (s *Service) Post(ctx context.Context, p Party, chatID, clientID, text string) (c Chat, m Message, dup, took, started bool, err error) {
	return s.PostStarting(ctx, p, chatID, clientID, text, StartInput{})
}

// PostStarting is Post whose visitor, when the message starts a chat,
// starts it with in (the placement's language).
func (s *Service) PostStarting(ctx context.Context, p Party, chatID, clientID, text string, in StartInput) (c Chat, m Message, dup, took, started bool, err error) {
	if text, err = CheckText(text); err != nil {
		return
	}
	if err = CheckClientID(clientID); err != nil {
		return
	}
	if err = s.limitMessage(ctx, p); err != nil {
		return
	}
	if p.Kind == FromVisitor && chatID == "" {
		var first []Message
		if c, first, started, err = s.Start(ctx, p, in); err != nil {
			return
		}
		_ = first
		chatID = c.ID
	}
	for attempt := range maxAppendRaces {
		if attempt > 0 {
			backoff(ctx, attempt)
		}
		if c, err = s.participantChat(ctx, p, chatID); err != nil {
			if apperr.CodeOf(err) == apperr.NotFound && p.Kind == FromOperator && s.tookFirst(ctx, p, chatID) {
				err = ErrTaken
			}
			return
		}
		if p.Kind == FromVisitor && (!c.Open() || c.VisitorClosed) {
			// The chat closed (or the visitor ended it) while they typed:
			// their words start the next one rather than being lost.
			if c, _, started, err = s.Start(ctx, p, in); err != nil {
				return
			}
		}
		if err = s.chatFull(p, c); err != nil {
			return
		}
		if p.Kind == FromOperator && c.Status == Waiting {
			if c, err = s.Take(ctx, p, c.ID); err != nil {
				return
			}
			took = true
		}
		if p.Kind == FromOperator && (c.Status != Active || c.OperatorID != p.ID) {
			err = apperr.New(apperr.Conflict, "this chat is not yours: take it first")
			return
		}
		m = Message{AccountID: c.AccountID, ChatID: c.ID, Seq: c.Seq + 1, From: p.Kind, SenderID: p.ID, ClientID: clientID, Text: text, At: s.Now().UTC()}
		w := waitAfter(c, m)
		m, dup, err = s.Store.AppendMessage(ctx, c, m, w)
		if errors.Is(err, ErrRace) {
			continue
		}
		if err != nil {
			return
		}
		if !dup {
			c.Seq, c.LastMessageAt, c.Wait = m.Seq, m.At, w
			if p.Kind == FromOperator && c.AnsweredAt.IsZero() {
				c.AnsweredAt = m.At
			}
			if p.Kind == FromOperator && c.Outcome == "" {
				c.Outcome, c.OutcomeAt = Answered, m.At
			}
		}
		return
	}
	err = ErrRace
	return
}

// participantChat reads a chat the party may act on: the visitor's own,
// or for staff a chat they see (Sees), so hideOthersChats, multilingual
// mode and departments bind every action, reads included, and not only
// the workplace's lists. Whether the action itself is theirs (leading
// the chat, managing) is the caller's check. Errors: apperr.NotFound, for
// a chat hidden from the party too, so its existence is never confirmed.
func (s *Service) participantChat(ctx context.Context, p Party, id string) (Chat, error) {
	notFound := apperr.New(apperr.NotFound, "chat not found")
	if !ValidID(id) {
		return Chat{}, notFound
	}
	c, err := s.Store.Chat(ctx, p.AccountID, id)
	if err != nil {
		return Chat{}, err
	}
	if p.Kind == FromVisitor && c.VisitorID != p.ID {
		return Chat{}, notFound
	}
	if ok, err := s.sees(ctx, p, c); err != nil || !ok {
		if err == nil {
			err = notFound
		}
		return Chat{}, err
	}
	return c, nil
}

// sees is Sees for staff member p, reading only what decides: nothing for
// a visitor, a manager or the chat's own operator (the message path), the
// settings otherwise, and p's profile only when a language or department
// can hide the chat.
func (s *Service) sees(ctx context.Context, p Party, c Chat) (bool, error) {
	if p.Kind != FromOperator || p.Manages() || (c.OperatorID != "" && c.OperatorID == p.ID) {
		return true, nil
	}
	doc, err := s.Settings(ctx, p.AccountID)
	if err != nil {
		return false, err
	}
	prof := Operator{ID: p.ID}
	if doc.Features.Multilingual || c.DepartmentID != "" {
		if prof, err = s.Profile(ctx, p); err != nil {
			return false, err
		}
	}
	return Sees(doc, p, prof, c), nil
}

// tookFirst reports whether a chat hidden from op now is one they saw
// while it waited and another operator took it (hideOthersChats hides it
// the moment it is taken): the loser of a take race is told it was taken,
// not that it does not exist.
func (s *Service) tookFirst(ctx context.Context, op Party, chatID string) bool {
	c, err := s.Store.Chat(ctx, op.AccountID, chatID)
	if err != nil || c.Status == Waiting || c.OperatorID == "" {
		return false
	}
	c.Status, c.OperatorID = Waiting, ""
	ok, err := s.sees(ctx, op, c)
	return err == nil && ok
}

// Chat returns a chat the party belongs to: the visitor's own, any of the
// account's for staff. Errors: apperr.NotFound.
func (s *Service) Chat(ctx context.Context, p Party, chatID string) (Chat, error) {
	return s.participantChat(ctx, p, chatID)
}

// Take assigns a waiting chat to the operator; exactly one of several
// racing operators wins. Errors: apperr.NotFound, ErrTaken (conflict).
func (s *Service) Take(ctx context.Context, op Party, chatID string) (Chat, error) {
	for range maxRaces {
		c, err := s.participantChat(ctx, op, chatID)
		if apperr.CodeOf(err) == apperr.NotFound && s.tookFirst(ctx, op, chatID) {
			return Chat{}, ErrTaken
		}
		if err != nil {
			return Chat{}, err
		}
		if c.Status != Waiting {
			if c.Status == Active && c.OperatorID == op.ID {
				return c, nil
			}
			return Chat{}, ErrTaken
		}
		now := s.Now().UTC()
		err = s.Store.Take(ctx, c, op.ID, now)
		if errors.Is(err, ErrRace) || errors.Is(err, ErrTaken) {
			// a transaction conflict, or the chat changed (taken, or
			// queued meanwhile): look again
			continue
		}
		if err != nil {
			return Chat{}, err
		}
		c.Status, c.OperatorID, c.AssignedAt = Active, op.ID, now
		return c, nil
	}
	return Chat{}, ErrRace
}

// Close closes a chat. The operator closes their chat (with a category
// when classification.required: SPEC §2.3); a visitor closes theirs: a
// waiting one closes for good, an active one stays with the operator, who
// is told, until they close it. Staff closing an unanswered offline
// request mark it answered (it leaves misc.offlineQueueLimit's count).
// Errors: apperr.NotFound, apperr.Conflict (not the closer's, category
// required).
func (s *Service) Close(ctx context.Context, p Party, chatID string) (Chat, error) {
	for range maxRaces {
		c, err := s.participantChat(ctx, p, chatID)
		if err != nil {
			return Chat{}, err
		}
		if c.Status == Closed && c.Unanswered && p.Kind == FromOperator {
			next := c
			next.Unanswered = false
			if err := s.Store.AnswerOffline(ctx, c); errors.Is(err, ErrRace) {
				continue
			} else if err != nil {
				return Chat{}, err
			}
			return next, nil
		}
		if c.Status == Closed {
			if p.Kind != FromVisitor || c.VisitorClosed {
				return c, nil
			}
			// The visitor closes their side of a chat the operator closed.
			next := c
			next.VisitorClosed = true
			markFinal(&next, s.Now().UTC())
			if err := s.Store.SetChatFields(ctx, c, next); errors.Is(err, ErrRace) {
				continue
			} else if err != nil {
				return Chat{}, err
			}
			return next, nil
		}
		next := c
		now := s.Now().UTC()
		if p.Kind == FromVisitor && c.AnsweredAt.IsZero() && c.Outcome == "" {
			// Closing it unanswered is leaving (SPEC §4.5).
			doc, derr := s.Settings(ctx, p.AccountID)
			if derr != nil {
				return Chat{}, derr
			}
			leave(doc, &next, now)
		}
		switch {
		case p.Kind == FromVisitor && c.Status == Active:
			next.VisitorClosed = true
			err = s.Store.SetChatFields(ctx, c, next)
		case c.Status == Waiting:
			next.Status, next.ClosedAt, next.VisitorClosed = Closed, now, next.VisitorClosed || p.Kind == FromVisitor
			markFinal(&next, now)
			err = s.Store.CloseWaiting(ctx, c, next)
		default: // an operator closes an active chat
			if c.OperatorID != p.ID && !p.Manages() {
				return Chat{}, apperr.New(apperr.Conflict, "only the chat's operator can close it")
			}
			doc, derr := s.Settings(ctx, p.AccountID)
			if derr != nil {
				return Chat{}, derr
			}
			if doc.Classification.Required && c.Category == "" {
				return Chat{}, &apperr.Error{Code: apperr.Conflict, Message: "choose a category before closing the chat (classification.required)",
					Fields: map[string]string{"category": "is required to close the chat"}}
			}
			next.Status, next.ClosedAt = Closed, now
			markFinal(&next, now)
			if err = s.Store.Release(ctx, c, next); err == nil {
				return next, s.drain(ctx, doc, c.AccountID, c.OperatorID)
			}
		}
		if errors.Is(err, ErrRace) {
			continue
		}
		return next, err
	}
	return Chat{}, ErrRace
}

// SetCategory sets the chat's category from the account's tree (SPEC
// §2.3); "" clears it. Only the chat's operator, or a manager, may.
// Errors: apperr.Invalid, apperr.NotFound, apperr.Conflict.
func (s *Service) SetCategory(ctx context.Context, op Party, chatID, category string) (Chat, error) {
	doc, err := s.Settings(ctx, op.AccountID)
	if err != nil {
		return Chat{}, err
	}
	if category, err = CheckCategory(doc.Classification.Tree(), category); err != nil {
		return Chat{}, err
	}
	return s.update(ctx, op, chatID, func(c Chat) (Chat, error) {
		if c.OperatorID != op.ID && !op.Manages() {
			return c, apperr.New(apperr.Conflict, "only the chat's operator can categorise it")
		}
		c.Category = category
		return c, nil
	})
}

// update applies change to a chat with an optimistic conditional write,
// retrying when a concurrent change to the chat's status came first.
func (s *Service) update(ctx context.Context, p Party, chatID string, change func(Chat) (Chat, error)) (Chat, error) {
	for range maxRaces {
		c, err := s.participantChat(ctx, p, chatID)
		if err != nil {
			return Chat{}, err
		}
		next, err := change(c)
		if err != nil {
			return Chat{}, err
		}
		markFinal(&next, s.Now().UTC()) // a read to the end closes a closed chat for good
		err = s.Store.SetChatFields(ctx, c, next)
		if errors.Is(err, ErrRace) {
			continue
		}
		return next, err
	}
	return Chat{}, ErrRace
}

// MarkRead records that the party has read the chat up to seq; marks only
// move forward. Errors: apperr.NotFound, apperr.Invalid.
func (s *Service) MarkRead(ctx context.Context, p Party, chatID string, seq int64) (Chat, error) {
	return s.update(ctx, p, chatID, func(c Chat) (Chat, error) {
		if seq < 1 || seq > c.Seq {
			return c, apperr.New(apperr.Invalid, "seq must be between 1 and %d", c.Seq)
		}
		switch {
		case p.Kind == FromVisitor:
			c.VisitorRead = max(c.VisitorRead, seq)
		case c.OperatorID == p.ID:
			c.OperatorRead = max(c.OperatorRead, seq)
		default:
			// A manager or colleague looking on has not read it for the
			// chat's operator.
			return c, apperr.New(apperr.Conflict, "only the chat's operator marks it read")
		}
		return c, nil
	})
}

// SetPage records the page the visitor is on, which sets or clears the
// chat's priority flag (features.priorityPages). changed reports a
// priority change the workplace must see. Without an open chat nothing is
// stored. Errors: apperr.Invalid.
func (s *Service) SetPage(ctx context.Context, v Party, page string) (c Chat, changed bool, err error) {
	if page, err = CheckPage(page); err != nil {
		return Chat{}, false, err
	}
	id, err := s.Store.OpenChatID(ctx, v.AccountID, v.ID)
	if err != nil || id == "" {
		return Chat{}, false, err
	}
	doc, err := s.Settings(ctx, v.AccountID)
	if err != nil {
		return Chat{}, false, err
	}
	var before bool
	c, err = s.update(ctx, v, id, func(c Chat) (Chat, error) {
		if !c.Open() {
			return c, errNoOpenChat
		}
		before = c.Priority
		c.Page, c.Priority = page, PriorityPage(doc.Features.PriorityPages, page)
		return c, nil
	})
	if errors.Is(err, errNoOpenChat) {
		return Chat{}, false, nil
	}
	return c, err == nil && c.Priority != before, err
}

var errNoOpenChat = errors.New("chat: no open chat")

// Teleport checks that the operator may send the chat's visitor to url
// (features.teleport on, their open chat). Errors: apperr.Forbidden,
// apperr.Invalid, apperr.NotFound, apperr.Conflict.
func (s *Service) Teleport(ctx context.Context, op Party, chatID, url string) (Chat, string, error) {
	doc, err := s.Settings(ctx, op.AccountID)
	if err != nil {
		return Chat{}, "", err
	}
	if !doc.Features.Teleport {
		return Chat{}, "", apperr.New(apperr.Forbidden, "teleport is off for this account (features.teleport)")
	}
	if url, err = CheckPage(url); err != nil {
		return Chat{}, "", err
	}
	c, err := s.participantChat(ctx, op, chatID)
	if err != nil {
		return Chat{}, "", err
	}
	if c.Status != Active || (c.OperatorID != op.ID && !op.Manages()) {
		return Chat{}, "", apperr.New(apperr.Conflict, "only the operator of an open chat can teleport its visitor")
	}
	if c.Channel != "" {
		// The visitor is in a messenger, not on a page of the site.
		return Chat{}, "", apperr.New(apperr.Conflict, "a %s chat has no page to teleport its visitor from", c.ChannelName())
	}
	if !OnSite(url, c.Page, doc.Company.Website) {
		return Chat{}, "", apperr.New(apperr.Invalid, "url must be a page of the site: the host of the visitor's page or of company.website, or under it")
	}
	return c, url, nil
}

// OnSite reports whether url is a page of the site (SPEC §2.7 teleport:
// "another page of the site"): its host is the host of one of sites (the
// visitor's page, the company's website), or a subdomain of it, so a
// teleport cannot send a visitor away to another site.
func OnSite(url string, sites ...string) bool {
	host := hostOf(url)
	if host == "" {
		return false
	}
	for _, s := range sites {
		site := strings.TrimPrefix(hostOf(s), "www.")
		if site != "" && (host == site || strings.HasSuffix(host, "."+site)) {
			return true
		}
	}
	return false
}

// hostOf is the lower-cased host of an absolute URL, "" for anything else.
func hostOf(s string) string {
	u, err := neturl.Parse(s)
	if err != nil || u.Host == "" {
		return ""
	}
	return strings.ToLower(u.Hostname())
}

// RedirectTarget is where a redirect sends a chat: exactly one of another
// operator (who then leads it), a department or a language (it waits
// again, for that department or for operators who speak that language,
// and is routed anew).
type RedirectTarget struct {
	OperatorID   string
	DepartmentID string
	Language     string
}

// Redirect hands an active chat on (SPEC §4.2, §4.3); every redirect is a
// new assignment. A language must be spoken by some online operator.
// Errors: apperr.Invalid, apperr.NotFound, apperr.Conflict.
func (s *Service) Redirect(ctx context.Context, op Party, chatID string, to RedirectTarget, people People) (Chat, error) {
	given := 0
	for _, v := range []string{to.OperatorID, to.DepartmentID, to.Language} {
		if v != "" {
			given++
		}
	}
	if given != 1 {
		return Chat{}, apperr.New(apperr.Invalid, "give exactly one of operatorId, departmentId and language")
	}
	doc, err := s.Settings(ctx, op.AccountID)
	if err != nil {
		return Chat{}, err
	}
	if err := s.checkRedirect(ctx, doc, op, to, people); err != nil {
		return Chat{}, err
	}
	for range maxRaces {
		c, err := s.participantChat(ctx, op, chatID)
		if err != nil {
			return Chat{}, err
		}
		if c.Status != Active || (c.OperatorID != op.ID && !op.Manages()) {
			return Chat{}, apperr.New(apperr.Conflict, "only the operator of an open chat can redirect it")
		}
		if to.Language != "" && to.Language == c.Language {
			return Chat{}, apperr.New(apperr.Invalid, "the chat is already in %s", to.Language)
		}
		next := c
		switch {
		case to.OperatorID != "":
			next.OperatorID, next.AssignedAt = to.OperatorID, s.Now().UTC()
		case to.DepartmentID != "":
			next.Status, next.OperatorID, next.DepartmentID, next.AssignedAt = Waiting, "", to.DepartmentID, time.Time{}
		default:
			next.Status, next.OperatorID, next.Language, next.AssignedAt = Waiting, "", to.Language, time.Time{}
		}
		err = s.Store.Release(ctx, c, next)
		if errors.Is(err, ErrRace) {
			continue
		}
		if err != nil {
			return Chat{}, err
		}
		// The redirecting operator has room again; a chat sent back to
		// waiting is routed anew.
		if err := s.drain(ctx, doc, c.AccountID, c.OperatorID); err != nil {
			return next, err
		}
		return s.route(ctx, doc, next)
	}
	return Chat{}, ErrRace
}

// checkRedirect checks the target exists: a staff member, a department,
// or a language of multilingual mode that some online operator speaks.
func (s *Service) checkRedirect(ctx context.Context, doc settings.Document, op Party, to RedirectTarget, people People) error {
	switch {
	case to.OperatorID != "":
		return people.IsStaff(ctx, op.AccountID, to.OperatorID)
	case to.DepartmentID != "":
		ok, err := s.Departments.DepartmentExists(ctx, op.AccountID, to.DepartmentID)
		if err != nil {
			return err
		}
		if !ok {
			return apperr.New(apperr.NotFound, "department %q not found", to.DepartmentID)
		}
		return nil
	}
	if !doc.Features.Multilingual {
		return apperr.New(apperr.Conflict, "a chat changes language only in multilingual mode (features.multilingual)")
	}
	if !slices.Contains(settings.Languages, to.Language) {
		return apperr.New(apperr.Invalid, "language must be one of %s", strings.Join(settings.Languages, ", "))
	}
	if s.Router == nil || s.Router.Online == nil {
		return nil
	}
	online, err := s.Router.Online(ctx, op.AccountID)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(online, func(o Operator) bool { return slices.Contains(o.Languages, to.Language) }) {
		return apperr.New(apperr.Conflict, "no online operator speaks %s", to.Language)
	}
	return nil
}

// People answers whether someone is staff of the account.
type People interface {
	// IsStaff: apperr.NotFound when the person is not in the account.
	IsStaff(ctx context.Context, accountID, personID string) error
}

// Messages returns a chat's messages after seq, at most limit of them (0:
// all), for a party of the chat. Errors: apperr.NotFound.
func (s *Service) Messages(ctx context.Context, p Party, chatID string, after int64, limit int) (Chat, []Message, error) {
	c, err := s.participantChat(ctx, p, chatID)
	if err != nil {
		return Chat{}, nil, err
	}
	ms, err := s.Store.Messages(ctx, p.AccountID, c.ID, max(after, 0), max(limit, 0))
	return c, ms, err
}

// Resume is what a reconnecting visitor missed: their latest chat while it
// is open, or closed less than ReadGrace ago with messages they have not
// read, and its messages after seq (at most limit, 0: all). ok is false
// when there is none.
func (s *Service) Resume(ctx context.Context, v Party, after int64, limit int) (c Chat, ms []Message, ok bool, err error) {
	id, err := s.Store.OpenChatID(ctx, v.AccountID, v.ID)
	if err != nil || id == "" {
		return Chat{}, nil, false, err
	}
	c, ms, err = s.Messages(ctx, v, id, after, limit)
	if apperr.CodeOf(err) == apperr.NotFound {
		return Chat{}, nil, false, nil
	}
	if err != nil {
		return Chat{}, nil, false, err
	}
	if !c.Open() && (c.VisitorRead >= c.Seq || s.Now().Sub(c.ClosedAt) > ReadGrace) {
		return Chat{}, nil, false, nil
	}
	return c, ms, true, nil
}

// Workplace is an operator's view of the account's open chats.
type Workplace struct {
	// Waiting chats have no operator yet and are not queued: in manual
	// mode the first eligible operator to answer takes them.
	Waiting []Chat
	// Queued is the common queue of auto-assignment, oldest first: every
	// eligible operator sees it and may take a chat from it by hand.
	Queued []Chat
	// Mine are the chats the party leads; one routing gave them that they
	// have not answered yet has a zero AnsweredAt.
	Mine   []Chat
	Others []Chat // led by other operators; empty for operators under hideOthersChats
	// Missed are the chats whose visitors left before any answer
	// (LeftUnanswered): still waiting ones, which leave Waiting and
	// Queued for it, and those closed within MissedWindow, newest first.
	Missed []Chat
}

// Workplace returns the open chats the party may see (see Sees).
func (s *Service) Workplace(ctx context.Context, p Party) (Workplace, error) {
	doc, err := s.Settings(ctx, p.AccountID)
	if err != nil {
		return Workplace{}, err
	}
	open, err := s.Store.OpenChats(ctx, p.AccountID)
	if err != nil {
		return Workplace{}, err
	}
	prof, err := s.Profile(ctx, p)
	if err != nil {
		return Workplace{}, err
	}
	w := Workplace{Waiting: []Chat{}, Queued: []Chat{}, Mine: []Chat{}, Others: []Chat{}, Missed: []Chat{}}
	closed, err := s.Store.MissedChats(ctx, p.AccountID, s.Now().Add(-MissedWindow))
	if err != nil {
		return Workplace{}, err
	}
	for _, c := range slices.Concat(open, closed) {
		switch {
		case !Sees(doc, p, prof, c):
		case c.LeftUnanswered() && c.Status != Active:
			w.Missed = append(w.Missed, c)
		case !c.Open():
		case c.Status == Waiting && c.QueueSeq > 0:
			w.Queued = append(w.Queued, c)
		case c.Status == Waiting:
			w.Waiting = append(w.Waiting, c)
		case c.OperatorID == p.ID:
			w.Mine = append(w.Mine, c)
		default:
			w.Others = append(w.Others, c)
		}
	}
	slices.SortFunc(w.Queued, func(a, b Chat) int { return int(a.QueueSeq - b.QueueSeq) })
	slices.SortFunc(w.Missed, func(a, b Chat) int { return strings.Compare(b.ID, a.ID) })
	return w, nil
}

// Profile is what decides which chats a staff member sees: the languages
// they speak and their departments. Managers see every chat, so theirs is
// not read.
func (s *Service) Profile(ctx context.Context, p Party) (Operator, error) {
	if p.Kind != FromOperator || p.Manages() || s.Profiles == nil {
		return Operator{ID: p.ID}, nil
	}
	return s.Profiles(ctx, p.AccountID, p.ID)
}

// Sees reports whether staff member p (with profile prof) sees chat c:
// their own always; managers every chat; an operator only chats in a
// language they speak in multilingual mode (SPEC §4.3), chats waiting for
// a department only when they belong to it (SPEC §4.2), and other
// operators' chats unless hideOthersChats (SPEC §2.7).
func Sees(doc settings.Document, p Party, prof Operator, c Chat) bool {
	if c.OperatorID == p.ID && c.OperatorID != "" {
		return true
	}
	if p.Manages() {
		return true
	}
	if doc.Features.Multilingual && !slices.Contains(prof.Languages, c.Language) {
		return false
	}
	if c.Status == Waiting || c.OperatorID == "" {
		// Nobody's yet (or ever, as an offline request): offered to the
		// department's operators, or to every operator.
		return c.DepartmentID == "" || slices.Contains(prof.Departments, c.DepartmentID)
	}
	return SeesOthers(doc, p)
}

// SeesOthers reports whether p sees chats other operators lead.
func SeesOthers(doc settings.Document, p Party) bool {
	return !doc.Features.HideOthersChats || p.Manages()
}

// Get returns one chat with its transcript for the history (staff), when
// the party sees it (Sees). Errors: apperr.NotFound.
func (s *Service) Get(ctx context.Context, p Party, chatID string) (Chat, []Message, error) {
	return s.Messages(ctx, p, chatID, 0, 0)
}

// History lists chats for the history page: only those the party could
// open one by one (Sees: language, department, hideOthersChats), so a
// page may hold fewer than the limit and still have a next one.
// Operators under hideOthersChats are asked only for their own.
// Errors: apperr.Invalid.
func (s *Service) History(ctx context.Context, p Party, q Query) (Page, error) {
	if q.Limit <= 0 || q.Limit > 100 {
		q.Limit = 50
	}
	if !q.To.After(q.From) {
		return Page{}, apperr.New(apperr.Invalid, "to must be after from")
	}
	doc, err := s.Settings(ctx, p.AccountID)
	if err != nil {
		return Page{}, err
	}
	if !SeesOthers(doc, p) {
		if q.OperatorID != "" && q.OperatorID != p.ID {
			return Page{Chats: []Chat{}}, nil
		}
		q.OperatorID = p.ID
	}
	page, err := s.Store.ListChats(ctx, p.AccountID, q)
	if err != nil {
		return Page{}, err
	}
	return s.visiblePage(ctx, doc, p, page)
}

// ParseStatus checks a history status filter. Errors: apperr.Invalid.
func ParseStatus(s string) (Status, error) {
	if slices.Contains([]Status{Waiting, Active, Closed}, Status(s)) {
		return Status(s), nil
	}
	return "", apperr.New(apperr.Invalid, "status must be waiting, active or closed")
}
