package httpapi

import (
	"context"
	"strconv"
	"time"

	"parley/internal/apperr"
	"parley/internal/chat"
)

func registerChats(api *API, d Deps) {
	h := chatHandlers{d}
	api.Handle("GET /v1/chats", h.list)
	api.Handle("GET /v1/chats/{chatId}", h.get)
}

type chatHandlers struct{ Deps }

func (h chatHandlers) party(r Request) chat.Party {
	return chat.Party{AccountID: r.Caller.AccountID, Kind: chat.FromOperator, ID: r.Caller.PersonID, Role: r.Caller.Role}
}

// list is the history: GET /v1/chats?from=&to=&operatorId=&departmentId=
// &category=&rating=&status=&offline=&limit=&cursor=. Dates are YYYY-MM-DD days in
// the account's time zone (to inclusive) or RFC 3339 instants; the default
// is the last 7 days.
func (h chatHandlers) list(ctx context.Context, r Request) (Response, error) {
	doc, err := h.Settings.Document(ctx, r.Caller.AccountID)
	if err != nil {
		return Response{}, err
	}
	q, err := parseChatQuery(r.Query, doc.Company.Location(), h.Now())
	if err != nil {
		return Response{}, err
	}
	page, err := h.Chats.History(ctx, h.party(r), q)
	if err != nil {
		return Response{}, err
	}
	items := make([]chatJSON, 0, len(page.Chats))
	for _, c := range page.Chats {
		items = append(items, viewChatJSON(c))
	}
	out := map[string]any{"items": items}
	if page.Next != "" {
		out["next"] = page.Next
	}
	return OK(out), nil
}

// get is one chat with a page of its transcript:
// GET /v1/chats/{chatId}?since=&limit=; next, when present, is the since
// of the following page.
func (h chatHandlers) get(ctx context.Context, r Request) (Response, error) {
	since, limit, err := parseTranscriptQuery(r.Query)
	if err != nil {
		return Response{}, err
	}
	page, err := h.Chats.Transcript(ctx, h.party(r), r.Path["chatId"], since, limit)
	if err != nil {
		return Response{}, err
	}
	msgs := make([]map[string]any, 0, len(page.Messages))
	for _, m := range page.Messages {
		msgs = append(msgs, map[string]any{"seq": m.Seq, "from": map[string]any{"kind": m.From, "id": m.SenderID}, "text": m.Text, "at": m.At})
	}
	out := map[string]any{"chat": viewChatJSON(page.Chat), "messages": msgs}
	if page.Next > 0 {
		out["next"] = page.Next
	}
	return OK(out), nil
}

// parseTranscriptQuery reads since (a seq, 0 for the start) and limit.
// Errors: apperr.Invalid per offending parameter.
func parseTranscriptQuery(in map[string]string) (since int64, limit int, err error) {
	fields := map[string]string{}
	if s := in["since"]; s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			fields["since"] = "must be a message seq (an integer from 0): the next of the previous page"
		}
		since = n
	}
	if s := in["limit"]; s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > chat.MaxTranscriptPage {
			fields["limit"] = "must be an integer from 1 to " + strconv.Itoa(chat.MaxTranscriptPage)
		}
		limit = n
	}
	return since, limit, apperr.Fields(fields)
}

// parseChatQuery reads the history's filters. Errors: apperr.Invalid with
// one message per offending parameter.
func parseChatQuery(in map[string]string, loc *time.Location, now time.Time) (chat.Query, error) {
	fields := map[string]string{}
	q := chat.Query{OperatorID: in["operatorId"], DepartmentID: in["departmentId"], Category: in["category"], Cursor: in["cursor"], VisitorID: in["visitorId"]}
	if len(q.VisitorID) > 64 {
		fields["visitorId"] = "must be a visitor id of at most 64 characters"
	}
	q.To = now.Add(time.Second)
	q.From = now.AddDate(0, 0, -7)
	parse := func(name string, endOfDay bool) (time.Time, bool) {
		s := in[name]
		if s == "" {
			return time.Time{}, false
		}
		if t, err := time.Parse(time.RFC3339, s); err == nil {
			return t, true
		}
		d, err := time.ParseInLocation(time.DateOnly, s, loc)
		if err != nil {
			fields[name] = "must be a day YYYY-MM-DD (in the account's time zone) or an RFC 3339 time"
			return time.Time{}, false
		}
		if endOfDay {
			d = d.AddDate(0, 0, 1)
		}
		return d, true
	}
	if t, ok := parse("from", false); ok {
		q.From = t
	}
	if t, ok := parse("to", true); ok {
		q.To = t
	}
	if s := in["rating"]; s != "" {
		r, err := chat.ParseRating(s)
		if err != nil {
			fields["rating"] = apperr.Public(err).Message
		}
		q.Rating = r
	}
	if s := in["status"]; s != "" {
		st, err := chat.ParseStatus(s)
		if err != nil {
			fields["status"] = apperr.Public(err).Message
		}
		q.Status = st
	}
	if s := in["outcome"]; s != "" {
		o, err := chat.ParseOutcome(s)
		if err != nil {
			fields["outcome"] = apperr.Public(err).Message
		}
		q.Outcome = o
	}
	if s := in["offline"]; s != "" {
		b, err := strconv.ParseBool(s)
		if err != nil || (s != "true" && s != "false") {
			fields["offline"] = "must be true or false"
		}
		q.Offline = &b
	}
	if s := in["limit"]; s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 100 {
			fields["limit"] = "must be an integer from 1 to 100"
		}
		q.Limit = n
	}
	if q.Cursor != "" && !chat.ValidID(q.Cursor) {
		fields["cursor"] = "is not a cursor this API returned"
	}
	if len(fields) == 0 && !q.To.After(q.From) {
		fields["to"] = "must be after from"
	}
	return q, apperr.Fields(fields)
}

type chatJSON struct {
	ID            string      `json:"id"`
	Status        chat.Status `json:"status"`
	VisitorID     string      `json:"visitorId"`
	OperatorID    string      `json:"operatorId,omitempty"`
	DepartmentID  string      `json:"departmentId,omitempty"`
	Language      string      `json:"language"`
	Category      string      `json:"category,omitempty"`
	Priority      bool        `json:"priority"`
	Page          string      `json:"page,omitempty"`
	Rating        chat.Rating `json:"rating,omitempty"`
	Question      string      `json:"question,omitempty"`
	Offline       bool        `json:"offline"`
	Unanswered    bool        `json:"unanswered"`
	OfflineName   string      `json:"offlineName,omitempty"`
	Contact       string      `json:"offlineContact,omitempty"`
	StartedAt     time.Time   `json:"startedAt"`
	AssignedAt    time.Time   `json:"assignedAt,omitzero"`
	AnsweredAt    time.Time   `json:"answeredAt,omitzero"`
	ClosedAt      time.Time   `json:"closedAt,omitzero"`
	VisitorClosed bool        `json:"visitorClosed"`
	Messages      int64       `json:"messages"`
	// Outcome and the timeouts that acted (issue 14).
	Outcome      chat.Outcome `json:"outcome,omitempty"`
	OutcomeAt    time.Time    `json:"outcomeAt,omitzero"`
	LeftAt       time.Time    `json:"leftAt,omitzero"`
	BusyFirstAt  time.Time    `json:"busyFirstAt,omitzero"`
	BusyAnswerAt time.Time    `json:"busyAnswerAt,omitzero"`
	// Channel is where the visitor writes from: widget, telegram or vk.
	Channel string `json:"channel"`
}

func viewChatJSON(c chat.Chat) chatJSON {
	return chatJSON{ID: c.ID, Status: c.Status, VisitorID: c.VisitorID, OperatorID: c.OperatorID, DepartmentID: c.DepartmentID, Language: c.Language,
		Category: c.Category, Priority: c.Priority, Page: c.Page, Rating: c.Rating, Question: c.Question, Offline: c.Offline, Unanswered: c.Unanswered, OfflineName: c.OfflineName,
		Contact: c.OfflineContact, StartedAt: c.StartedAt, AssignedAt: c.AssignedAt, AnsweredAt: c.AnsweredAt, ClosedAt: c.ClosedAt,
		VisitorClosed: c.VisitorClosed, Messages: c.Seq, Outcome: c.Outcome, OutcomeAt: c.OutcomeAt, LeftAt: c.LeftAt,
		BusyFirstAt: c.BusyFirstAt, BusyAnswerAt: c.BusyAnswerAt, Channel: c.ChannelName()}
}
