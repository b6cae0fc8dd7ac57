package settings_test

import (
	"bytes"
	"encoding/base64"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"parley/internal/apperr"
	"parley/internal/settings"
)

const botToken = "7012345678:AAF1kz9Qx_3mPz-8YtQwErTyUiOpAsDfGhJ"

// nonEmptyText marks a default that is a language-dependent text, checked
// by TestDefaultTexts rather than spelled out here.
const nonEmptyText = `"<non-empty text>"`

// keyCase is one dotted key of SPEC §2: its default in the read form of a
// new account, a PATCH body of its section that is accepted with the read
// value it leads to, and a PATCH body that is refused with exactly that key.
type keyCase struct {
	key    string
	def    string // JSON of the read value of a new (ru) account
	ok     string // PATCH body (the section object)
	okRead string // JSON of the read value after ok
	bad    string // PATCH body refused on key
}

var genMask = settings.Mask(secretOf(0xab))

var sigMask = settings.Mask("whsec_" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0xab}, 32)))

var keyCases = []keyCase{
	// 2.1 Company
	{"company.name", `""`, `{"name":"  ООО «Сила»  "}`, `"ООО «Сила»"`, `{"name":"   "}`},
	{"company.logoUrl", `null`, `{"logoUrl":null}`, `null`, `{"logoUrl":"https://evil.example/x.png"}`},
	{"company.timezone", `"Europe/Moscow"`, `{"timezone":"Asia/Yekaterinburg"}`, `"Asia/Yekaterinburg"`, `{"timezone":"Mars/Olympus"}`},
	{"company.website", `""`, `{"website":"https://www.sila.com/"}`, `"https://www.sila.com/"`, `{"website":"www.sila.com"}`},
	{"company.language", `"ru"`, `{"language":"en"}`, `"en"`, `{"language":"de"}`},

	// 2.2 E-mail addresses
	{"emails.leftMessages", `[]`, `{"leftMessages":["petrov@moysite.ru, ivanov@company.com"]}`, `["petrov@moysite.ru","ivanov@company.com"]`, `{"leftMessages":["Bob <bob@moysite.ru>"]}`},
	{"emails.negativeReviews", `[]`, `{"negativeReviews":"a@x.com"}`, `["a@x.com"]`, `{"negativeReviews":[]}`},
	{"emails.dailyReports", `[]`, `{"dailyReports":["a@x.com","A@X.com"]}`, `["a@x.com"]`, `{"dailyReports":["a@x.com,,b@y.com"]}`},

	// 2.3 Classification
	{"classification.categories", `""`, `{"categories":"Sport\n Ski\nVIP"}`, `"Sport\n Ski\nVIP"`, `{"categories":" Ski\nSport"}`},
	{"classification.categoryTree", `[]`, `{"categories":"A\n b","categoryTree":[]}`, `[{"name":"A","children":[{"name":"b"}]}]`, `{"categoryTree":[{"name":"X"}]}`},
	{"classification.required", `false`, `{"categories":"A","required":true}`, `true`, `{"required":"yes"}`},

	// 2.5 Auto-messages
	{"autoMessages.greeting", nonEmptyText, `{"greeting":"Hi!\nAsk away."}`, `"Hi!\nAsk away."`, `{"greeting":"` + strings.Repeat("x", 1001) + `"}`},
	{"autoMessages.greetingByLanguage", `{"en":"Hello! How can we help you?"}`, `{"greetingByLanguage":{"en":" Hi!\nAsk away. ","ru":""}}`, `{"en":"Hi!\nAsk away."}`, `{"greetingByLanguage":{"de":"Hallo"}}`},
	{"autoMessages.firstResponseTimeout", `60`, `{"firstResponseTimeout":0}`, `0`, `{"firstResponseTimeout":1.5}`},
	{"autoMessages.answerTimeout", `120`, `{"answerTimeout":300}`, `300`, `{"answerTimeout":-1}`},
	{"autoMessages.busyMessage", nonEmptyText, `{"busyMessage":"Please wait"}`, `"Please wait"`, `{"busyMessage":""}`},
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
	{"integration.privateKey", `"` + genMask + `"`, `{"privateKey":"` + genMask + `"}`, `"` + genMask + `"`, `{"privateKey":"my-own-key"}`},
	{"integration.crmUrlTemplate", `""`, `{"crmUrlTemplate":"https://crm.mydomain.com/?id={id}"}`, `"https://crm.mydomain.com/?id={id}"`, `{"crmUrlTemplate":"https://crm.mydomain.com/"}`},
	{"integration.telegram.botToken", `""`, `{"telegram":{"botToken":"` + botToken + `"}}`, `"••••fGhJ"`, `{"telegram":{"botToken":"123:abc"}}`},
	{"integration.vk.accessKey", `""`, `{"vk":{"accessKey":"0123456789abcdef0123"}}`, `"••••0123"`, `{"vk":{"accessKey":"two words"}}`},
	{"integration.vk.callbackUrl", `"https://parley.example.com/v1/channels/vk/acc-1"`, `{"vk":{"callbackUrl":"https://parley.example.com/v1/channels/vk/acc-1"}}`, `"https://parley.example.com/v1/channels/vk/acc-1"`, `{"vk":{"callbackUrl":"https://evil.example/"}}`},
	{"integration.vk.confirmationString", `""`, `{"vk":{"confirmationString":"a1b2c3d4"}}`, `"a1b2c3d4"`, `{"vk":{"confirmationString":"a b"}}`},
	{"integration.vk.secretKey", `"` + genMask + `"`, `{"vk":{"secretKey":"` + genMask + `"}}`, `"` + genMask + `"`, `{"vk":{"secretKey":"mine"}}`},
	{"integration.webhooks.chatStart", `""`, `{"webhooks":{"chatStart":"https://user:password@www.company.com/handler?webim_chat_start"}}`, `"https://user:••••@www.company.com/handler?webim_chat_start"`, `{"webhooks":{"chatStart":"ftp://www.company.com/"}}`},
	{"integration.webhooks.chatAssign", `""`, `{"webhooks":{"chatAssign":"https://www.company.com/handler?webim_chat_assign"}}`, `"https://www.company.com/handler?webim_chat_assign"`, `{"webhooks":{"chatAssign":"https:///handler"}}`},
	{"integration.webhooks.chatClose", `""`, `{"webhooks":{"chatClose":"http://hooks.company.com:8080/close"}}`, `"http://hooks.company.com:8080/close"`, `{"webhooks":{"chatClose":"company.com/close"}}`},
	{"integration.webhooks.signingSecret", `"` + sigMask + `"`, `{"webhooks":{"signingSecret":"` + sigMask + `"}}`, `"` + sigMask + `"`, `{"webhooks":{"signingSecret":"whsec_mine"}}`},
	{"integration.zendesk.subdomain", `""`, zendesk(`"acme"`, `"agent@acme.com"`, `"6wiIBWbGkBMo1mRDMuVwkw1EPsNkeUj95PIz2akv"`), `"acme"`, zendesk(`"acme.zendesk.com"`, `"agent@acme.com"`, `"6wiIBWbGkBMo1mRDMuVwkw1EPsNkeUj95PIz2akv"`)},
	{"integration.zendesk.login", `""`, zendesk(`"acme"`, `"agent@acme.com"`, `"6wiIBWbGkBMo1mRDMuVwkw1EPsNkeUj95PIz2akv"`), `"agent@acme.com"`, zendesk(`"acme"`, `"agent"`, `"6wiIBWbGkBMo1mRDMuVwkw1EPsNkeUj95PIz2akv"`)},
	{"integration.zendesk.apiToken", `""`, zendesk(`"acme"`, `"agent@acme.com"`, `"6wiIBWbGkBMo1mRDMuVwkw1EPsNkeUj95PIz2akv"`), `"••••2akv"`, zendesk(`"acme"`, `"agent@acme.com"`, `""`)},
	{"integration.amocrm.account", `""`, amo(`"acme"`, `"owner@acme.com"`, `"a1b2c3d4e5f6a7b8c9d0"`), `"acme"`, amo(`"https://acme.amocrm.ru"`, `"owner@acme.com"`, `"a1b2c3d4e5f6a7b8c9d0"`)},
	{"integration.amocrm.email", `""`, amo(`"acme"`, `"owner@acme.com"`, `"a1b2c3d4e5f6a7b8c9d0"`), `"owner@acme.com"`, amo(`"acme"`, `"owner@@acme.com"`, `"a1b2c3d4e5f6a7b8c9d0"`)},
	{"integration.amocrm.apiKey", `""`, amo(`"acme"`, `"owner@acme.com"`, `"a1b2c3d4e5f6a7b8c9d0"`), `"••••c9d0"`, amo(`"acme"`, `"owner@acme.com"`, `"key with spaces"`)},
	{"integration.zoho.email", `""`, `{"zoho":{"email":"crm@acme.com","password":"pass word"}}`, `"crm@acme.com"`, `{"zoho":{"email":"crm.acme.com","password":"pass word"}}`},
	{"integration.zoho.password", `""`, `{"zoho":{"email":"crm@acme.com","password":"pass word"}}`, `"••••"`, `{"zoho":{"email":"crm@acme.com"}}`},
	{"integration.zoho.authToken", `""`, `{"zoho":{"email":"crm@acme.com","password":"pw","authToken":"f8c0cbfd8e69f542eb500680b0ad4e12"}}`, `"••••4e12"`, `{"zoho":{"email":"crm@acme.com","password":"pw","authToken":"f8c0 cbfd"}}`},
	{"integration.zoho.leadSource", `""`, `{"zoho":{"email":"crm@acme.com","password":"pw","leadSource":" Parley "}}`, `"Parley"`, `{"zoho":{"email":"crm@acme.com","password":"pw","leadSource":"a\nb"}}`},
	{"integration.unisender.apiKey", `""`, `{"unisender":{"apiKey":"oaea9ni6znjm97a3w4fy55jwakpgdz8qgfctznsu","listName":"Parley"}}`, `"••••znsu"`, `{"unisender":{"listName":"Parley"}}`},
	{"integration.unisender.listName", `""`, `{"unisender":{"apiKey":"oaea9ni6znjm97a3w4fy55jwakpgdz8qgfctznsu","listName":"Parley"}}`, `"Parley"`, `{"unisender":{"apiKey":"oaea9ni6znjm97a3w4fy55jwakpgdz8qgfctznsu","listName":"` + strings.Repeat("n", 101) + `"}}`},

	// 2.9 Security (the caller is 10.0.0.5)
	{"security.allowedIps", `""`, `{"allowedIps":"54.37.12.118, 192.168.0.123, 192.168.0.1-192.168.0.50, 10.0.0.5"}`, `"54.37.12.118, 192.168.0.123, 192.168.0.1-192.168.0.50, 10.0.0.5"`, `{"allowedIps":"10.0.0.0/24"}`},

	// 2.10 Miscellaneous
	{"misc.buttonProbability", `100`, `{"buttonProbability":0}`, `0`, `{"buttonProbability":101}`},
	{"misc.onlineQueueLimit", `null`, `{"onlineQueueLimit":3}`, `3`, `{"onlineQueueLimit":0}`},
	{"misc.offlineQueueLimit", `null`, `{"offlineQueueLimit":7}`, `7`, `{"offlineQueueLimit":2.5}`},
}

func zendesk(sub, login, token string) string {
	return `{"zendesk":{"subdomain":` + sub + `,"login":` + login + `,"apiToken":` + token + `}}`
}

func amo(account, email, key string) string {
	return `{"amocrm":{"account":` + account + `,"email":` + email + `,"apiKey":` + key + `}}`
}

var corporate = settings.WriteContext{Plan: settings.PlanCorporate, SourceIP: "10.0.0.5", View: testView}

func TestEveryKeyIsCovered(t *testing.T) {
	var read []string
	flatKeys("", newAccount(t).View(testView), &read)
	var covered []string
	for _, c := range keyCases {
		covered = append(covered, c.key)
	}
	slices.Sort(read)
	slices.Sort(covered)
	if diff := cmp.Diff(read, covered); diff != "" {
		t.Errorf("read-form keys (-) vs keys with cases (+):\n%s", diff)
	}
}

func TestKeyDefaults(t *testing.T) {
	d, err := settings.NewAccountDocument("", repeatReader(0xab))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range keyCases {
		t.Run(c.key, func(t *testing.T) {
			got := readKey(t, d, c.key)
			if c.def == nonEmptyText {
				if s, ok := got.(string); !ok || s == "" {
					t.Errorf("default = %#v, want a non-empty text", got)
				}
				return
			}
			if diff := cmp.Diff(asJSON(t, c.def), got); diff != "" {
				t.Errorf("default (-want +got):\n%s", diff)
			}
		})
	}
}

func TestKeyAccepted(t *testing.T) {
	for _, c := range keyCases {
		t.Run(c.key, func(t *testing.T) {
			section, _, _ := strings.Cut(c.key, ".")
			d, _, err := validAccount(t).Patch(section, []byte(c.ok), corporate)
			if err != nil {
				t.Fatalf("Patch(%s) = %v", c.ok, err)
			}
			if diff := cmp.Diff(asJSON(t, c.okRead), readKey(t, d, c.key)); diff != "" {
				t.Errorf("read after write (-want +got):\n%s", diff)
			}
		})
	}
}

func TestKeyRefused(t *testing.T) {
	for _, c := range keyCases {
		t.Run(c.key, func(t *testing.T) {
			section, _, _ := strings.Cut(c.key, ".")
			before := validAccount(t)
			got, changes, err := before.Patch(section, []byte(c.bad), corporate)
			if err == nil {
				t.Fatalf("Patch(%s) accepted", c.bad)
			}
			code, fields := fieldsOf(t, err)
			if code != apperr.Invalid {
				t.Errorf("code = %s, want invalid", code)
			}
			if _, ok := fields[c.key]; !ok || len(fields) != 1 {
				t.Errorf("fields = %v, want exactly %s", fields, c.key)
			}
			if changes != nil {
				t.Errorf("changes = %v, want none", changes)
			}
			if diff := cmp.Diff(before, got); diff != "" {
				t.Errorf("document changed on error:\n%s", diff)
			}
		})
	}
}
