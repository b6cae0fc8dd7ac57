package browser_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// The console's chart library is a copy of the pinned npm package's files
// (web/vendor/uplot, served from the console's own origin): the copy must
// be byte-identical to that version's files, so it is that package, no
// hand-edited fork, and a version bump in package.json needs a new copy.
func TestVendoredUPlotIsThePinnedPackage(t *testing.T) {
	root := filepath.Join("..", "..")
	var pkg struct {
		Dependencies    map[string]string `json:"dependencies"`
		DevDependencies map[string]string `json:"devDependencies"`
	}
	raw, err := os.ReadFile(filepath.Join(root, "package.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &pkg); err != nil {
		t.Fatal(err)
	}
	want := pkg.Dependencies["uplot"] + pkg.DevDependencies["uplot"]
	var installed struct{ Version string }
	raw, err = os.ReadFile(filepath.Join(root, "node_modules", "uplot", "package.json"))
	if err != nil {
		t.Fatalf("the npm packages are not installed (make deps): %v", err)
	}
	if err := json.Unmarshal(raw, &installed); err != nil {
		t.Fatal(err)
	}
	if want != installed.Version || want != "1.6.32" {
		t.Fatalf("package.json pins uplot %q, node_modules has %q; the copy in web/vendor/uplot is 1.6.32", want, installed.Version)
	}
	for dst, src := range map[string]string{"uPlot.esm.js": "dist/uPlot.esm.js", "uPlot.min.css": "dist/uPlot.min.css", "LICENSE": "LICENSE"} {
		a, err := os.ReadFile(filepath.Join(root, "web", "vendor", "uplot", dst))
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(root, "node_modules", "uplot", src))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("web/vendor/uplot/%s differs from the npm package's %s", dst, src)
		}
	}
}
