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
	"parley/internal/dynamo"
	"parley/internal/settings"
	"parley/internal/stats"
	"parley/internal/templates"
	"parley/internal/visitor"
	"parley/internal/webhook"
)

// Deps are what the HTTP handlers call.
type Deps struct {
	Accounts *account.Service
	Store    *dynamo.Store
	Tokens   *auth.Signer
	Now      func() time.Time
	Public   string // the deployment's own base URL
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
	// AllowLoopback accepts webhook URLs on loopback literals: the local
	// stack only (settings.WriteContext).
	AllowLoopback bool
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
}

type handlers struct{ Deps }

// health proves the function reaches its table: one GetItem.
func (h handlers) health(ctx context.Context, r Request) (Response, error) {
	_, err := h.Store.Account(ctx, "health-probe")
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
	entries, err := h.Store.Audit(ctx, r.Caller.AccountID, before, 50)
	if err != nil {
		return Response{}, err
	}
	items := make([]map[string]any, 0, len(entries))
	for _, e := range entries {
		items = append(items, map[string]any{"version": e.Version, "at": e.At, "by": e.By, "changes": rawJSON(e.Changes)})
	}
	out := map[string]any{"items": items}
	if len(entries) == 50 {
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
	accountID := r.Path["accountId"]
	acc, err := h.Store.Account(ctx, accountID)
	if err != nil {
		return Response{}, err
	}
	rec, err := h.Store.Settings(ctx, acc.ID)
	if err != nil {
		return Response{}, err
	}
	doc, err := settings.Load([]byte(rec.Doc))
	if err != nil {
		return Response{}, err
	}
	logoURL, inviteAvatarURL := widgetImageURLs(h.Deps, doc, acc.ID)
	visitor, err := h.Tokens.Verify(r.Query["visitorToken"], auth.Visitor)
	token := r.Query["visitorToken"]
	if err != nil || visitor.AccountID != acc.ID {
		visitor = auth.Principal{Kind: auth.Visitor, AccountID: acc.ID, Subject: account.NewID()}
		if token, err = h.Tokens.Issue(visitor, auth.VisitorTTL); err != nil {
			return Response{}, err
		}
	}
	pre, err := widgetPrechat(ctx, h.Deps, doc, acc.ID, r.Query)
	if err != nil {
		return Response{}, err
	}
	button, err := widgetButton(ctx, h.Deps, doc, acc.ID, visitor.Subject, pre.language)
	if err != nil {
		return Response{}, err
	}
	// A hidden button hides the offer of a new chat, never a chat going
	// on: a returning visitor with one (or with a closed one they have
	// not read yet) is told to show the widget anyway.
	openChat := false
	if button == chat.ButtonHidden && token == r.Query["visitorToken"] {
		_, _, openChat, err = h.Chats.Resume(ctx, chat.Party{AccountID: acc.ID, Kind: chat.FromVisitor, ID: visitor.Subject}, 0, 1)
		if err != nil {
			return Response{}, err
		}
	}
	out := map[string]any{
		"accountId":       acc.ID,
		"button":          button,
		"language":        pre.language,
		"askQuestion":     pre.askQuestion,
		"greeting":        doc.GreetingFor(pre.language),
		"logoUrl":         logoURL,
		"inviteAvatarUrl": inviteAvatarURL,
		"visitorId":       visitor.Subject,
		"visitorToken":    token,
		"websocketUrl":    h.WebSocketURL,
		// The widget offers "mail me the transcript" only when allowed.
		"visitorTranscriptEmail": doc.Features.VisitorTranscriptEmail,
	}
	if openChat {
		out["openChat"] = true
	}
	if pre.departments != nil {
		out["departments"] = pre.departments // the pre-chat form's choice
	}
	return OK(out), nil
}
