// Command infra is Parley's CDK app: `cdk synth` (or `go run ./infra` from
// the repository root, which writes cdk.out/ the same way) builds the four
// stacks from the routes and schema tables.
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"parley/infra/stacks"
)

// Stack names, which are also the template file names in cdk.out/.
const (
	dataStack     = "ParleyData"
	realtimeStack = "ParleyRealtime"
	httpStack     = "ParleyHttp"
	webStack      = "ParleyWeb"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "infra:", err)
		os.Exit(1)
	}
}

func run() error {
	defer jsii.Close()

	root, err := stacks.RepoRoot()
	if err != nil {
		return err
	}
	appContext, err := stacks.AppContext(root, os.Getenv)
	if err != nil {
		return err
	}
	props := &awscdk.AppProps{Context: &appContext}
	// The CDK CLI names its own output folder in CDK_OUTDIR; without the
	// CLI, write where the CLI would, so sam local finds the templates.
	if os.Getenv("CDK_OUTDIR") == "" {
		props.Outdir = jsii.String(filepath.Join(root, "cdk.out"))
	}
	app := awscdk.NewApp(props)

	settings, err := stacks.SettingsFromContext(app, root)
	if err != nil {
		return err
	}
	// No env: the stacks are environment-agnostic, so synthesis needs no
	// AWS account and makes no lookups.
	data := stacks.NewDataStack(app, dataStack, nil)
	realtime, err := stacks.NewRealtimeStack(app, realtimeStack, &stacks.RealtimeStackProps{Settings: settings, Data: data})
	if err != nil {
		return err
	}
	http, err := stacks.NewHTTPStack(app, httpStack, &stacks.HTTPStackProps{Settings: settings, Data: data, Realtime: realtime})
	if err != nil {
		return err
	}
	stacks.NewWebStack(app, webStack, &stacks.WebStackProps{Settings: settings, HTTP: http, Realtime: realtime})

	app.Synth(nil)
	return nil
}
