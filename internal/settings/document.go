package settings

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"time"
)

// Section names, in the order of SPEC §2 and of the read form.
const (
	SectionCompany        = "company"
	SectionEmails         = "emails"
	SectionClassification = "classification"
	SectionAutoMessages   = "autoMessages"
	SectionLeads          = "leads"
	SectionFeatures       = "features"
	SectionIntegration    = "integration"
	SectionSecurity       = "security"
	SectionMisc           = "misc"
)

// Sections lists every section name in read-form order.
var Sections = []string{
	SectionCompany, SectionEmails, SectionClassification, SectionAutoMessages,
	SectionLeads, SectionFeatures, SectionIntegration, SectionSecurity, SectionMisc,
}

// Languages are the values company.language accepts; the first is the
// default.
var Languages = []string{"ru", "en"}

// DefaultTimezone is company.timezone of a new account.
const DefaultTimezone = "Europe/Moscow"

// PlanCorporate is the only plan on which chat categories may be set
// (SPEC §2.3).
const PlanCorporate = "corporate"

// Document is the stored form of one account's settings. Secrets are in
// clear: never log it, never return it to a client (use View). Treat a
// Document as a value: methods return a new one and never modify the
// receiver.
type Document struct {
	Company        Company        `json:"company"`
	Emails         Emails         `json:"emails"`
	Classification Classification `json:"classification"`
	AutoMessages   AutoMessages   `json:"autoMessages"`
	Leads          Leads          `json:"leads"`
	Features       Features       `json:"features"`
	Integration    Integration    `json:"integration"`
	Security       Security       `json:"security"`
	Misc           Misc           `json:"misc"`
}

// Company is SPEC §2.1.
type Company struct {
	// Name signs every mail sent for the account. Empty only on a fresh
	// account: any write of the section requires it.
	Name string `json:"name"`
	// Logo is the uploaded logo, nil when there is none. The read form
	// shows it as company.logoUrl.
	Logo     *Image `json:"logo"`
	Timezone string `json:"timezone"`
	Website  string `json:"website"`
	Language string `json:"language"`
}

// Location is the account's time zone, falling back to DefaultTimezone if
// the stored name cannot be loaded (it was validated when written, so that
// only happens to a damaged document).
func (c Company) Location() *time.Location {
	if loc, err := ParseTimezone(c.Timezone); err == nil {
		return loc
	}
	loc, _ := time.LoadLocation(DefaultTimezone)
	return loc
}

// Emails is SPEC §2.2. Each list is required by writes but empty on a fresh
// account.
type Emails struct {
	// LeftMessages receives offline messages; its first address is the
	// Reply-To of every mail sent on the account's behalf.
	LeftMessages    []string `json:"leftMessages"`
	NegativeReviews []string `json:"negativeReviews"`
	DailyReports    []string `json:"dailyReports"`
}

// Classification is SPEC §2.3.
type Classification struct {
	// Categories is the text as typed; Tree gives its structure.
	Categories string `json:"categories"`
	Required   bool   `json:"required"`
}

// Tree is the category tree of the stored text. A text that no longer
// parses (it was validated when written) gives an empty tree rather than
// an error, so reads never fail.
func (c Classification) Tree() []Category {
	tree, err := ParseCategories(c.Categories)
	if err != nil {
		return []Category{}
	}
	return tree
}

// AutoMessages is SPEC §2.5. Timeouts are whole seconds; 0 disables the
// first two.
type AutoMessages struct {
	Greeting string `json:"greeting"`
	// GreetingByLanguage holds the greeting in languages other than the
	// company's, for multilingual mode (SPEC §4.3): see GreetingFor.
	GreetingByLanguage   map[string]string `json:"greetingByLanguage"`
	FirstResponseTimeout int               `json:"firstResponseTimeout"`
	AnswerTimeout        int               `json:"answerTimeout"`
	BusyMessage          string            `json:"busyMessage"`
	RefusalTimeout       int               `json:"refusalTimeout"`
}

// GreetingFor is the greeting of a chat in language lang (SPEC §4.1,
// §4.3). With multilingual mode on, a chat in another language than
// company.language gets that language's text of greetingByLanguage when
// there is one; every other chat gets autoMessages.greeting, so with the
// mode off one greeting serves everyone, as one language does.
func (d Document) GreetingFor(lang string) string {
	if d.Features.Multilingual && lang != d.Company.Language {
		if g := d.AutoMessages.GreetingByLanguage[lang]; g != "" {
			return g
		}
	}
	return d.AutoMessages.Greeting
}

// FirstResponse is FirstResponseTimeout as a duration (0 = never).
func (a AutoMessages) FirstResponse() time.Duration {
	return time.Duration(a.FirstResponseTimeout) * time.Second
}

// Answer is AnswerTimeout as a duration (0 = never).
func (a AutoMessages) Answer() time.Duration {
	return time.Duration(a.AnswerTimeout) * time.Second
}

// Refusal is RefusalTimeout as a duration.
func (a AutoMessages) Refusal() time.Duration {
	return time.Duration(a.RefusalTimeout) * time.Second
}

// Leads is SPEC §2.6.
type Leads struct {
	// InviteAvatar is the uploaded avatar, nil for the default one. The
	// read form shows it as leads.inviteAvatarUrl.
	InviteAvatar *Image `json:"inviteAvatar"`
}

// Features is SPEC §2.7.
type Features struct {
	HideOthersChats        bool     `json:"hideOthersChats"`
	HiddenProfiles         bool     `json:"hiddenProfiles"`
	NotifyNewVisitors      bool     `json:"notifyNewVisitors"`
	Multilingual           bool     `json:"multilingual"`
	AutoAssign             bool     `json:"autoAssign"`
	MaxChatsPerOperator    int      `json:"maxChatsPerOperator"`
	Teleport               bool     `json:"teleport"`
	VisitorTranscriptEmail bool     `json:"visitorTranscriptEmail"`
	PriorityPages          []string `json:"priorityPages"`
}

// Integration is SPEC §2.8. Secrets are in clear here.
type Integration struct {
	// PrivateKey signs visitor identification; generated, never typed.
	PrivateKey     string      `json:"privateKey"`
	CRMURLTemplate CRMTemplate `json:"crmUrlTemplate"`
	Telegram       Telegram    `json:"telegram"`
	VK             VK          `json:"vk"`
	Webhooks       Webhooks    `json:"webhooks"`
	Zendesk        Zendesk     `json:"zendesk"`
	AmoCRM         AmoCRM      `json:"amocrm"`
	Zoho           Zoho        `json:"zoho"`
	Unisender      Unisender   `json:"unisender"`
}

// Telegram connects a bot as a chat channel.
type Telegram struct {
	BotToken string `json:"botToken"`
}

// VK connects a VK community as a chat channel. Its callback URL is not
// stored: it is derived from the account id (VKCallbackURL).
type VK struct {
	AccessKey          string `json:"accessKey"`
	ConfirmationString string `json:"confirmationString"`
	// SecretKey is checked on every callback; generated, never typed.
	SecretKey string `json:"secretKey"`
}

// Webhooks are the event handlers of SPEC §4.9. A URL may carry
// user:password@, which becomes HTTP basic auth; the read form masks the
// password.
type Webhooks struct {
	ChatStart  string `json:"chatStart"`
	ChatAssign string `json:"chatAssign"`
	ChatClose  string `json:"chatClose"`
	// SigningSecret signs every delivery (webhook-signature); generated,
	// never typed.
	SigningSecret string `json:"signingSecret"`
}

// Zendesk creates a ticket per new chat. All three keys or none.
type Zendesk struct {
	Subdomain string `json:"subdomain"`
	Login     string `json:"login"`
	APIToken  string `json:"apiToken"`
}

// AmoCRM creates a contact per visitor who starts a dialog. All three keys
// or none.
type AmoCRM struct {
	Account string `json:"account"`
	Email   string `json:"email"`
	APIKey  string `json:"apiKey"`
}

// Zoho creates a lead per new chat. Email and Password are required once
// any key is set; AuthToken and LeadSource are optional.
type Zoho struct {
	Email      string `json:"email"`
	Password   string `json:"password"`
	AuthToken  string `json:"authToken"`
	LeadSource string `json:"leadSource"`
}

// Unisender adds visitors' contacts to a list. Both keys or none.
type Unisender struct {
	APIKey   string `json:"apiKey"`
	ListName string `json:"listName"`
}

// Security is SPEC §2.9.
type Security struct {
	// AllowedIPs is the text as typed; Ranges parses it. Empty = no limit.
	AllowedIPs string `json:"allowedIps"`
}

// Ranges parses AllowedIPs. An empty list means no limit: use
// IPRanges.Allows, not Contains, to decide access.
func (s Security) Ranges() (IPRanges, error) {
	return ParseAllowedIPs(s.AllowedIPs)
}

// Misc is SPEC §2.10.
type Misc struct {
	ButtonProbability int `json:"buttonProbability"`
	// OnlineQueueLimit and OfflineQueueLimit are nil for no limit.
	OnlineQueueLimit  *int `json:"onlineQueueLimit"`
	OfflineQueueLimit *int `json:"offlineQueueLimit"`
}

// Default texts of the auto-messages, per account language.
var (
	defaultGreeting = map[string]string{
		"ru": "Здравствуйте! Чем мы можем вам помочь?",
		"en": "Hello! How can we help you?",
	}
	defaultBusyMessage = map[string]string{
		"ru": "К сожалению, все операторы сейчас заняты. Пожалуйста, подождите немного — мы ответим вам, как только освободимся.",
		"en": "Sorry, all operators are busy at the moment. Please wait a little: we will answer you as soon as we can.",
	}
)

// otherLanguages is texts without the one in lang: the defaults of the
// greeting in the languages a multilingual account speaks besides its own.
func otherLanguages(texts map[string]string, lang string) map[string]string {
	out := map[string]string{}
	for l, t := range texts {
		if l != lang {
			out[l] = t
		}
	}
	return out
}

// Defaults is the SPEC §2 document of a new account whose language is
// companyLanguage (ru when empty or not one of Languages). It has no
// generated secrets: NewAccountDocument adds them.
func Defaults(companyLanguage string) Document {
	lang := companyLanguage
	if !slices.Contains(Languages, lang) {
		lang = Languages[0]
	}
	return Document{
		Company: Company{
			Timezone: DefaultTimezone,
			Language: lang,
		},
		Emails: Emails{
			LeftMessages:    []string{},
			NegativeReviews: []string{},
			DailyReports:    []string{},
		},
		AutoMessages: AutoMessages{
			Greeting:             defaultGreeting[lang],
			GreetingByLanguage:   otherLanguages(defaultGreeting, lang),
			FirstResponseTimeout: 60,
			AnswerTimeout:        120,
			BusyMessage:          defaultBusyMessage[lang],
			RefusalTimeout:       30,
		},
		Features: Features{
			MaxChatsPerOperator:    5,
			VisitorTranscriptEmail: true,
			PriorityPages:          []string{},
		},
		Misc: Misc{ButtonProbability: 100},
	}
}

// NewAccountDocument is Defaults(lang) with the generated secrets
// (integration.privateKey, integration.vk.secretKey,
// integration.webhooks.signingSecret) drawn from rand
// (crypto/rand.Reader in production).
func NewAccountDocument(lang string, rand io.Reader) (Document, error) {
	d := Defaults(lang)
	var err error
	if d.Integration.PrivateKey, err = NewSecret(rand); err != nil {
		return Document{}, err
	}
	if d.Integration.VK.SecretKey, err = NewSecret(rand); err != nil {
		return Document{}, err
	}
	if d.Integration.Webhooks.SigningSecret, err = NewSigningSecret(rand); err != nil {
		return Document{}, err
	}
	return d, nil
}

// Load decodes the stored form. Keys missing from data (a document stored
// before they existed) take their defaults in the stored language.
func Load(data []byte) (Document, error) {
	var probe struct {
		Company struct {
			Language string `json:"language"`
		} `json:"company"`
		AutoMessages struct {
			GreetingByLanguage json.RawMessage `json:"greetingByLanguage"`
		} `json:"autoMessages"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return Document{}, fmt.Errorf("settings: decode stored document: %w", err)
	}
	d := Defaults(probe.Company.Language)
	if len(probe.AutoMessages.GreetingByLanguage) > 0 {
		// A stored map replaces the default one: decoding into the
		// default would merge the two.
		d.AutoMessages.GreetingByLanguage = nil
	}
	if err := json.Unmarshal(data, &d); err != nil {
		return Document{}, fmt.Errorf("settings: decode stored document: %w", err)
	}
	return d.clone(), nil
}

// clone copies everything a Document shares by reference, so a returned
// document never aliases its receiver.
func (d Document) clone() Document {
	c := d
	c.Emails.LeftMessages = cloneList(d.Emails.LeftMessages)
	c.Emails.NegativeReviews = cloneList(d.Emails.NegativeReviews)
	c.Emails.DailyReports = cloneList(d.Emails.DailyReports)
	c.Features.PriorityPages = cloneList(d.Features.PriorityPages)
	c.Company.Logo = clonePtr(d.Company.Logo)
	c.Leads.InviteAvatar = clonePtr(d.Leads.InviteAvatar)
	c.Misc.OnlineQueueLimit = clonePtr(d.Misc.OnlineQueueLimit)
	c.Misc.OfflineQueueLimit = clonePtr(d.Misc.OfflineQueueLimit)
	c.AutoMessages.GreetingByLanguage = maps.Clone(d.AutoMessages.GreetingByLanguage)
	return c
}

// cloneList copies a list, turning nil into an empty list so that the
// stored and read forms say [] rather than null.
func cloneList(l []string) []string {
	if l == nil {
		return []string{}
	}
	return slices.Clone(l)
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}
