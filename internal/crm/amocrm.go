package crm

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"parley/internal/settings"
	"parley/internal/webhook"
)

// amoCRM: a contact per visitor who starts a dialog, with the name, e-mail
// and phone they gave or were identified with, and a lead per chat linked
// to it. API v4 on https://{account}.amocrm.ru. amoCRM retired the API key
// ("USER_LOGIN" and "USER_HASH") for OAuth 2.0; what an administrator can
// paste is a private integration's long-lived token, which the API key
// field takes ("Authorization: Bearer {token}"); the e-mail is not needed
// any more. A returning visitor is found again: by the contact id Parley
// kept for them, else by searching their e-mail or phone (GET
// /api/v4/contacts?query=), before one is made.
type amoService struct{}

func (amoService) Name() string { return "amocrm" }

func (amoService) Configured(doc settings.Document) bool {
	a := doc.Integration.AmoCRM
	return a.Account != "" && a.APIKey != ""
}

func (amoService) Deliveries(_ settings.Document, ev webhook.Event) []webhook.Event {
	if ev == webhook.ChatStart {
		return []webhook.Event{AmoCRMContact}
	}
	return nil
}

type amo struct{ in *Integrations }

// The links amoCRM deliveries keep: a visitor's contact, a chat's lead.
const (
	linkAmoContact = "amocrm-contact"
	linkAmoLead    = "amocrm-lead"
)

type amoEmbedded struct {
	Embedded struct {
		Contacts []struct {
			ID int64 `json:"id"`
		} `json:"contacts"`
		Leads []struct {
			ID int64 `json:"id"`
		} `json:"leads"`
	} `json:"_embedded"`
}

func (a *amo) contact(ctx context.Context, c webhook.Sender, doc settings.Document, d *webhook.Delivery, now time.Time) webhook.Outcome {
	s := doc.Integration.AmoCRM
	if !(amoService{}).Configured(doc) {
		return fail("amoCRM is no longer set up (integration.amocrm)")
	}
	b, err := body(d)
	if err != nil {
		return fail("unreadable delivery: %v", err)
	}
	base := "https://" + s.Account + ".amocrm.ru"
	if a.in.Config.AmoCRMURL != "" {
		base = a.in.Config.AmoCRMURL
	}
	h := http.Header{}
	h.Set("authorization", "Bearer "+s.APIKey)
	h.Set("content-type", "application/json")
	cl := caller{client: c, d: d, now: now, service: "amoCRM", authHint: "integration.amocrm.account and integration.amocrm.apiKey (a long-lived token of a private integration: amoCRM → Settings → Integrations)"}
	p := visitorPerson(b.Data.Visitor)
	vid := b.Data.Visitor.ID

	contact, err := a.in.Links.Link(ctx, d.AccountID, linkAmoContact, vid)
	if err != nil {
		return retry("reading the visitor's contact: %v", err)
	}
	if contact == "" {
		for _, q := range []string{p.Email, p.Phone} {
			if q == "" || contact != "" {
				continue
			}
			var found amoEmbedded
			if _, o := cl.do(ctx, http.MethodGet, base+"/api/v4/contacts?query="+url.QueryEscape(q)+"&limit=1", h, nil, &found); o != nil {
				return *o
			}
			if len(found.Embedded.Contacts) > 0 {
				contact = strconv.FormatInt(found.Embedded.Contacts[0].ID, 10)
			}
		}
	}
	if contact == "" {
		var fields []any
		if p.Email != "" {
			fields = append(fields, map[string]any{"field_code": "EMAIL", "values": []any{map[string]any{"value": p.Email, "enum_code": "WORK"}}})
		}
		if p.Phone != "" {
			fields = append(fields, map[string]any{"field_code": "PHONE", "values": []any{map[string]any{"value": p.Phone, "enum_code": "WORK"}}})
		}
		rec := map[string]any{"name": p.displayName(vid), "request_id": vid}
		if fields != nil {
			rec["custom_fields_values"] = fields
		}
		raw, _ := json.Marshal([]any{rec})
		var made amoEmbedded
		status, o := cl.do(ctx, http.MethodPost, base+"/api/v4/contacts", h, raw, &made)
		if o != nil {
			return *o
		}
		if len(made.Embedded.Contacts) != 1 {
			return fail("amoCRM answered %d without the contact", status)
		}
		contact = strconv.FormatInt(made.Embedded.Contacts[0].ID, 10)
	}
	if err := a.in.Links.SetLink(ctx, d.AccountID, linkAmoContact, vid, contact); err != nil {
		return retry("storing the visitor's contact: %v", err)
	}

	if lead, err := a.in.Links.Link(ctx, d.AccountID, linkAmoLead, b.Data.Chat.ID); err != nil {
		return retry("reading the chat's lead: %v", err)
	} else if lead != "" {
		return delivered
	}
	id, _ := strconv.ParseInt(contact, 10, 64)
	name := "Chat with " + p.displayName(vid)
	raw, _ := json.Marshal([]any{map[string]any{"name": name, "request_id": b.Data.Chat.ID,
		"_embedded": map[string]any{"contacts": []any{map[string]any{"id": id}}, "tags": []any{map[string]any{"name": "parley"}}}}})
	var made amoEmbedded
	status, o := cl.do(ctx, http.MethodPost, base+"/api/v4/leads", h, raw, &made)
	if o != nil {
		return *o
	}
	if len(made.Embedded.Leads) != 1 {
		return fail("amoCRM answered %d without the lead", status)
	}
	if err := a.in.Links.SetLink(ctx, d.AccountID, linkAmoLead, b.Data.Chat.ID, strconv.FormatInt(made.Embedded.Leads[0].ID, 10)); err != nil {
		return retry("storing the chat's lead: %v", err)
	}
	return webhook.Outcome{Delivered: true, Status: status}
}
