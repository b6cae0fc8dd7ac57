package crm

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"parley/internal/settings"
	"parley/internal/webhook"
)

// Zoho CRM: a lead per new chat, Lead Source = integration.zoho.leadSource.
// Zoho retired its authtoken and password sign-in for OAuth 2.0; what an
// administrator can paste is a Self Client's credentials: the password
// field takes "{client id}:{client secret}" (and, outside the US data
// centre, ":{accounts server}", e.g. accounts.zoho.eu), the auth token
// field the refresh token. Each attempt trades the refresh token for an
// access token at {accounts}/oauth/v2/token (cached for its hour) and
// inserts the lead with POST {api_domain}/crm/v8/Leads, header
// "Authorization: Zoho-oauthtoken {access token}".
type zohoService struct{}

func (zohoService) Name() string { return "zoho" }

func (zohoService) Configured(doc settings.Document) bool {
	_, err := parseZohoClient(doc.Integration.Zoho.Password)
	return err == nil && doc.Integration.Zoho.AuthToken != ""
}

func (zohoService) Deliveries(_ settings.Document, ev webhook.Event) []webhook.Event {
	if ev == webhook.ChatStart {
		return []webhook.Event{ZohoLead}
	}
	return nil
}

// zohoClient is the Self Client the password field names.
type zohoClient struct {
	ID, Secret, Accounts string
}

// parseZohoClient reads "{client id}:{client secret}[:{accounts server}]".
func parseZohoClient(s string) (zohoClient, error) {
	parts := strings.Split(strings.TrimSpace(s), ":")
	if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" {
		return zohoClient{}, errZohoClient
	}
	c := zohoClient{ID: parts[0], Secret: parts[1], Accounts: "accounts.zoho.com"}
	if len(parts) == 3 {
		host := strings.ToLower(parts[2])
		if !strings.HasPrefix(host, "accounts.zoho.") || strings.ContainsAny(host, "/@?#") || len(host) > 40 {
			return zohoClient{}, errZohoClient
		}
		c.Accounts = host
	}
	return c, nil
}

type zohoError string

func (e zohoError) Error() string { return string(e) }

const errZohoClient = zohoError("integration.zoho.password must be {client id}:{client secret} of a Zoho Self Client, optionally :{accounts server}")

type zoho struct{ in *Integrations }

// zohoTokens caches access tokens by Self Client and refresh token, so a
// busy account does not trade its refresh token for every lead (Zoho
// limits how many access tokens one makes).
var zohoTokens = struct {
	sync.Mutex
	m map[[32]byte]zohoToken
}{m: map[[32]byte]zohoToken{}}

type zohoToken struct {
	access, apiDomain string
	until             time.Time
}

func (z *zoho) caller(c webhook.Sender, d *webhook.Delivery, now time.Time) caller {
	return caller{client: c, d: d, now: now, service: "Zoho CRM", authHint: "integration.zoho.password ({client id}:{client secret} of a Self Client) and integration.zoho.authToken (its refresh token)"}
}

func (z *zoho) token(ctx context.Context, cl caller, cli zohoClient, refresh string, fresh bool) (zohoToken, *webhook.Outcome) {
	key := sha256.Sum256([]byte(cli.ID + "\x00" + cli.Secret + "\x00" + cli.Accounts + "\x00" + refresh))
	zohoTokens.Lock()
	t, ok := zohoTokens.m[key]
	zohoTokens.Unlock()
	if ok && !fresh && cl.now.Before(t.until) {
		return t, nil
	}
	base := "https://" + cli.Accounts
	if z.in.Config.ZohoAccountsURL != "" {
		base = z.in.Config.ZohoAccountsURL
	}
	form := url.Values{"grant_type": {"refresh_token"}, "client_id": {cli.ID}, "client_secret": {cli.Secret}, "refresh_token": {refresh}}
	h := http.Header{}
	h.Set("content-type", "application/x-www-form-urlencoded")
	var out struct {
		AccessToken string `json:"access_token"`
		APIDomain   string `json:"api_domain"`
		ExpiresIn   int    `json:"expires_in"`
		Error       string `json:"error"`
	}
	if _, o := cl.do(ctx, http.MethodPost, base+"/oauth/v2/token", h, []byte(form.Encode()), &out); o != nil {
		return t, o
	}
	if out.Error != "" || out.AccessToken == "" {
		// Zoho answers 200 with {"error": "invalid_code"} (or invalid_client)
		// for a wrong refresh token or client: not worth retrying.
		return t, &webhook.Outcome{Status: 200, Error: "Zoho CRM refused the credentials (" + out.Error + "): check " + cl.authHint}
	}
	t = zohoToken{access: out.AccessToken, apiDomain: out.APIDomain, until: cl.now.Add(time.Duration(max(out.ExpiresIn-300, 60)) * time.Second)}
	if z.in.Config.ZohoAPIURL != "" {
		t.apiDomain = z.in.Config.ZohoAPIURL
	} else if u, err := url.Parse(t.apiDomain); err != nil || u.Scheme != "https" || !strings.HasPrefix(u.Host, "www.zohoapis.") || u.Path != "" {
		return t, &webhook.Outcome{Error: "Zoho's token answer named an unexpected api_domain"}
	}
	zohoTokens.Lock()
	zohoTokens.m[key] = t
	zohoTokens.Unlock()
	return t, nil
}

func (z *zoho) lead(ctx context.Context, c webhook.Sender, doc settings.Document, d *webhook.Delivery, now time.Time) webhook.Outcome {
	s := doc.Integration.Zoho
	cli, err := parseZohoClient(s.Password)
	if err != nil || s.AuthToken == "" {
		return fail("Zoho CRM is not set up: %s", errZohoClient)
	}
	b, err := body(d)
	if err != nil {
		return fail("unreadable delivery: %v", err)
	}
	p := visitorPerson(b.Data.Visitor)
	rec := map[string]any{"Last_Name": p.displayName(b.Data.Visitor.ID), "Description": strings.TrimSpace(b.Data.Chat.Question + "\n" + b.Data.Chat.Page)}
	if p.Email != "" {
		rec["Email"] = p.Email
	}
	if p.Phone != "" {
		rec["Phone"] = p.Phone
	}
	if s.LeadSource != "" {
		rec["Lead_Source"] = s.LeadSource
	}
	raw, _ := json.Marshal(map[string]any{"data": []any{rec}, "trigger": []string{}})
	cl := z.caller(c, d, now)
	for fresh := false; ; fresh = true {
		t, o := z.token(ctx, cl, cli, s.AuthToken, fresh)
		if o != nil {
			return *o
		}
		h := http.Header{}
		h.Set("authorization", "Zoho-oauthtoken "+t.access)
		h.Set("content-type", "application/json")
		var out struct {
			Data []struct {
				Code    string `json:"code"`
				Status  string `json:"status"`
				Message string `json:"message"`
			} `json:"data"`
		}
		status, o := cl.do(ctx, http.MethodPost, t.apiDomain+"/crm/v8/Leads", h, raw, &out)
		if o != nil && status == http.StatusUnauthorized && !fresh {
			continue // the cached access token expired early: one fresh one
		}
		if o != nil {
			return *o
		}
		if len(out.Data) != 1 || out.Data[0].Status != "success" {
			msg := "no result"
			if len(out.Data) == 1 {
				msg = out.Data[0].Code + " " + out.Data[0].Message
			}
			return webhook.Outcome{Status: status, Error: "Zoho CRM did not add the lead: " + msg}
		}
		return webhook.Outcome{Delivered: true, Status: status}
	}
}
