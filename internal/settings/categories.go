package settings

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits of classification.categories. Operators pick a category from a
// menu during a chat: names must fit a menu item and the menu must stay
// usable.
const (
	MaxCategoryName      = 100   // runes per name
	MaxCategories        = 500   // categories and sub-categories together
	MaxCategoriesTextLen = 50000 // bytes of the text as typed
)

// Category is one node of the category tree. Only two levels exist: a
// top-level category and its sub-categories.
type Category struct {
	Name     string     `json:"name"`
	Children []Category `json:"children,omitempty"`
}

// ParseCategories parses the categories text, one category a line: a line
// starting with whitespace (space or tab) is a sub-category of the nearest
// preceding top-level line. Blank lines are ignored, names trimmed, CRLF
// line ends accepted. Refused, with the line number: a sub-category before
// any top-level one, a name repeated among its siblings (case-insensitive),
// a name longer than MaxCategoryName or holding control characters; also a
// text longer than MaxCategoriesTextLen or with more than MaxCategories
// names. The result is never nil. Errors are apperr Invalid.
func ParseCategories(text string) ([]Category, error) {
	if len(text) > MaxCategoriesTextLen {
		return nil, invalid("the list is too long: at most %d characters", MaxCategoriesTextLen)
	}
	if !utf8.ValidString(text) {
		return nil, invalid("the text is not valid UTF-8")
	}
	tree := []Category{}
	var problems []string
	topSeen := map[string]bool{}
	var subSeen map[string]bool
	// parent is the index in tree of the category sub-lines attach to:
	// noParent before any top-level line, skipParent after a refused
	// duplicate (its sub-lines are not checked against the wrong parent).
	const noParent, skipParent = -1, -2
	parent := noParent
	count := 0
	for i, line := range strings.Split(text, "\n") {
		n := i + 1
		line = strings.TrimSuffix(line, "\r")
		name := strings.TrimSpace(line)
		if name == "" {
			continue
		}
		first, _ := utf8.DecodeRuneInString(line)
		sub := unicode.IsSpace(first)
		switch {
		case hasControl(name, ""):
			problems = append(problems, lineProblem(n, "a name cannot hold control characters"))
			continue
		case utf8.RuneCountInString(name) > MaxCategoryName:
			problems = append(problems, lineProblem(n, fmt.Sprintf("a name is at most %d characters", MaxCategoryName)))
			continue
		}
		count++
		key := strings.ToLower(name)
		if !sub {
			if topSeen[key] {
				problems = append(problems, lineProblem(n, "category "+quote(name)+" is already in the list"))
				parent = skipParent
				continue
			}
			topSeen[key] = true
			subSeen = map[string]bool{}
			tree = append(tree, Category{Name: name})
			parent = len(tree) - 1
			continue
		}
		switch parent {
		case noParent:
			problems = append(problems, lineProblem(n, "sub-category "+quote(name)+" comes before any category (remove the leading space to make it a category)"))
			continue
		case skipParent:
			continue
		}
		if subSeen[key] {
			problems = append(problems, lineProblem(n, "sub-category "+quote(name)+" is already under the same category"))
			continue
		}
		subSeen[key] = true
		tree[parent].Children = append(tree[parent].Children, Category{Name: name})
	}
	if len(problems) > 0 {
		return nil, invalid("%s", joinProblems(problems))
	}
	if count > MaxCategories {
		return nil, invalid("at most %d categories are allowed, got %d", MaxCategories, count)
	}
	return tree, nil
}

// FormatCategories writes a tree back as text in the form ParseCategories
// reads: top-level names at the start of a line, sub-categories after one
// space.
func FormatCategories(tree []Category) string {
	var b strings.Builder
	for _, c := range tree {
		b.WriteString(c.Name)
		b.WriteByte('\n')
		for _, s := range c.Children {
			b.WriteByte(' ')
			b.WriteString(s.Name)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

func lineProblem(n int, msg string) string {
	return fmt.Sprintf("line %d: %s", n, msg)
}
