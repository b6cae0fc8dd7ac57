package repo_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"parley/internal/repo"
)

// mdLink is a Markdown link's target: [text](target).
var mdLink = regexp.MustCompile(`\]\(([^)\s]+)\)`)

// TestReadmeLinksResolve keeps the README's relative links (the noun
// table's domain, store and handler files among them) pointing at files
// of the tree, so a moved or split file cannot leave a dead link.
func TestReadmeLinksResolve(t *testing.T) {
	root, err := repo.Root()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), "### Where each noun lives") {
		t.Fatal("README.md has no noun table (### Where each noun lives)")
	}
	checked := 0
	for _, m := range mdLink.FindAllStringSubmatch(string(raw), -1) {
		target := m[1]
		if strings.Contains(target, "://") || strings.HasPrefix(target, "#") || strings.HasPrefix(target, "mailto:") {
			continue
		}
		target, _, _ = strings.Cut(target, "#")
		if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(target))); err != nil {
			t.Errorf("README.md links to %s, which is not in the tree", m[1])
		}
		checked++
	}
	if checked < 45 {
		t.Errorf("checked %d relative links, want the noun table's 45 at least", checked)
	}
}
