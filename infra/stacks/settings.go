// Package stacks holds Parley's CDK stacks, one constructor per stack. Every
// function, route, stream consumer and schedule comes from internal/routes
// and the table from internal/schema, so the deployed service and the local
// stack read the same tables.
package stacks

import (
	"encoding/json"
	"fmt"
	"net/mail"
	"net/url"
	"os"
	"parley/internal/repo"
	"path/filepath"
	"strings"

	"github.com/aws/constructs-go/constructs/v10"

	"parley/internal/routes"
)

// Context keys the app reads. Pass them with `cdk synth -c key=value`; without
// the CDK CLI, PARLEY_BIN_DIR and PARLEY_WEB_DIR set the two directories.
const (
	// ContextBinDir is the folder holding <function>/bootstrap, as filled by
	// `make build`. Relative paths are taken from the repository root.
	ContextBinDir = "binDir"
	// ContextWebDir is the static console and widget deployed to the bucket.
	ContextWebDir = "webDir"
	// ContextMailFrom is the From address of every mail (MAIL_FROM).
	ContextMailFrom = "mailFrom"
	// ContextSESIdentity is the verified SES identity (a domain or an
	// address) that mail is sent through; the stream consumer may send as
	// this identity only. It defaults to the domain of mailFrom.
	ContextSESIdentity = "sesIdentity"
	// ContextCORSOrigins lists, comma separated, the origins that may call
	// the HTTP API from a browser. It defaults to any origin, see
	// DefaultCORSOrigins; set it to the console's origin (a custom domain, or
	// the ConsoleUrl output after a first deploy) to narrow it.
	ContextCORSOrigins = "corsOrigins"
	// ContextConsoleURL is the console's address when a custom domain
	// fronts the distribution, e.g. https://chat.example.com; invitation and
	// reset mails link to it. Without it they link to the distribution's
	// own URL, which the web stack publishes in ConsoleURLParameter.
	ContextConsoleURL = "consoleUrl"
)

// ConsoleURLParameter is the SSM parameter holding the console's URL. Its
// name is fixed, like the stacks' names, because the HTTP stack reads what
// the web stack writes and cannot reference the web stack: the web stack
// already references the HTTP stack's API.
const ConsoleURLParameter = "/parley/console-url"

// Defaults that let `cdk synth` run offline on a fresh checkout. The .example
// domain is reserved (RFC 2606): a deployment that keeps it cannot send mail,
// which is the safe failure.
const (
	DefaultBinDir   = "bin"
	DefaultWebDir   = "web"
	DefaultMailFrom = "no-reply@parley.example"
	// DefaultCORSOrigins is any origin because the API authenticates with a
	// bearer token that a page must hold, never with cookies a browser adds
	// by itself, so an origin list protects nothing; and the console's
	// CloudFront origin cannot be written into the HTTP stack as a
	// cross-stack token, which sam local start-api fails to parse.
	DefaultCORSOrigins = "*"
)

// Environment variables that stand in for context when the app runs without
// the CDK CLI (`go run ./infra`), which has no -c flag.
const (
	EnvBinDir = "PARLEY_BIN_DIR"
	EnvWebDir = "PARLEY_WEB_DIR"
)

// Settings are the deployment's choices, read once from the app's context.
type Settings struct {
	BinDir      string // absolute
	WebDir      string // absolute
	MailFrom    string
	SESIdentity string
	CORSOrigins []string // literal origins, or "*"
	ConsoleURL  string   // https://host of a custom domain, or "" for the distribution's URL
}

// RepoRoot finds the repository root, the nearest folder at or above the
// working directory that holds go.mod. The CDK CLI runs the app from the
// folder of cdk.json and `go test` from the package folder; both resolve to
// the same root.
func RepoRoot() (string, error) { return repo.Root() }

// AppContext is the context every synthesis starts from: cdk.json's context
// (its feature flags change the templates, and `go run ./infra` and the tests
// must produce what `cdk synth` produces), the metadata the CDK CLI would
// switch on, and the directories named by getenv. Context passed by the CLI
// takes precedence over all of it.
func AppContext(root string, getenv func(string) string) (map[string]any, error) {
	raw, err := os.ReadFile(filepath.Join(root, "cdk.json"))
	if err != nil {
		return nil, fmt.Errorf("stacks: reading cdk.json: %w", err)
	}
	var file struct {
		Context map[string]any `json:"context"`
	}
	if err := json.Unmarshal(raw, &file); err != nil {
		return nil, fmt.Errorf("stacks: cdk.json: %w", err)
	}
	ctx := file.Context
	if ctx == nil {
		ctx = map[string]any{}
	}
	// sam local reads aws:asset:path to find a function's code and
	// aws:cdk:path to name it; the CLI enables both, a bare `go run` does not.
	ctx["aws:cdk:enable-asset-metadata"] = true
	ctx["aws:cdk:enable-path-metadata"] = true
	if v := getenv(EnvBinDir); v != "" {
		ctx[ContextBinDir] = v
	}
	if v := getenv(EnvWebDir); v != "" {
		ctx[ContextWebDir] = v
	}
	return ctx, nil
}

// SettingsFromContext reads the settings from the app's context, resolving
// relative directories against root, and checks that every function's
// bootstrap and the web folder exist, so a missing `make build` fails with a
// clear message instead of a CDK asset error.
func SettingsFromContext(scope constructs.Construct, root string) (Settings, error) {
	get := func(key, fallback string) string {
		if v, ok := scope.Node().TryGetContext(&key).(string); ok && strings.TrimSpace(v) != "" {
			return strings.TrimSpace(v)
		}
		return fallback
	}
	abs := func(p string) string {
		if filepath.IsAbs(p) {
			return filepath.Clean(p)
		}
		return filepath.Join(root, p)
	}
	s := Settings{
		BinDir:   abs(get(ContextBinDir, DefaultBinDir)),
		WebDir:   abs(get(ContextWebDir, DefaultWebDir)),
		MailFrom: get(ContextMailFrom, DefaultMailFrom),
	}
	from, err := mail.ParseAddress(s.MailFrom)
	if err != nil {
		return s, fmt.Errorf("stacks: context %s=%q: %w", ContextMailFrom, s.MailFrom, err)
	}
	s.SESIdentity = get(ContextSESIdentity, from.Address[strings.LastIndex(from.Address, "@")+1:])
	for _, o := range strings.Split(get(ContextCORSOrigins, DefaultCORSOrigins), ",") {
		if o = strings.TrimSpace(o); o != "" {
			s.CORSOrigins = append(s.CORSOrigins, o)
		}
	}

	if s.ConsoleURL = strings.TrimRight(get(ContextConsoleURL, ""), "/"); s.ConsoleURL != "" {
		u, err := url.Parse(s.ConsoleURL)
		if err != nil || u.Scheme != "https" || u.Host == "" || u.Path != "" || u.RawQuery != "" || u.Fragment != "" {
			return s, fmt.Errorf("stacks: context %s=%q must be an https:// origin such as https://chat.example.com", ContextConsoleURL, s.ConsoleURL)
		}
	}

	for _, fn := range routes.Functions {
		if _, err := os.Stat(filepath.Join(s.BinDir, fn.Name, "bootstrap")); err != nil {
			return s, fmt.Errorf("stacks: %w (run `make build`, or pass -c %s=DIR or %s=DIR)", err, ContextBinDir, EnvBinDir)
		}
	}
	if info, err := os.Stat(s.WebDir); err != nil || !info.IsDir() {
		return s, fmt.Errorf("stacks: web folder %s is missing (pass -c %s=DIR or %s=DIR)", s.WebDir, ContextWebDir, EnvWebDir)
	}
	return s, nil
}
