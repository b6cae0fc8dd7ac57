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

func zendesk(sub, login, token string) string {
	return `{"zendesk":{"subdomain":` + sub + `,"login":` + login + `,"apiToken":` + token + `}}`
}

func amo(account, email, key string) string {
	return `{"amocrm":{"account":` + account + `,"email":` + email + `,"apiKey":` + key + `}}`
}

// keyCases lists every key; callbackURL and the masks of the generated
// secrets depend on the account and the stack, so they are passed in.
func keyCases(callbackURL, privateMask, vkMask string, sigMask string) []keyCase {
	q := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	const zdToken = `"6wiIBWbGkBMo1mRDMuVwkw1EPsNkeUj95PIz2akv"`
	const amoKey = `"a1b2c3d4e5f6a7b8c9d0"`
	const uniKey = `"oaea9ni6znjm97a3w4fy55jwakpgdz8qgfctznsu"`
	return []keyCase{
		// 2.1 Company
		{"company.name", `"Acme"`, `{"name":"  ООО «Сила»  "}`, `"ООО «Сила»"`, `{"name":"   "}`},
		{"company.logoUrl", `null`, `{"logoUrl":null}`, `null`, `{"logoUrl":"https://evil.example/x.png"}`},
		{"company.timezone", `"Europe/Moscow"`, `{"timezone":"Asia/Yekaterinburg"}`, `"Asia/Yekaterinburg"`, `{"timezone":"Mars/Olympus"}`},
		{"company.website", `""`, `{"website":"https://www.sila.com/"}`, `"https://www.sila.com/"`, `{"website":"www.sila.com"}`},
		{"company.language", `"ru"`, `{"language":"en"}`, `"en"`, `{"language":"de"}`},

		// 2.2 E-mail addresses
		{"emails.leftMessages", firstAdmin, `{"leftMessages":["petrov@moysite.ru, ivanov@company.com"]}`, `["petrov@moysite.ru","ivanov@company.com"]`, `{"leftMessages":["Bob <bob@moysite.ru>"]}`},
		{"emails.negativeReviews", firstAdmin, `{"negativeReviews":"a@x.com"}`, `["a@x.com"]`, `{"negativeReviews":[]}`},
		{"emails.dailyReports", firstAdmin, `{"dailyReports":["a@x.com","A@X.com"]}`, `["a@x.com"]`, `{"dailyReports":["a@x.com,,b@y.com"]}`},

		// 2.3 Classification (the account is on the Corporate plan)
		{"classification.categories", `""`, `{"categories":"Sport\n Ski\nVIP"}`, `"Sport\n Ski\nVIP"`, `{"categories":" Ski\nSport"}`},
		{"classification.categoryTree", `[]`, `{"categories":"A\n b","categoryTree":[]}`, `[{"name":"A","children":[{"name":"b"}]}]`, `{"categoryTree":[{"name":"X"}]}`},
		{"classification.required", `false`, `{"categories":"A","required":true}`, `true`, `{"required":"yes"}`},

		// 2.5 Auto-messages
		{"autoMessages.greeting", anyText, `{"greeting":"Hi!\nAsk away."}`, `"Hi!\nAsk away."`, `{"greeting":"` + strings.Repeat("x", 1001) + `"}`},
		{"autoMessages.greetingByLanguage", `{"en":"Hello! How can we help you?"}`, `{"greetingByLanguage":{"en":" Hi!\nAsk away. ","ru":""}}`, `{"en":"Hi!\nAsk away."}`, `{"greetingByLanguage":{"de":"Hallo"}}`},
		{"autoMessages.firstResponseTimeout", `60`, `{"firstResponseTimeout":0}`, `0`, `{"firstResponseTimeout":1.5}`},
		{"autoMessages.answerTimeout", `120`, `{"answerTimeout":300}`, `300`, `{"answerTimeout":-1}`},
		{"autoMessages.busyMessage", anyText, `{"busyMessage":"Please wait"}`, `"Please wait"`, `{"busyMessage":""}`},
		{"autoMessages.refusalTimeout", `30`, `{"refusalTimeout":45}`, `45`, `{"refusalTimeout":"30"}`},

		// 2.6 Lead generator
		{"leads.inviteAvatarUrl", `null`, `{"inviteAvatarUrl":null}`, `null`, `{"inviteAvatarUrl":"https://x.example/a.png"}`},

		// 2.7 Additional functions
		{"features.hideOthersChats", `false`, `{"hideOthersChats":true}`, `true`, `{"hideOthersChats":1}`},
		{"features.hiddenProfiles", `false`, `{"hiddenProfiles":true}`, `true`, `{"hiddenProfiles":"true"}`},
		{"features.notifyNewVisitors", `false`, `{"notifyNewVisitors":true}`, `true`, `{"notifyNewVisitors":[]}`},
		{"features.multilingual", `false`, `{"multilingual":true}`, `true`, `{"multilingual":0}`},
		{"features.autoAssign", `false`, `{"autoAssign":true}`, `true`, `{"autoAssign":{}}`},
		{"features.maxChatsPerOperator", `5`, `{"maxChatsPerOperator":10}`, `10`, `{"maxChatsPerOperator":0}`},
		{"features.teleport", `false`, `{"teleport":true}`, `true`, `{"teleport":"on"}`},
		{"features.visitorTranscriptEmail", `true`, `{"visitorTranscriptEmail":false}`, `false`, `{"visitorTranscriptEmail":"false"}`},
		{"features.priorityPages", `[]`, `{"priorityPages":["https://www.mysite.com/main\nhttps://my.site.ru/somepage/"]}`, `["https://www.mysite.com/main","https://my.site.ru/somepage/"]`, `{"priorityPages":["/main"]}`},

		// 2.8 Integration
		{"integration.privateKey", generatedMask, `{"privateKey":` + q(privateMask) + `}`, q(privateMask), `{"privateKey":"my-own-key"}`},
		{"integration.crmUrlTemplate", `""`, `{"crmUrlTemplate":"https://crm.mydomain.com/?id={id}"}`, `"https://crm.mydomain.com/?id={id}"`, `{"crmUrlTemplate":"https://crm.mydomain.com/"}`},
		{"integration.telegram.botToken", `""`, `{"telegram":{"botToken":"` + botToken + `"}}`, `"••••fGhJ"`, `{"telegram":{"botToken":"123:abc"}}`},
		{"integration.vk.accessKey", `""`, `{"vk":{"accessKey":"0123456789abcdef0123"}}`, `"••••0123"`, `{"vk":{"accessKey":"two words"}}`},
		{"integration.vk.callbackUrl", q(callbackURL), `{"vk":{"callbackUrl":` + q(callbackURL) + `}}`, q(callbackURL), `{"vk":{"callbackUrl":"https://evil.example/"}}`},
		{"integration.vk.confirmationString", `""`, `{"vk":{"confirmationString":"a1b2c3d4"}}`, `"a1b2c3d4"`, `{"vk":{"confirmationString":"a b"}}`},
		{"integration.vk.secretKey", generatedMask, `{"vk":{"secretKey":` + q(vkMask) + `}}`, q(vkMask), `{"vk":{"secretKey":"mine"}}`},
		{"integration.webhooks.chatStart", `""`, `{"webhooks":{"chatStart":"https://user:password@www.company.com/handler?webim_chat_start"}}`, `"https://user:••••@www.company.com/handler?webim_chat_start"`, `{"webhooks":{"chatStart":"ftp://www.company.com/"}}`},
		{"integration.webhooks.chatAssign", `""`, `{"webhooks":{"chatAssign":"https://www.company.com/handler?webim_chat_assign"}}`, `"https://www.company.com/handler?webim_chat_assign"`, `{"webhooks":{"chatAssign":"https:///handler"}}`},
		{"integration.webhooks.chatClose", `""`, `{"webhooks":{"chatClose":"http://hooks.company.com:8080/close"}}`, `"http://hooks.company.com:8080/close"`, `{"webhooks":{"chatClose":"company.com/close"}}`},
		{"integration.webhooks.signingSecret", generatedMask, `{"webhooks":{"signingSecret":` + q(sigMask) + `}}`, q(sigMask), `{"webhooks":{"signingSecret":"whsec_mine"}}`},
		{"integration.zendesk.subdomain", `""`, zendesk(`"acme"`, `"agent@acme.com"`, zdToken), `"acme"`, zendesk(`"acme.zendesk.com"`, `"agent@acme.com"`, zdToken)},
		{"integration.zendesk.login", `""`, zendesk(`"acme"`, `"agent@acme.com"`, zdToken), `"agent@acme.com"`, zendesk(`"acme"`, `"agent"`, zdToken)},
		{"integration.zendesk.apiToken", `""`, zendesk(`"acme"`, `"agent@acme.com"`, zdToken), `"••••2akv"`, zendesk(`"acme"`, `"agent@acme.com"`, `""`)},
		{"integration.amocrm.account", `""`, amo(`"acme"`, `"owner@acme.com"`, amoKey), `"acme"`, amo(`"https://acme.amocrm.ru"`, `"owner@acme.com"`, amoKey)},
		{"integration.amocrm.email", `""`, amo(`"acme"`, `"owner@acme.com"`, amoKey), `"owner@acme.com"`, amo(`"acme"`, `"owner@@acme.com"`, amoKey)},
		{"integration.amocrm.apiKey", `""`, amo(`"acme"`, `"owner@acme.com"`, amoKey), `"••••c9d0"`, amo(`"acme"`, `"owner@acme.com"`, `"key with spaces"`)},
		{"integration.zoho.email", `""`, `{"zoho":{"email":"crm@acme.com","password":"pass word"}}`, `"crm@acme.com"`, `{"zoho":{"email":"crm.acme.com","password":"pass word"}}`},
		{"integration.zoho.password", `""`, `{"zoho":{"email":"crm@acme.com","password":"pass word"}}`, `"••••"`, `{"zoho":{"email":"crm@acme.com"}}`},
		{"integration.zoho.authToken", `""`, `{"zoho":{"email":"crm@acme.com","password":"pw","authToken":"f8c0cbfd8e69f542eb500680b0ad4e12"}}`, `"••••4e12"`, `{"zoho":{"email":"crm@acme.com","password":"pw","authToken":"f8c0 cbfd"}}`},
		{"integration.zoho.leadSource", `""`, `{"zoho":{"email":"crm@acme.com","password":"pw","leadSource":" Parley "}}`, `"Parley"`, `{"zoho":{"email":"crm@acme.com","password":"pw","leadSource":"a\nb"}}`},
		{"integration.unisender.apiKey", `""`, `{"unisender":{"apiKey":` + uniKey + `,"listName":"Parley"}}`, `"••••znsu"`, `{"unisender":{"listName":"Parley"}}`},
		{"integration.unisender.listName", `""`, `{"unisender":{"apiKey":` + uniKey + `,"listName":"Parley"}}`, `"Parley"`, `{"unisender":{"apiKey":` + uniKey + `,"listName":"` + strings.Repeat("n", 101) + `"}}`},

		// 2.9 Security (requests come from 127.0.0.1)
		{"security.allowedIps", `""`, `{"allowedIps":"54.37.12.118, 192.168.0.1-192.168.0.50, 127.0.0.1"}`, `"54.37.12.118, 192.168.0.1-192.168.0.50, 127.0.0.1"`, `{"allowedIps":"10.0.0.0/24"}`},

		// 2.10 Miscellaneous
		{"misc.buttonProbability", `100`, `{"buttonProbability":0}`, `0`, `{"buttonProbability":101}`},
		{"misc.onlineQueueLimit", `null`, `{"onlineQueueLimit":3}`, `3`, `{"onlineQueueLimit":0}`},
		{"misc.offlineQueueLimit", `null`, `{"offlineQueueLimit":7}`, `7`, `{"offlineQueueLimit":2.5}`},
	}
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
