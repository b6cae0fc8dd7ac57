package apitest_test

import (
	"context"
	"maps"
	"testing"

	"parley/internal/testkit"
	"parley/internal/visitor"
)

// Signed visitor identification (SPEC §4.11) over HTTP: a bad signature is
// 422 and stores nothing; a visitor token of another account is 401; a
// valid signature with the account's private key attaches the fields,
// in either form (fields or the canonical payload); a later bad one
// leaves them as they were.
func TestIdentifyVisitor(t *testing.T) {
	e := newEnv(t)
	a := e.signUp("basic")
	b := e.signUp("basic")
	regen := func(acc account) string {
		r := e.do(testkit.Request{Method: "POST", Path: "/v1/settings/integration/private-key/regenerate", Token: acc.Admin})
		return expect(t, "regenerate", r, 200).Body["privateKey"].(string)
	}
	keyA, keyB := regen(a), regen(b)
	config := func(acc account) (id, token string) {
		r := expect(t, "widget config", e.do(testkit.Request{Method: "GET", Path: "/v1/widget/" + acc.ID + "/config"}), 200)
		return r.Body["visitorId"].(string), r.Body["visitorToken"].(string)
	}
	visitorA, tokenA := config(a)
	visitorB, tokenB := config(b)
	identify := func(accountID string, body map[string]any) testkit.Reply {
		return e.do(testkit.Request{Method: "POST", Path: "/v1/widget/" + accountID + "/identify", Body: body})
	}
	stored := func(accountID, visitorID string) visitor.Fields {
		t.Helper()
		f, err := e.stack.Store.VisitorIdentity(context.Background(), accountID, visitorID)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}

	fields := map[string]string{"id": "crm-42", "name": "Ann Lee", "email": "ann@shop.example"}
	_, canonical, err := visitor.Canonical(fields)
	if err != nil {
		t.Fatal(err)
	}
	if canonical != "email=ann@shop.example\nid=crm-42\nname=Ann Lee" {
		t.Fatalf("canonical form %q", canonical)
	}
	good := visitor.Sign([]byte(keyA), canonical)

	// Refused: the signature does not match, in every way it can not.
	tampered := maps.Clone(fields)
	tampered["id"] = "crm-43"
	for name, body := range map[string]map[string]any{
		"another account's key": {"visitorToken": tokenA, "fields": fields, "signature": visitor.Sign([]byte(keyB), canonical)},
		"tampered fields":       {"visitorToken": tokenA, "fields": tampered, "signature": good},
		"not hex":               {"visitorToken": tokenA, "fields": fields, "signature": "zz" + good[2:]},
		"empty signature":       {"visitorToken": tokenA, "fields": fields, "signature": ""},
	} {
		r := expect(t, name, identify(a.ID, body), 422)
		if f := r.ErrorFields(); len(f) != 1 || f["signature"] == nil {
			t.Errorf("%s: fields %v, want signature", name, f)
		}
	}
	both := expect(t, "fields and payload", identify(a.ID, map[string]any{"visitorToken": tokenA, "fields": fields, "payload": canonical, "signature": good}), 422)
	if both.ErrorFields()["payload"] == nil {
		t.Errorf("both forms: %s", both.Raw)
	}
	if f := stored(a.ID, visitorA); f != nil {
		t.Fatalf("a refused identification was stored: %v", f)
	}

	// A visitor token of account B on A's path, even with A's valid
	// signature: 401, and nothing stored for either.
	for _, tok := range []string{tokenB, "", "not-a-token"} {
		r := expect(t, "a foreign visitor token", identify(a.ID, map[string]any{"visitorToken": tok, "fields": fields, "signature": good}), 401)
		if r.ErrorCode() != "unauthorized" {
			t.Errorf("foreign token: %s", r.Raw)
		}
	}
	if stored(a.ID, visitorB) != nil || stored(b.ID, visitorB) != nil {
		t.Fatalf("a refused identification was stored for B's visitor")
	}

	// Valid: the fields are attached to the visitor.
	ok := expect(t, "valid", identify(a.ID, map[string]any{"visitorToken": tokenA, "fields": fields, "signature": good}), 200)
	if ok.Body["visitorId"] != visitorA || ok.Body["identified"] != true {
		t.Errorf("answer: %v", ok.Body)
	}
	if got := stored(a.ID, visitorA); !maps.Equal(got, visitor.Fields(fields)) {
		t.Fatalf("stored %v, want %v", got, fields)
	}

	// A later bad one changes nothing; the payload form replaces them.
	expect(t, "bad after good", identify(a.ID, map[string]any{"visitorToken": tokenA, "fields": tampered, "signature": good}), 422)
	if got := stored(a.ID, visitorA); !maps.Equal(got, visitor.Fields(fields)) {
		t.Fatalf("a refused identification changed the stored one: %v", got)
	}
	payload := "id=crm-42\nphone=+1 555 0100"
	expect(t, "payload form", identify(a.ID, map[string]any{"visitorToken": tokenA, "payload": payload, "signature": visitor.Sign([]byte(keyA), payload)}), 200)
	if got := stored(a.ID, visitorA); !maps.Equal(got, visitor.Fields{"id": "crm-42", "phone": "+1 555 0100"}) {
		t.Fatalf("after the payload form: %v", got)
	}

	// B's own visitor, with B's key, on B's path.
	expect(t, "B's visitor", identify(b.ID, map[string]any{"visitorToken": tokenB, "fields": fields, "signature": visitor.Sign([]byte(keyB), canonical)}), 200)
	if got := stored(b.ID, visitorB); !maps.Equal(got, visitor.Fields(fields)) {
		t.Fatalf("B's visitor: %v", got)
	}

	// A regenerated key: the old one no longer signs.
	regen(a)
	expect(t, "the replaced key", identify(a.ID, map[string]any{"visitorToken": tokenA, "fields": fields, "signature": good}), 422)
}
