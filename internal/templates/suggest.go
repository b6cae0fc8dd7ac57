package templates

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"unicode"
)

// What a query may cost: an operator types freely, so a pasted essay must
// not turn every suggestion into a quadratic comparison.
const (
	// MaxQueryTokens is how many tokens of the typed text count.
	MaxQueryTokens = 16
	// MaxTokenRunes is how long a token may be; longer ones are cut.
	MaxTokenRunes = 40
	// DefaultSuggestions is how many suggestions an operator gets.
	DefaultSuggestions = 5
)

// Points a query token earns in a template (see Rank).
const (
	titlePrefix = 3
	textPrefix  = 2
	wholeWord   = 1
)

// Tokens splits text into case-folded words: runs of letters and digits,
// at most MaxQueryTokens of them (the first ones, without repeats), each
// at most MaxTokenRunes long. Folding makes "ПРИВЕТ", "Привет" and
// "привет" one token, so capitalisation never hides a template.
func Tokens(text string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(text, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsNumber(r) }) {
		t := fold(f)
		if r := []rune(t); len(r) > MaxTokenRunes {
			t = string(r[:MaxTokenRunes])
		}
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
		if len(out) == MaxQueryTokens {
			break
		}
	}
	return out
}

// fold case-folds a word: upper then lower case, so that the variants of
// a letter (Σ σ ς, K k and the Kelvin sign) become one and a prefix test
// on folded words ignores case.
func fold(s string) string {
	return strings.Map(func(r rune) rune { return unicode.ToLower(unicode.ToUpper(r)) }, s)
}

// Score is how close a template is to what the operator typed. Each query
// token earns the best of: 3 when a word of the title starts with it, 2
// when a word of the text does, 0 otherwise; and 1 more when that word is
// the token itself (a finished word beats a half-typed one). The total is
// the score; 0 means unrelated.
func Score(query []string, t Template) int {
	title, text := allTokens(t.Title+" "+t.Section), allTokens(t.Text)
	total := 0
	for _, q := range query {
		best := 0
		for _, pair := range []struct {
			words  []string
			points int
		}{{title, titlePrefix}, {text, textPrefix}} {
			for _, w := range pair.words {
				if !strings.HasPrefix(w, q) {
					continue
				}
				p := pair.points
				if w == q {
					p += wholeWord
				}
				best = max(best, p)
			}
		}
		total += best
	}
	return total
}

// allTokens is Tokens without the count limit: a template's text is
// bounded by MaxText already, and a word near its end must still match.
func allTokens(text string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(text, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsNumber(r) }) {
		out = append(out, fold(f))
	}
	return out
}

// Rank orders the templates by closeness to the typed text and returns at
// most limit of those that match at all: the higher Score first; on a tie
// the shorter text (the operator has less to edit), then title and id so
// the order is stable. An empty query matches nothing.
func Rank(ts []Template, typed string, limit int) []Template {
	query := Tokens(typed)
	type scored struct {
		t     Template
		score int
	}
	var hits []scored
	if len(query) > 0 {
		for _, t := range ts {
			if s := Score(query, t); s > 0 {
				hits = append(hits, scored{t, s})
			}
		}
	}
	slices.SortFunc(hits, func(a, b scored) int {
		return cmp.Or(
			cmp.Compare(b.score, a.score),
			cmp.Compare(len([]rune(a.t.Text)), len([]rune(b.t.Text))),
			strings.Compare(a.t.Title, b.t.Title),
			strings.Compare(a.t.ID, b.t.ID))
	})
	out := []Template{}
	for _, h := range hits[:min(len(hits), max(limit, 0))] {
		out = append(out, h.t)
	}
	return out
}

// Section is one group of a templates list: the templates sharing a
// section name ("" for those without one).
type Section struct {
	Name      string
	Templates []Template
}

// GroupBySection groups a list (as List orders it) by section, sections
// in name order with the unnamed one first, each keeping the list's order
// (global, then department, then personal).
func GroupBySection(ts []Template) []Section {
	out := []Section{}
	for _, t := range ts {
		i := slices.IndexFunc(out, func(s Section) bool { return s.Name == t.Section })
		if i < 0 {
			out = append(out, Section{Name: t.Section})
			i = len(out) - 1
		}
		out[i].Templates = append(out[i].Templates, t)
	}
	slices.SortStableFunc(out, func(a, b Section) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// ForChat is what an operator answers a chat in language with: every
// global template, those of the departments they are in and their own
// (SPEC §2.4), grouped by section. Errors: those of List.
func (s *Service) ForChat(ctx context.Context, c Caller, language string) ([]Section, error) {
	ts, err := s.List(ctx, c, Filter{Language: language})
	if err != nil {
		return nil, err
	}
	return GroupBySection(ts), nil
}

// Suggest returns the templates of ForChat closest to typed, best first
// (see Rank), at most limit (DefaultSuggestions when limit <= 0).
// Errors: those of List.
func (s *Service) Suggest(ctx context.Context, c Caller, language, typed string, limit int) ([]Template, error) {
	if limit <= 0 {
		limit = DefaultSuggestions
	}
	if len(Tokens(typed)) == 0 {
		return []Template{}, nil // nothing typed yet: spare the reads
	}
	ts, err := s.List(ctx, c, Filter{Language: language})
	if err != nil {
		return nil, err
	}
	return Rank(ts, typed, limit), nil
}

// SaveAnswer keeps an answer the operator just typed as their personal
// template in the chat's language (SPEC §2.4). Errors: those of Create.
func (s *Service) SaveAnswer(ctx context.Context, c Caller, language, section, title, text string) (Template, error) {
	return s.Create(ctx, c, Input{Level: Personal, Language: language, Section: section, Title: title, Text: text})
}
