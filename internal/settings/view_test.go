package settings_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"maps"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"parley/internal/settings"
)

func TestViewShape(t *testing.T) {
	d := loadedAccount(t)
	b, err := json.Marshal(d.View(testView))
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	var sections []string
	for k := range got {
		sections = append(sections, k)
	}
	if diff := cmp.Diff(settings.Sections, sections, sortStrings); diff != "" {
		t.Errorf("sections (-want +got):\n%s", diff)
	}
	// No secret appears in clear anywhere in the read form.
	for _, secret := range []string{botToken, d.Integration.PrivateKey, d.Integration.VK.SecretKey, d.Integration.VK.AccessKey,
		d.Integration.Zendesk.APIToken, "s3cret", `"short"`} {
		if strings.Contains(string(b), secret) {
			t.Errorf("read form holds %q", secret)
		}
	}
	// The stored form holds secrets in clear (the store persists it).
	stored, _ := json.Marshal(d)
	if !strings.Contains(string(stored), botToken) {
		t.Error("stored form lost the secret")
	}

	wants := map[string]string{
		"company.logoUrl":             `"https://parley.example.com/v1/widget/acc-1/logo?v=abababababababab"`,
		"leads.inviteAvatarUrl":       `"https://parley.example.com/v1/widget/acc-1/invite-avatar?v=cdcdcdcdcdcdcdcd"`,
		"classification.categoryTree": `[{"name":"Sport","children":[{"name":"Ski"},{"name":"Golf"}]},{"name":"VIP"}]`,
		"integration.vk.callbackUrl":  `"https://parley.example.com/v1/channels/vk/acc-1"`,
		"integration.privateKey":      `"••••abab"`,
		"misc.onlineQueueLimit":       `3`,
		"misc.offlineQueueLimit":      `null`,
	}
	for key, want := range wants {
		if diff := cmp.Diff(asJSON(t, want), readKey(t, d, key)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", key, diff)
		}
	}
}

func TestViewContext(t *testing.T) {
	d := loadedAccount(t)
	custom := settings.ViewContext{
		AccountID: "a/b", PublicBaseURL: "https://x.io",
		ImageURL: func(key string, img settings.Image) string { return "https://cdn.x.io/" + key + "/" + img.SHA256[:4] },
	}
	company, err := d.SectionView("company", custom)
	if err != nil {
		t.Fatal(err)
	}
	if got := company["logoUrl"]; got != "https://cdn.x.io/company.logo/abab" {
		t.Errorf("logoUrl = %v", got)
	}
	integration, _ := d.SectionView("integration", custom)
	if got := integration["vk"].(map[string]any)["callbackUrl"]; got != "https://x.io/v1/channels/vk/a%2Fb" {
		t.Errorf("callbackUrl = %v", got)
	}
	// Without a base URL nothing derived can be built: null, not a broken
	// relative URL.
	integration, _ = d.SectionView("integration", settings.ViewContext{})
	if got := integration["vk"].(map[string]any)["callbackUrl"]; got != nil {
		t.Errorf("callbackUrl = %v, want nil", got)
	}
	if got := settings.VKCallbackURL("https://x.io/", "42"); got != "https://x.io/v1/channels/vk/42" {
		t.Errorf("VKCallbackURL = %q", got)
	}
}

func TestViewOfZeroDocument(t *testing.T) {
	// A damaged or empty stored document still reads: lists are [] and
	// nothing panics.
	var d settings.Document
	d.Classification.Categories = " orphan"
	v := d.View(settings.ViewContext{})
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"leftMessages":[]`, `"priorityPages":[]`, `"categoryTree":[]`, `"onlineQueueLimit":null`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("read form lacks %s: %s", want, b)
		}
	}
}

func TestMask(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"short", "••••"},
		{"elevenchars", "••••"},
		{"twelve-chars", "••••hars"},
		{"0123456789abcdef1a2b", "••••1a2b"},
		{"пароль-пароль-1234", "••••1234"},
	}
	for _, tt := range tests {
		if got := settings.Mask(tt.in); got != tt.want {
			t.Errorf("Mask(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestDefaults(t *testing.T) {
	ru, en := settings.Defaults("ru"), settings.Defaults("en")
	if ru.AutoMessages.Greeting == en.AutoMessages.Greeting || ru.AutoMessages.BusyMessage == en.AutoMessages.BusyMessage {
		t.Error("greeting and busy message do not follow the language")
	}
	if en.Company.Language != "en" || ru.Company.Language != "ru" {
		t.Error("language not set")
	}
	for _, lang := range []string{"", "de", "RU"} {
		if diff := cmp.Diff(ru, settings.Defaults(lang)); diff != "" {
			t.Errorf("Defaults(%q) is not the ru default:\n%s", lang, diff)
		}
	}
	if ru.Integration.PrivateKey != "" {
		t.Error("Defaults generated a secret")
	}
}

func TestDefaultTexts(t *testing.T) {
	for _, lang := range settings.Languages {
		d := settings.Defaults(lang)
		for _, s := range []string{d.AutoMessages.Greeting, d.AutoMessages.BusyMessage} {
			if s == "" || len([]rune(s)) > settings.MaxMessageText {
				t.Errorf("%s default text %q", lang, s)
			}
		}
	}
	if !strings.Contains(settings.Defaults("ru").AutoMessages.Greeting, "Здравствуйте") {
		t.Error("the Russian greeting is not Russian")
	}
}

func TestNewAccountDocument(t *testing.T) {
	d, err := settings.NewAccountDocument("en", repeatReader(0x01))
	if err != nil {
		t.Fatal(err)
	}
	want := settings.Defaults("en")
	want.Integration.PrivateKey = secretOf(0x01)
	want.Integration.VK.SecretKey = secretOf(0x01)
	want.Integration.Webhooks.SigningSecret = "whsec_" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0x01}, 32))
	if diff := cmp.Diff(want, d); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if _, err := settings.NewAccountDocument("en", failingReader{}); err == nil {
		t.Error("a broken random source was ignored")
	}
}

func TestNewSecret(t *testing.T) {
	s, err := settings.NewSecret(repeatReader(0xab))
	if err != nil {
		t.Fatal(err)
	}
	if s != strings.Repeat("ab", 24) {
		t.Errorf("NewSecret = %q", s)
	}
	// VK accepts a secret key of at most 50 characters.
	if len(s) > 50 {
		t.Errorf("secret of %d characters", len(s))
	}
	if _, err := settings.NewSecret(strings.NewReader("short")); err == nil {
		t.Error("a short random source was accepted")
	}
}

func TestRegenerate(t *testing.T) {
	d := newAccount(t)
	n, key, err := d.RegeneratePrivateKey(repeatReader(0x02))
	if err != nil {
		t.Fatal(err)
	}
	if key != secretOf(0x02) || n.Integration.PrivateKey != key {
		t.Errorf("key %q, stored %q", key, n.Integration.PrivateKey)
	}
	if d.Integration.PrivateKey != secretOf(0xab) {
		t.Error("the receiver changed")
	}
	want := []settings.Change{{Key: "integration.privateKey", Old: "••••abab", New: "••••0202"}}
	if diff := cmp.Diff(want, settings.Diff(d, n)); diff != "" {
		t.Errorf("Diff (-want +got):\n%s", diff)
	}

	n, key, err = d.RegenerateVKSecretKey(repeatReader(0x03))
	if err != nil || key != secretOf(0x03) || n.Integration.VK.SecretKey != key {
		t.Errorf("RegenerateVKSecretKey = %q, %v", key, err)
	}

	got, _, err := d.RegeneratePrivateKey(failingReader{})
	if err == nil {
		t.Error("a broken random source was ignored")
	}
	if diff := cmp.Diff(d, got); diff != "" {
		t.Errorf("document changed on error:\n%s", diff)
	}
}

func TestLoad(t *testing.T) {
	d := loadedAccount(t)
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	got, err := settings.Load(b)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(d, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}

	// A document stored before some keys existed gets their defaults.
	old, err := settings.Load([]byte(`{"company":{"name":"Old","language":"en"},"misc":{"buttonProbability":40}}`))
	if err != nil {
		t.Fatal(err)
	}
	want := settings.Defaults("en")
	want.Company.Name = "Old"
	want.Misc.ButtonProbability = 40
	if diff := cmp.Diff(want, old); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}

	if _, err := settings.Load([]byte(`{"company":`)); err == nil {
		t.Error("broken JSON loaded")
	}
}

func TestTypedAccessors(t *testing.T) {
	d := loadedAccount(t)
	if got := d.AutoMessages.FirstResponse().Seconds(); got != 60 {
		t.Errorf("FirstResponse = %v", got)
	}
	if got := d.AutoMessages.Answer().Seconds(); got != 120 {
		t.Errorf("Answer = %v", got)
	}
	if got := d.AutoMessages.Refusal().Seconds(); got != 30 {
		t.Errorf("Refusal = %v", got)
	}
	if got := d.Company.Location().String(); got != "Europe/Moscow" {
		t.Errorf("Location = %v", got)
	}
	if got := (settings.Company{Timezone: "Nowhere/Else"}).Location().String(); got != "Europe/Moscow" {
		t.Errorf("damaged zone: Location = %v", got)
	}
	ranges, err := d.Security.Ranges()
	if err != nil || !ranges.Allows("10.0.0.7") || ranges.Allows("10.0.1.7") {
		t.Errorf("Ranges = %v, %v", ranges, err)
	}
	if got := d.Integration.CRMURLTemplate.Expand("a b/c"); got != "https://crm.acme.example/u/a%20b%2Fc" {
		t.Errorf("Expand = %q", got)
	}
}

// TestGreetingFor: the greeting in another language applies only in
// multilingual mode, only to a chat in that language, and an empty or
// missing text falls back to the main greeting (SPEC §4.1, §4.3).
func TestGreetingFor(t *testing.T) {
	d := settings.Defaults("ru")
	if got := d.AutoMessages.GreetingByLanguage; len(got) != 1 || !strings.HasPrefix(got["en"], "Hello") {
		t.Fatalf("a Russian account's other greetings %v, want the English default alone", got)
	}
	main := d.AutoMessages.Greeting
	if g := d.GreetingFor("en"); g != main {
		t.Errorf("mode off, en chat: %q, want the main greeting", g)
	}
	d.Features.Multilingual = true
	if g := d.GreetingFor("en"); g != d.AutoMessages.GreetingByLanguage["en"] {
		t.Errorf("mode on, en chat: %q, want the English greeting", g)
	}
	d.AutoMessages.GreetingByLanguage["ru"] = "ignored: ru is the company's language"
	if g := d.GreetingFor("ru"); g != main {
		t.Errorf("mode on, chat in the company's language: %q, want the main greeting", g)
	}
	d.AutoMessages.GreetingByLanguage = nil // a document stored before the key existed
	if g := d.GreetingFor("en"); g != main {
		t.Errorf("no other greetings: %q, want the main greeting", g)
	}
}

// TestGreetingByLanguageStored: the stored map replaces the defaults on
// load (decoding into them would merge), an empty one stays empty, and a
// document stored before the key existed gets the defaults.
func TestGreetingByLanguageStored(t *testing.T) {
	for _, stored := range []map[string]string{{}, {"ru": "Привет"}} {
		d := settings.Defaults("en")
		d.AutoMessages.GreetingByLanguage = stored
		data, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		got, err := settings.Load(data)
		if err != nil {
			t.Fatal(err)
		}
		if !maps.Equal(got.AutoMessages.GreetingByLanguage, stored) {
			t.Errorf("stored %v, loaded %v", stored, got.AutoMessages.GreetingByLanguage)
		}
	}
	old, err := settings.Load([]byte(`{"company":{"language":"en"},"autoMessages":{"greeting":"Hi"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if g := old.AutoMessages.GreetingByLanguage["ru"]; !strings.Contains(g, "Здравствуйте") {
		t.Errorf("a document without the key loads %v, want the Russian default", old.AutoMessages.GreetingByLanguage)
	}
}
