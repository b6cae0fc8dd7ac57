package stack_test

import (
	"testing"

	"parley/internal/apperr"
	"parley/internal/testkit"
)

// TestOwnerlessTemplatesGo: deleting a department deletes its templates,
// and removing a person deletes their personal ones (the stream consumer
// does it); otherwise they would stay in managers' lists with no owner.
func TestOwnerlessTemplatesGo(t *testing.T) {
	w := newChatWorld(t)
	dept := testkit.Call(t, "POST", w.api+"/departments", w.admin, map[string]any{"name": "Billing"})
	if dept.Status != 201 {
		t.Fatalf("department: %+v", dept)
	}
	deptID := dept.Body["id"].(string)
	created := func(token string, body map[string]any) string {
		t.Helper()
		r := testkit.Call(t, "POST", w.api+"/templates", token, body)
		if r.Status != 201 {
			t.Fatalf("template %v: %+v", body, r)
		}
		return r.Body["id"].(string)
	}
	deptTpl := created(w.admin, map[string]any{"level": "department", "departmentId": deptID, "language": "en", "text": "Invoices are sent on the 1st."})
	personal := created(w.op2.token, map[string]any{"level": "personal", "language": "en", "text": "Give me a minute, please."})
	kept := created(w.op1.token, map[string]any{"level": "personal", "language": "en", "text": "Hello from op1."})

	if r := testkit.Call(t, "DELETE", w.api+"/departments/"+deptID, w.admin, nil); r.Status != 204 {
		t.Fatalf("delete department: %+v", r)
	}
	if r := testkit.Call(t, "DELETE", w.api+"/people/"+w.op2.id, w.admin, nil); r.Status != 204 {
		t.Fatalf("remove op2: %+v", r)
	}
	gone := func(id string) bool {
		_, err := w.s.Store.Template(t.Context(), w.account, id)
		if err != nil && apperr.CodeOf(err) != apperr.NotFound {
			t.Fatal(err)
		}
		return apperr.CodeOf(err) == apperr.NotFound
	}
	testkit.Eventually(t, "the department's template deleted", func() bool { return gone(deptTpl) })
	testkit.Eventually(t, "the removed person's template deleted", func() bool { return gone(personal) })
	if gone(kept) {
		t.Fatal("another person's template was deleted too")
	}
}
