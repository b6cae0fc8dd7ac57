package realtime_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"parley/internal/repo"
)

var (
	testFile = regexp.MustCompile("`([\\w./-]+_test\\.go)`")
	testName = regexp.MustCompile("`(Test\\w+)`")
)

// TestReadmeNamesRealTests keeps README.md's map of realtime behaviour to
// tests true: every test it names is a function in one of its row's files.
func TestReadmeNamesRealTests(t *testing.T) {
	root, err := repo.Root()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	named := 0
	for _, row := range strings.Split(string(raw), "\n") {
		if !strings.HasPrefix(row, "| ") {
			continue
		}
		files, names := testFile.FindAllStringSubmatch(row, -1), testName.FindAllStringSubmatch(row, -1)
		if len(names) == 0 {
			continue
		}
		if len(files) == 0 {
			t.Errorf("a row names tests but no file: %s", row)
			continue
		}
		var funcs []string
		for _, f := range files {
			funcs = append(funcs, testFuncs(t, filepath.Join(root, filepath.FromSlash(f[1])))...)
		}
		for _, n := range names {
			named++
			if !slices.Contains(funcs, n[1]) {
				t.Errorf("README.md names %s, which is in none of %v", n[1], files)
			}
		}
	}
	if named < 20 {
		t.Errorf("README.md names %d tests; the map lost its rows", named)
	}
}

func testFuncs(t *testing.T, path string) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
	if err != nil {
		t.Errorf("README.md names a file that does not parse: %v", err)
		return nil
	}
	var out []string
	for _, d := range f.Decls {
		if fn, ok := d.(*ast.FuncDecl); ok && fn.Recv == nil && strings.HasPrefix(fn.Name.Name, "Test") {
			out = append(out, fn.Name.Name)
		}
	}
	return out
}
