package stack_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"parley/internal/crm"
	"parley/internal/local/stack"
	"parley/internal/testkit"
	"parley/internal/testkit/crmfake"
	"parley/internal/visitor"
	"parley/internal/webhook"
)

// crmWorld is the chat world with the dispatcher running every second,
// every CRM service pointed at one local fake and set up with the
// credentials it accepts.
func crmWorld(t *testing.T) (*chatWorld, *crmfake.Server) {
	t.Helper()
	fake := crmfake.New()
	t.Cleanup(fake.Close)
	w := newChatWorldWith(t, func(o *stack.Options) {
		o.ScheduleSpeed, o.SweepWindow, o.OutboundAllowLoopback = 60, 900*time.Millisecond, true
		o.WebhookRetry = &webhook.Retry{First: time.Second, Max: time.Second, GiveUpAfter: time.Hour,
			Jitter: func(d time.Duration) time.Duration { return d }}
		o.CRM = fake.Config()
	})
	w.patch(t, "integration", map[string]any{
		"zendesk":   map[string]any{"subdomain": "acme", "login": crmfake.ZendeskLogin, "apiToken": crmfake.ZendeskToken},
		"amocrm":    map[string]any{"account": "acme", "email": "owner@acme.example", "apiKey": crmfake.AmoToken},
		"zoho":      map[string]any{"email": "owner@acme.example", "password": crmfake.ZohoClient, "authToken": crmfake.ZohoRefresh, "leadSource": "Parley chat"},
		"unisender": map[string]any{"apiKey": crmfake.UnisenderKey, "listName": "Parley visitors"},
	})
	return w, fake
}

// identifiedVisitor signs fields with the account's private key and
// returns a visitor token identified by them.
func identifiedVisitor(t *testing.T, w *chatWorld, key string, fields map[string]string) string {
	t.Helper()
	vtoken := w.config(t, "").Body["visitorToken"].(string)
	var keys []string
	for k := range fields {
		keys = append(keys, k)
	}
	sortStrings(keys)
	var lines []string
	for _, k := range keys {
		lines = append(lines, k+"="+fields[k])
	}
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write([]byte(strings.Join(lines, "\n")))
	if r := testkit.Call(t, "POST", w.api+"/widget/"+w.account+"/identify", "", map[string]any{"visitorToken": vtoken, "fields": fields,
		"signature": hex.EncodeToString(mac.Sum(nil))}); r.Status != 200 {
		t.Fatalf("identify: %+v", r)
	}
	return vtoken
}

func sortStrings(s []string) {
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
}

// TestCRMIntegrations: a chat started by an identified visitor, answered
// and closed by both sides makes the Zendesk ticket (the visitor as requester) and its
// transcript comment, the amoCRM contact and lead, the Zoho lead with the
// lead source and the Unisender subscription to the list (made first);
// the same visitor's second chat makes a second lead and ticket but no
// second contact. Then a wrong Zendesk token fails at once, named in the
// log's services as failing, with a message naming the settings, and is
// not retried.
func TestCRMIntegrations(t *testing.T) {
	w, fake := crmWorld(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	op := w.staff(t, ctx, "op1", w.op1.token)
	key := testkit.Call(t, "POST", w.api+"/settings/integration/private-key/regenerate", w.admin, nil).Body["privateKey"].(string)
	vtoken := identifiedVisitor(t, w, key, map[string]string{"id": "42", "name": "Ann Lee", "email": "ann@client.example", "phone": "+79990001122"})
	chat := func() string {
		vis := dialWS(t, ctx, "visitor", w.s.WebSocketURL+"?visitorToken="+url.QueryEscape(vtoken))
		id, _ := startChat(vis, "Do you ship to Omsk?")
		op.Call("chat", map[string]any{"action": "take", "chatId": id})
		op.Call("sent", map[string]any{"action": "sendMessage", "chatId": id, "text": "Yes, in 3 days"})
		op.Call("chat", map[string]any{"action": "setCategory", "chatId": id, "category": "Sales"})
		op.Call("chat", map[string]any{"action": "closeChat", "chatId": id})
		// The visitor closes their side: the chat is closed for good, which
		// is when the transcript goes to Zendesk.
		vis.Call("chat", map[string]any{"action": "closeChat", "chatId": id})
		return id
	}
	first := chat()
	done := func(tickets int) func() bool {
		return func() bool {
			fake.Lock()
			defer fake.Unlock()
			commented := 0
			for _, tk := range fake.Tickets {
				if len(tk.Comments) > 0 {
					commented++
				}
			}
			var subs int
			for _, s := range fake.Subscribed {
				subs += len(s)
			}
			return commented == tickets && len(fake.AmoLeads) == tickets && len(fake.ZohoLeads) == tickets && subs == tickets
		}
	}
	testkit.Eventually(t, "the first chat in every service", done(1))
	fake.Lock()
	tk := fake.Tickets[0]
	if tk.RequesterEmail != "ann@client.example" || tk.ExternalID != first || !strings.Contains(tk.Body, "Omsk") ||
		!strings.Contains(tk.Comments[0], "Do you ship to Omsk?") || !strings.Contains(tk.Comments[0], "Yes, in 3 days") {
		t.Errorf("zendesk ticket: %+v", tk)
	}
	if len(fake.AmoContacts) != 1 {
		t.Errorf("amocrm contacts: %v", fake.AmoContacts)
	}
	for _, c := range fake.AmoContacts {
		if c != [3]string{"ann@client.example", "+79990001122", "Ann Lee"} {
			t.Errorf("amocrm contact: %v", c)
		}
	}
	if l := fake.ZohoLeads[0]; l["Lead_Source"] != "Parley chat" || l["Email"] != "ann@client.example" || l["Last_Name"] != "Ann Lee" {
		t.Errorf("zoho lead: %v", l)
	}
	if len(fake.Lists) != 1 {
		t.Errorf("unisender lists: %v", fake.Lists)
	}
	for id, title := range fake.Lists {
		if title != "Parley visitors" || len(fake.Subscribed[id]) != 1 || fake.Subscribed[id][0] != "ann@client.example+79990001122" {
			t.Errorf("unisender list %d %q: %v", id, title, fake.Subscribed[id])
		}
	}
	fake.Unlock()

	chat() // the same visitor returns
	testkit.Eventually(t, "the second chat in every service", done(2))
	fake.Lock()
	if len(fake.AmoContacts) != 1 || len(fake.Lists) != 1 || len(fake.Problems) != 0 {
		t.Errorf("after a returning visitor: %d amocrm contacts, %d lists, problems %v", len(fake.AmoContacts), len(fake.Lists), fake.Problems)
	}
	fake.Unlock()

	// A wrong credential: a clear message, failed at the first attempt.
	w.patch(t, "integration", map[string]any{"zendesk": map[string]any{"apiToken": "revoked-token"}})
	chat()
	var ticket, comment map[string]any
	testkit.Eventually(t, "the failed zendesk ticket and comment", func() bool {
		r := testkit.Call(t, "GET", w.api+"/integrations/deliveries", w.admin, nil)
		failing := false
		for _, s := range r.Body["services"].([]any) {
			if m := s.(map[string]any); m["name"] == "zendesk" {
				failing = m["failing"] == true
			}
		}
		ticket, comment = nil, nil
		for _, it := range r.Body["items"].([]any) {
			m := it.(map[string]any)
			if m["status"] != "failed" {
				continue
			}
			if m["event"] == "zendesk.ticket" && ticket == nil {
				ticket = m
			}
			if m["event"] == "zendesk.comment" && comment == nil {
				comment = m
			}
		}
		return failing && ticket != nil && comment != nil
	})
	if ticket["attempts"] != float64(1) || ticket["lastResponseCode"] != float64(401) || !strings.Contains(ticket["lastError"].(string), "integration.zendesk.apiToken") ||
		strings.Contains(mustJSON(ticket), "revoked-token") {
		t.Fatalf("the failing zendesk ticket: %v", ticket)
	}
	if !strings.Contains(comment["lastError"].(string), "could not be made") {
		t.Fatalf("the comment of a chat without a ticket: %v", comment)
	}
}

// TestUnisenderExport: an export of 2,000 contacts goes in batches of 500
// (Unisender's limit), survives an injected failure of its second batch
// (retried after the back-off) with every contact sent exactly once, and
// reports its progress; a second export cancelled at once stops before
// its next batch.
func TestUnisenderExport(t *testing.T) {
	w, fake := crmWorld(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	const n = 2000
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := g; i < n; i += 8 {
				id := fmt.Sprintf("seed-%05d", i)
				if err := w.s.Store.SetVisitorIdentity(ctx, w.account, id, visitor.Fields{"id": id, "email": id + "@contacts.example"}, time.Now()); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	fake.Lock()
	fake.FailImportCall = 2
	fake.Unlock()
	r := testkit.Call(t, "POST", w.api+"/integrations/unisender/export", w.admin, nil)
	if r.Status != 202 || r.Body["status"] != "running" || r.Body["total"] != float64(n) || r.Body["done"] != float64(0) {
		t.Fatalf("start: %+v", r)
	}
	if r := testkit.Call(t, "POST", w.api+"/integrations/unisender/export", w.admin, nil); r.Status != 409 {
		t.Fatalf("a second start while running: %+v", r)
	}
	var progress []float64
	testkit.Eventually(t, "the export done", func() bool {
		r := testkit.Call(t, "GET", w.api+"/integrations/unisender/export", w.admin, nil)
		progress = append(progress, r.Body["done"].(float64))
		return r.Body["status"] == "done"
	})
	fake.Lock()
	if len(fake.Imported) != n || fake.ImportCalls != n/crmUnisenderLimit+1 {
		t.Errorf("%d contacts imported in %d calls, want %d in %d (one failed)", len(fake.Imported), fake.ImportCalls, n, n/crmUnisenderLimit+1)
	}
	for e, times := range fake.Imported {
		if times != 1 {
			t.Errorf("%s imported %d times", e, times)
		}
	}
	calls := fake.ImportCalls
	fake.Unlock()
	if r := testkit.Call(t, "GET", w.api+"/integrations/unisender/export", w.admin, nil); r.Body["done"] != float64(n) || r.Body["finishedAt"] == nil {
		t.Fatalf("the finished export: %+v (progress seen %v)", r.Body, progress)
	}

	// Cancelled at once: at most the batch already under way goes.
	if r := testkit.Call(t, "POST", w.api+"/integrations/unisender/export", w.admin, nil); r.Status != 202 {
		t.Fatalf("restart: %+v", r)
	}
	if r := testkit.Call(t, "DELETE", w.api+"/integrations/unisender/export", w.admin, nil); r.Status != 200 || r.Body["status"] != "canceled" {
		t.Fatalf("cancel: %+v", r)
	}
	time.Sleep(3 * time.Second) // three dispatcher ticks
	fake.Lock()
	if fake.ImportCalls > calls+1 {
		t.Errorf("after the cancel %d more import calls", fake.ImportCalls-calls)
	}
	fake.Unlock()
	if r := testkit.Call(t, "GET", w.api+"/integrations/unisender/export", w.admin, nil); r.Body["status"] != "canceled" {
		t.Fatalf("the cancelled export: %+v", r.Body)
	}
}

const crmUnisenderLimit = crm.UnisenderImportLimit
