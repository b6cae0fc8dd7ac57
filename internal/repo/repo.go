// Package repo finds the repository's root, where go.mod, node_modules and
// web/ are, for the commands and tests that need files outside their package.
package repo

import (
	"errors"
	"os"
	"path/filepath"
)

// ErrNoRoot is returned when no folder at or above the working directory
// holds go.mod.
var ErrNoRoot = errors.New("repo: no go.mod at or above the working directory")

// Root returns the nearest folder at or above the working directory that
// holds go.mod. A test runs in its package's folder, the CDK CLI in the
// folder of cdk.json and make in the root: all resolve to the same root.
func Root() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", ErrNoRoot
		}
		dir = parent
	}
}
