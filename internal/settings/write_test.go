package settings_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"parley/internal/apperr"
	"parley/internal/settings"
)

// loadedAccount is a valid account with every kind of value set: secrets,
// a webhook with a password, categories, images, limits.
func loadedAccount(t testing.TB) settings.Document {
	t.Helper()
	d := validAccount(t)
	d.Company.Website = "https://acme.example/"
	d.Company.Logo = &settings.Image{Format: settings.PNG, Width: 10, Height: 10, Size: 100, SHA256: strings.Repeat("ab", 32)}
	d.Leads.InviteAvatar = &settings.Image{Format: settings.JPEG, Width: 50, Height: 50, Size: 900, SHA256: strings.Repeat("cd", 32)}
	d.Classification = settings.Classification{Categories: "Sport\n Ski\n Golf\nVIP", Required: true}
	d.Features.PriorityPages = []string{"https://acme.example/pricing"}
	d.Integration.CRMURLTemplate = "https://crm.acme.example/u/{id}"
	d.Integration.Telegram.BotToken = botToken
	d.Integration.VK.AccessKey = "vk-access-key-0123456789"
	d.Integration.VK.ConfirmationString = "a1b2c3"
	d.Integration.Webhooks.ChatStart = "https://hook:s3cret@hooks.acme.example/start"
	d.Integration.Zendesk = settings.Zendesk{Subdomain: "acme", Login: "agent@acme.example", APIToken: "zendesk-token-0123456789"}
	d.Integration.Zoho = settings.Zoho{Email: "crm@acme.example", Password: "short"}
	d.Security.AllowedIPs = "10.0.0.0-10.0.0.255"
	three := 3
	d.Misc.OnlineQueueLimit = &three
	return d
}

func TestPutBackWhatWasRead(t *testing.T) {
	d := loadedAccount(t)
	for _, section := range settings.Sections {
		t.Run(section, func(t *testing.T) {
			view, err := d.SectionView(section, testView)
			if err != nil {
				t.Fatal(err)
			}
			body, err := json.Marshal(view)
			if err != nil {
				t.Fatal(err)
			}
			for name, write := range map[string]func(string, []byte, settings.WriteContext) (settings.Document, []settings.Change, error){
				"PUT": d.Put, "PATCH": d.Patch,
			} {
				got, changes, err := write(section, body, corporate)
				if err != nil {
					t.Fatalf("%s of %s = %v", name, body, err)
				}
				if len(changes) != 0 {
					t.Errorf("%s changes = %v, want none", name, changes)
				}
				if diff := cmp.Diff(d, got); diff != "" {
					t.Errorf("%s changed the document:\n%s", name, diff)
				}
			}
		})
	}
}

func TestUnknownSection(t *testing.T) {
	d := validAccount(t)
	for name, call := range map[string]func() error{
		"Put":   func() error { _, _, err := d.Put("templates", []byte(`{}`), corporate); return err },
		"Patch": func() error { _, _, err := d.Patch("Company", []byte(`{}`), corporate); return err },
		"SectionView": func() error {
			_, err := d.SectionView("nope", testView)
			return err
		},
	} {
		if code := apperr.CodeOf(call()); code != apperr.NotFound {
			t.Errorf("%s: code = %s, want not_found", name, code)
		}
	}
}

func TestBadBodies(t *testing.T) {
	tests := []struct {
		name, body string
		code       apperr.Code
	}{
		{"not JSON", `{"name":`, apperr.Invalid},
		{"array", `[]`, apperr.Invalid},
		{"string", `"x"`, apperr.Invalid},
		{"empty", ``, apperr.Invalid},
		{"two objects", `{} {}`, apperr.Invalid},
		{"too large", `{"name":"` + strings.Repeat("x", settings.MaxBodyBytes) + `"}`, apperr.TooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := validAccount(t)
			got, _, err := d.Patch("company", []byte(tt.body), corporate)
			if code := apperr.CodeOf(err); code != tt.code {
				t.Errorf("code = %s (%v), want %s", code, err, tt.code)
			}
			if diff := cmp.Diff(d, got); diff != "" {
				t.Errorf("document changed:\n%s", diff)
			}
		})
	}
}

// TestErrorsCollected: every offending key gets its own message, unknown
// keys included, at any depth; nothing is saved.
func TestErrorsCollected(t *testing.T) {
	tests := []struct {
		section, body string
		want          []string
	}{
		{"misc", `{"buttonProbability":200,"onlineQueueLimit":-1,"offlineQueueLimit":"x","colour":1}`,
			[]string{"misc.buttonProbability", "misc.onlineQueueLimit", "misc.offlineQueueLimit", "misc.colour"}},
		{"integration", `{"telegram":{"botToken":"x","extra":1},"vk":"on","webhooks":{"chatStart":"ftp://a.b/"},"crmUrlTemplate":"https://a.b/"}`,
			[]string{"integration.telegram.botToken", "integration.telegram.extra", "integration.vk", "integration.webhooks.chatStart", "integration.crmUrlTemplate"}},
		{"company", `{"name":"","timezone":"Local","language":"fr","website":"mailto:x@y.z","logo":"x"}`,
			[]string{"company.name", "company.timezone", "company.language", "company.website", "company.logo"}},
		{"leads", `{"inviteAvatar":{}}`, []string{"leads.inviteAvatar"}},
	}
	for _, tt := range tests {
		t.Run(tt.section, func(t *testing.T) {
			d := validAccount(t)
			got, _, err := d.Patch(tt.section, []byte(tt.body), corporate)
			code, fields := fieldsOf(t, err)
			if code != apperr.Invalid {
				t.Errorf("code = %s", code)
			}
			var keys []string
			for k := range fields {
				keys = append(keys, k)
			}
			if diff := cmp.Diff(tt.want, keys, sortStrings); diff != "" {
				t.Errorf("fields (-want +got):\n%s\n%v", diff, fields)
			}
			if diff := cmp.Diff(d, got); diff != "" {
				t.Errorf("document changed:\n%s", diff)
			}
		})
	}
}

var sortStrings = cmp.Transformer("sort", func(in []string) []string {
	out := append([]string(nil), in...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
})

// TestSectionMustBeValid: the section as saved must satisfy SPEC §2, even
// the keys the body did not touch.
func TestSectionMustBeValid(t *testing.T) {
	fresh := newAccount(t)
	tests := []struct {
		name          string
		d             settings.Document
		section, body string
		want          []string
	}{
		{"fresh account: company needs a name", fresh, "company", `{"timezone":"UTC"}`, []string{"company.name"}},
		{"fresh account: every e-mail list required", fresh, "emails", `{"leftMessages":["a@b.cd"]}`, []string{"emails.negativeReviews", "emails.dailyReports"}},
		{"PUT resets absent keys: name", validAccount(t), "company", `{"timezone":"UTC"}`, []string{"company.name"}},
		{"required category without categories", validAccount(t), "classification", `{"required":true}`, []string{"classification.required"}},
		{"busy message needed while a timeout is on", validAccount(t), "autoMessages", `{"busyMessage":"  "}`, []string{"autoMessages.busyMessage"}},
		{"zendesk all or none", validAccount(t), "integration", `{"zendesk":{"subdomain":"acme"}}`, []string{"integration.zendesk.login", "integration.zendesk.apiToken"}},
		{"amocrm all or none", validAccount(t), "integration", `{"amocrm":{"apiKey":"k1234567890"}}`, []string{"integration.amocrm.account", "integration.amocrm.email"}},
		{"zoho optional keys switch it on", validAccount(t), "integration", `{"zoho":{"leadSource":"Parley"}}`, []string{"integration.zoho.email", "integration.zoho.password"}},
		{"unisender all or none", validAccount(t), "integration", `{"unisender":{"listName":"L"}}`, []string{"integration.unisender.apiKey"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			write := tt.d.Patch
			if strings.HasPrefix(tt.name, "PUT") {
				write = tt.d.Put
			}
			_, _, err := write(tt.section, []byte(tt.body), corporate)
			if err == nil {
				t.Fatal("accepted")
			}
			_, fields := fieldsOf(t, err)
			var keys []string
			for k := range fields {
				keys = append(keys, k)
			}
			if diff := cmp.Diff(tt.want, keys, sortStrings); diff != "" {
				t.Errorf("fields (-want +got):\n%s\n%v", diff, fields)
			}
		})
	}

	// And the valid counterparts.
	ok := []struct{ section, body string }{
		{"autoMessages", `{"busyMessage":"","firstResponseTimeout":0,"answerTimeout":0}`},
		{"autoMessages", `{"greeting":""}`},
		{"integration", `{"zendesk":{"subdomain":"","login":"","apiToken":""}}`},
		{"classification", `{"categories":"A","required":true}`},
	}
	for _, tt := range ok {
		if _, _, err := validAccount(t).Patch(tt.section, []byte(tt.body), corporate); err != nil {
			t.Errorf("Patch(%s, %s) = %v", tt.section, tt.body, err)
		}
	}
}

// TestPutEmptyIntegration: a PUT that leaves everything out resets plain
// keys but keeps secrets, so connected services end up half-configured and
// the PUT is refused rather than silently keeping orphan secrets.
func TestPutEmptyIntegration(t *testing.T) {
	_, _, err := loadedAccount(t).Put("integration", []byte(`{}`), corporate)
	_, fields := fieldsOf(t, err)
	want := []string{"integration.zendesk.subdomain", "integration.zendesk.login", "integration.zoho.email"}
	var keys []string
	for k := range fields {
		keys = append(keys, k)
	}
	if diff := cmp.Diff(want, keys, sortStrings); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
}

func TestPutSectionReplaces(t *testing.T) {
	d := loadedAccount(t)
	got, changes, err := d.Put("misc", []byte(`{"buttonProbability":50}`), corporate)
	if err != nil {
		t.Fatal(err)
	}
	want := settings.Misc{ButtonProbability: 50}
	if diff := cmp.Diff(want, got.Misc); diff != "" {
		t.Errorf("misc (-want +got):\n%s", diff)
	}
	wantChanges := []settings.Change{
		{Key: "misc.buttonProbability", Old: 100, New: 50},
		{Key: "misc.onlineQueueLimit", Old: 3, New: nil},
	}
	if diff := cmp.Diff(wantChanges, changes); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}

	// Secrets left out of a PUT keep their value; plain keys reset.
	got, _, err = d.Put("integration", []byte(`{"zendesk":{"subdomain":"acme","login":"agent@acme.example"},"zoho":{"email":"crm@acme.example"}}`), corporate)
	if err != nil {
		t.Fatal(err)
	}
	if got.Integration.Telegram.BotToken != botToken || got.Integration.Zendesk.APIToken != d.Integration.Zendesk.APIToken || got.Integration.Zoho.Password != "short" {
		t.Errorf("secrets not kept: %+v", got.Integration)
	}
	if got.Integration.Webhooks.ChatStart != "" || got.Integration.CRMURLTemplate != "" || got.Integration.VK.ConfirmationString != "" {
		t.Errorf("plain keys not reset: %+v", got.Integration)
	}
	if got.Integration.PrivateKey != d.Integration.PrivateKey || got.Integration.VK.SecretKey != d.Integration.VK.SecretKey {
		t.Errorf("generated secrets changed")
	}
}

func TestPatchNullResets(t *testing.T) {
	d := loadedAccount(t)
	d.AutoMessages.Greeting = "Yo"
	tests := []struct {
		section, body string
		check         func(settings.Document) bool
	}{
		{"misc", `{"onlineQueueLimit":null}`, func(n settings.Document) bool { return n.Misc.OnlineQueueLimit == nil }},
		{"autoMessages", `{"greeting":null}`, func(n settings.Document) bool {
			return n.AutoMessages.Greeting == settings.Defaults("en").AutoMessages.Greeting
		}},
		{"features", `{"priorityPages":null,"maxChatsPerOperator":null}`, func(n settings.Document) bool {
			return len(n.Features.PriorityPages) == 0 && n.Features.PriorityPages != nil && n.Features.MaxChatsPerOperator == 5
		}},
		{"integration", `{"telegram":null}`, func(n settings.Document) bool { return n.Integration.Telegram.BotToken == "" }},
		{"integration", `{"vk":null}`, func(n settings.Document) bool {
			return n.Integration.VK.AccessKey == "" && n.Integration.VK.ConfirmationString == "" && n.Integration.VK.SecretKey == d.Integration.VK.SecretKey
		}},
		{"integration", `{"zendesk":{"subdomain":null,"login":null,"apiToken":null}}`, func(n settings.Document) bool { return n.Integration.Zendesk == settings.Zendesk{} }},
		{"integration", `{"webhooks":{"chatStart":null}}`, func(n settings.Document) bool { return n.Integration.Webhooks.ChatStart == "" }},
		{"company", `{"timezone":null}`, func(n settings.Document) bool { return n.Company.Timezone == "Europe/Moscow" }},
	}
	for _, tt := range tests {
		t.Run(tt.body, func(t *testing.T) {
			got, _, err := d.Patch(tt.section, []byte(tt.body), corporate)
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(got) {
				t.Errorf("not reset: %+v", got)
			}
			// Untouched keys of the section keep their value.
			if tt.section == "integration" && tt.body != `{"telegram":null}` && got.Integration.Telegram.BotToken != botToken {
				t.Errorf("telegram token lost")
			}
		})
	}
}

func TestSecrets(t *testing.T) {
	d := loadedAccount(t)
	mask := settings.Mask(botToken)
	newToken := "1:" + strings.Repeat("Z", 35)
	tests := []struct {
		name, body string
		want       string // stored token after, or "" with wantErr
		wantErr    bool
	}{
		{"mask sent back keeps", `{"telegram":{"botToken":"` + mask + `"}}`, botToken, false},
		{"new clear value replaces", `{"telegram":{"botToken":"` + newToken + `"}}`, newToken, false},
		{"pasted with spaces", `{"telegram":{"botToken":"  ` + newToken + `\n"}}`, newToken, false},
		{"empty clears", `{"telegram":{"botToken":""}}`, "", false},
		{"null clears", `{"telegram":{"botToken":null}}`, "", false},
		{"the clear stored value is accepted", `{"telegram":{"botToken":"` + botToken + `"}}`, botToken, false},
		{"another mask is refused", `{"telegram":{"botToken":"••••abcd"}}`, "", true},
		{"a number is refused", `{"telegram":{"botToken":5}}`, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, changes, err := d.Patch("integration", []byte(tt.body), corporate)
			if tt.wantErr {
				if _, fields := fieldsOf(t, err); fields["integration.telegram.botToken"] == "" {
					t.Errorf("fields = %v", fields)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Integration.Telegram.BotToken != tt.want {
				t.Errorf("token = %q, want %q", got.Integration.Telegram.BotToken, tt.want)
			}
			// The audit never sees a secret in clear.
			for _, c := range changes {
				for _, v := range []any{c.Old, c.New} {
					if s, _ := v.(string); strings.Contains(s, "AAF1kz9Q") || strings.Contains(s, "ZZZZZZ") {
						t.Errorf("change %v holds a secret", c)
					}
				}
			}
		})
	}

	// A short secret (a password) is masked without revealing characters,
	// and the mask sent back keeps it.
	if got := readKey(t, d, "integration.zoho.password"); got != settings.MaskPrefix {
		t.Errorf("short secret read as %v", got)
	}
	got, _, err := d.Patch("integration", []byte(`{"zoho":{"password":"••••"}}`), corporate)
	if err != nil || got.Integration.Zoho.Password != "short" {
		t.Errorf("mask of a short secret: %v, %q", err, got.Integration.Zoho.Password)
	}
}

func TestWebhookPasswordMasked(t *testing.T) {
	d := loadedAccount(t)
	read := readKey(t, d, "integration.webhooks.chatStart")
	if read != "https://hook:••••@hooks.acme.example/start" {
		t.Fatalf("read = %v", read)
	}
	got, _, err := d.Patch("integration", []byte(`{"webhooks":{"chatStart":"https://hook:••••@hooks.acme.example/start"}}`), corporate)
	if err != nil || got.Integration.Webhooks.ChatStart != d.Integration.Webhooks.ChatStart {
		t.Errorf("masked URL sent back: %v, %q", err, got.Integration.Webhooks.ChatStart)
	}
	// A masked URL that changed something else cannot keep a password it
	// does not hold.
	_, _, err = d.Patch("integration", []byte(`{"webhooks":{"chatStart":"https://hook:••••@other.acme.example/start"}}`), corporate)
	if _, fields := fieldsOf(t, err); fields["integration.webhooks.chatStart"] == "" {
		t.Errorf("fields = %v", fields)
	}
	_, changes, err := d.Patch("integration", []byte(`{"webhooks":{"chatStart":"https://hook:n3w@hooks.acme.example/start"}}`), corporate)
	if err != nil {
		t.Fatal(err)
	}
	want := []settings.Change{{Key: "integration.webhooks.chatStart", Old: "https://hook:••••@hooks.acme.example/start", New: "https://hook:••••@hooks.acme.example/start"}}
	if diff := cmp.Diff(want, changes); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
}

func TestReadOnlyKeys(t *testing.T) {
	d := loadedAccount(t)
	logo := readKey(t, d, "company.logoUrl").(string)
	tests := []struct {
		name, section, body, key string
		ok                       bool
	}{
		{"private key in clear, unchanged", "integration", `{"privateKey":"` + d.Integration.PrivateKey + `"}`, "", true},
		{"private key null", "integration", `{"privateKey":null}`, "integration.privateKey", false},
		{"private key set", "integration", `{"privateKey":"abc"}`, "integration.privateKey", false},
		{"vk secret masked", "integration", `{"vk":{"secretKey":"` + settings.Mask(d.Integration.VK.SecretKey) + `"}}`, "", true},
		{"callback url changed", "integration", `{"vk":{"callbackUrl":null}}`, "integration.vk.callbackUrl", false},
		{"logo url unchanged", "company", `{"logoUrl":"` + logo + `"}`, "", true},
		{"logo url deleted", "company", `{"logoUrl":null}`, "company.logoUrl", false},
		{"logo bytes", "company", `{"logo":"iVBORw0KGgo="}`, "company.logo", false},
		{"old tree with new categories", "classification", `{"categories":"A","categoryTree":[{"name":"Sport","children":[{"name":"Ski"},{"name":"Golf"}]},{"name":"VIP"}]}`, "", true},
		{"new tree with new categories", "classification", `{"categories":"A","categoryTree":[{"name":"A"}]}`, "", true},
		{"invented tree", "classification", `{"categoryTree":[{"name":"B"}]}`, "classification.categoryTree", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := d.Patch(tt.section, []byte(tt.body), corporate)
			if tt.ok {
				if err != nil {
					t.Errorf("refused: %v", err)
				}
				return
			}
			if _, fields := fieldsOf(t, err); fields[tt.key] == "" || len(fields) != 1 {
				t.Errorf("fields = %v, want %s", fields, tt.key)
			}
		})
	}
}

func TestCategoriesNeedCorporatePlan(t *testing.T) {
	basic := settings.WriteContext{Plan: "basic", View: testView}
	withCategories := validAccount(t)
	withCategories.Classification.Categories = "A\n a1"

	tests := []struct {
		name string
		d    settings.Document
		body string
		code apperr.Code // "" = accepted
	}{
		{"set on basic", validAccount(t), `{"categories":"A"}`, apperr.Forbidden},
		{"changed on basic", withCategories, `{"categories":"A\n a2"}`, apperr.Forbidden},
		{"put back unchanged after a downgrade", withCategories, `{"categories":"A\n a1","required":false}`, ""},
		{"cleared after a downgrade", withCategories, `{"categories":""}`, ""},
		{"blank on basic", validAccount(t), `{"categories":"\n  \n"}`, ""},
		{"required flag alone", validAccount(t), `{"required":false}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, err := tt.d.Patch("classification", []byte(tt.body), basic)
			if tt.code == "" {
				if err != nil {
					t.Errorf("refused: %v", err)
				}
				return
			}
			code, fields := fieldsOf(t, err)
			if code != tt.code || fields["classification.categories"] == "" {
				t.Errorf("code = %s, fields = %v", code, fields)
			}
			if !strings.Contains(apperr.Public(err).Message, "Corporate") {
				t.Errorf("message %q does not name the plan", apperr.Public(err).Message)
			}
			if diff := cmp.Diff(tt.d, got); diff != "" {
				t.Errorf("document changed:\n%s", diff)
			}
		})
	}
}

func TestAllowedIPsSelfLockout(t *testing.T) {
	tests := []struct {
		name      string
		ip        string
		confirm   bool
		list      string
		wantError bool
	}{
		{"includes the caller", "192.168.0.20", false, "54.37.12.118, 192.168.0.1-192.168.0.50", false},
		{"excludes the caller", "192.168.0.51", false, "54.37.12.118, 192.168.0.1-192.168.0.50", true},
		{"excludes the caller, confirmed", "192.168.0.51", true, "54.37.12.118, 192.168.0.1-192.168.0.50", false},
		{"empty list is no limit", "192.168.0.51", false, "", false},
		{"unknown caller", "", false, "54.37.12.118", true},
		{"IPv6 caller", "2001:db8::1", false, "54.37.12.118", true},
		{"IPv4-mapped caller", "::ffff:54.37.12.118", false, "54.37.12.118", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := settings.WriteContext{Plan: settings.PlanCorporate, SourceIP: tt.ip, ConfirmSelfLockout: tt.confirm}
			body, _ := json.Marshal(map[string]string{"allowedIps": tt.list})
			got, _, err := validAccount(t).Patch("security", body, w)
			if !tt.wantError {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if got.Security.AllowedIPs != tt.list {
					t.Errorf("stored %q", got.Security.AllowedIPs)
				}
				return
			}
			_, fields := fieldsOf(t, err)
			if msg := fields["security.allowedIps"]; !strings.Contains(msg, "confirm") {
				t.Errorf("fields = %v, want a message asking to confirm", fields)
			}
			if c := apperr.Public(err).Confirm; c != settings.ConfirmLockout {
				t.Errorf("confirm = %q, want %q: the console asks its user on it", c, settings.ConfirmLockout)
			}
		})
	}

	// A list that does not parse is a plain refusal: no confirmation can save it.
	_, _, err := validAccount(t).Patch("security", []byte(`{"allowedIps":"1.2.3"}`), settings.WriteContext{SourceIP: "5.6.7.8"})
	if e := apperr.Public(err); e.Code != apperr.Invalid || e.Confirm != "" {
		t.Errorf("a bad list: %+v, want invalid without confirm", e)
	}

	// Putting back an unchanged list never asks again.
	d := validAccount(t)
	d.Security.AllowedIPs = "1.2.3.4"
	if _, _, err := d.Patch("security", []byte(`{"allowedIps":"1.2.3.4"}`), settings.WriteContext{SourceIP: "5.6.7.8"}); err != nil {
		t.Errorf("unchanged list: %v", err)
	}
}

func TestChangesForAudit(t *testing.T) {
	d := validAccount(t)
	_, changes, err := d.Patch("integration", []byte(`{"telegram":{"botToken":"`+botToken+`"},"crmUrlTemplate":"https://crm.x.io/{id}"}`), corporate)
	if err != nil {
		t.Fatal(err)
	}
	want := []settings.Change{
		{Key: "integration.crmUrlTemplate", Old: "", New: "https://crm.x.io/{id}"},
		{Key: "integration.telegram.botToken", Old: "", New: "••••fGhJ"},
	}
	if diff := cmp.Diff(want, changes); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}

	_, changes, err = d.Patch("emails", []byte(`{"dailyReports":["x@y.io","z@y.io"]}`), corporate)
	if err != nil {
		t.Fatal(err)
	}
	want = []settings.Change{{Key: "emails.dailyReports", Old: []string{"daily@acme.example"}, New: []string{"x@y.io", "z@y.io"}}}
	if diff := cmp.Diff(want, changes); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
}

// TestWriteDoesNotAlias: the returned document shares no list with the
// receiver, so mutating one cannot change the other.
func TestWriteDoesNotAlias(t *testing.T) {
	d := validAccount(t)
	got, _, err := d.Patch("company", []byte(`{"website":"https://a.io/"}`), corporate)
	if err != nil {
		t.Fatal(err)
	}
	got.Emails.LeftMessages[0] = "changed@x.io"
	if d.Emails.LeftMessages[0] != "left@acme.example" {
		t.Error("the receiver's list changed")
	}
}
