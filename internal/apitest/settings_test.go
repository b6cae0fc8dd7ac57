package apitest_test

import (
	"encoding/json"
	"maps"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"parley/internal/routes"
	"parley/internal/settings"
	"parley/internal/testkit"
	"parley/internal/testkit/keymatrix"
)

// keyCase is one dotted key of SPEC §2 as the API shows it: its default on
// a new (ru, corporate) account, a PATCH body of its section that is
// accepted and the value a read then shows, and a PATCH body refused with
// 422 on exactly that key.
type keyCase struct {
	key    string
	def    string // JSON of the default, or one of the markers below
	ok     string
	okRead string
	bad    string
}

// Markers for defaults that are not one fixed value.
const (
	anyText       = "<non-empty text>"
	generatedMask = "<masked generated secret>"
	// firstAdmin is a list of the administrator who signed up: a new
	// account's notification lists start with them.
	firstAdmin = "<the first administrator's e-mail>"
)

// hex for the 48-character secrets, base64 for the webhook signing secret.
var maskedGenerated = regexp.MustCompile(`^••••[0-9A-Za-z+/=]{4}$`)

const botToken = "7012345678:AAF1kz9Qx_3mPz-8YtQwErTyUiOpAsDfGhJ"

// keyCases lists every key of the SPEC §2 key matrix
// (internal/testkit/keymatrix) as the API shows it; callbackURL and the
// masks of the generated secrets depend on the account and the stack, so
// they are passed in. Requests come from 127.0.0.1.
func keyCases(callbackURL, privateMask, vkMask string, sigMask string) []keyCase {
	keys, err := keymatrix.API(keymatrix.Vars{CallbackURL: callbackURL, PrivateKeyMask: privateMask, VKSecretMask: vkMask,
		SigningSecretMask: sigMask, CallerIP: "127.0.0.1"})
	if err != nil {
		panic(err)
	}
	out := make([]keyCase, len(keys))
	for i, k := range keys {
		def := k.Default
		if m := ""; json.Unmarshal([]byte(def), &m) == nil && slices.Contains([]string{anyText, generatedMask, firstAdmin}, m) {
			def = m // a marker, not a value
		}
		out[i] = keyCase{k.Key, def, k.OK, k.OKRead, k.Bad}
	}
	return out
}

// resets put a section back to a known state between cases: PUT resets
// every key it leaves out, except secrets, which a null group resets.
var resets = map[string]struct{ method, body string }{
	settings.SectionCompany:        {"PUT", `{"name":"Acme"}`},
	settings.SectionEmails:         {"PUT", `{"leftMessages":["left@acme.example"],"negativeReviews":["bad@acme.example"],"dailyReports":["daily@acme.example"]}`},
	settings.SectionClassification: {"PUT", `{}`},
	settings.SectionAutoMessages:   {"PUT", `{}`},
	settings.SectionLeads:          {"PUT", `{}`},
	settings.SectionFeatures:       {"PUT", `{}`},
	settings.SectionIntegration:    {"PATCH", `{"crmUrlTemplate":null,"telegram":null,"vk":null,"webhooks":null,"zendesk":null,"amocrm":null,"zoho":null,"unisender":null}`},
	settings.SectionSecurity:       {"PUT", `{}`},
	settings.SectionMisc:           {"PUT", `{}`},
}

// flatten turns the read form into dotted keys.
// objectKeys are the keys whose value is itself an object (a text per
// language), kept whole rather than flattened into its members.
var objectKeys = map[string]bool{"autoMessages.greetingByLanguage": true}

func flatten(prefix string, m map[string]any, out map[string]any) {
	for k, v := range m {
		key := k
		if prefix != "" {
			key = prefix + "." + k
		}
		if sub, ok := v.(map[string]any); ok && !objectKeys[key] {
			flatten(key, sub, out)
			continue
		}
		out[key] = v
	}
}

func asJSON(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("bad JSON in a case: %s: %v", s, err)
	}
	return v
}

// readKey is the value of a dotted key in a section's read form.
func readKey(section map[string]any, key string) any {
	flat := map[string]any{}
	name, _, _ := strings.Cut(key, ".")
	flatten(name, section, flat)
	return flat[key]
}

// Every key of SPEC §2 round-trips through the HTTP API: its default on a
// new account, an accepted value read back, and a refused value answered
// with 422 on exactly that key and nothing changed (ETag included).
func TestEveryKeyRoundTrips(t *testing.T) {
	e := newEnv(t)
	a := e.signUp("corporate")
	all := expect(t, "GET settings", e.do(testkit.Request{Method: "GET", Path: "/v1/settings", Token: a.Admin}), 200)
	defaults := map[string]any{}
	flatten("", all.Body, defaults)
	integration := all.Body["integration"].(map[string]any)
	cases := keyCases(e.stack.HTTPURL+"/v1/channels/vk/"+a.ID, integration["privateKey"].(string), integration["vk"].(map[string]any)["secretKey"].(string),
		integration["webhooks"].(map[string]any)["signingSecret"].(string))

	var covered []string
	for _, c := range cases {
		covered = append(covered, c.key)
	}
	if diff := cmp.Diff(slices.Sorted(maps.Keys(defaults)), slices.Sorted(slices.Values(covered))); diff != "" {
		t.Fatalf("keys of GET /v1/settings (-) vs keys with cases (+):\n%s", diff)
	}
	for _, c := range cases {
		got := defaults[c.key]
		switch c.def {
		case anyText:
			if s, ok := got.(string); !ok || s == "" {
				t.Errorf("%s: default %#v, want a non-empty text", c.key, got)
			}
		case firstAdmin:
			if diff := cmp.Diff([]any{a.AdminEmail}, got); diff != "" {
				t.Errorf("%s: default (-want +got):\n%s", c.key, diff)
			}
		case generatedMask:
			if s, ok := got.(string); !ok || !maskedGenerated.MatchString(s) {
				t.Errorf("%s: default %#v, want a masked generated secret", c.key, got)
			}
		default:
			if diff := cmp.Diff(asJSON(t, c.def), got); diff != "" {
				t.Errorf("%s: default (-want +got):\n%s", c.key, diff)
			}
		}
	}

	for _, c := range cases {
		t.Run(c.key, func(t *testing.T) {
			section, _, _ := strings.Cut(c.key, ".")
			path := "/v1/settings/" + section
			reset := resets[section]
			expect(t, "reset", e.do(testkit.Request{Method: reset.method, Path: path, Token: a.Admin, Body: json.RawMessage(reset.body)}), 200)

			ok := expect(t, "accepted PATCH", e.do(testkit.Request{Method: "PATCH", Path: path, Token: a.Admin, Body: json.RawMessage(c.ok)}), 200)
			if diff := cmp.Diff(asJSON(t, c.okRead), readKey(ok.Body, c.key)); diff != "" {
				t.Errorf("PATCH answer (-want +got):\n%s", diff)
			}
			read := expect(t, "GET", e.do(testkit.Request{Method: "GET", Path: path, Token: a.Admin}), 200)
			if diff := cmp.Diff(asJSON(t, c.okRead), readKey(read.Body, c.key)); diff != "" {
				t.Errorf("read back (-want +got):\n%s", diff)
			}
			if read.ETag() != ok.ETag() {
				t.Errorf("ETag of the read %s differs from the write's %s", read.ETag(), ok.ETag())
			}

			// The refusal is tried on the reset section, as the case was
			// written for it (a stored password would make a body
			// without one valid).
			expect(t, "reset", e.do(testkit.Request{Method: reset.method, Path: path, Token: a.Admin, Body: json.RawMessage(reset.body)}), 200)
			read = expect(t, "GET", e.do(testkit.Request{Method: "GET", Path: path, Token: a.Admin}), 200)
			bad := expect(t, "refused PATCH", e.do(testkit.Request{Method: "PATCH", Path: path, Token: a.Admin, Body: json.RawMessage(c.bad)}), 422)
			if f := bad.ErrorFields(); len(f) != 1 || f[c.key] == nil || f[c.key] == "" {
				t.Errorf("fields = %v, want exactly %s", f, c.key)
			}
			after := expect(t, "GET after refusal", e.do(testkit.Request{Method: "GET", Path: path, Token: a.Admin}), 200)
			if after.ETag() != read.ETag() {
				t.Errorf("a refused write changed the ETag: %s -> %s", read.ETag(), after.ETag())
			}
			if diff := cmp.Diff(read.Body, after.Body); diff != "" {
				t.Errorf("a refused write changed the section (-before +after):\n%s", diff)
			}
		})
	}
}

// A PUT or PATCH that is refused on several keys reports all of them and
// saves none, not even the valid ones.
func TestRefusedWriteIsAllOrNothing(t *testing.T) {
	e := newEnv(t)
	a := e.signUp("basic")
	before := expect(t, "GET", e.do(testkit.Request{Method: "GET", Path: "/v1/settings/autoMessages", Token: a.Admin}), 200)
	bad := expect(t, "PATCH", e.do(testkit.Request{Method: "PATCH", Path: "/v1/settings/autoMessages", Token: a.Admin,
		Body: map[string]any{"greeting": "Valid", "firstResponseTimeout": -5, "answerTimeout": "x", "nope": 1}}), 422)
	if f := bad.ErrorFields(); len(f) != 3 || f["autoMessages.firstResponseTimeout"] == nil || f["autoMessages.answerTimeout"] == nil || f["autoMessages.nope"] == nil {
		t.Errorf("fields = %v", f)
	}
	after := expect(t, "GET", e.do(testkit.Request{Method: "GET", Path: "/v1/settings/autoMessages", Token: a.Admin}), 200)
	if after.ETag() != before.ETag() || !cmp.Equal(before.Body, after.Body) {
		t.Errorf("a refused write changed something: %v -> %v", before.Body, after.Body)
	}

	// Categories need the Corporate plan: 403 with the key, nothing saved.
	plan := expect(t, "categories on basic", e.do(testkit.Request{Method: "PATCH", Path: "/v1/settings/classification", Token: a.Admin, Body: map[string]any{"categories": "Sport"}}), 403)
	if plan.ErrorCode() != "forbidden" || plan.ErrorFields()["classification.categories"] == nil {
		t.Errorf("plan refusal = %s", plan.Raw)
	}
	if r := e.do(testkit.Request{Method: "GET", Path: "/v1/settings/classification", Token: a.Admin}); r.Body["categories"] != "" {
		t.Errorf("categories saved on the basic plan: %v", r.Body)
	}
}

// adminRoutes are every admin-only route, with the path parameters filled
// in every way that names something (each section for {section}); other
// parameters name nothing, which does not matter: the authorizer refuses
// the role before any handler looks.
func adminRoutes(t *testing.T) []routes.HTTPRoute {
	t.Helper()
	var out []routes.HTTPRoute
	for _, r := range routes.HTTP {
		if r.Method != "GET" && strings.HasPrefix(r.Path, "/v1/settings") && !slices.Equal(r.Roles, routes.Admins) {
			t.Errorf("%s may be called by %v: settings writes are for administrators only", r.RouteKey(), r.Roles)
		}
		if !slices.Equal(r.Roles, routes.Admins) {
			continue
		}
		r.Path = strings.NewReplacer("{personId}", "nobody", "{departmentId}", "nothing").Replace(r.Path)
		if strings.Contains(r.Path, "{section}") {
			for _, s := range settings.Sections {
				out = append(out, routes.HTTPRoute{Method: r.Method, Path: strings.ReplaceAll(r.Path, "{section}", s), Roles: r.Roles})
			}
			continue
		}
		out = append(out, r)
	}
	return out
}

// Operators and supervisors get 403 on every settings write route (and
// every other admin-only route), and nothing changes.
func TestOnlyAdministratorsWriteSettings(t *testing.T) {
	e := newEnv(t)
	a := e.signUp("corporate")
	before := expect(t, "GET", e.do(testkit.Request{Method: "GET", Path: "/v1/settings", Token: a.Admin}), 200)
	writes := 0
	for _, role := range []routes.Role{routes.Operator, routes.Supervisor} {
		tok, _ := e.staff(a, role)
		for _, r := range adminRoutes(t) {
			var body any
			switch {
			case strings.HasSuffix(r.Path, "/logo") || strings.HasSuffix(r.Path, "/invite-avatar"):
				if r.Method == "PUT" {
					body = pngImage(t, 10, 10)
				}
			case r.Method == "PUT" || r.Method == "PATCH":
				body = json.RawMessage(`{}`)
			}
			got := e.do(testkit.Request{Method: r.Method, Path: r.Path, Token: tok, Body: body, ContentType: imageTypeFor(body)})
			if got.Status != 403 {
				t.Errorf("%s %s as %s: status %d, want 403", r.Method, r.Path, role, got.Status)
			}
			if r.Method != "GET" {
				writes++
			}
		}
		// They still read settings.
		expect(t, "GET as "+string(role), e.do(testkit.Request{Method: "GET", Path: "/v1/settings/company", Token: tok}), 200)
	}
	if writes < 2*(2*len(settings.Sections)+6) {
		t.Errorf("only %d write routes were tried", writes)
	}
	after := expect(t, "GET", e.do(testkit.Request{Method: "GET", Path: "/v1/settings", Token: a.Admin}), 200)
	if after.ETag() != before.ETag() || !cmp.Equal(before.Body, after.Body) {
		t.Errorf("a refused write changed the settings")
	}
}

func imageTypeFor(body any) string {
	if _, ok := body.([]byte); ok {
		return "image/png"
	}
	return ""
}

// A write naming an older ETag in If-Match gets 412 on every kind of
// settings write; the current ETag, its weak form and * are accepted.
func TestStaleIfMatch(t *testing.T) {
	e := newEnv(t)
	a := e.signUp("basic")
	first := expect(t, "GET", e.do(testkit.Request{Method: "GET", Path: "/v1/settings/company", Token: a.Admin}), 200)
	second := expect(t, "PATCH on the current ETag", e.do(testkit.Request{Method: "PATCH", Path: "/v1/settings/company", Token: a.Admin,
		Body: map[string]any{"name": "Acme Renamed"}, Headers: map[string]string{"If-Match": first.ETag()}}), 200)
	if second.ETag() == first.ETag() {
		t.Fatalf("the ETag did not change on a write")
	}
	stale := map[string]string{"If-Match": first.ETag()}
	for _, r := range []testkit.Request{
		{Method: "PATCH", Path: "/v1/settings/company", Body: map[string]any{"name": "Late"}},
		{Method: "PUT", Path: "/v1/settings/company", Body: map[string]any{"name": "Late"}},
		{Method: "PATCH", Path: "/v1/settings/misc", Body: map[string]any{"buttonProbability": 5}},
		{Method: "PUT", Path: "/v1/settings/company/logo", Body: pngImage(t, 10, 10), ContentType: "image/png"},
		{Method: "DELETE", Path: "/v1/settings/leads/invite-avatar"},
		{Method: "POST", Path: "/v1/settings/integration/private-key/regenerate"},
		{Method: "POST", Path: "/v1/settings/integration/vk/secret-key/regenerate"},
		{Method: "POST", Path: "/v1/settings/integration/webhooks/signing-secret/regenerate"},
	} {
		r.Token, r.Headers = a.Admin, stale
		got := e.do(r)
		if got.Status != 412 || got.ErrorCode() != "precondition_failed" {
			t.Errorf("%s %s with a stale If-Match: %d %s", r.Method, r.Path, got.Status, got.Raw)
		}
	}
	now := expect(t, "GET", e.do(testkit.Request{Method: "GET", Path: "/v1/settings", Token: a.Admin}), 200)
	if now.ETag() != second.ETag() {
		t.Errorf("a refused write changed the ETag: %s -> %s", second.ETag(), now.ETag())
	}
	if now.Body["company"].(map[string]any)["name"] != "Acme Renamed" {
		t.Errorf("a stale write was saved: %v", now.Body["company"])
	}
	for _, m := range []string{"W/" + now.ETag(), "*"} {
		expect(t, "If-Match "+m, e.do(testkit.Request{Method: "PATCH", Path: "/v1/settings/misc", Token: a.Admin,
			Body: map[string]any{"buttonProbability": 50}, Headers: map[string]string{"If-Match": m}}), 200)
	}
}

// Regenerating returns the new key once, in clear; reads show it masked;
// concurrent regenerations all succeed (each is re-applied on the fresh
// document) and the stored key is one of those returned; the audit records
// the change masked.
func TestRegenerateSecrets(t *testing.T) {
	e := newEnv(t)
	a := e.signUp("basic")
	for _, c := range []struct{ path, name, key string }{
		{"/v1/settings/integration/private-key/regenerate", "privateKey", "integration.privateKey"},
		{"/v1/settings/integration/vk/secret-key/regenerate", "secretKey", "integration.vk.secretKey"},
		{"/v1/settings/integration/webhooks/signing-secret/regenerate", "signingSecret", "integration.webhooks.signingSecret"},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := expect(t, "GET", e.do(testkit.Request{Method: "GET", Path: "/v1/settings/integration", Token: a.Admin}), 200)
			const n = 4
			keys := make([]string, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					r := e.do(testkit.Request{Method: "POST", Path: c.path, Token: a.Admin})
					if r.Status != 200 {
						t.Errorf("regenerate %d: %d %s", i, r.Status, r.Raw)
						return
					}
					keys[i], _ = r.Body[c.name].(string)
				}()
			}
			wg.Wait()
			after := expect(t, "GET", e.do(testkit.Request{Method: "GET", Path: "/v1/settings/integration", Token: a.Admin}), 200)
			stored := readKey(after.Body, c.key)
			var masks []any
			for _, k := range keys {
				masks = append(masks, settings.Mask(k))
			}
			if !slices.Contains(masks, stored) {
				t.Errorf("stored %v is none of the returned keys' masks %v", stored, masks)
			}
			if stored == readKey(before.Body, c.key) || slices.Contains(keys, "") {
				t.Errorf("keys %v, stored %v (was %v)", keys, stored, readKey(before.Body, c.key))
			}
			if strings.Contains(string(after.Raw), keys[0]) {
				t.Errorf("a read shows a key in clear")
			}

			// The audit: n entries for the key, masked, never in clear.
			testkit.Eventually(t, "the audit entries", func() bool {
				r := e.do(testkit.Request{Method: "GET", Path: "/v1/audit", Token: a.Admin})
				found := 0
				for _, it := range r.Body["items"].([]any) {
					for _, ch := range it.(map[string]any)["changes"].([]any) {
						if ch.(map[string]any)["key"] == c.key {
							found++
						}
					}
				}
				for _, k := range keys {
					if strings.Contains(string(r.Raw), k) {
						t.Fatalf("the audit shows a key in clear")
					}
				}
				return found == n
			})
		})
	}
}
