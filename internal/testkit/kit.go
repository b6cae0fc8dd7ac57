// Package testkit is the test tooling of the whole stack, one copy for every
// package's tests: Start runs the local stack, a Client calls it, SignUp,
// SignIn and Invite make the accounts and people a test needs, Eventually
// and Poll wait, Mails and MailedLink read the local SES, Decode and
// UniqueEmail do the small things every test repeats.
//
// Test tooling only: no product package imports it (layout_test.go keeps
// that true); the suite's and the bench's commands may. Its subpackages are
// the local AWS parts (testenv), the WebSocket client (wstest), the CRM
// services' stand-in (crmfake) and the SPEC §2 key matrix (keymatrix).
package testkit

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"parley/internal/local/stack"
	"parley/internal/local/streams"
	"parley/internal/testkit/testenv"
)

// TokenSecret signs the tokens of a stack Start runs unless an option says
// otherwise.
var TokenSecret = strings.Repeat("t", 32)

// Start runs the whole local stack on the test's own table, on the
// emulators testenv provides, and closes it when the test ends. The
// defaults read the stream from its start; each opt changes the options
// (limits, speeds, fault injection) before the stack starts.
func Start(t testing.TB, opts ...func(*stack.Options)) *stack.Stack {
	t.Helper()
	dbEndpoint, sesEndpoint := testenv.Endpoints(t)
	root, err := testenv.Root()
	if err != nil {
		t.Fatal(err)
	}
	o := stack.Options{Root: root, DynamoDBEndpoint: dbEndpoint, SESEndpoint: sesEndpoint,
		Table: testenv.TableName(t), TokenSecret: TokenSecret, StreamStart: streams.TrimHorizon}
	for _, f := range opts {
		if f != nil {
			f(&o)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	s, err := stack.Start(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// Decode unmarshals JSON into a T, failing the test when it is not one.
func Decode[T any](t testing.TB, raw []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("response %s: %v", raw, err)
	}
	return v
}
