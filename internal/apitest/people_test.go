package apitest_test

import (
	"bytes"
	"crypto/rand"
	"net/url"
	"slices"
	"strings"
	"testing"

	"parley/internal/routes"
	"parley/internal/testkit"
)

// A person's photo: refused uploads (not an image, more than 100x100 px,
// over the 256 KB image cap, over the 1 MiB body cap) change nothing; a
// good PNG is served to the widget without a token under a versioned URL;
// a JPEG replaces it; DELETE removes it. Operators manage only their own.
func TestPersonPhoto(t *testing.T) {
	e := newEnv(t)
	a := e.signUp("basic")
	b := e.signUp("basic")
	op, opID := e.staff(a, routes.Operator)
	path := "/v1/people/" + opID + "/photo"
	widget := "/v1/widget/" + a.ID + "/people/" + opID + "/photo"
	put := func(token string, body []byte, contentType string) testkit.Reply {
		return e.do(testkit.Request{Method: "PUT", Path: path, Token: token, Body: body, ContentType: contentType})
	}

	imageCap := make([]byte, 300<<10)
	bodyCap := make([]byte, 2<<20)
	_, _ = rand.Read(imageCap)
	_, _ = rand.Read(bodyCap)
	for _, c := range []struct {
		name, contentType string
		body              []byte
		status            int
		field             bool // fields names photo
	}{
		{"not an image", "image/png", []byte("GIF89a? no, plain text"), 422, true},
		{"text declared as text", "text/plain", []byte("hello"), 422, true},
		{"101x100 px", "image/png", pngImage(t, 101, 100), 422, true},
		{"100x101 px", "image/png", pngImage(t, 100, 101), 422, true},
		{"over the image cap", "image/png", imageCap, 413, true},
		{"over the body cap", "image/png", bodyCap, 413, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := expect(t, "upload", put(a.Admin, c.body, c.contentType), c.status)
			f := r.ErrorFields()
			if c.field && (len(f) != 1 || f["photo"] == nil) {
				t.Errorf("fields = %v, want exactly photo", f)
			}
			if want := map[int]string{422: "invalid", 413: "too_large"}[c.status]; r.ErrorCode() != want {
				t.Errorf("code %q, want %q", r.ErrorCode(), want)
			}
		})
	}
	if r := expect(t, "profile after refusals", e.do(testkit.Request{Method: "GET", Path: "/v1/people/" + opID, Token: a.Admin}), 200); r.Body["photoUrl"] != nil {
		t.Fatalf("a refused upload stored a photo: %v", r.Body["photoUrl"])
	}
	expect(t, "widget photo before any upload", e.do(testkit.Request{Method: "GET", Path: widget}), 404)

	// The operator uploads their own, at the size limit.
	png100 := pngImage(t, 100, 100)
	up := expect(t, "own photo", put(op, png100, "image/png"), 200)
	photoURL, _ := up.Body["photoUrl"].(string)
	u, err := url.Parse(photoURL)
	if err != nil || u.Path != widget || len(u.Query().Get("v")) < 8 || !strings.HasPrefix(photoURL, e.stack.HTTPURL) {
		t.Fatalf("photoUrl = %q", photoURL)
	}
	got := expect(t, "widget photo", e.do(testkit.Request{Method: "GET", Path: photoURL}), 200)
	if !bytes.Equal(got.Raw, png100) || got.Header.Get("Content-Type") != "image/png" || got.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("widget photo: %d bytes, headers %v", len(got.Raw), got.Header)
	}
	if r := expect(t, "the list shows it", e.do(testkit.Request{Method: "GET", Path: "/v1/people", Token: op}), 200); !slices.ContainsFunc(r.Body["items"].([]any), func(p any) bool {
		return p.(map[string]any)["photoUrl"] == photoURL
	}) {
		t.Errorf("GET /v1/people does not show the photo")
	}

	// A JPEG replaces it, under another URL.
	jpg := jpegImage(t, 48, 64)
	next := expect(t, "replace", put(a.Admin, jpg, "image/jpeg"), 200).Body["photoUrl"].(string)
	if next == photoURL {
		t.Errorf("the URL did not change with the photo")
	}
	if got := expect(t, "widget photo, replaced", e.do(testkit.Request{Method: "GET", Path: next}), 200); !bytes.Equal(got.Raw, jpg) || got.Header.Get("Content-Type") != "image/jpeg" {
		t.Errorf("widget serves %d bytes of %s", len(got.Raw), got.Header.Get("Content-Type"))
	}

	// Only under its own account; operators may not touch colleagues'.
	expect(t, "under another account", e.do(testkit.Request{Method: "GET", Path: "/v1/widget/" + b.ID + "/people/" + opID + "/photo"}), 404)
	expect(t, "another account's administrator", e.do(testkit.Request{Method: "PUT", Path: path, Token: b.Admin, Body: png100, ContentType: "image/png"}), 404)
	no := expect(t, "an operator sets the administrator's photo", e.do(testkit.Request{Method: "PUT", Path: "/v1/people/" + a.AdminID + "/photo", Token: op, Body: png100, ContentType: "image/png"}), 403)
	if no.ErrorCode() != "forbidden" {
		t.Errorf("refusal: %s", no.Raw)
	}
	expect(t, "an operator removes the administrator's photo", e.do(testkit.Request{Method: "DELETE", Path: "/v1/people/" + a.AdminID + "/photo", Token: op}), 403)

	// DELETE removes it; again is fine.
	for i := range 2 {
		if r := expect(t, "DELETE", e.do(testkit.Request{Method: "DELETE", Path: path, Token: op}), 200); r.Body["photoUrl"] != nil {
			t.Errorf("DELETE %d: photoUrl %v", i+1, r.Body["photoUrl"])
		}
	}
	expect(t, "widget photo after DELETE", e.do(testkit.Request{Method: "GET", Path: next}), 404)
}

// People and departments over HTTP, as each role may use them: invitations
// with departments, edits within each role's rights, memberships, renames,
// deletions that take members out, removal and the last administrator.
func TestPeopleAndDepartments(t *testing.T) {
	e := newEnv(t)
	a := e.signUp("corporate")
	sup, supID := e.staff(a, routes.Supervisor)
	op, opID := e.staff(a, routes.Operator)
	adm := func(method, path string, body any, status int) testkit.Reply {
		t.Helper()
		return expect(t, method+" "+path, e.do(testkit.Request{Method: method, Path: path, Token: a.Admin, Body: body}), status)
	}
	as := func(token, method, path string, body any, status int) testkit.Reply {
		t.Helper()
		return expect(t, method+" "+path, e.do(testkit.Request{Method: method, Path: path, Token: token, Body: body}), status)
	}
	ids := func(r testkit.Reply, key string) []string {
		var out []string
		for _, v := range r.Body[key].([]any) {
			switch x := v.(type) {
			case string:
				out = append(out, x)
			case map[string]any:
				out = append(out, x["name"].(string))
			}
		}
		return out
	}

	// Departments, listed by name; names are unique ignoring case and
	// spaces.
	support := adm("POST", "/v1/departments", map[string]any{"name": "  Support   Team "}, 201)
	if support.Body["name"] != "Support Team" {
		t.Errorf("created: %v", support.Body)
	}
	sales := adm("POST", "/v1/departments", map[string]any{"name": "Sales"}, 201).Body["id"].(string)
	supportID := support.Body["id"].(string)
	adm("POST", "/v1/departments", map[string]any{"name": "support team"}, 409)
	as(sup, "POST", "/v1/departments", map[string]any{"name": "Mine"}, 403)
	if got := ids(as(op, "GET", "/v1/departments", nil, 200), "items"); !slices.Equal(got, []string{"Sales", "Support Team"}) {
		t.Errorf("departments: %v", got)
	}
	if r := adm("GET", "/v1/departments/"+sales, nil, 200); len(ids(r, "members")) != 0 {
		t.Errorf("a new department has members: %v", r.Body)
	}

	// An invitation into a department, with the account's languages.
	inv := adm("POST", "/v1/people", map[string]any{"email": testkit.UniqueEmail("new"), "role": "operator", "departments": []string{sales, sales}, "chatLimit": 4}, 201)
	newID := inv.Body["id"].(string)
	if !slices.Equal(ids(inv, "departments"), []string{sales}) || inv.Body["chatLimit"] != float64(4) || inv.Body["interfaceLanguage"] != "ru" || inv.Body["name"] != inv.Body["email"] {
		t.Errorf("invited: %v", inv.Body)
	}
	if got := ids(adm("GET", "/v1/departments/"+sales, nil, 200), "members"); !slices.Equal(got, []string{newID}) {
		t.Errorf("members of Sales: %v", got)
	}
	bad := adm("POST", "/v1/people", map[string]any{"email": "not an e-mail", "role": "boss", "languages": []string{"de"}, "chatLimit": 0}, 422)
	if f := bad.ErrorFields(); len(f) != 4 || f["email"] == nil || f["role"] == nil || f["languages"] == nil || f["chatLimit"] == nil {
		t.Errorf("refused invitation fields: %v", f)
	}

	// Who edits what.
	if r := as(op, "PATCH", "/v1/people/"+opID, map[string]any{"name": "Olga", "languages": []string{"ru", "en"}, "interfaceLanguage": "en"}, 200); r.Body["name"] != "Olga" || r.Body["interfaceLanguage"] != "en" {
		t.Errorf("operator edits themselves: %v", r.Body)
	}
	for _, c := range []struct {
		token, who, target string
		body               map[string]any
	}{
		{op, "operator", opID, map[string]any{"chatLimit": 9}},
		{op, "operator", supID, map[string]any{"name": "X"}},
		{op, "operator", opID, map[string]any{"role": "administrator"}},
		{sup, "supervisor", a.AdminID, map[string]any{"name": "X"}},
		{sup, "supervisor", opID, map[string]any{"email": testkit.UniqueEmail("x")}},
		{sup, "supervisor", supID, map[string]any{"role": "administrator"}},
	} {
		r := as(c.token, "PATCH", "/v1/people/"+c.target, c.body, 403)
		if msg, _ := r.Body["error"].(map[string]any)["message"].(string); r.ErrorCode() != "forbidden" || msg == "" {
			t.Errorf("%s PATCH %v: %s", c.who, c.body, r.Raw)
		}
	}
	if r := as(sup, "PATCH", "/v1/people/"+opID, map[string]any{"chatLimit": 3, "departments": []string{supportID}}, 200); r.Body["chatLimit"] != float64(3) || !slices.Equal(ids(r, "departments"), []string{supportID}) {
		t.Errorf("supervisor assigns an operator: %v", r.Body)
	}
	if r := as(sup, "PATCH", "/v1/people/"+opID, map[string]any{"chatLimit": nil}, 200); r.Body["chatLimit"] != nil {
		t.Errorf("chatLimit null: %v", r.Body)
	}
	adm("PATCH", "/v1/people/"+opID, map[string]any{"email": inv.Body["email"]}, 409)
	adm("PATCH", "/v1/people/"+opID, map[string]any{"departments": []string{"nothing"}}, 404)

	// Memberships: supervisors manage operators', not administrators'.
	if r := as(sup, "PUT", "/v1/departments/"+sales+"/members/"+opID, nil, 200); !slices.Equal(ids(r, "departments"), slices.Sorted(slices.Values([]string{sales, supportID}))) {
		t.Errorf("after joining Sales: %v", r.Body["departments"])
	}
	as(sup, "PUT", "/v1/departments/"+sales+"/members/"+opID, nil, 200) // already in
	as(sup, "PUT", "/v1/departments/"+sales+"/members/"+a.AdminID, nil, 403)
	as(op, "PUT", "/v1/departments/"+sales+"/members/"+opID, nil, 403)
	adm("PUT", "/v1/departments/"+sales+"/members/nobody", nil, 404)
	if got := ids(adm("GET", "/v1/departments/"+sales, nil, 200), "members"); !slices.Equal(got, slices.Sorted(slices.Values([]string{newID, opID}))) {
		t.Errorf("members of Sales: %v", got)
	}
	if r := as(sup, "DELETE", "/v1/departments/"+sales+"/members/"+opID, nil, 200); !slices.Equal(ids(r, "departments"), []string{supportID}) {
		t.Errorf("after leaving Sales: %v", r.Body["departments"])
	}

	// Rename, delete: the members leave it.
	if r := adm("PATCH", "/v1/departments/"+supportID, map[string]any{"name": "Help"}, 200); r.Body["name"] != "Help" {
		t.Errorf("renamed: %v", r.Body)
	}
	adm("PATCH", "/v1/departments/"+supportID, map[string]any{"name": "sales"}, 409)
	adm("PATCH", "/v1/departments/"+supportID, map[string]any{"name": strings.Repeat("x", 101)}, 422)
	adm("DELETE", "/v1/departments/"+supportID, nil, 204)
	adm("GET", "/v1/departments/"+supportID, nil, 404)
	if r := adm("GET", "/v1/people/"+opID, nil, 200); len(ids(r, "departments")) != 0 {
		t.Errorf("a deleted department stays on its member: %v", r.Body["departments"])
	}

	// A role change ends the person's sessions at once.
	adm("PATCH", "/v1/people/"+opID, map[string]any{"role": "supervisor"}, 200)
	as(op, "GET", "/v1/account", nil, 403)

	// Removal; not oneself, and not the last administrator.
	adm("DELETE", "/v1/people/"+newID, nil, 204)
	adm("GET", "/v1/people/"+newID, nil, 404)
	adm("DELETE", "/v1/people/"+newID, nil, 404)
	adm("DELETE", "/v1/people/"+a.AdminID, nil, 409)
	last := adm("PATCH", "/v1/people/"+a.AdminID, map[string]any{"role": "operator"}, 409)
	if f := last.ErrorFields(); f["role"] == nil {
		t.Errorf("last administrator fields: %v", f)
	}
	if got := len(adm("GET", "/v1/people", nil, 200).Body["items"].([]any)); got != 3 {
		t.Errorf("%d people left, want 3", got)
	}
	as(sup, "DELETE", "/v1/people/"+supID, nil, 403)
}
