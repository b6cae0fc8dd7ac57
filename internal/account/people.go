package account

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode"

	"parley/internal/apperr"
	"parley/internal/auth"
	"parley/internal/settings"
)

// PeopleStore declares what people management needs from storage.
type PeopleStore interface {
	// AddPerson stores a person of an existing account. Returns
	// apperr.Conflict if the e-mail is taken.
	AddPerson(ctx context.Context, p Person) error
	// InvitePerson stores an invited person, their department memberships
	// and their invitation link together. Errors: apperr.Conflict (e-mail
	// taken), apperr.NotFound (a department does not exist).
	InvitePerson(ctx context.Context, p Person, l Link) error
	// Person returns one person of an account. Errors: apperr.NotFound.
	Person(ctx context.Context, accountID, personID string) (Person, error)
	// People lists an account's people: one Query.
	People(ctx context.Context, accountID string) ([]Person, error)
	// UpdatePerson replaces old with next if old is still the stored
	// version, keeping the e-mail reservation, the department member items,
	// the administrator count and the photo bytes in step (photo non-nil
	// stores new bytes; next.Photo nil removes them). Errors:
	// apperr.PreconditionFailed (changed meanwhile), apperr.Conflict
	// (e-mail taken, or the last administrator would go), apperr.NotFound
	// (a department does not exist).
	UpdatePerson(ctx context.Context, old, next Person, photo []byte) error
	// DeletePerson removes a person with their e-mail reservation,
	// memberships and photo. Errors: apperr.PreconditionFailed,
	// apperr.Conflict (the last administrator).
	DeletePerson(ctx context.Context, p Person) error
	// Photo returns a person's photo bytes. Errors: apperr.NotFound.
	Photo(ctx context.Context, accountID, personID string) ([]byte, settings.Image, error)
}

// Actor is who makes a request, as the authorizer resolved it from the
// token. Its AccountID scopes every read and write.
type Actor struct {
	AccountID string
	PersonID  string
	Role      auth.Role
}

// Limits on a person's fields.
const (
	MaxNameLen        = 200
	MaxPersonDepts    = 50
	MaxChatLimit      = 1000
	maxUpdateAttempts = 4
)

// ProfileChange is a partial update of a person (PATCH): nil fields are
// left as they are. Which fields an actor may set depends on their role
// (see CanEdit).
type ProfileChange struct {
	Name              *string
	Email             *string
	Role              *auth.Role
	InterfaceLanguage *string
	Languages         *[]string
	Departments       *[]string
	// ChatLimit is a pointer to a pointer so that "set to none" (use the
	// account's limit) differs from "leave as is".
	ChatLimit **int
}

// Invitation is the input of an invitation (POST /v1/people).
type Invitation struct {
	Email             string    `json:"email"`
	Name              string    `json:"name"`
	Role              auth.Role `json:"role"`
	InterfaceLanguage string    `json:"interfaceLanguage"`
	Languages         []string  `json:"languages"`
	Departments       []string  `json:"departments"`
	ChatLimit         *int      `json:"chatLimit"`
}

// profileField names what CanEdit decides about.
type profileField string

// The groups of fields with the same edit rule.
const (
	fieldProfile    profileField = "profile"    // name, photo, languages: the person's own profile
	fieldAssignment profileField = "assignment" // departments, chat limit: what supervisors manage
	fieldAccess     profileField = "access"     // e-mail and role: administrators only
)

// CanEdit is the rule of SPEC §1 and §2.7 for changing a profile:
// administrators edit every profile and every field; supervisors edit the
// profile and assignment of operators, other supervisors and themselves,
// never an administrator's and never e-mail or role; operators edit only
// their own profile fields, and not even those while hiddenProfiles is on.
// It returns apperr.Forbidden with the reason.
func CanEdit(actor Actor, target Person, field profileField, hiddenProfiles bool) error {
	switch actor.Role {
	case auth.Administrator:
		return nil
	case auth.Supervisor:
		if field == fieldAccess {
			return apperr.New(apperr.Forbidden, "only an administrator may change a person's e-mail or role")
		}
		if target.Role == auth.Administrator {
			return apperr.New(apperr.Forbidden, "only an administrator may edit an administrator's profile")
		}
		return nil
	case auth.Operator:
		if target.ID != actor.PersonID {
			return apperr.New(apperr.Forbidden, "operators may edit only their own profile")
		}
		if hiddenProfiles {
			return apperr.New(apperr.Forbidden, "profiles are hidden (features.hiddenProfiles): ask a supervisor or an administrator to change yours")
		}
		if field != fieldProfile {
			return apperr.New(apperr.Forbidden, "operators may change only their name, photo and languages")
		}
		return nil
	}
	return apperr.New(apperr.Forbidden, "this role may not edit profiles")
}

// CanView is the viewing rule: with hiddenProfiles on an operator sees only
// their own profile; otherwise every staff member sees every colleague (an
// operator needs them to redirect a chat). Errors: apperr.Forbidden.
func CanView(actor Actor, target Person, hiddenProfiles bool) error {
	if actor.Role == auth.Operator && hiddenProfiles && target.ID != actor.PersonID {
		return apperr.New(apperr.Forbidden, "profiles are hidden (features.hiddenProfiles): operators may view only their own")
	}
	return nil
}

// HiddenProfiles tells whether an account has features.hiddenProfiles on.
// The HTTP adapter reads it from the settings document.
type HiddenProfiles func(ctx context.Context, accountID string) (bool, error)

// Person returns one profile the actor may view. Errors: apperr.NotFound,
// apperr.Forbidden.
func (s *Service) Person(ctx context.Context, actor Actor, personID string, hidden bool) (Person, error) {
	p, err := s.Store.Person(ctx, actor.AccountID, personID)
	if err != nil {
		return Person{}, err
	}
	if err := CanView(actor, p, hidden); err != nil {
		return Person{}, err
	}
	return p, nil
}

// People lists the profiles the actor may view: all of the account's, or
// only their own for an operator while profiles are hidden.
func (s *Service) People(ctx context.Context, actor Actor, hidden bool) ([]Person, error) {
	all, err := s.Store.People(ctx, actor.AccountID)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, p := range all {
		if CanView(actor, p, hidden) == nil {
			out = append(out, p)
		}
	}
	return out, nil
}

// Invite creates a person with no password and mails them a one-time link
// to set one. Errors: apperr.Invalid (fields email, name, role,
// interfaceLanguage, languages, departments, chatLimit), apperr.Conflict
// (e-mail taken), apperr.NotFound (account or a department),
// apperr.RateLimited (Limits.InvitationsPerAccount, InvitationsPerPerson).
func (s *Service) Invite(ctx context.Context, actor Actor, in Invitation) (Person, error) {
	acc, err := s.Store.Account(ctx, actor.AccountID)
	if err != nil {
		return Person{}, err
	}
	fields := map[string]string{}
	email, ok := NormalizeEmail(in.Email)
	if !ok {
		fields["email"] = "must be an e-mail address like name@example.com"
	}
	name := strings.TrimSpace(in.Name)
	if name == "" {
		name = email
	}
	p := Person{AccountID: acc.ID, ID: NewID(), Email: email, Name: name, Role: in.Role, Status: StatusInvited,
		InterfaceLanguage: in.InterfaceLanguage, Languages: in.Languages, ChatLimit: in.ChatLimit, Version: 1, CreatedAt: s.Now().UTC()}
	// company.language is new people's default (SPEC §2.1), not the
	// language the account signed up in.
	if lang := s.signer(ctx, acc).Language; p.InterfaceLanguage == "" || p.Languages == nil {
		if p.InterfaceLanguage == "" {
			p.InterfaceLanguage = lang
		}
		if p.Languages == nil {
			p.Languages = []string{lang}
		}
	}
	p.Departments, fields = checkDepartments(in.Departments, fields)
	validatePerson(&p, fields)
	if err := apperr.Fields(fields); err != nil {
		return Person{}, err
	}
	if err := s.limitInvitation(ctx, acc.ID, email); err != nil {
		return Person{}, err
	}
	l, secret := s.newLink(p, LinkInvite)
	p.LinkHash = l.Hash
	if err := s.claimAddress(ctx, email, func() error { return s.Store.InvitePerson(ctx, p, l) }); err != nil {
		return Person{}, err
	}
	if err := s.mailLink(ctx, acc, p, l, secret); err != nil {
		return Person{}, err
	}
	return p, nil
}

// ResendInvitation mails an invited person a new link; the previous one
// stops working. Errors: apperr.NotFound, apperr.Conflict (the person has
// already set a password: they can reset it instead), apperr.RateLimited.
func (s *Service) ResendInvitation(ctx context.Context, actor Actor, personID string) error {
	p, err := s.Store.Person(ctx, actor.AccountID, personID)
	if err != nil {
		return err
	}
	if p.Status != StatusInvited {
		return apperr.New(apperr.Conflict, "%s has already accepted the invitation; they can reset their password from the sign-in page", p.Email)
	}
	acc, err := s.Store.Account(ctx, actor.AccountID)
	if err != nil {
		return err
	}
	if err := s.limitInvitation(ctx, acc.ID, p.Email); err != nil {
		return err
	}
	l, secret := s.newLink(p, LinkInvite)
	if err := s.Store.IssueLink(ctx, l); err != nil {
		return err
	}
	return s.mailLink(ctx, acc, p, l, secret)
}

// Update applies a partial change to a profile, within what the actor may
// edit. A change of role or e-mail signs the person out everywhere, so the
// new role takes effect at once. Errors: apperr.Invalid (per field),
// apperr.Forbidden, apperr.NotFound, apperr.Conflict.
func (s *Service) Update(ctx context.Context, actor Actor, personID string, ch ProfileChange, hidden bool) (Person, error) {
	var next Person
	var signOut bool
	err := s.retryUpdate(ctx, actor.AccountID, personID, func(old Person) (Person, []byte, error) {
		var err error
		next, signOut, err = applyChange(actor, old, ch, hidden)
		return next, nil, err
	})
	if err != nil {
		return Person{}, err
	}
	if signOut {
		if err := s.Store.DeleteSessions(ctx, next.AccountID, next.ID); err != nil {
			return Person{}, err
		}
	}
	return next, nil
}

// retryUpdate reads a person, lets change build the next version and
// writes it conditionally, again from a fresh read when another write came
// in between: changes are merges, so re-applying them is safe.
func (s *Service) retryUpdate(ctx context.Context, accountID, personID string, change func(old Person) (Person, []byte, error)) error {
	for attempt := 0; ; attempt++ {
		old, err := s.Store.Person(ctx, accountID, personID)
		if err != nil {
			return err
		}
		next, photo, err := change(old)
		if err != nil {
			return err
		}
		next.Version = old.Version + 1
		err = s.Store.UpdatePerson(ctx, old, next, photo)
		if apperr.CodeOf(err) != apperr.PreconditionFailed || attempt+1 >= maxUpdateAttempts {
			return err
		}
	}
}

// CheckChange tells whether actor may make the change ch to target's
// profile (CanEdit for each group of fields it touches). Errors:
// apperr.Forbidden.
func CheckChange(actor Actor, target Person, ch ProfileChange, hidden bool) error {
	if ch.Name != nil || ch.InterfaceLanguage != nil || ch.Languages != nil {
		if err := CanEdit(actor, target, fieldProfile, hidden); err != nil {
			return err
		}
	}
	if ch.Departments != nil || ch.ChatLimit != nil {
		if err := CanEdit(actor, target, fieldAssignment, hidden); err != nil {
			return err
		}
	}
	if ch.Email != nil || ch.Role != nil {
		if err := CanEdit(actor, target, fieldAccess, hidden); err != nil {
			return err
		}
	}
	return nil
}

func applyChange(actor Actor, old Person, ch ProfileChange, hidden bool) (Person, bool, error) {
	if err := CheckChange(actor, old, ch, hidden); err != nil {
		return Person{}, false, err
	}
	next := old
	next.Languages = slices.Clone(old.Languages)
	next.Departments = slices.Clone(old.Departments)
	fields := map[string]string{}
	var signOut bool
	if ch.Name != nil {
		next.Name = strings.TrimSpace(*ch.Name)
		if next.Name == "" {
			fields["name"] = "must not be empty"
		}
	}
	if ch.Email != nil {
		email, ok := NormalizeEmail(*ch.Email)
		if !ok {
			fields["email"] = "must be an e-mail address like name@example.com"
		}
		if email != old.Email {
			next.Email, signOut = email, true
		}
	}
	if ch.Role != nil && *ch.Role != old.Role {
		next.Role, signOut = *ch.Role, true
	}
	if ch.InterfaceLanguage != nil {
		next.InterfaceLanguage = *ch.InterfaceLanguage
	}
	if ch.Languages != nil {
		next.Languages = *ch.Languages
		if next.Languages == nil {
			next.Languages = []string{}
		}
	}
	if ch.Departments != nil {
		next.Departments, fields = checkDepartments(*ch.Departments, fields)
	}
	if ch.ChatLimit != nil {
		next.ChatLimit = *ch.ChatLimit
	}
	validatePerson(&next, fields)
	return next, signOut, apperr.Fields(fields)
}

// validatePerson checks the fields every write must satisfy, adding a
// message per bad field to fields.
func validatePerson(p *Person, fields map[string]string) {
	if len([]rune(p.Name)) > MaxNameLen || strings.ContainsFunc(p.Name, unicode.IsControl) {
		fields["name"] = fmt.Sprintf("must be 1 to %d characters, without control characters", MaxNameLen)
	}
	switch p.Role {
	case auth.Operator, auth.Supervisor, auth.Administrator:
	default:
		fields["role"] = "must be operator, supervisor or administrator"
	}
	if !slices.Contains(settings.Languages, p.InterfaceLanguage) {
		fields["interfaceLanguage"] = "must be one of " + strings.Join(settings.Languages, ", ")
	}
	if len(p.Languages) == 0 {
		fields["languages"] = "must name at least one language the person answers in"
	}
	seen := map[string]bool{}
	for _, l := range p.Languages {
		if !slices.Contains(settings.Languages, l) || seen[l] {
			fields["languages"] = "must be distinct values among " + strings.Join(settings.Languages, ", ")
		}
		seen[l] = true
	}
	if p.ChatLimit != nil && (*p.ChatLimit < 1 || *p.ChatLimit > MaxChatLimit) {
		fields["chatLimit"] = fmt.Sprintf("must be an integer from 1 to %d, or null to use features.maxChatsPerOperator", MaxChatLimit)
	}
}

// checkDepartments sorts and de-duplicates department ids; their existence
// is checked by the store in the same transaction as the write.
func checkDepartments(ids []string, fields map[string]string) ([]string, map[string]string) {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if id == "" || len(id) > 64 || strings.ContainsAny(id, "#\n") {
			fields["departments"] = "must be department ids"
			continue
		}
		out = append(out, id)
	}
	slices.Sort(out)
	out = slices.Compact(out)
	if len(out) > MaxPersonDepts {
		fields["departments"] = fmt.Sprintf("a person may be in at most %d departments", MaxPersonDepts)
	}
	return out, fields
}

// SetPhoto replaces a person's photo. The image rules are the logo's
// (SPEC §2.1): JPEG, GIF or PNG, at most 100x100, checked by decoding.
// Errors: apperr.Invalid or apperr.TooLarge (field photo),
// apperr.Forbidden, apperr.NotFound.
func (s *Service) SetPhoto(ctx context.Context, actor Actor, personID string, body []byte, contentType string, hidden bool) (Person, error) {
	img, err := settings.NewImage(settings.KeyLogo, body, contentType)
	if err != nil {
		e := apperr.Public(err)
		return Person{}, &apperr.Error{Code: e.Code, Message: e.Message, Fields: map[string]string{"photo": e.Message}}
	}
	var next Person
	err = s.retryUpdate(ctx, actor.AccountID, personID, func(old Person) (Person, []byte, error) {
		if err := CanEdit(actor, old, fieldProfile, hidden); err != nil {
			return Person{}, nil, err
		}
		next = old
		next.Photo = &img
		return next, body, nil
	})
	return next, err
}

// DeletePhoto removes a person's photo; without one it changes nothing.
// Errors: apperr.Forbidden, apperr.NotFound.
func (s *Service) DeletePhoto(ctx context.Context, actor Actor, personID string, hidden bool) (Person, error) {
	var next Person
	err := s.retryUpdate(ctx, actor.AccountID, personID, func(old Person) (Person, []byte, error) {
		if err := CanEdit(actor, old, fieldProfile, hidden); err != nil {
			return Person{}, nil, err
		}
		next = old
		next.Photo = nil
		return next, nil, nil
	})
	return next, err
}

// Remove deletes a person and signs them out everywhere. An administrator
// cannot remove themselves (another administrator must), and the last
// administrator of an account cannot be removed. Errors: apperr.NotFound,
// apperr.Conflict.
func (s *Service) Remove(ctx context.Context, actor Actor, personID string) error {
	if personID == actor.PersonID {
		return apperr.New(apperr.Conflict, "you cannot remove yourself; another administrator can")
	}
	for attempt := 0; ; attempt++ {
		p, err := s.Store.Person(ctx, actor.AccountID, personID)
		if err != nil {
			return err
		}
		err = s.Store.DeletePerson(ctx, p)
		if apperr.CodeOf(err) == apperr.PreconditionFailed && attempt+1 < maxUpdateAttempts {
			continue
		}
		if err != nil {
			return err
		}
		return s.Store.DeleteSessions(ctx, p.AccountID, p.ID)
	}
}

// ErrLastAdmin is the error for a write that would leave an account
// without an administrator.
func ErrLastAdmin() error {
	return &apperr.Error{Code: apperr.Conflict, Message: "an account needs at least one administrator: make someone else an administrator first",
		Fields: map[string]string{"role": "the account's last administrator must stay one"}}
}

// Account returns an account. Errors: apperr.NotFound.
func (s *Service) Account(ctx context.Context, id string) (Account, error) {
	return s.Store.Account(ctx, id)
}

// Photo returns a person's photo bytes for the widget (no token: the
// account is the path's). Errors: apperr.NotFound.
func (s *Service) Photo(ctx context.Context, accountID, personID string) ([]byte, settings.Image, error) {
	return s.Store.Photo(ctx, accountID, personID)
}
