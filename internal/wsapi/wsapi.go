// Package wsapi is the WebSocket API adapter: it decodes API Gateway
// WebSocket events and calls the realtime hub. $connect refusals become HTTP
// statuses (the browser sees the upgrade fail); frame errors become error
// frames returned on the same connection.
package wsapi

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/aws/aws-lambda-go/events"

	"parley/internal/apperr"
	"parley/internal/realtime"
)

// Handler serves every route of the WebSocket API.
type Handler struct {
	Hub *realtime.Hub
	Log *slog.Logger
}

// Serve is the Lambda handler.
func (h *Handler) Serve(ctx context.Context, ev events.APIGatewayWebsocketProxyRequest) (events.APIGatewayProxyResponse, error) {
	rc := ev.RequestContext
	switch rc.RouteKey {
	case "$connect":
		if _, err := h.Hub.Connect(ctx, rc.ConnectionID, ev.QueryStringParameters, rc.Identity.SourceIP); err != nil {
			code := apperr.CodeOf(err)
			if code == apperr.Internal {
				h.Log.ErrorContext(ctx, "connect failed", "err", err)
			}
			return events.APIGatewayProxyResponse{StatusCode: apperr.Status(code)}, nil
		}
		return events.APIGatewayProxyResponse{StatusCode: http.StatusOK}, nil
	case "$disconnect":
		if err := h.Hub.Disconnect(ctx, rc.ConnectionID); err != nil {
			h.Log.ErrorContext(ctx, "disconnect cleanup failed", "err", err)
		}
		return events.APIGatewayProxyResponse{StatusCode: http.StatusOK}, nil
	}
	reply, err := h.Hub.Handle(ctx, rc.ConnectionID, []byte(ev.Body))
	if err != nil {
		if apperr.CodeOf(err) == apperr.Internal {
			h.Log.ErrorContext(ctx, "frame failed", "route", rc.RouteKey, "err", err)
		}
		if reply == nil {
			reply = realtime.ErrorFrame(err, "")
		}
	}
	return events.APIGatewayProxyResponse{StatusCode: http.StatusOK, Body: string(reply)}, nil
}
