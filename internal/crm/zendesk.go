package crm

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"parley/internal/settings"
	"parley/internal/webhook"
)

// Zendesk: a ticket per new chat with the visitor as requester when they
// gave an e-mail, and the transcript as a private comment when the chat
// closes for good. Tickets API v2 on https://{subdomain}.zendesk.com,
// basic auth "{login}/token:{apiToken}" (Zendesk retired password
// sign-in to the API; the field takes an API token).
type zendeskService struct{}

func (zendeskService) Name() string { return "zendesk" }

func (zendeskService) Configured(doc settings.Document) bool {
	z := doc.Integration.Zendesk
	return z.Subdomain != "" && z.Login != "" && z.APIToken != ""
}

func (zendeskService) Deliveries(_ settings.Document, ev webhook.Event) []webhook.Event {
	switch ev {
	case webhook.ChatStart:
		return []webhook.Event{ZendeskTicket}
	case webhook.ChatClose:
		return []webhook.Event{ZendeskComment}
	}
	return nil
}

type zendesk struct{ in *Integrations }

// linkTicket keys a chat's ticket id in Links.
const linkTicket = "zendesk-ticket"

func (z *zendesk) base(doc settings.Document) string {
	if z.in.Config.ZendeskURL != "" {
		return z.in.Config.ZendeskURL
	}
	return "https://" + doc.Integration.Zendesk.Subdomain + ".zendesk.com"
}

func (z *zendesk) caller(c webhook.Sender, d *webhook.Delivery, now time.Time, doc settings.Document) (caller, http.Header) {
	s := doc.Integration.Zendesk
	h := http.Header{}
	h.Set("authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(s.Login+"/token:"+s.APIToken)))
	h.Set("content-type", "application/json")
	h.Set("accept", "application/json")
	return caller{client: c, d: d, now: now, service: "Zendesk", authHint: "integration.zendesk.login and integration.zendesk.apiToken (an API token from Admin Center → Apps and integrations → Zendesk API)"}, h
}

type zdTicket struct {
	Ticket struct {
		ID int64 `json:"id"`
	} `json:"ticket"`
}

func (z *zendesk) ticket(ctx context.Context, c webhook.Sender, doc settings.Document, d *webhook.Delivery, now time.Time) webhook.Outcome {
	if !(zendeskService{}).Configured(doc) {
		return fail("Zendesk is no longer set up (integration.zendesk)")
	}
	b, err := body(d)
	if err != nil {
		return fail("unreadable delivery: %v", err)
	}
	if id, err := z.in.Links.Link(ctx, d.AccountID, linkTicket, b.Data.Chat.ID); err != nil {
		return retry("reading the chat's ticket: %v", err)
	} else if id != "" && id != ticketFailed {
		return delivered // made by an earlier attempt whose answer was recorded
	}
	o := z.makeTicket(ctx, c, doc, d, b, now)
	if !o.Delivered && !o.Retry {
		// Failed for good: the close's comment need not wait for it.
		_ = z.in.Links.SetLink(ctx, d.AccountID, linkTicket, b.Data.Chat.ID, ticketFailed)
	}
	return o
}

// ticketFailed is the link of a chat whose ticket failed for good (a
// redelivery may still make it).
const ticketFailed = "failed"

func (z *zendesk) makeTicket(ctx context.Context, c webhook.Sender, doc settings.Document, d *webhook.Delivery, b webhook.Body, now time.Time) webhook.Outcome {
	p := visitorPerson(b.Data.Visitor)
	subject := "Chat with " + p.displayName(b.Data.Visitor.ID)
	text := b.Data.Chat.Question
	if text == "" {
		text = "A chat started in Parley."
	}
	if b.Data.Chat.Page != "" {
		text += "\n\nPage: " + b.Data.Chat.Page
	}
	t := map[string]any{"subject": subject, "comment": map[string]any{"body": text}, "external_id": b.Data.Chat.ID, "tags": []string{"parley"}}
	if p.Email != "" {
		t["requester"] = map[string]any{"name": p.displayName(b.Data.Visitor.ID), "email": p.Email}
	}
	raw, _ := json.Marshal(map[string]any{"ticket": t})
	cl, h := z.caller(c, d, now, doc)
	var out zdTicket
	status, o := cl.do(ctx, http.MethodPost, z.base(doc)+"/api/v2/tickets.json", h, raw, &out)
	if o != nil {
		return *o
	}
	if out.Ticket.ID == 0 {
		return fail("Zendesk answered %d without a ticket id", status)
	}
	if err := z.in.Links.SetLink(ctx, d.AccountID, linkTicket, b.Data.Chat.ID, strconv.FormatInt(out.Ticket.ID, 10)); err != nil {
		return retry("storing the ticket id: %v", err)
	}
	return webhook.Outcome{Delivered: true, Status: status}
}

func (z *zendesk) comment(ctx context.Context, c webhook.Sender, doc settings.Document, d *webhook.Delivery, now time.Time) webhook.Outcome {
	if !(zendeskService{}).Configured(doc) {
		return fail("Zendesk is no longer set up (integration.zendesk)")
	}
	b, err := body(d)
	if err != nil {
		return fail("unreadable delivery: %v", err)
	}
	id, err := z.in.Links.Link(ctx, d.AccountID, linkTicket, b.Data.Chat.ID)
	if err != nil {
		return retry("reading the chat's ticket: %v", err)
	}
	switch id {
	case "":
		// The ticket's own delivery has not succeeded yet: wait for it.
		return retry("the chat's Zendesk ticket is not made yet")
	case ticketFailed:
		return fail("the chat's Zendesk ticket could not be made: see its delivery")
	}
	if b.Data.Close == nil {
		return fail("the delivery holds no closed chat")
	}
	raw, _ := json.Marshal(map[string]any{"ticket": map[string]any{"comment": map[string]any{
		"body": "Transcript of the chat (" + b.Data.Close.Outcome + "):\n\n" + transcript(b.Data.Close), "public": false}}})
	cl, h := z.caller(c, d, now, doc)
	status, o := cl.do(ctx, http.MethodPut, z.base(doc)+"/api/v2/tickets/"+id+".json", h, raw, nil)
	if o != nil {
		return *o
	}
	return webhook.Outcome{Delivered: true, Status: status}
}
