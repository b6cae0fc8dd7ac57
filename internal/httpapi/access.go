package httpapi

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"parley/internal/account"
	"parley/internal/apperr"
)

func registerAccess(api *API, d Deps) {
	h := accessHandlers{d}
	api.Handle("POST /v1/auth/login", h.login)
	api.Handle("POST /v1/auth/refresh", h.refresh)
	api.Handle("POST /v1/auth/logout", h.logout)
	api.Handle("POST /v1/auth/password-reset", h.requestReset)
	api.Handle("POST /v1/auth/password", h.setPassword)
	api.Handle("POST /v1/auth/password/change", h.changePassword)
	api.Handle("GET /v1/account", h.account)
}

type accessHandlers struct{ Deps }

// signInResponse is the body of every call that starts or renews a
// session: login, refresh (and sign-up, which adds the account).
func (h accessHandlers) signInResponse(s account.SignIn) Response {
	return OK(map[string]any{"token": s.AccessToken, "refreshToken": s.RefreshToken,
		"expiresIn": int(s.ExpiresIn.Seconds()), "user": h.profile(s.Person)})
}

func (h accessHandlers) profile(p account.Person) profileView {
	return viewProfile(p, h.Public)
}

// rateLimited turns a refused attempt into 429 with Retry-After, which
// the error encoder cannot add.
func rateLimited(err error) (Response, error) {
	var re *account.RetryError
	if errors.As(err, &re) {
		return Response{Status: http.StatusTooManyRequests, JSON: apperr.ToBody(err),
			Headers: map[string]string{"retry-after": strconv.Itoa(re.Seconds())}}, nil
	}
	return Response{}, err
}

func (h accessHandlers) login(ctx context.Context, r Request) (Response, error) {
	var in struct {
		Email    string `json:"email"`
		Password string `json:"password"`
	}
	if err := DecodeJSON(r.Body, &in); err != nil {
		return Response{}, err
	}
	s, err := h.Accounts.Login(ctx, in.Email, in.Password, r.SourceIP)
	if err != nil {
		return rateLimited(err)
	}
	return h.signInResponse(s), nil
}

type refreshBody struct {
	RefreshToken string `json:"refreshToken"`
}

func (h accessHandlers) refresh(ctx context.Context, r Request) (Response, error) {
	var in refreshBody
	if err := DecodeJSON(r.Body, &in); err != nil {
		return Response{}, err
	}
	s, err := h.Accounts.Refresh(ctx, in.RefreshToken, r.SourceIP)
	if err != nil {
		return Response{}, err
	}
	return h.signInResponse(s), nil
}

func (h accessHandlers) logout(ctx context.Context, r Request) (Response, error) {
	var in refreshBody
	if err := DecodeJSON(r.Body, &in); err != nil {
		return Response{}, err
	}
	if err := h.Accounts.Logout(ctx, in.RefreshToken); err != nil {
		return Response{}, err
	}
	return Response{Status: http.StatusNoContent}, nil
}

// requestReset answers 202 whether or not the e-mail is known.
func (h accessHandlers) requestReset(ctx context.Context, r Request) (Response, error) {
	var in struct {
		Email string `json:"email"`
	}
	if err := DecodeJSON(r.Body, &in); err != nil {
		return Response{}, err
	}
	if err := h.Accounts.RequestReset(ctx, in.Email, r.SourceIP); err != nil {
		return rateLimited(err)
	}
	return Response{Status: http.StatusAccepted, JSON: map[string]any{"status": "if this e-mail has an account, a link to set a new password is on its way"}}, nil
}

// setPassword accepts an invitation or a reset. It starts no session: the
// person signs in next, which is where the limits on attempts and the IP
// allowlist apply.
func (h accessHandlers) setPassword(ctx context.Context, r Request) (Response, error) {
	var in struct {
		Token    string `json:"token"`
		Password string `json:"password"`
	}
	if err := DecodeJSON(r.Body, &in); err != nil {
		return Response{}, err
	}
	p, err := h.Accounts.SetPassword(ctx, in.Token, in.Password, r.SourceIP)
	if err != nil {
		return Response{}, err
	}
	return OK(map[string]any{"user": h.profile(p)}), nil
}

// changePassword is a signed-in person changing their own password: their
// other sessions end, this one goes on.
func (h accessHandlers) changePassword(ctx context.Context, r Request) (Response, error) {
	var in struct {
		CurrentPassword string `json:"currentPassword"`
		NewPassword     string `json:"newPassword"`
	}
	if err := DecodeJSON(r.Body, &in); err != nil {
		return Response{}, err
	}
	p, err := h.Accounts.ChangePassword(ctx, account.Actor{AccountID: r.Caller.AccountID, PersonID: r.Caller.PersonID, Role: r.Caller.Role},
		r.Caller.Session, in.CurrentPassword, in.NewPassword)
	if err != nil {
		return rateLimited(err)
	}
	return OK(map[string]any{"user": h.profile(p)}), nil
}

func (h accessHandlers) account(ctx context.Context, r Request) (Response, error) {
	a, err := h.Accounts.Account(ctx, r.Caller.AccountID)
	if err != nil {
		return Response{}, err
	}
	// websocketUrl is where the workplace connects (with ?token=): the
	// console learns it here, as the widget does from its config.
	return OK(map[string]any{"id": a.ID, "name": a.Name, "plan": a.Plan, "language": a.Language, "createdAt": a.CreatedAt,
		"websocketUrl": h.WebSocketURL}), nil
}
