package realtime

import (
	"context"
	"parley/internal/apperr"
	"parley/internal/auth"
	"parley/internal/chat"
	"parley/internal/templates"
	"slices"
)

// visitorActions and staffActions are who may send what; anything else is
// refused with a clear error rather than ignored.
var (
	visitorActions = []string{"hello", "startChat", "sendMessage", "typing", "read", "closeChat", "rate", "leaveMessage", "sendTranscript", "page", "history"}
	staffActions   = []string{"hello", "sendMessage", "typing", "read", "closeChat", "take", "setCategory", "teleport", "redirect", "setPresence", "staff", "history",
		"templates", "suggest", "saveTemplate", "watch", "unwatch"}
)

// handleChat runs one decoded chat action for connection c and returns
// the reply frame. Errors a client can act on become error frames;
// internal ones are returned for the adapter to log.
func (h *Hub) handleChat(ctx context.Context, c Connection, f Frame) ([]byte, error) {
	allowed := staffActions
	if c.Kind == auth.Visitor {
		allowed = visitorActions
	}
	if !slices.Contains(allowed, f.Action) {
		return ErrorFrame(apperr.New(apperr.Invalid, "unknown action %q", f.Action), f.ClientID), nil
	}
	reply, err := h.chatAction(ctx, c, party(c), f)
	if err != nil {
		if apperr.CodeOf(err) == apperr.Internal {
			// The adapter logs it; the client still learns which of its
			// frames failed.
			return ErrorFrame(err, f.ClientID), err
		}
		return ErrorFrame(err, f.ClientID), nil
	}
	if reply.Type == "" {
		reply = ChatFrame{Type: "ok", Action: f.Action}
	}
	reply.ClientID = f.ClientID
	out := encode(reply)
	if len(out) > MaxMessageBytes && reply.WorkplaceView != nil {
		out = reply.WorkplaceView.fit(reply)
	}
	if len(out) > MaxMessageBytes {
		// API Gateway would refuse it and the client would hear nothing.
		h.Log.ErrorContext(ctx, "reply frame over the message limit", "action", f.Action, "bytes", len(out))
		return ErrorFrame(apperr.New(apperr.TooLarge, "the answer does not fit in one message"), f.ClientID), nil
	}
	return out, nil
}

func (h *Hub) chatAction(ctx context.Context, c Connection, p chat.Party, f Frame) (ChatFrame, error) {
	s := h.Chats.Service
	switch f.Action {
	case "hello":
		return h.hello(ctx, c, p, f)
	case "startChat":
		ch, first, started, err := s.Start(ctx, p, chat.StartInput{DepartmentID: f.DepartmentID, Question: f.Question, Page: f.Page, Language: f.Language})
		if err != nil {
			return ChatFrame{}, err
		}
		if err := h.visitorJoined(ctx, c, ch, started); err != nil {
			return ChatFrame{}, err
		}
		if started {
			h.queuedAtStart(ctx, ch)
		}
		if !started {
			_, first, err = s.Messages(ctx, p, ch.ID, 0, framePageMessages)
			if err != nil {
				return ChatFrame{}, err
			}
		}
		out := ChatFrame{Type: "chat", Chat: h.visitorView(ctx, ch)}
		out.Messages, out.More = messagesPage(first)
		return out, nil
	case "sendMessage":
		return h.sendMessage(ctx, c, p, f)
	case "typing":
		ch, err := s.Chat(ctx, p, f.ChatID)
		if err != nil {
			return ChatFrame{}, err
		}
		if p.Kind == chat.FromOperator && ch.OperatorID != "" && ch.OperatorID != p.ID {
			// Only the one who answers types to the visitor (anyone may
			// while it waits: the first to answer takes it); a colleague
			// looking on would show the visitor a reply that never comes.
			return ChatFrame{}, apperr.New(apperr.Conflict, "only the chat's operator can type in it")
		}
		typing := f.Typing
		h.fanout(ctx, ch, encode(ChatFrame{Type: "typing", ChatID: f.ChatID, From: &Party{Kind: string(p.Kind), ID: p.ID}, Typing: &typing}), c.ID, false)
		return ChatFrame{}, nil
	case "read":
		ch, err := s.MarkRead(ctx, p, f.ChatID, f.Seq)
		if err != nil {
			return ChatFrame{}, err
		}
		h.fanout(ctx, ch, encode(ChatFrame{Type: "read", ChatID: ch.ID, From: &Party{Kind: string(p.Kind), ID: p.ID}, Seq: f.Seq}), c.ID, false)
		return ChatFrame{}, nil
	case "closeChat":
		ch, err := s.Close(ctx, p, f.ChatID)
		if err != nil {
			return ChatFrame{}, err
		}
		h.chatChanged(ctx, ch, c.ID)
		if ch.Status == chat.Closed && ch.OperatorID != "" {
			h.forget(ctx, ch, ch.OperatorID)
		}
		return ChatFrame{Type: "chat", Chat: viewChat(ch, p.Kind == chat.FromVisitor)}, nil
	case "rate":
		ch, err := s.Rate(ctx, p, f.ChatID, f.Rating)
		if err != nil {
			return ChatFrame{}, err
		}
		h.chatChanged(ctx, ch, c.ID)
		return ChatFrame{Type: "chat", Chat: h.visitorView(ctx, ch)}, nil
	case "leaveMessage":
		ch, err := s.LeaveMessage(ctx, p, chat.OfflineInput{Name: f.Name, Contact: f.Contact, Text: f.Text, Page: f.Page, ClientID: f.ClientID})
		if err != nil {
			return ChatFrame{}, err
		}
		return ChatFrame{Type: "chat", Chat: h.visitorView(ctx, ch)}, nil
	case "sendTranscript":
		ch, err := s.SendTranscript(ctx, p, f.ChatID, f.Email)
		if err != nil {
			return ChatFrame{}, err
		}
		return ChatFrame{Type: "ok", Action: f.Action, ChatID: ch.ID, Transcript: true}, nil
	case "page":
		ch, changed, err := s.SetPage(ctx, p, f.URL)
		if err != nil {
			return ChatFrame{}, err
		}
		if changed {
			h.chatChanged(ctx, ch, c.ID)
		}
		return ChatFrame{}, nil
	case "history":
		ch, ms, err := s.Messages(ctx, p, f.ChatID, f.Since, framePageMessages)
		if err != nil {
			return ChatFrame{}, err
		}
		out := ChatFrame{Type: "messages", Chat: viewChat(ch, p.Kind == chat.FromVisitor)}
		out.Messages, out.More = messagesPage(ms)
		return out, nil
	case "watch":
		// A supervisor (or a colleague, unless hideOthersChats) follows a
		// chat they see but do not lead: its messages, typing and read
		// marks reach this connection from now on.
		ch, err := s.Chat(ctx, p, f.ChatID)
		if err != nil {
			return ChatFrame{}, err
		}
		if !ch.Open() {
			return ChatFrame{}, apperr.New(apperr.Conflict, "the chat is closed: read it with history")
		}
		if err := h.Chats.Store.Subscribe(ctx, ch.AccountID, ch.ID, []Connection{c}); err != nil {
			return ChatFrame{}, err
		}
		return ChatFrame{Type: "chat", Chat: viewChat(ch, false)}, nil
	case "unwatch":
		ch, err := s.Chat(ctx, p, f.ChatID)
		if err != nil {
			return ChatFrame{}, err
		}
		if ch.OperatorID == p.ID {
			return ChatFrame{}, apperr.New(apperr.Conflict, "you lead this chat: its messages keep coming to you")
		}
		h.forget(ctx, ch, p.ID)
		return ChatFrame{}, nil
	case "take":
		ch, err := s.Take(ctx, p, f.ChatID)
		if err != nil {
			return ChatFrame{}, err
		}
		return h.taken(ctx, c, p, ch)
	case "setCategory":
		ch, err := s.SetCategory(ctx, p, f.ChatID, f.Category)
		if err != nil {
			return ChatFrame{}, err
		}
		h.chatChanged(ctx, ch, c.ID)
		return ChatFrame{Type: "chat", Chat: viewChat(ch, false)}, nil
	case "teleport":
		ch, url, err := s.Teleport(ctx, p, f.ChatID, f.URL)
		if err != nil {
			return ChatFrame{}, err
		}
		h.toVisitor(ctx, ch, encode(ChatFrame{Type: "teleport", ChatID: ch.ID, URL: url}))
		return ChatFrame{}, nil
	case "redirect":
		before, err := h.Chats.Service.Store.Chat(ctx, p.AccountID, f.ChatID)
		if err != nil && apperr.CodeOf(err) != apperr.NotFound {
			return ChatFrame{}, err
		}
		ch, err := s.Redirect(ctx, p, f.ChatID, chat.RedirectTarget{OperatorID: f.OperatorID, DepartmentID: f.DepartmentID, Language: f.Language}, h.Chats.People)
		if err != nil {
			return ChatFrame{}, err
		}
		h.forget(ctx, ch, before.OperatorID)
		if ch.Status == chat.Active {
			if err := h.subscribePerson(ctx, ch, ch.OperatorID); err != nil {
				return ChatFrame{}, err
			}
		}
		h.chatChanged(ctx, ch, "")
		// The new operator, department or language may hide the chat
		// from those who watched it.
		if err := h.recheckChat(ctx, ch.AccountID, ch.ID, ""); err != nil {
			h.Log.ErrorContext(ctx, "chat followers", "chat", ch.ID, "err", err)
		}
		v := viewChat(ch, false)
		h.identify(ctx, p.AccountID, v)
		return ChatFrame{Type: "chat", Chat: v}, nil
	case "staff":
		return h.staffList(ctx, p)
	case "setPresence":
		if f.Status != "online" && f.Status != "away" {
			return ChatFrame{}, apperr.New(apperr.Invalid, "status must be online or away")
		}
		if err := h.Chats.Store.SetAway(ctx, p.AccountID, p.ID, f.Status == "away"); err != nil {
			return ChatFrame{}, err
		}
		h.presenceChanged(ctx, p.AccountID)
		if f.Status == "online" {
			// Back from away: the oldest queued chats they may take.
			if err := h.Drain(ctx, p.AccountID, p.ID); err != nil {
				return ChatFrame{}, err
			}
		}
		return ChatFrame{Type: "presence", Presence: f.Status}, nil
	case "templates", "suggest", "saveTemplate":
		return h.templateAction(ctx, c, p, f)
	}
	return ChatFrame{}, apperr.New(apperr.Invalid, "unknown action %q", f.Action)
}

// templateAction answers the operator's canned-answer actions in the
// language of the chat they are answering (SPEC §2.4: the chat's language
// picks the set).
func (h *Hub) templateAction(ctx context.Context, c Connection, p chat.Party, f Frame) (ChatFrame, error) {
	ts := h.Chats.Templates
	if ts == nil {
		return ChatFrame{}, apperr.New(apperr.Forbidden, "templates are not available here")
	}
	ch, err := h.Chats.Service.Chat(ctx, p, f.ChatID)
	if err != nil {
		return ChatFrame{}, err
	}
	caller := templates.Caller{AccountID: p.AccountID, PersonID: p.ID, Role: auth.Role(c.Role)}
	switch f.Action {
	case "templates":
		sections, err := ts.ForChat(ctx, caller, ch.Language)
		if err != nil {
			return ChatFrame{}, err
		}
		view := &TemplatesView{Language: ch.Language, Sections: make([]SectionView, 0, len(sections))}
		for _, s := range sections {
			view.Sections = append(view.Sections, SectionView{Section: s.Name, Templates: viewTemplates(s.Templates)})
		}
		return ChatFrame{Type: "templates", ChatID: ch.ID, TemplatesView: view}, nil
	case "suggest":
		found, err := ts.Suggest(ctx, caller, ch.Language, f.Text, templates.DefaultSuggestions)
		if err != nil {
			return ChatFrame{}, err
		}
		return ChatFrame{Type: "suggestions", ChatID: ch.ID, SuggestionsView: &SuggestionsView{Suggestions: viewTemplates(found)}}, nil
	default: // saveTemplate
		t, err := ts.SaveAnswer(ctx, caller, ch.Language, f.Section, f.Title, f.Text)
		if err != nil {
			return ChatFrame{}, err
		}
		v := viewTemplate(t)
		return ChatFrame{Type: "template", ChatID: ch.ID, Template: &v}, nil
	}
}
