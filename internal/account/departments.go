package account

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	"parley/internal/apperr"
)

// Department is a team of people in an account (SPEC §2.4: departments
// have their own templates; chats may be routed to one).
type Department struct {
	AccountID string
	ID        string
	Name      string
	CreatedAt time.Time
}

// MaxDepartmentNameLen bounds a department's name.
const MaxDepartmentNameLen = 100

// DepartmentStore declares what departments need from storage.
type DepartmentStore interface {
	// CreateDepartment stores a department. Errors: apperr.Conflict (the
	// account has a department of that name).
	CreateDepartment(ctx context.Context, d Department) error
	// Department returns one department. Errors: apperr.NotFound.
	Department(ctx context.Context, accountID, id string) (Department, error)
	// Departments lists an account's departments: one Query.
	Departments(ctx context.Context, accountID string) ([]Department, error)
	// RenameDepartment renames d. Errors: apperr.NotFound,
	// apperr.Conflict (name taken).
	RenameDepartment(ctx context.Context, d Department, name string) error
	// DeleteDepartment deletes d, after which no one can join it. Errors:
	// apperr.NotFound.
	DeleteDepartment(ctx context.Context, d Department) error
	// DepartmentMembers lists the ids of a department's members: one Query.
	DepartmentMembers(ctx context.Context, accountID, id string) ([]string, error)
}

// DepartmentNameKey is what makes two names the same department: case and
// runs of spaces do not count.
func DepartmentNameKey(name string) string {
	return strings.ToLower(strings.Join(strings.Fields(name), " "))
}

func checkDepartmentName(name string) (string, error) {
	name = strings.Join(strings.Fields(name), " ")
	if name == "" || len([]rune(name)) > MaxDepartmentNameLen || strings.ContainsFunc(name, unicode.IsControl) {
		return "", &apperr.Error{Code: apperr.Invalid, Message: "the department name is not valid",
			Fields: map[string]string{"name": fmt.Sprintf("must be 1 to %d characters", MaxDepartmentNameLen)}}
	}
	return name, nil
}

// CreateDepartment creates a department. Errors: apperr.Invalid (field
// name), apperr.Conflict.
func (s *Service) CreateDepartment(ctx context.Context, actor Actor, name string) (Department, error) {
	name, err := checkDepartmentName(name)
	if err != nil {
		return Department{}, err
	}
	d := Department{AccountID: actor.AccountID, ID: NewID(), Name: name, CreatedAt: s.Now().UTC()}
	return d, s.Store.CreateDepartment(ctx, d)
}

// Departments lists the account's departments by name.
func (s *Service) Departments(ctx context.Context, actor Actor) ([]Department, error) {
	ds, err := s.Store.Departments(ctx, actor.AccountID)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(ds, func(a, b Department) int {
		return strings.Compare(DepartmentNameKey(a.Name), DepartmentNameKey(b.Name))
	})
	return ds, nil
}

// Department returns a department with its members' ids. Errors:
// apperr.NotFound.
func (s *Service) Department(ctx context.Context, actor Actor, id string) (Department, []string, error) {
	d, err := s.Store.Department(ctx, actor.AccountID, id)
	if err != nil {
		return Department{}, nil, err
	}
	members, err := s.Store.DepartmentMembers(ctx, actor.AccountID, id)
	return d, members, err
}

// RenameDepartment renames a department. Errors: apperr.Invalid,
// apperr.NotFound, apperr.Conflict.
func (s *Service) RenameDepartment(ctx context.Context, actor Actor, id, name string) (Department, error) {
	name, err := checkDepartmentName(name)
	if err != nil {
		return Department{}, err
	}
	d, err := s.Store.Department(ctx, actor.AccountID, id)
	if err != nil {
		return Department{}, err
	}
	if d.Name == name {
		return d, nil
	}
	if err := s.Store.RenameDepartment(ctx, d, name); err != nil {
		return Department{}, err
	}
	d.Name = name
	return d, nil
}

// DeleteDepartment deletes a department, then takes its members out of it.
// Deleting first means nobody can join it meanwhile (joining checks the
// department in the same transaction). Errors: apperr.NotFound.
func (s *Service) DeleteDepartment(ctx context.Context, actor Actor, id string) error {
	d, err := s.Store.Department(ctx, actor.AccountID, id)
	if err != nil {
		return err
	}
	if err := s.Store.DeleteDepartment(ctx, d); err != nil {
		return err
	}
	members, err := s.Store.DepartmentMembers(ctx, actor.AccountID, id)
	if err != nil {
		return err
	}
	for _, pid := range members {
		err := s.retryUpdate(ctx, actor.AccountID, pid, func(old Person) (Person, []byte, error) {
			next := old
			next.Departments = slices.DeleteFunc(slices.Clone(old.Departments), func(x string) bool { return x == id })
			return next, nil, nil
		})
		if err != nil && apperr.CodeOf(err) != apperr.NotFound {
			return err
		}
	}
	return nil
}

// SetMembership puts a person in a department (in true) or takes them out.
// Supervisors manage operators' and supervisors' memberships, never an
// administrator's (CanEdit). Errors: apperr.NotFound (person or
// department), apperr.Forbidden, apperr.Invalid (too many departments).
func (s *Service) SetMembership(ctx context.Context, actor Actor, departmentID, personID string, in bool, hidden bool) (Person, error) {
	if _, err := s.Store.Department(ctx, actor.AccountID, departmentID); err != nil {
		return Person{}, err
	}
	var next Person
	err := s.retryUpdate(ctx, actor.AccountID, personID, func(old Person) (Person, []byte, error) {
		if err := CanEdit(actor, old, fieldAssignment, hidden); err != nil {
			return Person{}, nil, err
		}
		next = old
		depts := slices.DeleteFunc(slices.Clone(old.Departments), func(x string) bool { return x == departmentID })
		if in {
			depts = append(depts, departmentID)
		}
		fields := map[string]string{}
		next.Departments, fields = checkDepartments(depts, fields)
		return next, nil, apperr.Fields(fields)
	})
	return next, err
}
