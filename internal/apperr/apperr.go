// Package apperr is Parley's one error vocabulary. Domain code returns an
// *Error with a Code; the HTTP and WebSocket adapters map codes to statuses
// and frames in one place (Status). Internal errors are logged by the
// adapter and never shown to clients.
package apperr

import (
	"errors"
	"fmt"
	"net/http"
)

// Code is a machine-readable error kind, fixed by SPEC §5.
type Code string

// The codes of SPEC §5.
const (
	Invalid            Code = "invalid"
	Unauthorized       Code = "unauthorized"
	Forbidden          Code = "forbidden"
	NotFound           Code = "not_found"
	Conflict           Code = "conflict"
	PreconditionFailed Code = "precondition_failed"
	TooLarge           Code = "too_large"
	RateLimited        Code = "rate_limited"
	Internal           Code = "internal"
)

// Error is a failure a client may see. Fields maps dotted setting keys (or
// request fields) to what is wrong with each.
type Error struct {
	Code    Code
	Message string
	Fields  map[string]string
	// Confirm, when set, names the explicit confirmation that would let
	// the same request through (e.g. "lockout": ?confirm=lockout), so a
	// client can ask its user instead of reading the message.
	Confirm string
}

func (e *Error) Error() string {
	if len(e.Fields) == 0 {
		return fmt.Sprintf("%s: %s", e.Code, e.Message)
	}
	return fmt.Sprintf("%s: %s %v", e.Code, e.Message, e.Fields)
}

// New makes an error with a code and a message.
func New(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Fields makes an Invalid error with one message per offending key; it
// returns nil when fields is empty, so validators can end with
// `return apperr.Fields(errs)`.
func Fields(fields map[string]string) error {
	if len(fields) == 0 {
		return nil
	}
	return &Error{Code: Invalid, Message: "Some values are not valid.", Fields: fields}
}

// CodeOf returns the code of err, Internal for anything that is not an *Error.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// Public returns what a client may see of err: the *Error itself, or a
// generic internal error that hides the cause.
func Public(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Code: Internal, Message: "internal error"}
}

var statuses = map[Code]int{
	Invalid:            http.StatusUnprocessableEntity,
	Unauthorized:       http.StatusUnauthorized,
	Forbidden:          http.StatusForbidden,
	NotFound:           http.StatusNotFound,
	Conflict:           http.StatusConflict,
	PreconditionFailed: http.StatusPreconditionFailed,
	TooLarge:           http.StatusRequestEntityTooLarge,
	RateLimited:        http.StatusTooManyRequests,
	Internal:           http.StatusInternalServerError,
}

// Status is the HTTP status for a code.
func Status(code Code) int {
	if s, ok := statuses[code]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// Body is the JSON shape of an error response (SPEC §5).
type Body struct {
	Error BodyError `json:"error"`
}

// BodyError is the inner object of Body.
type BodyError struct {
	Code    Code              `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
	Confirm string            `json:"confirm,omitempty"`
}

// ToBody converts err to the response body a client sees.
func ToBody(err error) Body {
	e := Public(err)
	return Body{Error: BodyError{Code: e.Code, Message: e.Message, Fields: e.Fields, Confirm: e.Confirm}}
}
