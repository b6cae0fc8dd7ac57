package stacks_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"parley/infra/stacks"
	"parley/internal/routes"
)

// app is the whole CDK app, synthesised once for every test: synthesis goes
// through node and takes seconds, and every test only reads templates.
var app struct {
	settings  stacks.Settings
	data      *stacks.DataStack
	http      *stacks.HTTPStack
	realtime  *stacks.RealtimeStack
	web       *stacks.WebStack
	templates map[string]assertions.Template // by stack kind: data, http, realtime, web
	json      map[string]map[string]any      // the same templates as JSON
}

func TestMain(m *testing.M) {
	// jsii prints a banner on stderr for every node it has stopped
	// supporting (the second variable takes major versions); the tests do
	// not depend on the node version.
	os.Setenv("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
	os.Setenv("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "18,20")
	code, err := run(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = 1
	}
	os.Exit(code)
}

func run(m *testing.M) (int, error) {
	defer jsii.Close()
	tmp, err := os.MkdirTemp("", "parley-infra-test-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(tmp)
	binDir, webDir, err := fakeBuild(tmp)
	if err != nil {
		return 0, err
	}
	if err := synth(binDir, webDir, filepath.Join(tmp, "cdk.out")); err != nil {
		return 0, err
	}
	return m.Run(), nil
}

// fakeBuild stands in for `make build`: the stacks need a bootstrap per
// function to exist, not to run.
func fakeBuild(dir string) (binDir, webDir string, err error) {
	binDir, webDir = filepath.Join(dir, "bin"), filepath.Join(dir, "web")
	for _, fn := range routes.Functions {
		if err := os.MkdirAll(filepath.Join(binDir, fn.Name), 0o755); err != nil {
			return "", "", err
		}
		if err := os.WriteFile(filepath.Join(binDir, fn.Name, "bootstrap"), []byte("fake "+fn.Name), 0o755); err != nil {
			return "", "", err
		}
	}
	if err := os.MkdirAll(webDir, 0o755); err != nil {
		return "", "", err
	}
	return binDir, webDir, os.WriteFile(filepath.Join(webDir, "index.html"), []byte("<!doctype html>"), 0o644)
}

// synth builds the app the way infra/main.go does, from cdk.json's context.
func synth(binDir, webDir, outdir string) error {
	root, err := stacks.RepoRoot()
	if err != nil {
		return err
	}
	context, err := stacks.AppContext(root, func(name string) string {
		return map[string]string{stacks.EnvBinDir: binDir, stacks.EnvWebDir: webDir}[name]
	})
	if err != nil {
		return err
	}
	cdkApp := awscdk.NewApp(&awscdk.AppProps{Context: &context, Outdir: jsii.String(outdir)})
	if app.settings, err = stacks.SettingsFromContext(cdkApp, root); err != nil {
		return err
	}
	app.data = stacks.NewDataStack(cdkApp, "Data", nil)
	if app.realtime, err = stacks.NewRealtimeStack(cdkApp, "Realtime", &stacks.RealtimeStackProps{Settings: app.settings, Data: app.data}); err != nil {
		return err
	}
	if app.http, err = stacks.NewHTTPStack(cdkApp, "Http", &stacks.HTTPStackProps{
		Settings: app.settings, Data: app.data, Realtime: app.realtime,
	}); err != nil {
		return err
	}
	app.web = stacks.NewWebStack(cdkApp, "Web", &stacks.WebStackProps{Settings: app.settings, HTTP: app.http, Realtime: app.realtime})

	app.templates = map[string]assertions.Template{}
	app.json = map[string]map[string]any{}
	for kind, stack := range map[string]awscdk.Stack{
		"data": app.data.Stack, "http": app.http.Stack, "realtime": app.realtime.Stack, "web": app.web.Stack,
	} {
		template := assertions.Template_FromStack(stack, nil)
		app.templates[kind] = template
		app.json[kind] = *template.ToJSON()
	}
	return nil
}

// check runs an assertions call, which panics on a mismatch, and reports
// the mismatch as a test error so the other checks still run.
func check(t *testing.T, what string, assert func()) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("%s: %v", what, r)
		}
	}()
	assert()
}

// resources returns the template's resources of type typ by logical id.
func resources(kind, typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for id, r := range app.json[kind]["Resources"].(map[string]any) {
		res := r.(map[string]any)
		if res["Type"] == typ {
			out[id] = res
		}
	}
	return out
}

// props returns a resource's Properties.
func props(resource map[string]any) map[string]any {
	p, _ := resource["Properties"].(map[string]any)
	return p
}

// functionsByName finds the functions built from routes.Functions in a
// stack, keyed by function name, from the construct path sam local names
// them by ("<Stack>/<name>/Resource").
func functionsByName(t *testing.T, kind string) map[string]string {
	t.Helper()
	stackName := map[string]string{"http": "Http", "realtime": "Realtime"}[kind]
	out := map[string]string{}
	for id, r := range resources(kind, "AWS::Lambda::Function") {
		path, _ := r["Metadata"].(map[string]any)["aws:cdk:path"].(string)
		for _, fn := range routes.Functions {
			if path == stackName+"/"+fn.Name+"/Resource" {
				out[fn.Name] = id
			}
		}
	}
	return out
}

// ref is the CloudFormation {"Ref": id}.
func ref(id string) map[string]any { return map[string]any{"Ref": id} }

// getAttID returns X of {"Fn::GetAtt": [X, attr]}, or "".
func getAttID(v any, attr string) string {
	m, _ := v.(map[string]any)
	parts, _ := m["Fn::GetAtt"].([]any)
	if len(parts) == 2 && parts[1] == attr {
		id, _ := parts[0].(string)
		return id
	}
	return ""
}

// refID returns X of {"Ref": X}, or "".
func refID(v any) string {
	m, _ := v.(map[string]any)
	id, _ := m["Ref"].(string)
	return id
}

func stackKinds() []string { return []string{"data", "http", "realtime", "web"} }
