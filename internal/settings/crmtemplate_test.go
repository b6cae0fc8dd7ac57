package settings_test

import (
	"net/url"
	"strings"
	"testing"

	"parley/internal/apperr"
	"parley/internal/settings"
)

func TestParseCRMTemplate(t *testing.T) {
	tests := []struct {
		in    string
		error string // "" = accepted
	}{
		{"https://crm.mydomain.com/?id={id}", ""},
		{"https://crm.mydomain.com/users/{id}/profile", ""},
		{"  https://crm.mydomain.com/#/u/{id}  ", ""},
		{"https://crm.mydomain.com/?a={id}&b={id}", ""},
		{"https://crm.mydomain.com/", "must contain {id}"},
		{"https://crm.mydomain.com/?id={ID}", "must contain {id}"},
		{"crm.mydomain.com/?id={id}", "https://"},
		{"https://{id}.crm.com/", "not in its host"},
		{"https://crm{id}.com/", "not in its host"},
		{"https://u:p@crm.com/{id}", "user name or password"},
		{"https://crm.com/{id} x", "spaces"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := settings.ParseCRMTemplate(tt.in)
			if tt.error == "" {
				if err != nil || string(got) != strings.TrimSpace(tt.in) {
					t.Errorf("= %q, %v", got, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted")
			}
			if apperr.CodeOf(err) != apperr.Invalid || !strings.Contains(apperr.Public(err).Message, tt.error) {
				t.Errorf("error %v, want it to contain %q", err, tt.error)
			}
		})
	}
}

func TestCRMTemplateExpand(t *testing.T) {
	tests := []struct {
		tmpl settings.CRMTemplate
		id   string
		want string
	}{
		{"https://crm.mydomain.com/?id={id}", "42", "https://crm.mydomain.com/?id=42"},
		{"https://crm.mydomain.com/?id={id}", "a&admin=1", "https://crm.mydomain.com/?id=a%26admin%3D1"},
		{"https://crm.mydomain.com/u/{id}", "../../etc?x#y", "https://crm.mydomain.com/u/..%2F..%2Fetc%3Fx%23y"},
		{"https://crm.mydomain.com/u/{id}", "Иван Петров", "https://crm.mydomain.com/u/%D0%98%D0%B2%D0%B0%D0%BD%20%D0%9F%D0%B5%D1%82%D1%80%D0%BE%D0%B2"},
		{"https://crm.mydomain.com/?a={id}&b={id}", "x-y_z.~", "https://crm.mydomain.com/?a=x-y_z.~&b=x-y_z.~"},
		{"", "42", ""},
	}
	for _, tt := range tests {
		if got := tt.tmpl.Expand(tt.id); got != tt.want {
			t.Errorf("%q.Expand(%q) = %q, want %q", tt.tmpl, tt.id, got, tt.want)
		}
	}
}

// FuzzCRMTemplate: never panics; an accepted template contains {id}, and
// any id expands to a valid URL on the template's host whose query keys do
// not depend on the id (the id cannot inject parameters).
func FuzzCRMTemplate(f *testing.F) {
	f.Add("https://crm.mydomain.com/?id={id}", "42")
	f.Add("https://crm.mydomain.com/u/{id}#x", "a&b=c/d?e#f")
	f.Add("https://{id}.crm.com/", "x")
	f.Add("https://crm.com/?{id}", "%zz")
	f.Fuzz(func(t *testing.T, tmpl, id string) {
		got, err := settings.ParseCRMTemplate(tmpl)
		if err != nil {
			if apperr.CodeOf(err) != apperr.Invalid {
				t.Fatalf("code %s", apperr.CodeOf(err))
			}
			return
		}
		if !strings.Contains(string(got), settings.CRMPlaceholder) {
			t.Fatalf("accepted %q without the placeholder", got)
		}
		u, err := url.Parse(got.Expand(id))
		if err != nil {
			t.Fatalf("expansion of %q with %q does not parse: %v", got, id, err)
		}
		ref, _ := url.Parse(got.Expand("x"))
		if u.Host != ref.Host || u.Scheme != ref.Scheme {
			t.Fatalf("the id moved the host: %q vs %q", u.Host, ref.Host)
		}
		if len(u.Query()) != len(ref.Query()) {
			t.Fatalf("the id %q added query parameters: %q", id, u.RawQuery)
		}
		if again, err := settings.ParseCRMTemplate(string(got)); err != nil || again != got {
			t.Fatalf("re-parse: %q, %v", again, err)
		}
	})
}
