package dynamo_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"parley/internal/account"
	"parley/internal/apperr"
	"parley/internal/routes"
	"parley/internal/settings"
)

// UpdatePerson keeps everything that mirrors a person in step with it, in
// one transaction: a refused write changes none of it.
func TestUpdatePersonKeepsMirrorsInStep(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	a := account.Account{ID: "acc", Name: "Acme", Plan: account.PlanBasic, Language: "en", CreatedAt: time.Now().UTC()}
	admin := account.Person{AccountID: "acc", ID: "boss", Email: "boss@acme.example", Role: routes.Administrator, Version: 1}
	if err := s.CreateAccount(ctx, a, admin); err != nil {
		t.Fatal(err)
	}
	op := account.Person{AccountID: "acc", ID: "op", Email: "op@acme.example", Role: routes.Operator, Version: 1}
	if err := s.AddPerson(ctx, op); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateDepartment(ctx, account.Department{AccountID: "acc", ID: "d1", Name: "Sales"}); err != nil {
		t.Fatal(err)
	}

	// E-mail change, a department and a photo at once.
	next := op
	next.Email, next.Departments, next.Version = "olga@acme.example", []string{"d1"}, 2
	next.Photo = &settings.Image{Format: settings.PNG, Width: 1, Height: 1, Size: 3, SHA256: "abc"}
	if err := s.UpdatePerson(ctx, op, next, []byte{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	if p, err := s.PersonByEmail(ctx, "olga@acme.example"); err != nil || p.ID != "op" {
		t.Fatalf("new e-mail: %+v %v", p, err)
	}
	if _, err := s.PersonByEmail(ctx, "op@acme.example"); apperr.CodeOf(err) != apperr.NotFound {
		t.Fatalf("the old e-mail is still reserved: %v", err)
	}
	if m, _ := s.DepartmentMembers(ctx, "acc", "d1"); !slices.Equal(m, []string{"op"}) {
		t.Fatalf("members %v", m)
	}
	if b, img, err := s.Photo(ctx, "acc", "op"); err != nil || !slices.Equal(b, []byte{1, 2, 3}) || img.SHA256 != "abc" {
		t.Fatalf("photo %v %+v %v", b, img, err)
	}

	// A stale version is refused, and so is taking another's e-mail; the
	// stored person is unchanged after both.
	stale := next
	stale.Name, stale.Version = "Stale", 2
	if err := s.UpdatePerson(ctx, op, stale, nil); apperr.CodeOf(err) != apperr.PreconditionFailed {
		t.Fatalf("stale write: %v", err)
	}
	taken := next
	taken.Email, taken.Departments, taken.Version = "boss@acme.example", nil, 3
	if err := s.UpdatePerson(ctx, next, taken, nil); apperr.CodeOf(err) != apperr.Conflict {
		t.Fatalf("taken e-mail: %v", err)
	}
	if m, _ := s.DepartmentMembers(ctx, "acc", "d1"); !slices.Equal(m, []string{"op"}) {
		t.Fatalf("a refused write changed the members: %v", m)
	}

	// The last administrator can be neither demoted nor deleted.
	demoted := admin
	demoted.Role, demoted.Version = routes.Operator, 2
	if err := s.UpdatePerson(ctx, admin, demoted, nil); apperr.CodeOf(err) != apperr.Conflict {
		t.Fatalf("demoting the last administrator: %v", err)
	}
	if err := s.DeletePerson(ctx, admin); apperr.CodeOf(err) != apperr.Conflict {
		t.Fatalf("deleting the last administrator: %v", err)
	}
	// With a second administrator, one of them may go.
	promoted := next
	promoted.Role, promoted.Version = routes.Administrator, 3
	if err := s.UpdatePerson(ctx, next, promoted, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.DeletePerson(ctx, admin); err != nil {
		t.Fatalf("deleting one of two administrators: %v", err)
	}
	if err := s.DeletePerson(ctx, promoted); apperr.CodeOf(err) != apperr.Conflict {
		t.Fatalf("deleting the remaining administrator: %v", err)
	}

	// Deleting a person frees the e-mail and drops memberships and photo.
	other := account.Person{AccountID: "acc", ID: "x", Email: "x@acme.example", Role: routes.Operator, Version: 1, Departments: []string{"d1"}}
	if err := s.AddPerson(ctx, other); err != nil {
		t.Fatal(err)
	}
	if err := s.DeletePerson(ctx, other); err != nil {
		t.Fatal(err)
	}
	if m, _ := s.DepartmentMembers(ctx, "acc", "d1"); !slices.Equal(m, []string{"op"}) {
		t.Fatalf("members after delete %v", m)
	}
	if _, err := s.PersonByEmail(ctx, "x@acme.example"); apperr.CodeOf(err) != apperr.NotFound {
		t.Fatalf("e-mail of a deleted person: %v", err)
	}
}
