// Package crmfake is a local server that answers as Zendesk, amoCRM, Zoho
// CRM and Unisender do, for the tests: it checks each request the way the
// service documents it (method, path, auth, required fields), answers with
// the service's own shapes, errors included, and records what it was
// given. Only tests use it.
package crmfake

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"parley/internal/crm"
)

// The credentials the fake accepts.
const (
	ZendeskLogin   = "agent@acme.example"
	ZendeskToken   = "zd-token-0123456789"
	AmoToken       = "amo-long-lived-token"
	ZohoClient     = "1000.CLIENTID:clientsecret"
	ZohoRefresh    = "1000.refresh.token"
	UnisenderKey   = "unisender-key-0123456789abcdef"
	zohoAccessLive = "1000.access.live"
)

// Ticket is a Zendesk ticket the fake made.
type Ticket struct {
	ID             int64
	Subject, Body  string
	RequesterEmail string
	ExternalID     string
	Comments       []string
}

// Server is the fake services on one loopback server.
type Server struct {
	*httptest.Server
	mu sync.Mutex
	// Tickets, AmoContacts (id → e-mail, phone, name), AmoLeads (lead →
	// contact id), ZohoLeads (their records), Lists (id → title),
	// Subscribed (list id → contacts), Imported (e-mail → times received).
	Tickets     []*Ticket
	AmoContacts map[int64][3]string
	AmoLeads    map[int64]int64
	ZohoLeads   []map[string]any
	Lists       map[int64]string
	Subscribed  map[int64][]string
	Imported    map[string]int
	ImportCalls int
	// FailImportCall answers 500 to that importContacts call (1-based),
	// taking none of its rows: an injected failure mid-export.
	FailImportCall int
	// Fail answers 500 to the next n requests whose path ends so.
	Fail map[string]int
	// Problems are requests that broke the documented shape.
	Problems []string
	nextID   int64
}

// Config points every service at the fake.
func (s *Server) Config() crm.Config {
	return crm.Config{ZendeskURL: s.URL, AmoCRMURL: s.URL, ZohoAccountsURL: s.URL, ZohoAPIURL: s.URL, UnisenderURL: s.URL}
}

// New starts the fake.
func New() *Server {
	s := &Server{AmoContacts: map[int64][3]string{}, AmoLeads: map[int64]int64{}, Lists: map[int64]string{}, Subscribed: map[int64][]string{},
		Imported: map[string]int{}, Fail: map[string]int{}, nextID: 1000}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// Lock and Unlock guard the recorded state for a test's reads.
func (s *Server) Lock()   { s.mu.Lock() }
func (s *Server) Unlock() { s.mu.Unlock() }

func (s *Server) problem(format string, a ...any) {
	s.Problems = append(s.Problems, fmt.Sprintf(format, a...))
}

func (s *Server) id() int64 { s.nextID++; return s.nextID }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("content-type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

var (
	zdTicketPath = regexp.MustCompile(`^/api/v2/tickets/(\d+)\.json$`)
)

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	defer s.mu.Unlock()
	for suffix, n := range s.Fail {
		if n > 0 && strings.HasSuffix(r.URL.Path, suffix) {
			s.Fail[suffix] = n - 1
			writeJSON(w, 500, map[string]any{"error": "injected"})
			return
		}
	}
	p := r.URL.Path
	switch {
	case p == "/api/v2/tickets.json" || zdTicketPath.MatchString(p):
		s.zendesk(w, r, raw)
	case strings.HasPrefix(p, "/api/v4/"):
		s.amo(w, r, raw)
	case p == "/oauth/v2/token" || p == "/crm/v8/Leads":
		s.zoho(w, r, raw)
	case strings.HasPrefix(p, "/ru/api/"):
		s.unisender(w, r, raw)
	default:
		s.problem("unknown %s %s", r.Method, p)
		http.NotFound(w, r)
	}
}

// Zendesk Tickets API v2: basic auth {email}/token:{api token}.
func (s *Server) zendesk(w http.ResponseWriter, r *http.Request, raw []byte) {
	want := "Basic " + base64.StdEncoding.EncodeToString([]byte(ZendeskLogin+"/token:"+ZendeskToken))
	if r.Header.Get("Authorization") != want {
		writeJSON(w, 401, map[string]any{"error": "Couldn't authenticate you"})
		return
	}
	if r.Header.Get("Content-Type") != "application/json" {
		s.problem("zendesk: content-type %q", r.Header.Get("Content-Type"))
	}
	var in struct {
		Ticket struct {
			Subject string `json:"subject"`
			Comment *struct {
				Body   string `json:"body"`
				Public *bool  `json:"public"`
			} `json:"comment"`
			Requester *struct {
				Name  string `json:"name"`
				Email string `json:"email"`
			} `json:"requester"`
			ExternalID string `json:"external_id"`
		} `json:"ticket"`
	}
	if err := json.Unmarshal(raw, &in); err != nil || in.Ticket.Comment == nil || in.Ticket.Comment.Body == "" {
		writeJSON(w, 422, map[string]any{"error": "RecordInvalid", "description": "Record validation errors", "details": map[string]any{"base": []any{map[string]any{"description": "Description: cannot be blank"}}}})
		return
	}
	if r.Method == http.MethodPost && r.URL.Path == "/api/v2/tickets.json" {
		t := &Ticket{ID: s.id(), Subject: in.Ticket.Subject, Body: in.Ticket.Comment.Body, ExternalID: in.Ticket.ExternalID}
		if in.Ticket.Requester != nil {
			t.RequesterEmail = in.Ticket.Requester.Email
		}
		s.Tickets = append(s.Tickets, t)
		writeJSON(w, 201, map[string]any{"ticket": map[string]any{"id": t.ID, "subject": t.Subject, "status": "new", "external_id": t.ExternalID}})
		return
	}
	m := zdTicketPath.FindStringSubmatch(r.URL.Path)
	if r.Method != http.MethodPut || m == nil {
		s.problem("zendesk: %s %s", r.Method, r.URL.Path)
		writeJSON(w, 404, map[string]any{"error": "InvalidEndpoint"})
		return
	}
	id, _ := strconv.ParseInt(m[1], 10, 64)
	for _, t := range s.Tickets {
		if t.ID == id {
			t.Comments = append(t.Comments, in.Ticket.Comment.Body)
			writeJSON(w, 200, map[string]any{"ticket": map[string]any{"id": t.ID}, "audit": map[string]any{}})
			return
		}
	}
	writeJSON(w, 404, map[string]any{"error": "RecordNotFound", "description": "Not found"})
}

// amoCRM API v4: Authorization: Bearer {long-lived token}.
func (s *Server) amo(w http.ResponseWriter, r *http.Request, raw []byte) {
	if r.Header.Get("Authorization") != "Bearer "+AmoToken {
		writeJSON(w, 401, map[string]any{"title": "Unauthorized", "type": "https://httpstatus.es/401", "status": 401, "detail": "Unauthorized"})
		return
	}
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/api/v4/contacts":
		q := r.URL.Query().Get("query")
		for id, c := range s.AmoContacts {
			if q != "" && (c[0] == q || c[1] == q) {
				writeJSON(w, 200, map[string]any{"_page": 1, "_embedded": map[string]any{"contacts": []any{map[string]any{"id": id, "name": c[2]}}}})
				return
			}
		}
		w.WriteHeader(http.StatusNoContent) // amoCRM answers 204 when nothing matches
	case r.Method == http.MethodPost && r.URL.Path == "/api/v4/contacts":
		var in []struct {
			Name      string `json:"name"`
			RequestID string `json:"request_id"`
			Fields    []struct {
				Code   string `json:"field_code"`
				Values []struct {
					Value string `json:"value"`
				} `json:"values"`
			} `json:"custom_fields_values"`
		}
		if err := json.Unmarshal(raw, &in); err != nil || len(in) != 1 || in[0].Name == "" {
			writeJSON(w, 400, map[string]any{"title": "Bad Request", "status": 400, "detail": "Request validation failed"})
			return
		}
		c := [3]string{"", "", in[0].Name}
		for _, f := range in[0].Fields {
			if len(f.Values) == 1 && f.Code == "EMAIL" {
				c[0] = f.Values[0].Value
			} else if len(f.Values) == 1 && f.Code == "PHONE" {
				c[1] = f.Values[0].Value
			} else {
				s.problem("amocrm: field %+v", f)
			}
		}
		id := s.id()
		s.AmoContacts[id] = c
		writeJSON(w, 200, map[string]any{"_links": map[string]any{}, "_embedded": map[string]any{"contacts": []any{map[string]any{"id": id, "request_id": in[0].RequestID}}}})
	case r.Method == http.MethodPost && r.URL.Path == "/api/v4/leads":
		var in []struct {
			Name     string `json:"name"`
			Embedded struct {
				Contacts []struct {
					ID int64 `json:"id"`
				} `json:"contacts"`
			} `json:"_embedded"`
		}
		if err := json.Unmarshal(raw, &in); err != nil || len(in) != 1 || len(in[0].Embedded.Contacts) != 1 {
			writeJSON(w, 400, map[string]any{"title": "Bad Request", "status": 400, "detail": "Request validation failed"})
			return
		}
		if _, ok := s.AmoContacts[in[0].Embedded.Contacts[0].ID]; !ok {
			s.problem("amocrm: lead for unknown contact %d", in[0].Embedded.Contacts[0].ID)
		}
		id := s.id()
		s.AmoLeads[id] = in[0].Embedded.Contacts[0].ID
		writeJSON(w, 200, map[string]any{"_embedded": map[string]any{"leads": []any{map[string]any{"id": id}}}})
	default:
		s.problem("amocrm: %s %s", r.Method, r.URL.Path)
		writeJSON(w, 404, map[string]any{"title": "Not Found", "status": 404})
	}
}

// Zoho: the token endpoint trades a refresh token for an access token
// (200 with {"error": "invalid_code"} when it is wrong); Leads insert
// takes Authorization: Zoho-oauthtoken {access token}.
func (s *Server) zoho(w http.ResponseWriter, r *http.Request, raw []byte) {
	if r.URL.Path == "/oauth/v2/token" {
		f, _ := url.ParseQuery(string(raw))
		id, secret, _ := strings.Cut(ZohoClient, ":")
		if r.Method != http.MethodPost || f.Get("grant_type") != "refresh_token" {
			s.problem("zoho token: %s %v", r.Method, f)
		}
		if f.Get("client_id") != id || f.Get("client_secret") != secret {
			writeJSON(w, 200, map[string]any{"error": "invalid_client"})
			return
		}
		if f.Get("refresh_token") != ZohoRefresh {
			writeJSON(w, 200, map[string]any{"error": "invalid_code"})
			return
		}
		writeJSON(w, 200, map[string]any{"access_token": zohoAccessLive, "api_domain": "https://www.zohoapis.com", "token_type": "Bearer", "expires_in": 3600})
		return
	}
	if r.Header.Get("Authorization") != "Zoho-oauthtoken "+zohoAccessLive {
		writeJSON(w, 401, map[string]any{"code": "INVALID_TOKEN", "details": map[string]any{}, "message": "invalid oauth token", "status": "error"})
		return
	}
	var in struct {
		Data []map[string]any `json:"data"`
	}
	if r.Method != http.MethodPost || json.Unmarshal(raw, &in) != nil || len(in.Data) == 0 {
		writeJSON(w, 400, map[string]any{"code": "INVALID_DATA", "message": "invalid data", "status": "error"})
		return
	}
	if _, ok := in.Data[0]["Last_Name"].(string); !ok {
		writeJSON(w, 400, map[string]any{"data": []any{map[string]any{"code": "MANDATORY_NOT_FOUND", "details": map[string]any{"api_name": "Last_Name"}, "message": "required field not found", "status": "error"}}})
		return
	}
	s.ZohoLeads = append(s.ZohoLeads, in.Data[0])
	writeJSON(w, 201, map[string]any{"data": []any{map[string]any{"code": "SUCCESS", "details": map[string]any{"id": strconv.FormatInt(s.id(), 10)}, "message": "record added", "status": "success"}}})
}

// Unisender: /ru/api/{method}?format=json, api_key in the form; errors are
// 200 with {"error", "code"}.
func (s *Server) unisender(w http.ResponseWriter, r *http.Request, raw []byte) {
	f, _ := url.ParseQuery(string(raw))
	if r.URL.Query().Get("format") != "json" || r.Method != http.MethodPost {
		s.problem("unisender: %s %s", r.Method, r.URL)
	}
	if f.Get("api_key") != UnisenderKey {
		writeJSON(w, 200, map[string]any{"error": "invalid api_key", "code": "invalid_api_key"})
		return
	}
	bad := func(msg string) { writeJSON(w, 200, map[string]any{"error": msg, "code": "invalid_arg"}) }
	switch strings.TrimPrefix(r.URL.Path, "/ru/api/") {
	case "getLists":
		out := []any{}
		for id, t := range s.Lists {
			out = append(out, map[string]any{"id": id, "title": t})
		}
		writeJSON(w, 200, map[string]any{"result": out})
	case "createList":
		if f.Get("title") == "" {
			bad("title is empty")
			return
		}
		for _, t := range s.Lists {
			if t == f.Get("title") {
				writeJSON(w, 200, map[string]any{"error": "list with this title already exists", "code": "unspecified"})
				return
			}
		}
		id := s.id()
		s.Lists[id] = f.Get("title")
		writeJSON(w, 200, map[string]any{"result": map[string]any{"id": id}})
	case "subscribe":
		id, _ := strconv.ParseInt(f.Get("list_ids"), 10, 64)
		c := f.Get("fields[email]") + f.Get("fields[phone]")
		if _, ok := s.Lists[id]; !ok || c == "" {
			bad("list_ids or fields missing")
			return
		}
		s.Subscribed[id] = append(s.Subscribed[id], c)
		writeJSON(w, 200, map[string]any{"result": map[string]any{"person_id": s.id()}})
	case "importContacts":
		s.ImportCalls++
		if s.ImportCalls == s.FailImportCall {
			writeJSON(w, 500, map[string]any{"error": "injected"})
			return
		}
		var names []string
		for i := 0; f.Has("field_names[" + strconv.Itoa(i) + "]"); i++ {
			names = append(names, f.Get("field_names["+strconv.Itoa(i)+"]"))
		}
		if len(names) == 0 || names[0] != "email" {
			bad("field_names")
			return
		}
		rows := 0
		for ; f.Has("data[" + strconv.Itoa(rows) + "][0]"); rows++ {
		}
		if rows > crm.UnisenderImportLimit {
			writeJSON(w, 200, map[string]any{"error": "too many rows", "code": "too_many_rows"})
			return
		}
		for i := range rows {
			e := f.Get("data[" + strconv.Itoa(i) + "][0]")
			if e == "" {
				e = f.Get("data[" + strconv.Itoa(i) + "][1]")
			}
			s.Imported[e]++
		}
		writeJSON(w, 200, map[string]any{"result": map[string]any{"total": rows, "inserted": rows, "updated": 0, "deleted": 0, "new_emails": rows, "invalid": 0, "log": []any{}}})
	default:
		s.problem("unisender: %s", r.URL.Path)
		writeJSON(w, 200, map[string]any{"error": "unknown method", "code": "invalid_arg"})
	}
}
