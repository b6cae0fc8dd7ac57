package settings

import (
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Limits of free-text settings.
const (
	MaxCompanyName  = 200
	MaxMessageText  = 1000 // autoMessages.greeting and autoMessages.busyMessage
	MaxShortText    = 100  // list names, lead source, VK confirmation string
	MaxSecretLength = 512
	MaxPassword     = 256
	MaxTimeoutSecs  = 24 * 60 * 60 // a longer timeout is a typo, not a policy
	MaxChatsLimit   = 1000
	MaxQueueLimit   = 100000
)

// kind says how a key is read and written.
type kind int

const (
	kindPlain     kind = iota // typed by the client, read back as stored
	kindSecret                // write-only: read masked; the mask sent back keeps it
	kindURLSecret             // a URL whose password is write-only (webhooks)
	kindGenerated             // made by the service: read masked, never typed
	kindDerived               // computed for the read form, never stored
	kindImage                 // uploaded on its own path; read as a derived URL
)

// field is one dotted key of SPEC §2 and everything the package does with
// it. get and set work on the stored Document; parse turns a JSON value
// (as decoded with UseNumber) into the stored value or a user message.
type field struct {
	key    string
	kind   kind
	get    func(*Document) any
	set    func(*Document, any)
	parse  func(raw any) (any, error)
	derive func(Document, ViewContext) any
	// hint tells how to change a key that cannot be written here.
	hint string
}

func (f *field) writable() bool {
	return f.kind == kindPlain || f.kind == kindSecret || f.kind == kindURLSecret
}

// leaf makes a stored field from a pointer into the document and a parser.
func leaf[T any](key string, k kind, ptr func(*Document) *T, parse func(any) (T, error)) *field {
	f := &field{
		key:  key,
		kind: k,
		get:  func(d *Document) any { return *ptr(d) },
		set:  func(d *Document, v any) { *ptr(d) = v.(T) },
	}
	if parse != nil {
		f.parse = func(raw any) (any, error) { return parse(raw) }
	}
	return f
}

// derived makes a read-only key of the read form.
func derived(key, hint string, derive func(Document, ViewContext) any) *field {
	return &field{key: key, kind: kindDerived, derive: derive, hint: hint}
}

// fields lists every key of SPEC §2, section by section, in read-form
// order. It is the single table behind writes, reads and the audit diff.
func fields() []*field {
	return []*field{
		// 2.1 Company
		leaf("company.name", kindPlain, func(d *Document) *string { return &d.Company.Name }, singleLine(MaxCompanyName, true)),
		{key: KeyLogo, kind: kindImage, hint: "upload the image with PUT /v1/settings/company/logo, remove it with DELETE",
			get: func(d *Document) any { return d.Company.Logo }, set: func(d *Document, v any) { d.Company.Logo = v.(*Image) }},
		derived("company.logoUrl", "upload the logo with PUT /v1/settings/company/logo, remove it with DELETE",
			func(d Document, v ViewContext) any { return v.imageURL(KeyLogo, d.Company.Logo) }),
		leaf("company.timezone", kindPlain, func(d *Document) *string { return &d.Company.Timezone }, timezone),
		leaf("company.website", kindPlain, func(d *Document) *string { return &d.Company.Website }, optional(ParseURL)),
		leaf("company.language", kindPlain, func(d *Document) *string { return &d.Company.Language }, language),

		// 2.2 Notification e-mail addresses
		leaf("emails.leftMessages", kindPlain, func(d *Document) *[]string { return &d.Emails.LeftMessages }, emailList),
		leaf("emails.negativeReviews", kindPlain, func(d *Document) *[]string { return &d.Emails.NegativeReviews }, emailList),
		leaf("emails.dailyReports", kindPlain, func(d *Document) *[]string { return &d.Emails.DailyReports }, emailList),

		// 2.3 Chat classification
		leaf("classification.categories", kindPlain, func(d *Document) *string { return &d.Classification.Categories }, categoriesText),
		derived("classification.categoryTree", "edit classification.categories instead",
			func(d Document, _ ViewContext) any { return d.Classification.Tree() }),
		leaf("classification.required", kindPlain, func(d *Document) *bool { return &d.Classification.Required }, boolean),

		// 2.5 Auto-messages
		leaf("autoMessages.greeting", kindPlain, func(d *Document) *string { return &d.AutoMessages.Greeting }, multiLine(MaxMessageText)),
		{key: "autoMessages.greetingByLanguage", kind: kindPlain,
			// Read back as an object even when nothing is stored.
			get: func(d *Document) any {
				if d.AutoMessages.GreetingByLanguage == nil {
					return map[string]string{}
				}
				return d.AutoMessages.GreetingByLanguage
			},
			set:   func(d *Document, v any) { d.AutoMessages.GreetingByLanguage = v.(map[string]string) },
			parse: func(raw any) (any, error) { return greetingTexts(raw) }},
		leaf("autoMessages.firstResponseTimeout", kindPlain, func(d *Document) *int { return &d.AutoMessages.FirstResponseTimeout }, integer(0, MaxTimeoutSecs)),
		leaf("autoMessages.answerTimeout", kindPlain, func(d *Document) *int { return &d.AutoMessages.AnswerTimeout }, integer(0, MaxTimeoutSecs)),
		leaf("autoMessages.busyMessage", kindPlain, func(d *Document) *string { return &d.AutoMessages.BusyMessage }, multiLine(MaxMessageText)),
		leaf("autoMessages.refusalTimeout", kindPlain, func(d *Document) *int { return &d.AutoMessages.RefusalTimeout }, integer(0, MaxTimeoutSecs)),

		// 2.6 Lead generator
		{key: KeyInviteAvatar, kind: kindImage, hint: "upload the image with PUT /v1/settings/leads/invite-avatar, reset it with DELETE",
			get: func(d *Document) any { return d.Leads.InviteAvatar }, set: func(d *Document, v any) { d.Leads.InviteAvatar = v.(*Image) }},
		derived("leads.inviteAvatarUrl", "upload the avatar with PUT /v1/settings/leads/invite-avatar, reset it with DELETE",
			func(d Document, v ViewContext) any { return v.imageURL(KeyInviteAvatar, d.Leads.InviteAvatar) }),

		// 2.7 Additional functions
		leaf("features.hideOthersChats", kindPlain, func(d *Document) *bool { return &d.Features.HideOthersChats }, boolean),
		leaf("features.hiddenProfiles", kindPlain, func(d *Document) *bool { return &d.Features.HiddenProfiles }, boolean),
		leaf("features.notifyNewVisitors", kindPlain, func(d *Document) *bool { return &d.Features.NotifyNewVisitors }, boolean),
		leaf("features.multilingual", kindPlain, func(d *Document) *bool { return &d.Features.Multilingual }, boolean),
		leaf("features.autoAssign", kindPlain, func(d *Document) *bool { return &d.Features.AutoAssign }, boolean),
		leaf("features.maxChatsPerOperator", kindPlain, func(d *Document) *int { return &d.Features.MaxChatsPerOperator }, integer(1, MaxChatsLimit)),
		leaf("features.teleport", kindPlain, func(d *Document) *bool { return &d.Features.Teleport }, boolean),
		leaf("features.visitorTranscriptEmail", kindPlain, func(d *Document) *bool { return &d.Features.VisitorTranscriptEmail }, boolean),
		leaf("features.priorityPages", kindPlain, func(d *Document) *[]string { return &d.Features.PriorityPages }, priorityPages),

		// 2.8 Integration
		{key: "integration.privateKey", kind: kindGenerated, hint: "regenerate it with POST /v1/settings/integration/private-key/regenerate",
			get: func(d *Document) any { return d.Integration.PrivateKey }, set: func(d *Document, v any) { d.Integration.PrivateKey = v.(string) }},
		leaf("integration.crmUrlTemplate", kindPlain, func(d *Document) *CRMTemplate { return &d.Integration.CRMURLTemplate }, crmTemplate),
		leaf("integration.telegram.botToken", kindSecret, func(d *Document) *string { return &d.Integration.Telegram.BotToken }, trimmed(ParseTelegramBotToken)),
		leaf("integration.vk.accessKey", kindSecret, func(d *Document) *string { return &d.Integration.VK.AccessKey }, token(MaxSecretLength)),
		derived("integration.vk.callbackUrl", "it is the address of this service; copy it into the VK community settings",
			func(d Document, v ViewContext) any { return nilIfEmpty(VKCallbackURL(v.PublicBaseURL, v.AccountID)) }),
		leaf("integration.vk.confirmationString", kindPlain, func(d *Document) *string { return &d.Integration.VK.ConfirmationString }, optional(stringParser(token(MaxShortText)))),
		{key: "integration.vk.secretKey", kind: kindGenerated, hint: "regenerate it with POST /v1/settings/integration/vk/secret-key/regenerate",
			get: func(d *Document) any { return d.Integration.VK.SecretKey }, set: func(d *Document, v any) { d.Integration.VK.SecretKey = v.(string) }},
		leaf("integration.webhooks.chatStart", kindURLSecret, func(d *Document) *string { return &d.Integration.Webhooks.ChatStart }, optional(ParseWebhookURL)),
		leaf("integration.webhooks.chatAssign", kindURLSecret, func(d *Document) *string { return &d.Integration.Webhooks.ChatAssign }, optional(ParseWebhookURL)),
		leaf("integration.webhooks.chatClose", kindURLSecret, func(d *Document) *string { return &d.Integration.Webhooks.ChatClose }, optional(ParseWebhookURL)),
		{key: "integration.webhooks.signingSecret", kind: kindGenerated, hint: "regenerate it with POST /v1/settings/integration/webhooks/signing-secret/regenerate",
			get: func(d *Document) any { return d.Integration.Webhooks.SigningSecret }, set: func(d *Document, v any) { d.Integration.Webhooks.SigningSecret = v.(string) }},
		leaf("integration.zendesk.subdomain", kindPlain, func(d *Document) *string { return &d.Integration.Zendesk.Subdomain }, optional(accountName("zendesk.com"))),
		leaf("integration.zendesk.login", kindPlain, func(d *Document) *string { return &d.Integration.Zendesk.Login }, optional(ParseEmail)),
		leaf("integration.zendesk.apiToken", kindSecret, func(d *Document) *string { return &d.Integration.Zendesk.APIToken }, token(MaxSecretLength)),
		leaf("integration.amocrm.account", kindPlain, func(d *Document) *string { return &d.Integration.AmoCRM.Account }, optional(accountName("amocrm.ru"))),
		leaf("integration.amocrm.email", kindPlain, func(d *Document) *string { return &d.Integration.AmoCRM.Email }, optional(ParseEmail)),
		leaf("integration.amocrm.apiKey", kindSecret, func(d *Document) *string { return &d.Integration.AmoCRM.APIKey }, token(MaxSecretLength)),
		leaf("integration.zoho.email", kindPlain, func(d *Document) *string { return &d.Integration.Zoho.Email }, optional(ParseEmail)),
		leaf("integration.zoho.password", kindSecret, func(d *Document) *string { return &d.Integration.Zoho.Password }, password),
		leaf("integration.zoho.authToken", kindSecret, func(d *Document) *string { return &d.Integration.Zoho.AuthToken }, token(MaxSecretLength)),
		leaf("integration.zoho.leadSource", kindPlain, func(d *Document) *string { return &d.Integration.Zoho.LeadSource }, singleLine(MaxShortText, false)),
		leaf("integration.unisender.apiKey", kindSecret, func(d *Document) *string { return &d.Integration.Unisender.APIKey }, token(MaxSecretLength)),
		leaf("integration.unisender.listName", kindPlain, func(d *Document) *string { return &d.Integration.Unisender.ListName }, singleLine(MaxShortText, false)),

		// 2.9 Security
		leaf("security.allowedIps", kindPlain, func(d *Document) *string { return &d.Security.AllowedIPs }, allowedIPsText),

		// 2.10 Miscellaneous
		leaf("misc.buttonProbability", kindPlain, func(d *Document) *int { return &d.Misc.ButtonProbability }, integer(0, 100)),
		leaf("misc.onlineQueueLimit", kindPlain, func(d *Document) **int { return &d.Misc.OnlineQueueLimit }, queueLimit),
		leaf("misc.offlineQueueLimit", kindPlain, func(d *Document) **int { return &d.Misc.OfflineQueueLimit }, queueLimit),
	}
}

// node is one step of a dotted key: a section, a group (integration.vk) or
// a leaf.
type node struct {
	key      string
	field    *field
	children map[string]*node
}

// schema is the field table indexed for writes and reads.
var schema = buildSchema(fields())

type schemaIndex struct {
	sections map[string]*node
	leaves   map[string][]*field // per section, in table order
	all      []*field
}

func buildSchema(fs []*field) schemaIndex {
	s := schemaIndex{sections: map[string]*node{}, leaves: map[string][]*field{}, all: fs}
	for _, f := range fs {
		parts := strings.Split(f.key, ".")
		sec := parts[0]
		n := s.sections[sec]
		if n == nil {
			n = &node{key: sec, children: map[string]*node{}}
			s.sections[sec] = n
		}
		for i, p := range parts[1:] {
			c := n.children[p]
			if c == nil {
				c = &node{key: n.key + "." + p, children: map[string]*node{}}
				n.children[p] = c
			}
			if i == len(parts)-2 {
				c.field = f
			}
			n = c
		}
		s.leaves[sec] = append(s.leaves[sec], f)
	}
	for _, sec := range Sections {
		if s.sections[sec] == nil {
			panic("settings: section without keys: " + sec)
		}
	}
	return s
}

// Parsers of JSON values. raw comes from encoding/json with UseNumber:
// nil, bool, json.Number, string, []any or map[string]any.

func str(raw any) (string, error) {
	s, ok := raw.(string)
	if !ok {
		return "", invalid("must be a string")
	}
	return s, nil
}

func boolean(raw any) (bool, error) {
	b, ok := raw.(bool)
	if !ok {
		return false, invalid("must be true or false")
	}
	return b, nil
}

// integer accepts a JSON integer in [min, max]: not a string, not a
// fraction, not an exponent form (60.0 and 6e1 are refused too, because a
// client sending them has a bug worth seeing).
func integer(min, max int) func(any) (int, error) {
	return func(raw any) (int, error) {
		n, ok := raw.(json.Number)
		if !ok {
			return 0, invalid("must be a whole number from %d to %d", min, max)
		}
		v, err := strconv.ParseInt(n.String(), 10, 64)
		if err != nil || v < int64(min) || v > int64(max) {
			return 0, invalid("must be a whole number from %d to %d", min, max)
		}
		return int(v), nil
	}
}

// queueLimit is a positive integer; null (no limit) is handled as a reset
// to the default before parsing.
func queueLimit(raw any) (*int, error) {
	v, err := integer(1, MaxQueueLimit)(raw)
	if err != nil {
		return nil, invalid("must be a whole number from 1 to %d, or null for no limit", MaxQueueLimit)
	}
	return &v, nil
}

// stringList accepts an array of strings or, leniently, one string.
func stringList(raw any) ([]string, error) {
	switch v := raw.(type) {
	case string:
		return []string{v}, nil
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			s, ok := e.(string)
			if !ok {
				return nil, invalid("must be an array of strings")
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, invalid("must be an array of strings")
}

func emailList(raw any) ([]string, error) {
	items, err := stringList(raw)
	if err != nil {
		return nil, err
	}
	return ParseEmails(items)
}

func priorityPages(raw any) ([]string, error) {
	items, err := stringList(raw)
	if err != nil {
		return nil, err
	}
	return ParsePriorityPages(items)
}

// singleLine is a trimmed one-line text of at most max characters.
func singleLine(max int, required bool) func(any) (string, error) {
	return func(raw any) (string, error) {
		s, err := str(raw)
		if err != nil {
			return "", err
		}
		s = strings.TrimSpace(s)
		switch {
		case s == "" && required:
			return "", invalid("is required")
		case hasControl(s, ""):
			return "", invalid("must be one line, without control characters")
		case utf8.RuneCountInString(s) > max:
			return "", invalid("is at most %d characters", max)
		}
		return s, nil
	}
}

// multiLine is a text of at most max characters; line breaks and tabs are
// kept, surrounding blank space trimmed.
func multiLine(max int) func(any) (string, error) {
	return func(raw any) (string, error) {
		s, err := str(raw)
		if err != nil {
			return "", err
		}
		s = strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n"))
		switch {
		case hasControl(s, "\n\t"):
			return "", invalid("cannot hold control characters")
		case utf8.RuneCountInString(s) > max:
			return "", invalid("is at most %d characters", max)
		}
		return s, nil
	}
}

// optional wraps a string parser so that an empty (or blank) value means
// "not set".
func optional[T ~string](p func(string) (T, error)) func(any) (T, error) {
	return func(raw any) (T, error) {
		s, err := str(raw)
		if err != nil {
			return "", err
		}
		if strings.TrimSpace(s) == "" {
			return "", nil
		}
		return p(s)
	}
}

// trimmed adapts a string parser to a JSON value.
func trimmed(p func(string) (string, error)) func(any) (string, error) {
	return func(raw any) (string, error) {
		s, err := str(raw)
		if err != nil {
			return "", err
		}
		return p(strings.TrimSpace(s))
	}
}

// stringParser adapts a JSON-value parser to a string parser.
func stringParser(p func(any) (string, error)) func(string) (string, error) {
	return func(s string) (string, error) { return p(s) }
}

// token is an API key or access key: printable ASCII without spaces, the
// form every provider issues; trimmed, because keys are pasted.
func token(max int) func(any) (string, error) {
	return func(raw any) (string, error) {
		s, err := str(raw)
		if err != nil {
			return "", err
		}
		s = strings.TrimSpace(s)
		if len(s) > max {
			return "", invalid("is at most %d characters", max)
		}
		for i := 0; i < len(s); i++ {
			if s[i] <= ' ' || s[i] >= 127 {
				return "", invalid("must be one word of printable Latin characters, as the provider issued it")
			}
		}
		return s, nil
	}
}

// password is kept exactly as typed: spaces may be part of it.
func password(raw any) (string, error) {
	s, err := str(raw)
	if err != nil {
		return "", err
	}
	switch {
	case hasControl(s, ""):
		return "", invalid("cannot hold control characters")
	case utf8.RuneCountInString(s) > MaxPassword:
		return "", invalid("is at most %d characters", MaxPassword)
	}
	return s, nil
}

func timezone(raw any) (string, error) {
	s, err := str(raw)
	if err != nil {
		return "", err
	}
	loc, err := ParseTimezone(strings.TrimSpace(s))
	if err != nil {
		return "", err
	}
	return loc.String(), nil
}

func language(raw any) (string, error) {
	s, err := str(raw)
	if err != nil {
		return "", err
	}
	s = strings.ToLower(strings.TrimSpace(s))
	if !slices.Contains(Languages, s) {
		return "", invalid("must be one of %s", strings.Join(Languages, ", "))
	}
	return s, nil
}

// greetingTexts reads autoMessages.greetingByLanguage: an object from a
// language of Languages to its greeting; an empty text drops the
// language, which then gets autoMessages.greeting.
func greetingTexts(raw any) (map[string]string, error) {
	obj, ok := raw.(map[string]any)
	if !ok {
		return nil, invalid("must be an object of a greeting per language (%s)", strings.Join(Languages, ", "))
	}
	out := map[string]string{}
	for _, lang := range slices.Sorted(maps.Keys(obj)) {
		if !slices.Contains(Languages, lang) {
			return nil, invalid("%q is not a language: use %s", lang, strings.Join(Languages, ", "))
		}
		text, err := multiLine(MaxMessageText)(obj[lang])
		if err != nil {
			return nil, invalid("%s: %s", lang, messageOf(err))
		}
		if text != "" {
			out[lang] = text
		}
	}
	return out, nil
}

func categoriesText(raw any) (string, error) {
	s, err := str(raw)
	if err != nil {
		return "", err
	}
	if _, err := ParseCategories(s); err != nil {
		return "", err
	}
	return s, nil
}

func allowedIPsText(raw any) (string, error) {
	s, err := str(raw)
	if err != nil {
		return "", err
	}
	s = strings.TrimSpace(s)
	if _, err := ParseAllowedIPs(s); err != nil {
		return "", err
	}
	return s, nil
}

func crmTemplate(raw any) (CRMTemplate, error) {
	return optional(ParseCRMTemplate)(raw)
}

// accountName is the account part of a SaaS host name (the Zendesk
// subdomain, the amoCRM account): one DNS label. A pasted host name or URL
// is refused with a message showing which part to keep.
func accountName(suffix string) func(string) (string, error) {
	return func(s string) (string, error) {
		s = strings.TrimSpace(s)
		if !validLabel(s, true) || strings.Contains(s, "_") {
			return "", invalid("must be only the account name: for https://mycompany.%s write mycompany", suffix)
		}
		return s, nil
	}
}

// nilIfEmpty turns an absent derived string into JSON null.
func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// normalize gives a stored value in the form of the read form and of
// Change: pointers dereferenced or nil, lists never nil, named strings as
// plain strings.
func normalize(v any) any {
	switch x := v.(type) {
	case *int:
		if x == nil {
			return nil
		}
		return *x
	case []string:
		return cloneList(x)
	case *Image:
		if x == nil {
			return nil
		}
		return *x
	case CRMTemplate:
		return string(x)
	}
	return v
}

// jsonEqual compares two values as JSON documents, so that a value a client
// sent back compares equal to the read form it came from.
func jsonEqual(a, b any) bool {
	na, err1 := jsonRoundTrip(a)
	nb, err2 := jsonRoundTrip(b)
	return err1 == nil && err2 == nil && reflect.DeepEqual(na, nb)
}

func jsonRoundTrip(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out any
	err = json.Unmarshal(b, &out)
	return out, err
}
