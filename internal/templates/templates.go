// Package templates holds canned answers (SPEC §2.4): global ones an
// administrator writes for the whole account, department ones for a team,
// and personal ones an operator keeps for themselves. Each language has its
// own set. The package decides who may read and write which template;
// storage and department membership are behind the Store and Membership
// interfaces it declares.
package templates

import (
	"context"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"parley/internal/apperr"
	"parley/internal/auth"
	"parley/internal/settings"
)

// Level says whose a template is.
type Level string

// The levels of SPEC §2.4, in the order lists show them.
const (
	Global     Level = "global"
	Department Level = "department"
	Personal   Level = "personal"
)

// Levels lists every level in list order.
var Levels = []Level{Global, Department, Personal}

// Limits of a template's texts, in characters.
const (
	MaxText    = 4000
	MaxTitle   = 200
	MaxSection = 100
)

// Template is one canned answer.
type Template struct {
	ID        string
	AccountID string
	Level     Level
	// DepartmentID is set on department templates only.
	DepartmentID string
	// OwnerID is the person a personal template belongs to; set on
	// personal templates only.
	OwnerID  string
	Language string
	Section  string
	Title    string
	Text     string
	// Version increases by one on every update, so that an update made on
	// an older read is refused instead of silently undoing another.
	Version   int64
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Scope is the set of templates one key prefix holds: a level and its
// owner ("-" for global, the department id, or the person id).
type Scope struct {
	Level Level
	Owner string
}

// GlobalOwner is the Owner of the global scope.
const GlobalOwner = "-"

// ScopeOf is the scope a template is stored in.
func (t Template) ScopeOf() Scope {
	switch t.Level {
	case Department:
		return Scope{Department, t.DepartmentID}
	case Personal:
		return Scope{Personal, t.OwnerID}
	}
	return Scope{Global, GlobalOwner}
}

// Input is what a client sends to create or replace a template.
type Input struct {
	Level        Level  `json:"level"`
	DepartmentID string `json:"departmentId"`
	Language     string `json:"language"`
	Section      string `json:"section"`
	Title        string `json:"title"`
	Text         string `json:"text"`
}

// Filter narrows a list. Empty members do not narrow.
type Filter struct {
	Language     string
	Level        Level
	Section      string
	DepartmentID string
}

// Caller is who asks: the account, the person and their role.
type Caller struct {
	AccountID string
	PersonID  string
	Role      auth.Role
}

func (c Caller) manages() bool {
	return c.Role == auth.Administrator || c.Role == auth.Supervisor
}

// Store declares what this package needs from storage.
type Store interface {
	// CreateTemplate stores a new template. Errors: apperr.Conflict if the
	// id is taken.
	CreateTemplate(ctx context.Context, t Template) error
	// Template returns a template by id. Errors: apperr.NotFound.
	Template(ctx context.Context, accountID, id string) (Template, error)
	// ReplaceTemplate stores next in place of old, only if the stored
	// version is still old.Version; next.Version is old.Version+1. Errors:
	// apperr.NotFound when it was deleted, apperr.PreconditionFailed when
	// another update came first.
	ReplaceTemplate(ctx context.Context, old, next Template) error
	// DeleteTemplate removes a template. Errors: apperr.NotFound.
	DeleteTemplate(ctx context.Context, t Template) error
	// ListTemplates returns the templates of one scope, of one language
	// when language is not empty.
	ListTemplates(ctx context.Context, accountID string, scope Scope, language string) ([]Template, error)
}

// Membership declares what this package needs to know of departments.
type Membership interface {
	// PersonDepartments lists the ids of the departments a person is in.
	PersonDepartments(ctx context.Context, accountID, personID string) ([]string, error)
	// DepartmentExists reports whether the account has the department.
	DepartmentExists(ctx context.Context, accountID, departmentID string) (bool, error)
}

// Service is the templates use cases.
type Service struct {
	Store Store
	// Members answers department questions. While it is nil, department
	// templates are unavailable (403) and lists leave them out.
	Members Membership
	Now     func() time.Time
	// NewID makes template ids.
	NewID func() string
}

// DropScope deletes every template of a scope whose owner is gone (a
// deleted department, a removed person): they would otherwise stay,
// listed to managers, and used by nobody. A template changed while it is
// deleted is read again on the next pass. Errors: apperr.Conflict when
// templates keep changing under it (the caller retries).
func (s *Service) DropScope(ctx context.Context, accountID string, scope Scope) error {
	for range 3 {
		ts, err := s.Store.ListTemplates(ctx, accountID, scope, "")
		if err != nil || len(ts) == 0 {
			return err
		}
		changed := false
		for _, t := range ts {
			switch err := s.Store.DeleteTemplate(ctx, t); {
			case err == nil, apperr.CodeOf(err) == apperr.NotFound:
			case apperr.CodeOf(err) == apperr.PreconditionFailed:
				changed = true
			default:
				return err
			}
		}
		if !changed {
			return nil
		}
	}
	return apperr.New(apperr.Conflict, "the %s templates of %s keep changing", scope.Level, scope.Owner)
}

var errNoDepartments = apperr.New(apperr.Forbidden, "departments are not set up, so department templates are unavailable")

// Create stores a new template of in.Level: global ones by administrators,
// department ones by administrators and supervisors, personal ones by
// anyone, for themselves. Errors: Invalid with one message per field;
// Forbidden when the caller may not write that level.
func (s *Service) Create(ctx context.Context, c Caller, in Input) (Template, error) {
	t, err := s.fromInput(ctx, c, in)
	if err != nil {
		return Template{}, err
	}
	if err := s.mayWrite(c, t); err != nil {
		return Template{}, err
	}
	now := s.Now().UTC()
	t.ID = s.NewID()
	t.AccountID = c.AccountID
	t.Version = 1
	t.CreatedAt, t.UpdatedAt = now, now
	if err := s.Store.CreateTemplate(ctx, t); err != nil {
		return Template{}, err
	}
	return t, nil
}

// Get returns a template the caller may read. Errors: NotFound (another
// person's personal template is reported as not found); Forbidden for a
// department the caller is not in.
func (s *Service) Get(ctx context.Context, c Caller, id string) (Template, error) {
	if !validID(id) {
		return Template{}, apperr.New(apperr.NotFound, "template not found")
	}
	t, err := s.Store.Template(ctx, c.AccountID, id)
	if err != nil {
		return Template{}, err
	}
	if err := s.mayRead(ctx, c, t); err != nil {
		return Template{}, err
	}
	return t, nil
}

// Update replaces a template's language, section, title and text. Its
// level and department cannot change: in may repeat them or leave them
// out. ifVersion, when not 0, is the version the client read (412 if it
// is no longer current). Errors: those of Get and Create, and
// PreconditionFailed.
func (s *Service) Update(ctx context.Context, c Caller, id string, in Input, ifVersion int64) (Template, error) {
	old, err := s.Get(ctx, c, id)
	if err != nil {
		return Template{}, err
	}
	if err := s.mayWrite(c, old); err != nil {
		return Template{}, err
	}
	errs := map[string]string{}
	if in.Level != "" && in.Level != old.Level {
		errs["level"] = "cannot be changed: create a new template at the other level and delete this one"
	}
	if in.DepartmentID != "" && in.DepartmentID != old.DepartmentID {
		errs["departmentId"] = "cannot be changed: create a new template in the other department and delete this one"
	}
	next := old
	next.Language, next.Section, next.Title, next.Text = checkTexts(in, errs)
	if err := apperr.Fields(errs); err != nil {
		return Template{}, err
	}
	if ifVersion != 0 && ifVersion != old.Version {
		return Template{}, apperr.New(apperr.PreconditionFailed, "the template was changed since you read it; reload it and try again")
	}
	next.Version = old.Version + 1
	next.UpdatedAt = s.Now().UTC()
	if err := s.Store.ReplaceTemplate(ctx, old, next); err != nil {
		return Template{}, err
	}
	return next, nil
}

// Delete removes a template the caller may write. Errors: those of Get,
// and Forbidden.
func (s *Service) Delete(ctx context.Context, c Caller, id string) error {
	t, err := s.Get(ctx, c, id)
	if err != nil {
		return err
	}
	if err := s.mayWrite(c, t); err != nil {
		return err
	}
	return s.Store.DeleteTemplate(ctx, t)
}

// List returns the templates the caller may use, narrowed by f, ordered by
// level, section, title and creation. Without a level it is what the
// caller answers chats with: every global template, those of every
// department the caller is in, and the caller's own. With level
// department, administrators and supervisors see every department's (or
// f.DepartmentID's); operators see their departments'. Errors: Invalid for
// a bad filter; Forbidden for a department the caller may not read, or
// for department templates while departments are not set up.
func (s *Service) List(ctx context.Context, c Caller, f Filter) ([]Template, error) {
	if err := checkFilter(f); err != nil {
		return nil, err
	}
	scopes, err := s.listScopes(ctx, c, f)
	if err != nil {
		return nil, err
	}
	out := []Template{}
	for _, sc := range scopes {
		ts, err := s.Store.ListTemplates(ctx, c.AccountID, sc, f.Language)
		if err != nil {
			return nil, err
		}
		for _, t := range ts {
			if f.Section == "" || t.Section == f.Section {
				out = append(out, t)
			}
		}
	}
	slices.SortStableFunc(out, compare)
	return out, nil
}

// AllDepartments is the Scope.Owner that stands for every department: the
// store lists all of them with one prefix.
const AllDepartments = ""

// listScopes turns a filter into the scopes to read, each one Query.
func (s *Service) listScopes(ctx context.Context, c Caller, f Filter) ([]Scope, error) {
	var scopes []Scope
	if f.Level == "" || f.Level == Global {
		scopes = append(scopes, Scope{Global, GlobalOwner})
	}
	if f.Level == "" || f.Level == Department {
		deps, err := s.readableDepartments(ctx, c, f)
		if err != nil {
			return nil, err
		}
		for _, d := range deps {
			scopes = append(scopes, Scope{Department, d})
		}
	}
	if f.Level == "" || f.Level == Personal {
		scopes = append(scopes, Scope{Personal, c.PersonID})
	}
	return scopes, nil
}

// readableDepartments are the department owners a list reads.
func (s *Service) readableDepartments(ctx context.Context, c Caller, f Filter) ([]string, error) {
	if s.Members == nil {
		if f.Level == Department {
			return nil, errNoDepartments
		}
		return nil, nil
	}
	if f.Level == Department && c.manages() {
		if f.DepartmentID != "" {
			return []string{f.DepartmentID}, nil
		}
		return []string{AllDepartments}, nil
	}
	mine, err := s.Members.PersonDepartments(ctx, c.AccountID, c.PersonID)
	if err != nil {
		return nil, err
	}
	if f.DepartmentID == "" {
		return mine, nil
	}
	if !slices.Contains(mine, f.DepartmentID) {
		return nil, apperr.New(apperr.Forbidden, "you are not in that department, so you cannot see its templates")
	}
	return []string{f.DepartmentID}, nil
}

func (s *Service) mayRead(ctx context.Context, c Caller, t Template) error {
	switch t.Level {
	case Personal:
		if t.OwnerID != c.PersonID {
			return apperr.New(apperr.NotFound, "template not found")
		}
	case Department:
		if s.Members == nil {
			return errNoDepartments
		}
		if c.manages() {
			return nil
		}
		mine, err := s.Members.PersonDepartments(ctx, c.AccountID, c.PersonID)
		if err != nil {
			return err
		}
		if !slices.Contains(mine, t.DepartmentID) {
			return apperr.New(apperr.Forbidden, "you are not in this template's department")
		}
	}
	return nil
}

func (s *Service) mayWrite(c Caller, t Template) error {
	switch t.Level {
	case Global:
		if c.Role != auth.Administrator {
			return apperr.New(apperr.Forbidden, "only administrators may change global templates")
		}
	case Department:
		if s.Members == nil {
			return errNoDepartments
		}
		if !c.manages() {
			return apperr.New(apperr.Forbidden, "only administrators and supervisors may change department templates")
		}
	case Personal:
		if t.OwnerID != c.PersonID {
			return apperr.New(apperr.NotFound, "template not found")
		}
	}
	return nil
}

// fromInput validates a new template; every problem is reported at once.
func (s *Service) fromInput(ctx context.Context, c Caller, in Input) (Template, error) {
	errs := map[string]string{}
	t := Template{Level: in.Level}
	switch in.Level {
	case Global, Personal:
		if in.DepartmentID != "" {
			errs["departmentId"] = "only department templates have a department"
		}
		if in.Level == Personal {
			t.OwnerID = c.PersonID
		}
	case Department:
		if s.Members == nil {
			return Template{}, errNoDepartments
		}
		t.DepartmentID = in.DepartmentID
		switch {
		case in.DepartmentID == "":
			errs["departmentId"] = "is required for a department template"
		case !validID(in.DepartmentID):
			errs["departmentId"] = "no such department"
		default:
			ok, err := s.Members.DepartmentExists(ctx, c.AccountID, in.DepartmentID)
			if err != nil {
				return Template{}, err
			}
			if !ok {
				errs["departmentId"] = "no such department"
			}
		}
	case "":
		errs["level"] = "is required: global, department or personal"
	default:
		errs["level"] = "must be global, department or personal"
	}
	t.Language, t.Section, t.Title, t.Text = checkTexts(in, errs)
	return t, apperr.Fields(errs)
}

// checkTexts validates and normalises the language and the texts, adding
// a message per bad field to errs.
func checkTexts(in Input, errs map[string]string) (language, section, title, text string) {
	language = strings.ToLower(strings.TrimSpace(in.Language))
	switch {
	case language == "":
		errs["language"] = "is required: one of " + strings.Join(settings.Languages, ", ")
	case !slices.Contains(settings.Languages, language):
		errs["language"] = "must be one of " + strings.Join(settings.Languages, ", ")
	}
	section = oneLine("section", in.Section, MaxSection, errs)
	title = oneLine("title", in.Title, MaxTitle, errs)
	text = strings.TrimSpace(strings.ReplaceAll(in.Text, "\r\n", "\n"))
	switch {
	case text == "":
		errs["text"] = "is required"
	case hasControl(text, "\n\t"):
		errs["text"] = "cannot hold control characters"
	case utf8.RuneCountInString(text) > MaxText:
		errs["text"] = "is at most " + strconv.Itoa(MaxText) + " characters"
	}
	return language, section, title, text
}

func oneLine(field, s string, max int, errs map[string]string) string {
	s = strings.TrimSpace(s)
	switch {
	case hasControl(s, ""):
		errs[field] = "must be one line, without control characters"
	case utf8.RuneCountInString(s) > max:
		errs[field] = "is at most " + strconv.Itoa(max) + " characters"
	}
	return s
}

func checkFilter(f Filter) error {
	errs := map[string]string{}
	if f.Language != "" && !slices.Contains(settings.Languages, f.Language) {
		errs["language"] = "must be one of " + strings.Join(settings.Languages, ", ")
	}
	if f.Level != "" && !slices.Contains(Levels, f.Level) {
		errs["level"] = "must be global, department or personal"
	}
	if f.DepartmentID != "" {
		if f.Level != Department {
			errs["departmentId"] = "needs level=department"
		} else if !validID(f.DepartmentID) {
			errs["departmentId"] = "no such department"
		}
	}
	return apperr.Fields(errs)
}

// idPattern is what an id must look like to be part of a key: a '#' would
// let one department's key prefix reach into another's.
var idPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

func validID(id string) bool { return idPattern.MatchString(id) }

func compare(a, b Template) int {
	if c := slices.Index(Levels, a.Level) - slices.Index(Levels, b.Level); c != 0 {
		return c
	}
	if c := strings.Compare(a.Section, b.Section); c != 0 {
		return c
	}
	if c := strings.Compare(a.Title, b.Title); c != 0 {
		return c
	}
	if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
		return c
	}
	return strings.Compare(a.ID, b.ID)
}

func hasControl(s, allowed string) bool {
	for _, r := range s {
		if unicode.IsControl(r) && !strings.ContainsRune(allowed, r) {
			return true
		}
	}
	return false
}
