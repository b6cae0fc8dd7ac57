package chat

import (
	"context"
	"math/rand/v2"
	"slices"
	"strings"

	"parley/internal/account"
	"parley/internal/apperr"
	"parley/internal/auth"
	"parley/internal/settings"
)

// WidgetStore is what the widget's config needs of storage.
type WidgetStore interface {
	// Account returns an account. Errors: apperr.NotFound.
	Account(ctx context.Context, id string) (account.Account, error)
	// DrawButton returns the visitor's sticky draw, storing draw if none.
	DrawButton(ctx context.Context, accountID, visitorID string, draw int) (int, error)
	WaitingCount(ctx context.Context, accountID string) (int64, error)
	UnansweredCount(ctx context.Context, accountID string) (int64, error)
	OnlineOperators(ctx context.Context, accountID string) ([]Operator, error)
	// StaffOnline returns the people with a live staff connection and the
	// people who are away.
	StaffOnline(ctx context.Context, accountID string) (online []string, away map[string]bool, err error)
	Departments(ctx context.Context, accountID string) ([]account.Department, error)
}

// Widget decides what the widget shows before a chat: the button, the
// pre-chat form, and the visitor it speaks for.
type Widget struct {
	Store    WidgetStore
	Settings *settings.Service
	Chats    *Service
	Tokens   *auth.Signer
	// Draw is a visitor's draw against misc.buttonProbability (0..99);
	// nil draws at random.
	Draw func() int
}

// DepartmentOption is a department the pre-chat form offers.
type DepartmentOption struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// WidgetConfig is what the widget loads before showing the button.
type WidgetConfig struct {
	AccountID              string
	Button                 string
	Language               string
	AskQuestion            bool
	Greeting               string
	LogoURL                any
	InviteAvatarURL        any
	VisitorID              string
	VisitorToken           string
	VisitorTranscriptEmail bool
	// OpenChat: the visitor has a chat going on (or a closed one not read
	// yet) although the button is hidden.
	OpenChat bool
	// Departments is the pre-chat form's choice; nil unless asked for.
	Departments []DepartmentOption
}

// Config is the widget's config (no token): the button state from
// operators' presence, the language, the greeting, and the visitor's
// token — the one it sent if still valid, so a returning visitor is
// recognised, else a new one. The placement's options (askQuestion,
// askDepartment, language) shape the pre-chat form. Errors: apperr.Invalid
// for a bad option, apperr.NotFound for an unknown account.
func (w *Widget) Config(ctx context.Context, accountID, visitorToken string, placement map[string]string) (WidgetConfig, error) {
	acc, err := w.Store.Account(ctx, accountID)
	if err != nil {
		return WidgetConfig{}, err
	}
	doc, err := w.Settings.Document(ctx, acc.ID)
	if err != nil {
		return WidgetConfig{}, err
	}
	out := WidgetConfig{AccountID: acc.ID, VisitorTranscriptEmail: doc.Features.VisitorTranscriptEmail}
	out.LogoURL, out.InviteAvatarURL = w.Settings.ImageURLs(doc, acc.ID)
	visitor, err := w.Tokens.Verify(visitorToken, auth.Visitor)
	token := visitorToken
	if err != nil || visitor.AccountID != acc.ID {
		visitor = auth.Principal{Kind: auth.Visitor, AccountID: acc.ID, Subject: account.NewID()}
		if token, err = w.Tokens.Issue(visitor, auth.VisitorTTL); err != nil {
			return WidgetConfig{}, err
		}
	}
	out.VisitorID, out.VisitorToken = visitor.Subject, token
	if err := w.prechat(ctx, doc, acc.ID, placement, &out); err != nil {
		return WidgetConfig{}, err
	}
	out.Greeting = doc.GreetingFor(out.Language)
	if out.Button, err = w.button(ctx, doc, acc.ID, visitor.Subject, out.Language); err != nil {
		return WidgetConfig{}, err
	}
	// A hidden button hides the offer of a new chat, never a chat going
	// on: a returning visitor with one (or with a closed one they have
	// not read yet) is told to show the widget anyway.
	if out.Button == ButtonHidden && token == visitorToken {
		_, _, out.OpenChat, err = w.Chats.Resume(ctx, Party{AccountID: acc.ID, Kind: FromVisitor, ID: visitor.Subject}, 0, 1)
		if err != nil {
			return WidgetConfig{}, err
		}
	}
	return out, nil
}

// button decides the widget's button for a visitor of a placement whose
// chats are in language: their sticky draw, whether an operator who may
// take such a chat is online and not away (SPEC §4.16), and the queue
// that matters (waiting chats while online; unanswered offline requests
// when the offline button is the one to show, operators offline or the
// online queue full); each counter is read only when its limit is set.
func (w *Widget) button(ctx context.Context, doc settings.Document, accountID, visitorID, language string) (string, error) {
	draw := w.Draw
	if draw == nil {
		draw = func() int { return rand.IntN(100) }
	}
	drawn, err := w.Store.DrawButton(ctx, accountID, visitorID, draw())
	if err != nil {
		return "", err
	}
	online, err := w.eligibleOnline(ctx, doc, accountID, language)
	if err != nil {
		return "", err
	}
	var waiting int64
	if online && doc.Misc.OnlineQueueLimit != nil {
		if waiting, err = w.Store.WaitingCount(ctx, accountID); err != nil {
			return "", err
		}
	}
	onlineShows := online && (doc.Misc.OnlineQueueLimit == nil || waiting < int64(*doc.Misc.OnlineQueueLimit))
	var unanswered int64
	if !onlineShows && doc.Misc.OfflineQueueLimit != nil {
		if unanswered, err = w.Store.UnansweredCount(ctx, accountID); err != nil {
			return "", err
		}
	}
	return Button(doc.Misc, drawn, online, waiting, unanswered), nil
}

// eligibleOnline reports whether some staff member who may take a chat in
// language is online and not away. Only multilingual mode narrows it by
// language, and only it needs the people's languages (one more Query);
// otherwise presence alone decides.
func (w *Widget) eligibleOnline(ctx context.Context, doc settings.Document, accountID, language string) (bool, error) {
	if doc.Features.Multilingual {
		ops, err := w.Store.OnlineOperators(ctx, accountID)
		if err != nil {
			return false, err
		}
		return slices.ContainsFunc(ops, func(op Operator) bool { return op.Eligible(Chat{Language: language}, true) }), nil
	}
	online, away, err := w.Store.StaffOnline(ctx, accountID)
	if err != nil {
		return false, err
	}
	return slices.ContainsFunc(online, func(subject string) bool { return !away[subject] }), nil
}

// prechat reads the placement's options: askQuestion=1, askDepartment=1,
// language=xx. The placement's language is the chat's only in
// multilingual mode; otherwise company.language is used everywhere.
// Errors: apperr.Invalid.
func (w *Widget) prechat(ctx context.Context, doc settings.Document, accountID string, q map[string]string, out *WidgetConfig) error {
	flag := func(name string) (bool, error) {
		switch q[name] {
		case "", "0", "false":
			return false, nil
		case "1", "true":
			return true, nil
		}
		return false, &apperr.Error{Code: apperr.Invalid, Message: name + " must be 1 or 0", Fields: map[string]string{name: "must be 1 or 0"}}
	}
	var err error
	if out.AskQuestion, err = flag("askQuestion"); err != nil {
		return err
	}
	askDepartment, err := flag("askDepartment")
	if err != nil {
		return err
	}
	if l := q["language"]; l != "" && !slices.Contains(settings.Languages, l) {
		return &apperr.Error{Code: apperr.Invalid, Message: "language must be one of " + strings.Join(settings.Languages, ", "),
			Fields: map[string]string{"language": "is not a supported language"}}
	}
	out.Language = ChatLanguage(doc, q["language"])
	if askDepartment {
		ds, err := w.Store.Departments(ctx, accountID)
		if err != nil {
			return err
		}
		out.Departments = make([]DepartmentOption, 0, len(ds))
		for _, dep := range ds {
			out.Departments = append(out.Departments, DepartmentOption{ID: dep.ID, Name: dep.Name})
		}
		slices.SortFunc(out.Departments, func(a, b DepartmentOption) int { return strings.Compare(a.Name, b.Name) })
	}
	return nil
}
