package stacks_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"

	"parley/infra/stacks"
	"parley/internal/routes"
)

func TestSettingsDefaultTheSESIdentityToTheSenderDomain(t *testing.T) {
	binDir, webDir, err := fakeBuild(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cdkApp := awscdk.NewApp(&awscdk.AppProps{Context: &map[string]any{
		stacks.ContextBinDir:   binDir,
		stacks.ContextWebDir:   webDir,
		stacks.ContextMailFrom: "Parley <noreply@mail.example.org>",
	}})
	s, err := stacks.SettingsFromContext(cdkApp, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if s.SESIdentity != "mail.example.org" {
		t.Errorf("SESIdentity = %q, want mail.example.org", s.SESIdentity)
	}
	if len(s.CORSOrigins) != 1 || s.CORSOrigins[0] != stacks.DefaultCORSOrigins {
		t.Errorf("CORSOrigins = %q, want [%s]", s.CORSOrigins, stacks.DefaultCORSOrigins)
	}
}

func TestSettingsRefuseAMissingBuild(t *testing.T) {
	root := t.TempDir()
	binDir, webDir, err := fakeBuild(root)
	if err != nil {
		t.Fatal(err)
	}
	missing := routes.Functions[len(routes.Functions)-1].Name
	if err := os.Remove(filepath.Join(binDir, missing, "bootstrap")); err != nil {
		t.Fatal(err)
	}
	// Relative directories are taken from the repository root.
	cdkApp := awscdk.NewApp(&awscdk.AppProps{Context: &map[string]any{
		stacks.ContextBinDir: "bin",
		stacks.ContextWebDir: filepath.Base(webDir),
	}})
	_, err = stacks.SettingsFromContext(cdkApp, root)
	if err == nil || !strings.Contains(err.Error(), filepath.Join(missing, "bootstrap")) || !strings.Contains(err.Error(), "make build") {
		t.Errorf("err = %v, want one naming %s/bootstrap and make build", err, missing)
	}
}
