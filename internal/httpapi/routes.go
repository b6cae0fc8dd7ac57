package httpapi

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"parley/internal/account"
	"parley/internal/apperr"
	"parley/internal/auth"
	"parley/internal/chat"
	"parley/internal/crm"
	"parley/internal/settings"
	"parley/internal/stats"
	"parley/internal/templates"
	"parley/internal/visitor"
	"parley/internal/webhook"
)

// Deps are what the HTTP handlers call.
type Deps struct {
	Accounts *account.Service
	// Settings reads and writes the settings document (SPEC §4.1).
	Settings *settings.Service
	// Widget is what the widget loads before a chat.
	Widget *chat.Widget
	Tokens *auth.Signer
	Now    func() time.Time
	Public string // the deployment's own base URL
	// WebSocketURL is where clients open the WebSocket; the widget config
	// tells them, so no client needs it built in.
	WebSocketURL string
	// Templates are the canned answers of SPEC §2.4.
	Templates *templates.Service
	// Visitors identifies visitors signed by their site (SPEC §4.11).
	Visitors *visitor.Service
	// Chats is the chat history (GET /v1/chats).
	Chats *chat.Service
	// Webhooks is the delivery log and its actions (SPEC §4.9).
	Webhooks *webhook.Enqueuer
	// Exports is the Unisender contact export (SPEC §2.8).
	Exports crm.Exports
	// Stats is the statistics (GET /v1/stats).
	Stats *stats.Service
	// Channels answer the messengers' webhooks (SPEC §4.12); nil: the
	// routes are not served.
	Channels ChannelEndpoints
}

// Register adds every handler of the HTTP API.
func Register(api *API, d Deps) {
	h := handlers{d}
	api.Handle("GET /v1/health", h.health)
	api.Handle("POST /v1/accounts", h.createAccount)
	api.Handle("GET /v1/audit", h.audit)
	api.Handle("GET /v1/widget/{accountId}/config", h.widgetConfig)
	registerSettings(api, d)
	registerTemplates(api, d)
	registerAccess(api, d)
	registerPeople(api, d)
	registerDepartments(api, d)
	registerVisitors(api, d)
	registerChats(api, d)
	registerWebhooks(api, d)
	registerCRM(api, d)
	registerStats(api, d)
	registerChannels(api, d)
}

type handlers struct{ Deps }

// health proves the function reaches its table: one GetItem.
func (h handlers) health(ctx context.Context, r Request) (Response, error) {
	_, err := h.Accounts.Account(ctx, "health-probe")
	if err != nil && apperr.CodeOf(err) != apperr.NotFound {
		return Response{}, err
	}
	return OK(map[string]any{"status": "ok", "time": h.Now().UTC()}), nil
}

type personView struct {
	ID        string `json:"id"`
	AccountID string `json:"accountId"`
	Email     string `json:"email"`
	Name      string `json:"name"`
	Role      string `json:"role"`
}

func viewPerson(p account.Person) personView {
	return personView{ID: p.ID, AccountID: p.AccountID, Email: p.Email, Name: p.Name, Role: string(p.Role)}
}

func (h handlers) createAccount(ctx context.Context, r Request) (Response, error) {
	var in account.SignUp
	if err := DecodeJSON(r.Body, &in); err != nil {
		return Response{}, err
	}
	in.SourceIP = r.SourceIP
	a, admin, err := h.Accounts.Create(ctx, in)
	if err != nil {
		return rateLimited(err)
	}
	signIn, err := h.Accounts.StartSession(ctx, admin)
	if err != nil {
		return Response{}, err
	}
	return Response{Status: http.StatusCreated, JSON: map[string]any{
		"account": map[string]any{"id": a.ID, "name": a.Name, "plan": a.Plan, "language": a.Language},
		"user":    viewPerson(admin), "token": signIn.AccessToken, "refreshToken": signIn.RefreshToken,
		"expiresIn": int(signIn.ExpiresIn.Seconds()),
	}}, nil
}

func (h handlers) audit(ctx context.Context, r Request) (Response, error) {
	var before int64
	if s := r.Query["before"]; s != "" {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil || v < 1 {
			return Response{}, &apperr.Error{Code: apperr.Invalid, Message: "before must be a positive version number", Fields: map[string]string{"before": "must be a positive integer"}}
		}
		before = v
	}
	entries, err := h.Settings.Audit(ctx, r.Caller.AccountID, before)
	if err != nil {
		return Response{}, err
	}
	items := make([]map[string]any, 0, len(entries))
	for _, e := range entries {
		items = append(items, map[string]any{"version": e.Version, "at": e.At, "by": e.By, "changes": e.Changes})
	}
	out := map[string]any{"items": items}
	if len(entries) == settings.AuditPage {
		out["next"] = strconv.FormatInt(entries[len(entries)-1].Version, 10)
	}
	return OK(out), nil
}

// widgetConfig is what the widget loads before showing the button (no
// token): the button state from operators' presence, the language, the
// greeting, and the visitor's token — the one it sent if still valid, so a
// returning visitor is recognised, else a new one. The placement's options
// (askQuestion, askDepartment, language) shape the pre-chat form.
func (h handlers) widgetConfig(ctx context.Context, r Request) (Response, error) {
	c, err := h.Widget.Config(ctx, r.Path["accountId"], r.Query["visitorToken"], r.Query)
	if err != nil {
		return Response{}, err
	}
	out := map[string]any{
		"accountId":       c.AccountID,
		"button":          c.Button,
		"language":        c.Language,
		"askQuestion":     c.AskQuestion,
		"greeting":        c.Greeting,
		"logoUrl":         c.LogoURL,
		"inviteAvatarUrl": c.InviteAvatarURL,
		"visitorId":       c.VisitorID,
		"visitorToken":    c.VisitorToken,
		"websocketUrl":    h.WebSocketURL,
		// The widget offers "mail me the transcript" only when allowed.
		"visitorTranscriptEmail": c.VisitorTranscriptEmail,
	}
	if c.OpenChat {
		out["openChat"] = true
	}
	if c.Departments != nil {
		out["departments"] = c.Departments // the pre-chat form's choice
	}
	return OK(out), nil
}
