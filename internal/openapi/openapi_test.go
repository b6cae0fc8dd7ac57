package openapi_test

import (
	"net/http"
	"os"
	"strings"
	"testing"

	"parley/internal/openapi"
)

const doc = `
openapi: 3.1.0
info: { title: t, version: "1" }
paths:
  /v1/things/{id}:
    get:
      responses:
        "200":
          description: a thing
          headers:
            ETag: { required: true, schema: { type: string, pattern: '^"' } }
          content:
            application/json:
              schema: { $ref: "#/components/schemas/Thing" }
        "204": { description: nothing }
  /v1/things/special:
    get:
      responses:
        "200":
          description: special
          content:
            image/png: { schema: { type: string } }
    put:
      requestBody:
        content:
          application/json:
            schema: { $ref: "#/components/schemas/Thing" }
      responses:
        "422": { description: bad }
components:
  schemas:
    Thing:
      type: object
      additionalProperties: false
      required: [name, size, url, kind]
      properties:
        name: { type: string, minLength: 1, maxLength: 5 }
        size: { type: [integer, "null"], minimum: 1, maximum: 10 }
        url: { type: string, format: uri }
        kind: { type: string, enum: [a, b] }
        tags: { type: array, maxItems: 2, items: { type: string, pattern: "^[a-z]+$" } }
        either:
          oneOf:
            - { type: string }
            - { type: integer }
`

func load(t *testing.T, src string) *openapi.Spec {
	t.Helper()
	s, err := openapi.Load([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func jsonHeader(etag string) http.Header {
	h := http.Header{}
	h.Set("Content-Type", "application/json; charset=utf-8")
	if etag != "" {
		h.Set("ETag", etag)
	}
	return h
}

func TestCheckResponse(t *testing.T) {
	s := load(t, doc)
	cases := []struct {
		name   string
		path   string
		status int
		header http.Header
		body   string
		want   string // substring of the first error; "" for none
	}{
		{"valid", "/v1/things/1", 200, jsonHeader(`"v1"`), `{"name":"ab","size":null,"url":"https://x.example/a","kind":"a"}`, ""},
		{"valid with optional members", "/v1/things/1", 200, jsonHeader(`"v1"`), `{"name":"ab","size":10,"url":"https://x.example/a","kind":"b","tags":["x"],"either":3}`, ""},
		{"undocumented member", "/v1/things/1", 200, jsonHeader(`"v1"`), `{"name":"ab","size":1,"url":"https://x.example/a","kind":"a","extra":1}`, "$.extra: member not in the document"},
		{"missing required member", "/v1/things/1", 200, jsonHeader(`"v1"`), `{"name":"ab","url":"https://x.example/a","kind":"a"}`, `required member "size" is missing`},
		{"wrong type", "/v1/things/1", 200, jsonHeader(`"v1"`), `{"name":1,"size":1,"url":"https://x.example/a","kind":"a"}`, "$.name: is number, want string"},
		{"fraction for integer", "/v1/things/1", 200, jsonHeader(`"v1"`), `{"name":"a","size":1.5,"url":"https://x.example/a","kind":"a"}`, "$.size: is number"},
		{"above maximum", "/v1/things/1", 200, jsonHeader(`"v1"`), `{"name":"a","size":11,"url":"https://x.example/a","kind":"a"}`, "more than the maximum"},
		{"too long", "/v1/things/1", 200, jsonHeader(`"v1"`), `{"name":"abcdef","size":1,"url":"https://x.example/a","kind":"a"}`, "longer than 5"},
		{"not in enum", "/v1/things/1", 200, jsonHeader(`"v1"`), `{"name":"a","size":1,"url":"https://x.example/a","kind":"c"}`, "is not one of"},
		{"relative uri", "/v1/things/1", 200, jsonHeader(`"v1"`), `{"name":"a","size":1,"url":"/a","kind":"a"}`, "not a valid uri"},
		{"too many items", "/v1/things/1", 200, jsonHeader(`"v1"`), `{"name":"a","size":1,"url":"https://x.example/a","kind":"a","tags":["a","b","c"]}`, "at most 2"},
		{"pattern", "/v1/things/1", 200, jsonHeader(`"v1"`), `{"name":"a","size":1,"url":"https://x.example/a","kind":"a","tags":["A"]}`, "does not match"},
		{"oneOf none", "/v1/things/1", 200, jsonHeader(`"v1"`), `{"name":"a","size":1,"url":"https://x.example/a","kind":"a","either":true}`, "matches 0 of oneOf"},
		{"missing header", "/v1/things/1", 200, jsonHeader(""), `{"name":"a","size":1,"url":"https://x.example/a","kind":"a"}`, "required header ETag"},
		{"bad header value", "/v1/things/1", 200, jsonHeader("v1"), `{"name":"a","size":1,"url":"https://x.example/a","kind":"a"}`, "header ETag"},
		{"undocumented status", "/v1/things/1", 500, jsonHeader(""), `{}`, "status 500 is not documented"},
		{"no body documented", "/v1/things/1", 204, http.Header{}, `x`, "lists no body"},
		{"empty 204", "/v1/things/1", 204, http.Header{}, ``, ""},
		{"undocumented path", "/v1/other", 200, jsonHeader(""), `{}`, "no documented path"},
		{"literal wins over parameter", "/v1/things/special", 200, http.Header{"Content-Type": {"image/png"}}, "\x89PNG", ""},
		{"undocumented media type", "/v1/things/special", 200, http.Header{"Content-Type": {"image/gif"}}, "GIF8", `content type "image/gif"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, errs := s.CheckResponse("GET", c.path, c.status, c.header, []byte(c.body))
			switch {
			case c.want == "" && len(errs) > 0:
				t.Errorf("errors: %v", errs)
			case c.want != "" && len(errs) == 0:
				t.Errorf("no error, want %q", c.want)
			case c.want != "" && !strings.Contains(errs[0].Error(), c.want):
				t.Errorf("error %q, want it to contain %q", errs[0], c.want)
			}
		})
	}
}

func TestCheckRequestBody(t *testing.T) {
	s := load(t, doc)
	if errs := s.CheckRequestBody("PUT", "/v1/things/special", "application/json", []byte(`{"name":"a","size":1,"url":"https://x.example/","kind":"a"}`)); len(errs) > 0 {
		t.Errorf("valid body: %v", errs)
	}
	if errs := s.CheckRequestBody("PUT", "/v1/things/special", "application/json", []byte(`{"name":"a"}`)); len(errs) == 0 {
		t.Error("an incomplete body passed")
	}
	if errs := s.CheckRequestBody("POST", "/v1/things/special", "application/json", []byte(`{}`)); len(errs) == 0 {
		t.Error("an undocumented method passed")
	}
}

func TestLint(t *testing.T) {
	s := load(t, `
openapi: 3.1.0
paths: {}
components:
  schemas:
    Open: { type: object, properties: { a: { type: string } } }
    Unknown: { type: string, const: x }
    BadRef: { $ref: "#/components/schemas/Nope" }
    BadFormat: { type: string, format: ipv4 }
    Required: { type: object, additionalProperties: false, required: [b], properties: { a: { type: string } } }
`)
	got := s.Lint()
	for _, want := range []string{"Open: an object schema must say additionalProperties", `keyword "const"`, "unresolvable reference", `format "ipv4"`, `required member "b" has no property`} {
		found := false
		for _, e := range got {
			found = found || strings.Contains(e.Error(), want)
		}
		if !found {
			t.Errorf("Lint did not report %q; got %v", want, got)
		}
	}
}

// The project's own document must pass its own lint.
func TestProjectDocumentLints(t *testing.T) {
	data, err := os.ReadFile("../../docs/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s := load(t, string(data))
	for _, e := range s.Lint() {
		t.Error(e)
	}
	if len(s.Operations()) < 20 {
		t.Errorf("only %d operations documented", len(s.Operations()))
	}
}
