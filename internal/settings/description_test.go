package settings

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The console builds its settings pages from web/settings-fields.json.
// This test keeps that description and the API's table (fields) from
// drifting apart: a key added here without its field on a page, a secret
// shown as a plain field, or a limit the page advertises that the API
// does not enforce fails the build. See the README, "A new setting".

type described struct {
	Key      string            `json:"key"`
	Type     string            `json:"type"`
	Label    map[string]string `json:"label"`
	Help     map[string]string `json:"help"`
	Min      *int              `json:"min"`
	Max      *int              `json:"max"`
	Required bool              `json:"required"`
	Options  []string          `json:"options"`
	URLKey   string            `json:"urlKey"`
	TreeKey  string            `json:"treeKey"`
	Regen    string            `json:"regenerate"`
	Returns  string            `json:"returns"`
}

type describedSection struct {
	ID     string            `json:"id"`
	Page   string            `json:"page"`
	Title  map[string]string `json:"title"`
	Intro  map[string]string `json:"intro"`
	Groups []struct {
		ID     string            `json:"id"`
		Title  map[string]string `json:"title"`
		Fields []described       `json:"fields"`
	} `json:"groups"`
}

func loadDescription(t *testing.T) []describedSection {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "web", "settings-fields.json"))
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Sections []describedSection `json:"sections"`
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatalf("web/settings-fields.json: %v", err)
	}
	return d.Sections
}

// typesOf lists the page field types that may edit a key of each kind.
var typesOf = map[kind][]string{
	kindPlain:     {"text", "textarea", "emails", "urls", "bool", "int", "intOrNull", "select", "timezone", "categories", "languageTexts"},
	kindSecret:    {"secret"},
	kindURLSecret: {"urlSecret"},
	kindGenerated: {"generated"},
	kindDerived:   {"copy"},
	kindImage:     {"image"},
}

func TestDescriptionMatchesFields(t *testing.T) {
	secs := loadDescription(t)
	var order []string
	desc := map[string]described{}
	var keys []string
	referenced := map[string]bool{}
	for _, s := range secs {
		for _, lang := range Languages {
			if s.Title[lang] == "" || s.Intro[lang] == "" {
				t.Errorf("section %s: no title or intro in %s", s.ID, lang)
			}
		}
		if s.Page != "" {
			continue // a page of its own (templates), not a settings section
		}
		order = append(order, s.ID)
		for _, g := range s.Groups {
			for _, f := range g.Fields {
				if _, dup := desc[f.Key]; dup {
					t.Errorf("%s is described twice", f.Key)
				}
				if !strings.HasPrefix(f.Key, s.ID+".") {
					t.Errorf("%s is described in section %s", f.Key, s.ID)
				}
				desc[f.Key] = f
				keys = append(keys, f.Key)
				for _, lang := range Languages {
					if strings.TrimSpace(f.Label[lang]) == "" || strings.TrimSpace(f.Help[lang]) == "" {
						t.Errorf("%s: no label or help in %s", f.Key, lang)
					}
				}
				for _, k := range []string{f.URLKey, f.TreeKey} {
					if k != "" {
						referenced[k] = true
					}
				}
			}
		}
	}
	if !slices.Equal(order, Sections) {
		t.Errorf("sections described %v, the API has %v", order, Sections)
	}

	var want []string
	for _, f := range schema.all {
		if f.kind == kindDerived && referenced[f.key] {
			continue // shown by the field that references it (an image's URL, the category tree)
		}
		want = append(want, f.key)
		d, ok := desc[f.key]
		if !ok {
			t.Errorf("%s has no field in web/settings-fields.json", f.key)
			continue
		}
		if !slices.Contains(typesOf[f.kind], d.Type) {
			t.Errorf("%s is described as %q; a key of its kind takes one of %v", f.key, d.Type, typesOf[f.kind])
		}
		if f.kind == kindGenerated && (d.Regen == "" || d.Returns == "") {
			t.Errorf("%s: a generated secret needs its regenerate path and the name it is returned under", f.key)
		}
	}
	for k := range referenced {
		if f := fieldByKey(k); f == nil || f.kind != kindDerived {
			t.Errorf("%s is referenced as a derived key, the API has no such derived key", k)
		}
	}
	if !slices.Equal(keys, want) {
		t.Errorf("described keys, in order:\n%v\nthe API's, in order:\n%v", keys, want)
	}
}

// TestDescriptionLimits checks the limits the pages show against the API's
// own parsers: the bounds are accepted, one past them refused.
func TestDescriptionLimits(t *testing.T) {
	for _, s := range loadDescription(t) {
		for _, g := range s.Groups {
			for _, d := range g.Fields {
				f := fieldByKey(d.Key)
				if f == nil || f.parse == nil {
					continue
				}
				accepts := func(raw any) bool { _, err := f.parse(raw); return err == nil }
				num := func(n int) any { return json.Number(strconv.Itoa(n)) }
				switch d.Type {
				case "int", "intOrNull":
					if d.Min == nil || d.Max == nil {
						t.Errorf("%s: a number field needs min and max", d.Key)
						continue
					}
					if !accepts(num(*d.Min)) || !accepts(num(*d.Max)) || accepts(num(*d.Min-1)) || accepts(num(*d.Max+1)) {
						t.Errorf("%s: the API does not take exactly %d..%d", d.Key, *d.Min, *d.Max)
					}
				case "text", "textarea":
					if d.Max != nil && (!accepts(strings.Repeat("a", *d.Max)) || accepts(strings.Repeat("a", *d.Max+1))) {
						t.Errorf("%s: the API does not take at most %d characters", d.Key, *d.Max)
					}
					if d.Required && accepts("") {
						t.Errorf("%s: described as required, the API takes it empty", d.Key)
					}
				case "languageTexts":
					if !slices.Equal(d.Options, Languages) {
						t.Errorf("%s offers %v, the API takes %v", d.Key, d.Options, Languages)
					}
					for _, lang := range Languages {
						if d.Max == nil || !accepts(map[string]any{lang: strings.Repeat("a", *d.Max)}) || accepts(map[string]any{lang: strings.Repeat("a", *d.Max+1)}) {
							t.Errorf("%s: the API does not take at most %v characters in %s", d.Key, d.Max, lang)
						}
					}
				case "select":
					for _, o := range d.Options {
						if !accepts(o) {
							t.Errorf("%s: the API refuses the option %q", d.Key, o)
						}
					}
					if d.Key == "company.language" && !slices.Equal(d.Options, Languages) {
						t.Errorf("company.language offers %v, the API takes %v", d.Options, Languages)
					}
				}
			}
		}
	}
}

func fieldByKey(key string) *field {
	for _, f := range schema.all {
		if f.key == key {
			return f
		}
	}
	return nil
}
