package templates_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"parley/internal/apperr"
	"parley/internal/auth"
	"parley/internal/dynamo"
	"parley/internal/templates"
	"parley/internal/testkit/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// The store answers both interfaces, so wiring the department membership
// is Members: store.
var (
	_ templates.Store      = (*dynamo.Store)(nil)
	_ templates.Membership = (*dynamo.Store)(nil)
)

// departments is a fixed membership: person -> departments.
type departments map[string][]string

func (d departments) PersonDepartments(_ context.Context, _, personID string) ([]string, error) {
	return d[personID], nil
}

func (d departments) DepartmentExists(_ context.Context, _, departmentID string) (bool, error) {
	for _, ds := range d {
		if slices.Contains(ds, departmentID) {
			return true, nil
		}
	}
	return departmentID == "empty", nil
}

var (
	admin  = templates.Caller{AccountID: "acc", PersonID: "admin", Role: auth.Administrator}
	sup    = templates.Caller{AccountID: "acc", PersonID: "sup", Role: auth.Supervisor}
	op     = templates.Caller{AccountID: "acc", PersonID: "op", Role: auth.Operator}
	other  = templates.Caller{AccountID: "acc", PersonID: "other", Role: auth.Operator}
	tenant = templates.Caller{AccountID: "acc2", PersonID: "op", Role: auth.Administrator}
)

// newService runs the service on a fresh table of DynamoDB Local, with
// members as the membership (nil: departments not set up).
func newService(t *testing.T, members templates.Membership) *templates.Service {
	t.Helper()
	db, table := testenv.DynamoDB(t)
	var n atomic.Int64
	clock := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	return &templates.Service{
		Store:   dynamo.New(db, table),
		Members: members,
		Now:     func() time.Time { return clock.Add(time.Duration(n.Load()) * time.Second) },
		NewID:   func() string { return fmt.Sprintf("t%03d", n.Add(1)) },
	}
}

func mustCreate(t *testing.T, s *templates.Service, c templates.Caller, in templates.Input) templates.Template {
	t.Helper()
	tpl, err := s.Create(context.Background(), c, in)
	if err != nil {
		t.Fatalf("Create(%+v) as %s: %v", in, c.PersonID, err)
	}
	return tpl
}

func ids(ts []templates.Template) []string {
	out := []string{}
	for _, t := range ts {
		out = append(out, t.Title)
	}
	return out
}

func code(err error) apperr.Code {
	if err == nil {
		return ""
	}
	return apperr.CodeOf(err)
}

func fields(err error) []string {
	e := apperr.Public(err)
	var keys []string
	for k := range e.Fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func TestValidation(t *testing.T) {
	s := newService(t, departments{"op": {"sales"}})
	ctx := context.Background()
	cases := []struct {
		name string
		in   templates.Input
		want []string
	}{
		{"text required", templates.Input{Level: templates.Personal, Language: "ru", Text: "  \n "}, []string{"text"}},
		{"text too long", templates.Input{Level: templates.Personal, Language: "ru", Text: strings.Repeat("я", templates.MaxText+1)}, []string{"text"}},
		{"text control characters", templates.Input{Level: templates.Personal, Language: "ru", Text: "a\x00b"}, []string{"text"}},
		{"title too long", templates.Input{Level: templates.Personal, Language: "ru", Text: "x", Title: strings.Repeat("t", templates.MaxTitle+1)}, []string{"title"}},
		{"title one line", templates.Input{Level: templates.Personal, Language: "ru", Text: "x", Title: "a\nb"}, []string{"title"}},
		{"section too long", templates.Input{Level: templates.Personal, Language: "ru", Text: "x", Section: strings.Repeat("s", templates.MaxSection+1)}, []string{"section"}},
		{"language missing", templates.Input{Level: templates.Personal, Text: "x"}, []string{"language"}},
		{"language unknown", templates.Input{Level: templates.Personal, Language: "de", Text: "x"}, []string{"language"}},
		{"level missing", templates.Input{Language: "ru", Text: "x"}, []string{"level"}},
		{"level unknown", templates.Input{Level: "team", Language: "ru", Text: "x"}, []string{"level"}},
		{"department on a personal template", templates.Input{Level: templates.Personal, DepartmentID: "sales", Language: "ru", Text: "x"}, []string{"departmentId"}},
		{"department missing", templates.Input{Level: templates.Department, Language: "ru", Text: "x"}, []string{"departmentId"}},
		{"department unknown", templates.Input{Level: templates.Department, DepartmentID: "nope", Language: "ru", Text: "x"}, []string{"departmentId"}},
		{"department id with a key separator", templates.Input{Level: templates.Department, DepartmentID: "sales#x", Language: "ru", Text: "x"}, []string{"departmentId"}},
		{"every problem at once", templates.Input{Level: templates.Global, Language: "xx", Title: strings.Repeat("t", 201), Text: ""}, []string{"language", "text", "title"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := s.Create(ctx, admin, c.in)
			if code(err) != apperr.Invalid {
				t.Fatalf("err = %v, want invalid", err)
			}
			if got := fields(err); !slices.Equal(got, c.want) {
				t.Errorf("fields = %v, want %v", got, c.want)
			}
		})
	}
	list, err := s.List(ctx, admin, templates.Filter{})
	if err != nil || len(list) != 0 {
		t.Fatalf("refused creates stored something: %v %v", ids(list), err)
	}

	// Texts are normalised: trimmed, CRLF to LF, language lower-cased;
	// exactly the limits pass.
	tpl := mustCreate(t, s, op, templates.Input{Level: templates.Personal, Language: " EN ", Section: " Greetings ", Title: strings.Repeat("t", templates.MaxTitle), Text: "  Hello,\r\nhow are you?  "})
	if tpl.Language != "en" || tpl.Section != "Greetings" || tpl.Text != "Hello,\nhow are you?" || tpl.OwnerID != "op" || tpl.Version != 1 {
		t.Errorf("created %+v", tpl)
	}
}

func TestPermissionsPerLevel(t *testing.T) {
	s := newService(t, departments{"op": {"sales"}, "other": {"support"}})
	ctx := context.Background()
	g := templates.Input{Level: templates.Global, Language: "ru", Text: "global"}
	d := templates.Input{Level: templates.Department, DepartmentID: "sales", Language: "ru", Text: "sales"}

	// Global: administrators write, everyone reads.
	if _, err := s.Create(ctx, op, g); code(err) != apperr.Forbidden {
		t.Errorf("operator created a global template: %v", err)
	}
	if _, err := s.Create(ctx, sup, g); code(err) != apperr.Forbidden {
		t.Errorf("supervisor created a global template: %v", err)
	}
	global := mustCreate(t, s, admin, g)
	if _, err := s.Get(ctx, op, global.ID); err != nil {
		t.Errorf("operator cannot read a global template: %v", err)
	}
	if _, err := s.Update(ctx, op, global.ID, g, 0); code(err) != apperr.Forbidden {
		t.Errorf("operator updated a global template: %v", err)
	}
	if err := s.Delete(ctx, op, global.ID); code(err) != apperr.Forbidden {
		t.Errorf("operator deleted a global template: %v", err)
	}

	// Department: administrators and supervisors write; members read.
	if _, err := s.Create(ctx, op, d); code(err) != apperr.Forbidden {
		t.Errorf("operator created a department template: %v", err)
	}
	dept := mustCreate(t, s, sup, d)
	if _, err := s.Get(ctx, op, dept.ID); err != nil {
		t.Errorf("member cannot read their department's template: %v", err)
	}
	if _, err := s.Get(ctx, other, dept.ID); code(err) != apperr.Forbidden {
		t.Errorf("non-member read a department template: %v", err)
	}
	if _, err := s.Update(ctx, op, dept.ID, d, 0); code(err) != apperr.Forbidden {
		t.Errorf("operator updated a department template: %v", err)
	}

	// Personal: the owner alone, whatever the role; others get 404.
	mine := mustCreate(t, s, op, templates.Input{Level: templates.Personal, Language: "ru", Text: "mine"})
	for _, c := range []templates.Caller{other, admin, sup, tenant} {
		if _, err := s.Get(ctx, c, mine.ID); code(err) != apperr.NotFound {
			t.Errorf("%s (%s) read another's personal template: %v", c.PersonID, c.Role, err)
		}
		if err := s.Delete(ctx, c, mine.ID); code(err) != apperr.NotFound {
			t.Errorf("%s (%s) deleted another's personal template: %v", c.PersonID, c.Role, err)
		}
	}
	adminOwn := mustCreate(t, s, admin, templates.Input{Level: templates.Personal, Language: "ru", Text: "admin's own"})
	if adminOwn.OwnerID != "admin" {
		t.Errorf("owner = %q", adminOwn.OwnerID)
	}

	// Another account sees nothing of this one.
	if _, err := s.Get(ctx, tenant, global.ID); code(err) != apperr.NotFound {
		t.Errorf("another account read a global template: %v", err)
	}
	if l, _ := s.List(ctx, tenant, templates.Filter{}); len(l) != 0 {
		t.Errorf("another account listed %v", ids(l))
	}
}

func TestListScopes(t *testing.T) {
	s := newService(t, departments{"op": {"sales", "sales2"}, "other": {"support"}})
	ctx := context.Background()
	create := func(c templates.Caller, level templates.Level, dept, lang, section, title string) {
		mustCreate(t, s, c, templates.Input{Level: level, DepartmentID: dept, Language: lang, Section: section, Title: title, Text: title + " text"})
	}
	create(admin, templates.Global, "", "ru", "b", "g-ru-b")
	create(admin, templates.Global, "", "en", "a", "g-en-a")
	create(admin, templates.Global, "", "ru", "a", "g-ru-a")
	create(sup, templates.Department, "sales", "ru", "", "d-sales")
	// "sales2" shares the prefix "sales": it must not leak into sales'
	// list or the other way round.
	create(sup, templates.Department, "sales2", "ru", "", "d-sales2")
	create(admin, templates.Department, "support", "ru", "", "d-support")
	create(op, templates.Personal, "", "ru", "", "p-op")
	create(other, templates.Personal, "", "ru", "", "p-other")

	cases := []struct {
		name   string
		caller templates.Caller
		f      templates.Filter
		want   []string
		code   apperr.Code
	}{
		{"operator: global, their departments, their own", op, templates.Filter{},
			[]string{"g-en-a", "g-ru-a", "g-ru-b", "d-sales", "d-sales2", "p-op"}, ""},
		{"other operator", other, templates.Filter{}, []string{"g-en-a", "g-ru-a", "g-ru-b", "d-support", "p-other"}, ""},
		{"administrator without departments", admin, templates.Filter{}, []string{"g-en-a", "g-ru-a", "g-ru-b"}, ""},
		{"by language", op, templates.Filter{Language: "en"}, []string{"g-en-a"}, ""},
		{"by section", op, templates.Filter{Section: "a"}, []string{"g-en-a", "g-ru-a"}, ""},
		{"by level", op, templates.Filter{Level: templates.Personal}, []string{"p-op"}, ""},
		{"one department", op, templates.Filter{Level: templates.Department, DepartmentID: "sales"}, []string{"d-sales"}, ""},
		{"operator, department not theirs", op, templates.Filter{Level: templates.Department, DepartmentID: "support"}, nil, apperr.Forbidden},
		{"supervisor sees every department", sup, templates.Filter{Level: templates.Department}, []string{"d-sales", "d-sales2", "d-support"}, ""},
		{"supervisor, every department, by language", sup, templates.Filter{Level: templates.Department, Language: "en"}, []string{}, ""},
		{"administrator, one department", admin, templates.Filter{Level: templates.Department, DepartmentID: "sales2"}, []string{"d-sales2"}, ""},
		{"bad language", op, templates.Filter{Language: "de"}, nil, apperr.Invalid},
		{"bad level", op, templates.Filter{Level: "team"}, nil, apperr.Invalid},
		{"department without level", op, templates.Filter{DepartmentID: "sales"}, nil, apperr.Invalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := s.List(ctx, c.caller, c.f)
			if code(err) != c.code {
				t.Fatalf("err = %v, want code %q", err, c.code)
			}
			if c.code == "" && !slices.Equal(ids(got), c.want) {
				t.Errorf("list = %v, want %v", ids(got), c.want)
			}
		})
	}
}

func TestUpdateAndDelete(t *testing.T) {
	s := newService(t, departments{"op": {"sales"}})
	ctx := context.Background()
	tpl := mustCreate(t, s, op, templates.Input{Level: templates.Personal, Language: "ru", Section: "s", Title: "t", Text: "old"})

	// A new language moves the template to the other language's list.
	up, err := s.Update(ctx, op, tpl.ID, templates.Input{Language: "en", Title: "t2", Text: "new"}, tpl.Version)
	if err != nil {
		t.Fatal(err)
	}
	if up.Version != 2 || up.Language != "en" || up.Text != "new" || up.Section != "" || !up.CreatedAt.Equal(tpl.CreatedAt) || !up.UpdatedAt.After(tpl.UpdatedAt) {
		t.Errorf("updated = %+v", up)
	}
	if l, _ := s.List(ctx, op, templates.Filter{Language: "ru"}); len(l) != 0 {
		t.Errorf("still listed under ru: %v", ids(l))
	}
	if l, _ := s.List(ctx, op, templates.Filter{Language: "en"}); len(l) != 1 || l[0].Text != "new" {
		t.Errorf("en list = %+v", l)
	}
	got, err := s.Get(ctx, op, tpl.ID)
	if err != nil || got.Text != "new" || got.Version != 2 {
		t.Errorf("Get after update = %+v, %v", got, err)
	}

	// An update on an older read is refused and changes nothing.
	if _, err := s.Update(ctx, op, tpl.ID, templates.Input{Language: "en", Text: "lost"}, 1); code(err) != apperr.PreconditionFailed {
		t.Errorf("stale update: %v", err)
	}
	// Level and department cannot change; bad texts are refused.
	if _, err := s.Update(ctx, op, tpl.ID, templates.Input{Level: templates.Global, Language: "en", Text: "x"}, 0); code(err) != apperr.Invalid || !slices.Equal(fields(err), []string{"level"}) {
		t.Errorf("level change: %v", err)
	}
	if _, err := s.Update(ctx, op, tpl.ID, templates.Input{Level: templates.Personal, Language: "en", Text: ""}, 0); code(err) != apperr.Invalid || !slices.Equal(fields(err), []string{"text"}) {
		t.Errorf("empty text: %v", err)
	}
	if got, _ := s.Get(ctx, op, tpl.ID); got.Text != "new" || got.Version != 2 {
		t.Errorf("a refused update changed the template: %+v", got)
	}

	if err := s.Delete(ctx, op, tpl.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, op, tpl.ID); code(err) != apperr.NotFound {
		t.Errorf("Get after delete: %v", err)
	}
	if err := s.Delete(ctx, op, tpl.ID); code(err) != apperr.NotFound {
		t.Errorf("second delete: %v", err)
	}
	if _, err := s.Update(ctx, op, tpl.ID, templates.Input{Language: "en", Text: "x"}, 0); code(err) != apperr.NotFound {
		t.Errorf("update after delete: %v", err)
	}
	if _, err := s.Get(ctx, op, "no#such"); code(err) != apperr.NotFound {
		t.Errorf("malformed id: %v", err)
	}
}

// Without a membership (departments not set up yet) department templates
// are refused with 403 and left out of lists; the other levels work.
func TestWithoutDepartments(t *testing.T) {
	s := newService(t, nil)
	ctx := context.Background()
	_, err := s.Create(ctx, admin, templates.Input{Level: templates.Department, DepartmentID: "sales", Language: "ru", Text: "x"})
	if code(err) != apperr.Forbidden || !strings.Contains(apperr.Public(err).Message, "departments are not set up") {
		t.Errorf("create department template: %v", err)
	}
	if _, err := s.List(ctx, op, templates.Filter{Level: templates.Department}); code(err) != apperr.Forbidden {
		t.Errorf("list department templates: %v", err)
	}
	mustCreate(t, s, admin, templates.Input{Level: templates.Global, Language: "ru", Text: "g", Title: "g"})
	mustCreate(t, s, op, templates.Input{Level: templates.Personal, Language: "ru", Text: "p", Title: "p"})
	if l, err := s.List(ctx, op, templates.Filter{}); err != nil || !slices.Equal(ids(l), []string{"g", "p"}) {
		t.Errorf("list = %v, %v", ids(l), err)
	}
}

// Two updates made on the same read: exactly one wins, the other gets 412.
func TestConcurrentUpdates(t *testing.T) {
	s := newService(t, nil)
	ctx := context.Background()
	tpl := mustCreate(t, s, admin, templates.Input{Level: templates.Global, Language: "ru", Text: "v1"})
	const n = 6
	errs := make(chan error, n)
	for i := range n {
		go func() {
			_, err := s.Update(ctx, admin, tpl.ID, templates.Input{Language: "ru", Text: fmt.Sprint("writer ", i)}, 1)
			errs <- err
		}()
	}
	won := 0
	for range n {
		switch err := <-errs; code(err) {
		case "":
			won++
		case apperr.PreconditionFailed:
		default:
			t.Errorf("unexpected error: %v", err)
		}
	}
	if won != 1 {
		t.Errorf("%d writers won, want 1", won)
	}
	if got, _ := s.Get(ctx, admin, tpl.ID); got.Version != 2 {
		t.Errorf("version = %d, want 2", got.Version)
	}
}
