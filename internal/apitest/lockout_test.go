package apitest_test

import (
	"strings"
	"testing"
	"time"

	acct "parley/internal/account"
	"parley/internal/testkit"
	"parley/internal/visitor"
)

// security.allowedIps (SPEC §2.9, §4.15): a list that excludes the
// administrator's own address is refused with 422 on the key, saving
// nothing; the same request confirmed (?confirm=lockout, or the
// X-Parley-Confirm header) is saved, after which the administrator really
// is locked out of console routes, sign-in included, while an address on
// the list gets in with the same token and the visitors' widget routes
// keep working from the excluded address.
func TestAllowlistLockout(t *testing.T) {
	for _, c := range []struct {
		name    string
		path    string
		headers map[string]string
	}{
		{"query", "/v1/settings/security?confirm=lockout", nil},
		{"header", "/v1/settings/security", map[string]string{"X-Parley-Confirm": "lockout"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			a := e.signUp("basic")
			const home, office = "203.0.113.10", "198.51.100.7"
			list := "198.51.100.1-198.51.100.254, 192.0.2.1"
			adm := func(method, path string, body any, from string, headers map[string]string) testkit.Reply {
				t.Helper()
				return e.do(testkit.Request{Method: method, Path: path, Token: a.Admin, Body: body, From: from, Headers: headers})
			}

			// What the widget uses, prepared while the account has no list.
			key := expect(t, "regenerate the private key", adm("POST", "/v1/settings/integration/private-key/regenerate", nil, home, nil), 200).Body["privateKey"].(string)
			photo := expect(t, "the administrator's photo", e.do(testkit.Request{Method: "PUT", Path: "/v1/people/" + a.AdminID + "/photo", Token: a.Admin,
				Body: pngImage(t, 20, 20), ContentType: "image/png", From: home}), 200).Body["photoUrl"].(string)

			// Refused: the list leaves out the caller's address.
			refused := expect(t, "a list without the caller", adm("PATCH", "/v1/settings/security", map[string]any{"allowedIps": list}, home, nil), 422)
			f := refused.ErrorFields()
			msg, _ := f["security.allowedIps"].(string)
			confirm, _ := refused.Body["error"].(map[string]any)["confirm"].(string)
			if len(f) != 1 || !strings.Contains(msg, home) || refused.ErrorCode() != "invalid" || confirm != "lockout" {
				t.Errorf("refusal: %s, want 422 on security.allowedIps naming %s", refused.Raw, home)
			}
			if r := expect(t, "read back", adm("GET", "/v1/settings/security", nil, home, nil), 200); r.Body["allowedIps"] != "" {
				t.Fatalf("the refused list was saved: %v", r.Body)
			}
			// A list that includes the caller needs no confirmation.
			expect(t, "a list with the caller", adm("PATCH", "/v1/settings/security", map[string]any{"allowedIps": list + ", " + home}, home, nil), 200)

			// Confirmed: saved.
			saved := expect(t, "the same request, confirmed", adm("PATCH", c.path, map[string]any{"allowedIps": list}, home, c.headers), 200)
			if saved.Body["allowedIps"] != list {
				t.Fatalf("confirmed list: %v", saved.Body)
			}

			// Locked out, within the authorizer's cache time.
			deadline := time.Now().Add(2*acct.AllowlistCacheTTL + 5*time.Second)
			for {
				r := adm("GET", "/v1/account", nil, home, nil)
				if r.Status == 403 {
					break
				}
				if r.Status != 200 || time.Now().After(deadline) {
					t.Fatalf("GET /v1/account from the excluded address: %d %s, want 403 within %v", r.Status, r.Raw, 2*acct.AllowlistCacheTTL)
				}
				time.Sleep(200 * time.Millisecond)
			}
			expect(t, "settings from the excluded address", adm("GET", "/v1/settings", nil, home, nil), 403)
			expect(t, "a write from the excluded address", adm("PATCH", "/v1/settings/security", map[string]any{"allowedIps": ""}, home, c.headers), 403)
			login := expect(t, "sign-in from the excluded address", e.do(testkit.Request{Method: "POST", Path: "/v1/auth/login", From: home,
				Body: map[string]any{"email": a.AdminEmail, "password": adminPassword}}), 403)
			if login.ErrorCode() != "forbidden" {
				t.Errorf("sign-in refusal: %s", login.Raw)
			}
			expect(t, "refresh from the excluded address", e.do(testkit.Request{Method: "POST", Path: "/v1/auth/refresh", From: home,
				Body: map[string]any{"refreshToken": a.Refresh}}), 403)

			// The same token from a listed address still works.
			expect(t, "GET /v1/account from the office", adm("GET", "/v1/account", nil, office, nil), 200)

			// Visitors are never limited.
			cfg := expect(t, "widget config from the excluded address", e.do(testkit.Request{Method: "GET", Path: "/v1/widget/" + a.ID + "/config", From: home}), 200)
			expect(t, "the operator's photo from the excluded address", e.do(testkit.Request{Method: "GET", Path: photo, From: home}), 200)
			fields := map[string]string{"id": "7", "name": "Ann"}
			_, canonical, err := visitor.Canonical(fields)
			if err != nil {
				t.Fatal(err)
			}
			expect(t, "identify from the excluded address", e.do(testkit.Request{Method: "POST", Path: "/v1/widget/" + a.ID + "/identify", From: home,
				Body: map[string]any{"visitorToken": cfg.Body["visitorToken"], "fields": fields, "signature": visitor.Sign([]byte(key), canonical)}}), 200)

			// The office lifts the list; home gets in again.
			expect(t, "clear the list from the office", adm("PATCH", "/v1/settings/security", map[string]any{"allowedIps": ""}, office, nil), 200)
			testkit.Eventually(t, "home let in again", func() bool { return adm("GET", "/v1/account", nil, home, nil).Status == 200 })
		})
	}
}
