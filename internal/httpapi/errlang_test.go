package httpapi

import (
	"errors"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"parley/internal/apperr"
	"parley/internal/settings"
)

func TestErrorLanguage(t *testing.T) {
	for header, want := range map[string]string{
		"":                          "en",
		"ru":                        "ru",
		"ru-RU,ru;q=0.9,en;q=0.8":   "ru",
		"en-US,en;q=0.9,ru;q=0.8":   "en",
		"de-DE,ru;q=0.5":            "ru",
		"de, fr":                    "en",
		"en;q=0.2, RU;q=0.7":        "ru",
		"ru;q=0":                    "en",
		"ru;q=abc, en":              "en",
		"ru;q=2":                    "en",
		" ru-Latn-x-private ;q=0.3": "ru",
	} {
		if got := errorLanguage(header); got != want {
			t.Errorf("errorLanguage(%q) = %q, want %q", header, got, want)
		}
	}
}

var cyrillic = regexp.MustCompile(`[А-Яа-яЁё]`)

// Every message the settings' rules give for a refused value comes in
// Russian: a new rule without its translation fails here.
func TestSettingsRefusalsInRussian(t *testing.T) {
	doc, err := settings.SignUpDocument("en", "Acme", "boss@acme.example", strings.NewReader(strings.Repeat("k", 1024)))
	if err != nil {
		t.Fatal(err)
	}
	bodies := map[string][]string{
		settings.SectionCompany: {`{"name":"   "}`, `{"name":"` + strings.Repeat("x", 201) + `"}`, `{"timezone":"Mars/Olympus"}`, `{"website":"www.sila.com"}`,
			`{"website":"ftp://x"}`, `{"website":"https:///x"}`, `{"website":"https://a b.com/"}`, `{"language":"de"}`, `{"name":1}`},
		settings.SectionEmails: {`{"leftMessages":["Bob <bob@moysite.ru>"]}`, `{"negativeReviews":[]}`, `{"dailyReports":["a@x.com,,b@y.com"]}`,
			`{"leftMessages":["no-at-sign"]}`, `{"leftMessages":["a b@x.com"]}`, `{"leftMessages":"x@"}`, `{"leftMessages":[1]}`},
		settings.SectionClassification: {`{"categories":" Ski\nSport"}`, `{"required":"yes"}`, `{"categories":"A\nA\n B\n B"}`, `{"categoryTree":[{"name":"X"}]}`},
		settings.SectionAutoMessages: {`{"greeting":"` + strings.Repeat("x", 1001) + `"}`, `{"firstResponseTimeout":1.5}`, `{"answerTimeout":-1}`,
			`{"busyMessage":""}`, `{"refusalTimeout":"30"}`},
		settings.SectionFeatures: {`{"hideOthersChats":1}`, `{"maxChatsPerOperator":0}`, `{"priorityPages":["/main"]}`, `{"nope":true}`},
		settings.SectionIntegration: {`{"privateKey":"my-own-key"}`, `{"crmUrlTemplate":"https://crm.mydomain.com/"}`, `{"telegram":{"botToken":"123:abc"}}`,
			`{"vk":{"accessKey":"two words"}}`, `{"vk":{"confirmationString":"a b"}}`, `{"webhooks":{"chatStart":"ftp://www.company.com/"}}`,
			`{"zendesk":{"subdomain":"acme.zendesk.com","login":"agent@acme.com","apiToken":"t0ken"}}`,
			`{"webhooks":{"chatStart":"https://user:pw@x.com/","chatAssign":"https://user:••••@x.com/"}}`},
		settings.SectionSecurity: {`{"allowedIps":"10.0.0.0/8"}`, `{"allowedIps":"10.0.0.9-10.0.0.1"}`, `{"allowedIps":"::1"}`, `{"allowedIps":"300.1.1.1"}`, `{"allowedIps":"192.168.0.1"}`},
		settings.SectionMisc:     {`{"buttonProbability":101}`},
	}
	seen := 0
	for section, list := range bodies {
		for _, body := range list {
			_, _, err := doc.Patch(section, []byte(body), settings.WriteContext{Plan: settings.PlanCorporate, SourceIP: "10.0.0.5"})
			var e *apperr.Error
			if !errors.As(err, &e) {
				t.Errorf("%s %s: not refused (%v)", section, body, err)
				continue
			}
			b := localizeError(apperr.ToBody(err), "ru")
			for key, msg := range b.Error.Fields {
				seen++
				if !cyrillic.MatchString(msg) {
					t.Errorf("%s: %q has no Russian (from %s)", key, msg, body)
				}
			}
			if !cyrillic.MatchString(b.Error.Message) {
				t.Errorf("%s %s: the message %q has no Russian", section, body, b.Error.Message)
			}
			if en := localizeError(apperr.ToBody(err), "en"); !reflect.DeepEqual(en.Error.Fields, e.Fields) || en.Error.Message != e.Message {
				t.Errorf("English was changed: %v", en.Error.Fields)
			}
		}
	}
	if seen < 30 {
		t.Errorf("only %d field messages checked", seen)
	}
	// The values the caller typed stay as typed inside the Russian.
	if got := inRussian(`"Mars/Olympus" is not a time zone: choose a region and city, e.g. Europe/Moscow`); got != `"Mars/Olympus" — не часовой пояс: выберите регион и город, например Europe/Moscow` {
		t.Errorf("time zone message: %q", got)
	}
	if got := inRussian("something the catalog does not know"); got != "something the catalog does not know" {
		t.Errorf("an unknown message changed: %q", got)
	}
}

func FuzzErrorLanguage(f *testing.F) {
	for _, s := range []string{"", "ru", "ru-RU,ru;q=0.9,en;q=0.8", "en;q=0.2, RU;q=0.7", "ru;q=", ";;,,q=1", "ru;q=1e400"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		if got := errorLanguage(header); got != "ru" && got != "en" {
			t.Fatalf("errorLanguage(%q) = %q", header, got)
		}
		// Translating a message the caller put words into never fails.
		_ = inRussian(`"` + header + `" is not a valid URL`)
	})
}
