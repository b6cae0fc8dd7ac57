package gateway

import (
	"encoding/json"
	"io"
	"net/http"
	"time"

	"github.com/coder/websocket"
)

// managementTimeLayout is how GetConnection renders its timestamps
// (ISO 8601 with milliseconds, UTC), which the SDK parses as date-time.
const managementTimeLayout = "2006-01-02T15:04:05.000Z"

// manage serves the @connections API: POST sends, GET describes, DELETE
// disconnects. Errors carry x-amzn-ErrorType, which is what the SDK maps to
// its typed exceptions (GoneException, PayloadTooLargeException, ...).
// Requests are not checked for a SigV4 signature: locally any credentials do.
func (ws *WebSocket) manage(w http.ResponseWriter, r *http.Request, id string) {
	w.Header().Set("X-Amzn-Requestid", randomUUID())
	switch r.Method {
	case http.MethodPost:
		data, err := io.ReadAll(io.LimitReader(r.Body, maxPostBytes+1))
		if err != nil {
			awsError(w, http.StatusBadRequest, "BadRequestException", "Could not read the request body")
			return
		}
		if len(data) > maxPostBytes {
			drain(r.Body)
			awsError(w, http.StatusRequestEntityTooLarge, "PayloadTooLargeException", "Request entity too large")
			return
		}
		if err := ws.Send(r.Context(), id, data); err != nil {
			gone(w)
			return
		}
		w.WriteHeader(http.StatusOK)

	case http.MethodGet:
		c := ws.lookup(id)
		if c == nil {
			gone(w)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"connectedAt": c.connectedAt.UTC().Format(managementTimeLayout),
			"identity": map[string]string{
				"sourceIp":  c.sourceIP,
				"userAgent": c.userAgent,
			},
			"lastActiveAt": time.UnixMilli(c.lastActive.Load()).UTC().Format(managementTimeLayout),
		})

	case http.MethodDelete:
		c := ws.lookup(id)
		if c == nil {
			gone(w)
			return
		}
		// Answer at once, as AWS does; the client's close and the
		// function's $disconnect follow asynchronously.
		c.closeAsync(websocket.StatusNormalClosure, "")
		w.WriteHeader(http.StatusNoContent)

	default:
		awsError(w, http.StatusForbidden, "ForbiddenException", "Missing Authentication Token")
	}
}

// gone is the 410 that tells a function to forget the connection.
func gone(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", "GoneException")
	w.WriteHeader(http.StatusGone)
	_, _ = io.WriteString(w, `{"message":null}`)
}

func awsError(w http.ResponseWriter, status int, errorType, message string) {
	w.Header().Set("X-Amzn-ErrorType", errorType)
	writeMessage(w, status, message)
}
