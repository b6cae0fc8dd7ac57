package templates_test

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"parley/internal/templates"
)

func TestTokens(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"  ,.!  ", nil},
		{"Hello, WORLD hello", []string{"hello", "world"}},
		{"ПРИВЕТ мир-2024", []string{"привет", "мир", "2024"}},
		{"don't", []string{"don", "t"}},
	} {
		if got := templates.Tokens(c.in); !cmp.Equal(got, c.want) {
			t.Errorf("Tokens(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestRank(t *testing.T) {
	ts := []templates.Template{
		{ID: "a", Title: "Delivery times", Text: "We deliver within three days."},
		{ID: "b", Title: "Refunds", Text: "Refunds take five days; delivery is not refunded."},
		{ID: "c", Title: "Greeting", Text: "Hello! How can I help?"},
		{ID: "d", Title: "", Text: "Our delivery partner is DHL."},
		{ID: "e", Title: "Payment", Text: "We accept cards."},
	}
	ids := func(ts []templates.Template) []string {
		var out []string
		for _, t := range ts {
			out = append(out, t.ID)
		}
		return out
	}
	for _, c := range []struct {
		name, typed string
		limit       int
		want        []string
	}{
		{"nothing typed", "", 5, nil},
		{"no match", "zebra", 5, nil},
		// A title prefix (3) beats text prefixes (2); among those the
		// shorter text comes first.
		{"title before text, shorter first", "deliv", 5, []string{"a", "d", "b"}},
		// "refund" is a whole title word of b: 4 points.
		{"whole word", "REFUNDS", 5, []string{"b"}},
		// Two tokens add up: a matches both (3+2), d and b one each.
		{"tokens add up", "delivery days", 5, []string{"a", "b", "d"}},
		{"limit", "deliv", 2, []string{"a", "d"}},
		{"zero limit", "deliv", 0, nil},
		{"case folded", "HeLLo", 5, []string{"c"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := ids(templates.Rank(ts, c.typed, c.limit))
			if !slices.Equal(got, c.want) {
				t.Errorf("Rank(%q) = %v, want %v", c.typed, got, c.want)
			}
		})
	}
}

func TestGroupBySection(t *testing.T) {
	ts := []templates.Template{
		{ID: "1", Level: templates.Global, Section: "Sales"},
		{ID: "2", Level: templates.Global, Section: ""},
		{ID: "3", Level: templates.Personal, Section: "Sales"},
		{ID: "4", Level: templates.Department, Section: "Billing"},
	}
	var got [][]string
	for _, s := range templates.GroupBySection(ts) {
		row := []string{s.Name}
		for _, t := range s.Templates {
			row = append(row, t.ID)
		}
		got = append(got, row)
	}
	want := [][]string{{"", "2"}, {"Billing", "4"}, {"Sales", "1", "3"}}
	if !cmp.Equal(got, want) {
		t.Errorf("GroupBySection: %v, want %v", got, want)
	}
}
