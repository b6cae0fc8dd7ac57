package crm

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"parley/internal/settings"
	"parley/internal/webhook"
)

// Unisender: each new visitor's e-mail or phone joins the list named
// integration.unisender.listName, made when missing; the contact export
// (export.go) copies the history's contacts into it. API on
// https://api.unisender.com/ru/api/{method}?format=json, every call a form
// POST with api_key (the key from the account's "Integration and API"
// page; unchanged since the source document).
type unisenderService struct{}

func (unisenderService) Name() string { return "unisender" }

func (unisenderService) Configured(doc settings.Document) bool {
	u := doc.Integration.Unisender
	return u.APIKey != "" && u.ListName != ""
}

func (unisenderService) Deliveries(_ settings.Document, ev webhook.Event) []webhook.Event {
	if ev == webhook.ChatStart {
		return []webhook.Event{UnisenderAdd}
	}
	return nil
}

// UnisenderImportLimit is the most contacts one importContacts call takes.
const UnisenderImportLimit = 500

type unisender struct{ in *Integrations }

// call posts a method's form and decodes its result. Unisender answers 200
// with {"error": ..., "code": ...} when a call fails: a wrong key
// (invalid_api_key, access_denied) is not retried, its rate limits are,
// other codes (a bad argument) fail for good.
func (u *unisender) call(ctx context.Context, cl caller, key, method string, form url.Values, result any) *webhook.Outcome {
	base := "https://api.unisender.com"
	if u.in.Config.UnisenderURL != "" {
		base = u.in.Config.UnisenderURL
	}
	form.Set("api_key", key)
	h := http.Header{}
	h.Set("content-type", "application/x-www-form-urlencoded")
	var out struct {
		Result json.RawMessage `json:"result"`
		Error  string          `json:"error"`
		Code   string          `json:"code"`
	}
	status, o := cl.do(ctx, http.MethodPost, base+"/ru/api/"+method+"?format=json", h, []byte(form.Encode()), &out)
	if o != nil {
		return o
	}
	switch {
	case out.Code == "invalid_api_key" || out.Code == "access_denied":
		return &webhook.Outcome{Status: status, Error: "Unisender refused the key (" + out.Code + "): check " + cl.authHint}
	case strings.HasPrefix(out.Code, "api_call_limit_exceeded") || out.Code == "too_many_requests":
		return &webhook.Outcome{Status: status, Retry: true, Error: "Unisender " + method + ": " + out.Code}
	case out.Error != "" || out.Code != "":
		return &webhook.Outcome{Status: status, Error: "Unisender " + method + ": " + out.Code + " " + out.Error}
	}
	if result != nil {
		if err := json.Unmarshal(out.Result, result); err != nil {
			return &webhook.Outcome{Status: status, Retry: true, Error: "Unisender " + method + " answered a result that could not be read"}
		}
	}
	return nil
}

func (u *unisender) caller(c webhook.Sender, d *webhook.Delivery, now time.Time) caller {
	return caller{client: c, d: d, now: now, service: "Unisender", authHint: "integration.unisender.apiKey (Unisender → Settings → Integration and API)"}
}

// list finds the list named in the settings, making it when missing.
func (u *unisender) list(ctx context.Context, cl caller, s settings.Unisender) (string, *webhook.Outcome) {
	var lists []struct {
		ID    int64  `json:"id"`
		Title string `json:"title"`
	}
	if o := u.call(ctx, cl, s.APIKey, "getLists", url.Values{}, &lists); o != nil {
		return "", o
	}
	for _, l := range lists {
		if strings.EqualFold(strings.TrimSpace(l.Title), strings.TrimSpace(s.ListName)) {
			return strconv.FormatInt(l.ID, 10), nil
		}
	}
	var made struct {
		ID int64 `json:"id"`
	}
	if o := u.call(ctx, cl, s.APIKey, "createList", url.Values{"title": {s.ListName}}, &made); o != nil {
		return "", o
	}
	return strconv.FormatInt(made.ID, 10), nil
}

func (u *unisender) subscribe(ctx context.Context, c webhook.Sender, doc settings.Document, d *webhook.Delivery, now time.Time) webhook.Outcome {
	s := doc.Integration.Unisender
	if !(unisenderService{}).Configured(doc) {
		return fail("Unisender is no longer set up (integration.unisender)")
	}
	b, err := body(d)
	if err != nil {
		return fail("unreadable delivery: %v", err)
	}
	p := visitorPerson(b.Data.Visitor)
	if p.Email == "" && p.Phone == "" {
		return delivered // nothing to subscribe: the visitor gave no contact
	}
	cl := u.caller(c, d, now)
	list, o := u.list(ctx, cl, s)
	if o != nil {
		return *o
	}
	form := url.Values{"list_ids": {list}, "double_optin": {"3"}, "overwrite": {"0"}}
	if p.Email != "" {
		form.Set("fields[email]", p.Email)
	}
	if p.Phone != "" {
		form.Set("fields[phone]", p.Phone)
	}
	if p.Name != "" {
		form.Set("fields[Name]", p.Name)
	}
	if o := u.call(ctx, cl, s.APIKey, "subscribe", form, nil); o != nil {
		return *o
	}
	return webhook.Outcome{Delivered: true, Status: http.StatusOK}
}
