package realtime_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"parley/internal/apperr"
	"parley/internal/ratelimit"
	"parley/internal/realtime"
)

// brokenStore fails every connection read as the store would on an outage.
type brokenStore struct{ realtime.Store }

func (brokenStore) Connection(context.Context, string) (realtime.Connection, error) {
	return realtime.Connection{}, errors.New("dynamo: connection: request timed out")
}

// TestInternalErrorKeepsClientID: a frame that fails inside is answered
// with an internal error frame that names the frame's clientId (so the
// client knows which request failed) and never the cause.
func TestInternalErrorKeepsClientID(t *testing.T) {
	h := &realtime.Hub{Store: brokenStore{}}
	reply, err := h.Handle(t.Context(), "c1", []byte(`{"action":"sendMessage","clientId":"msg-7","chatId":"x","text":"hi"}`))
	if err == nil {
		t.Fatal("the failure was not reported for logging")
	}
	var f struct {
		Type     string `json:"type"`
		ClientID string `json:"clientId"`
		Error    struct {
			Code    apperr.Code `json:"code"`
			Message string      `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(reply, &f); err != nil {
		t.Fatalf("reply %q: %v", reply, err)
	}
	if f.Type != "error" || f.ClientID != "msg-7" || f.Error.Code != apperr.Internal || f.Error.Message != "internal error" {
		t.Fatalf("reply %s, want an internal error frame for msg-7 without the cause", reply)
	}
}

// TestRateLimitedFrameSaysWhen: a refused action's error frame carries
// rate_limited and retryAfter in whole seconds.
func TestRateLimitedFrameSaysWhen(t *testing.T) {
	err := &ratelimit.RetryError{RetryAfter: 1500 * time.Millisecond, Err: apperr.New(apperr.RateLimited, "too many messages")}
	var f struct {
		ClientID string `json:"clientId"`
		Error    struct {
			Code       apperr.Code `json:"code"`
			RetryAfter int         `json:"retryAfter"`
		} `json:"error"`
	}
	if e := json.Unmarshal(realtime.ErrorFrame(err, "m1"), &f); e != nil {
		t.Fatal(e)
	}
	if f.ClientID != "m1" || f.Error.Code != apperr.RateLimited || f.Error.RetryAfter != 2 {
		t.Fatalf("frame %+v, want rate_limited for m1 with retryAfter 2", f)
	}
}
