package chat

import (
	"context"
	"errors"
	"parley/internal/apperr"
	"parley/internal/settings"
	"slices"
	"strings"
)

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
