// Package crm sends chats and visitors to the CRM and mailing services of
// SPEC §2.8 and §4.13: a Zendesk ticket (and the transcript as a comment
// when the chat closes), an amoCRM contact and lead, a Zoho CRM lead, a
// Unisender subscription, and the Unisender contact export. Every call is
// a delivery of the webhook engine (internal/webhook): queued by the
// stream consumer, sent by the dispatcher with its SSRF-safe client,
// retried with back-off and shown in the delivery log, so a failing
// service never delays a chat. One file per service.
package crm

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"parley/internal/outbound"
	"parley/internal/settings"
	"parley/internal/webhook"
)

// Config overrides each service's base URL: the tests' local servers; ""
// is the service's own address. Not a user setting: only the deployment
// (the local stack) sets it.
type Config struct {
	ZendeskURL      string // instead of https://{subdomain}.zendesk.com
	AmoCRMURL       string // instead of https://{account}.amocrm.ru
	ZohoAccountsURL string // instead of https://accounts.zoho.com (or the accounts server in the setting)
	ZohoAPIURL      string // instead of the api_domain Zoho's token answer names
	UnisenderURL    string // instead of https://api.unisender.com
	// ExportBatch is the export's contacts per importContacts call
	// (default and at most UnisenderImportLimit).
	ExportBatch int
}

// Links keeps what a service answered that later deliveries need: the
// Zendesk ticket of a chat, the amoCRM contact of a visitor.
type Links interface {
	// Link reads a link; "" when there is none.
	Link(ctx context.Context, accountID, kind, key string) (string, error)
	// SetLink stores a link, replacing an earlier one.
	SetLink(ctx context.Context, accountID, kind, key, value string) error
}

// Integrations are the services, ready to hand to the webhook engine.
type Integrations struct {
	Config Config
	Links  Links
	// Export is the Unisender export's storage; nil: no export deliveries.
	Export ExportStore
	Now    func() time.Time
}

// Services are the services for webhook.Enqueuer.Services.
func (in *Integrations) Services() []webhook.Service {
	return []webhook.Service{zendeskService{}, amoService{}, zohoService{}, unisenderService{}}
}

// Targets are the senders of every delivery event, for
// webhook.Dispatcher.Targets.
func (in *Integrations) Targets() map[webhook.Event]webhook.Target {
	z, a, o, u := &zendesk{in}, &amo{in}, &zoho{in}, &unisender{in}
	return map[webhook.Event]webhook.Target{
		ZendeskTicket:   target(z.ticket),
		ZendeskComment:  target(z.comment),
		AmoCRMContact:   target(a.contact),
		ZohoLead:        target(o.lead),
		UnisenderAdd:    target(u.subscribe),
		UnisenderExport: target(u.exportBatch),
	}
}

// The delivery events, <service>.<action> as the log shows them.
const (
	ZendeskTicket   webhook.Event = "zendesk.ticket"
	ZendeskComment  webhook.Event = "zendesk.comment"
	AmoCRMContact   webhook.Event = "amocrm.contact"
	ZohoLead        webhook.Event = "zoho.lead"
	UnisenderAdd    webhook.Event = "unisender.subscribe"
	UnisenderExport webhook.Event = "unisender.export"
)

type target func(ctx context.Context, c webhook.Sender, doc settings.Document, d *webhook.Delivery, now time.Time) webhook.Outcome

func (t target) Send(ctx context.Context, c webhook.Sender, doc settings.Document, d *webhook.Delivery, now time.Time) webhook.Outcome {
	return t(ctx, c, doc, d, now)
}

// body reads a delivery's body: the event webhook's (webhook.Body).
func body(d *webhook.Delivery) (webhook.Body, error) {
	var b webhook.Body
	err := json.Unmarshal(d.Body, &b)
	return b, err
}

// caller makes one service's calls for one attempt, recording the target
// and the time spent on the delivery, and judging each answer.
type caller struct {
	client webhook.Sender
	d      *webhook.Delivery
	now    time.Time
	// service names the service in messages; authHint says which settings
	// to fix when it refuses the credentials.
	service, authHint string
}

// do sends a request and decodes a 2xx JSON answer into out (nil: none
// wanted). A failure comes back as the attempt's outcome: a refused
// credential (401, 403) is a message naming the settings and is not
// retried; 5xx, 408, 429 and lost connections are retried, as for a
// webhook.
func (c caller) do(ctx context.Context, method, url string, h http.Header, payload []byte, out any) (int, *webhook.Outcome) {
	if h == nil {
		h = http.Header{}
	}
	h.Set("user-agent", "Parley/1")
	c.d.Target = method + " " + outbound.Redact(url)
	resp, err := c.client.Do(ctx, outbound.Request{Method: method, URL: url, Header: h, Body: payload})
	c.d.Latency += resp.Latency
	o := webhook.Judge(resp, err, c.now)
	switch {
	case err == nil && (resp.Status == http.StatusUnauthorized || resp.Status == http.StatusForbidden):
		return resp.Status, &webhook.Outcome{Status: resp.Status, Error: fmt.Sprintf("%s refused the credentials (%d): check %s", c.service, resp.Status, c.authHint)}
	case !o.Delivered:
		o.Error = c.service + ": " + strings.Replace(o.Error, "the receiver", c.service, 1) + detail(resp.Body)
		return resp.Status, &o
	}
	if out != nil && resp.Status != http.StatusNoContent {
		if err := json.Unmarshal(resp.Body, out); err != nil {
			return resp.Status, &webhook.Outcome{Status: resp.Status, Retry: true, Error: c.service + " answered JSON that could not be read: " + err.Error()}
		}
	}
	return resp.Status, nil
}

// detail is the start of a service's error answer, for the log: services
// say there what was wrong with a field.
func detail(b []byte) string {
	s := strings.TrimSpace(string(b))
	if s == "" {
		return ""
	}
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return ": " + s
}

func fail(msg string, a ...any) webhook.Outcome {
	return webhook.Outcome{Error: fmt.Sprintf(msg, a...)}
}

func retry(msg string, a ...any) webhook.Outcome {
	return webhook.Outcome{Retry: true, Error: fmt.Sprintf(msg, a...)}
}

var delivered = webhook.Outcome{Delivered: true}

// person is who a chat's visitor is, from what they were identified with
// (SPEC §4.11) or typed into the offline form.
type person struct {
	Name, Email, Phone string
}

func visitorPerson(v webhook.VisitorData) person {
	p := person{Name: v.Identified["name"], Email: v.Identified["email"], Phone: v.Identified["phone"]}
	if p.Name == "" {
		p.Name = v.OfflineName
	}
	if c := strings.TrimSpace(v.OfflineContact); c != "" {
		if strings.Contains(c, "@") {
			if p.Email == "" {
				p.Email = c
			}
		} else if p.Phone == "" {
			p.Phone = c
		}
	}
	return p
}

// displayName is the person's name, or one made of the visitor's id.
func (p person) displayName(visitorID string) string {
	if p.Name != "" {
		return p.Name
	}
	if p.Email != "" {
		return p.Email
	}
	id := visitorID
	if len(id) > 8 {
		id = id[:8]
	}
	return "Visitor " + id
}

// transcript is a closed chat's messages as plain text.
func transcript(cl *webhook.CloseData) string {
	if cl == nil {
		return ""
	}
	var b strings.Builder
	if cl.TranscriptTruncated {
		b.WriteString("(earlier messages are in Parley's history)\n")
	}
	for _, m := range cl.Transcript {
		fmt.Fprintf(&b, "[%s] %s: %s\n", m.At.UTC().Format("2006-01-02 15:04:05"), m.From, m.Text)
	}
	return b.String()
}
