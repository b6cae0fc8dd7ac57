package testkit_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"parley/internal/repo"
)

// kitUsers are the directories whose non-test code may import the test
// kit: the kit itself and the two commands that run the local stack for
// the suite and the bench.
var kitUsers = []string{"internal/testkit/", "cmd/bench/", "cmd/withlocal/"}

// TestProductCodeImportsNoTestKit keeps product code and test tooling
// apart: outside the kit and the bench's and suite's commands, only
// _test.go files import parley/internal/testkit/...
func TestProductCodeImportsNoTestKit(t *testing.T) {
	root, err := repo.Root()
	if err != nil {
		t.Fatal(err)
	}
	allowed := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != root && (strings.HasPrefix(name, ".") || name == "node_modules" || name == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, src, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if p != "parley/internal/testkit" && !strings.HasPrefix(p, "parley/internal/testkit/") {
				continue
			}
			if !isKitUser(rel) {
				t.Errorf("%s imports %s: product code must not use the test kit", rel, p)
			} else if !strings.HasPrefix(rel, "internal/testkit/") {
				allowed++
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if allowed == 0 {
		t.Fatal("no command imports the kit: the walk found nothing, so it proves nothing")
	}
}

func isKitUser(rel string) bool {
	for _, dir := range kitUsers {
		if strings.HasPrefix(rel, dir) {
			return true
		}
	}
	return false
}
