package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"parley/internal/config"
	"parley/internal/e2e"
	"parley/internal/routes"
)

// Hello is the name the hello-world Lambda is printed under.
const Hello = "hello"

// helloPackage is its source, relative to the module root.
const helloPackage = "./internal/bench/hello"

// lambdaBuildFlags are make build's flags (GOFLAGS_LAMBDA in the
// Makefile), for the hello-world Lambda; e2e.BuildFunction uses the same
// for Parley's functions. A test keeps the two in step with the Makefile.
var lambdaBuildFlags = []string{"-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w"}

// builds are the bootstraps of every function and of the hello-world
// Lambda: arm64 as deployed, for their size, and for this machine's
// architecture, to run under the emulator.
type builds struct {
	deployed map[string]string // name -> arm64 bootstrap
	runnable map[string]string // name -> host-architecture bootstrap
	emulator string
}

// names lists Parley's functions, then the hello-world Lambda.
func names() []string {
	var out []string
	for _, f := range routes.Functions {
		out = append(out, f.Name)
	}
	return append(out, Hello)
}

// buildAll builds everything the function figures need into dir.
func buildAll(ctx context.Context, root, dir string) (*builds, error) {
	b := &builds{deployed: map[string]string{}, runnable: map[string]string{}}
	type built struct {
		path string
		err  error
	}
	rie := make(chan built, 1)
	go func() {
		p, err := e2e.BuildRIE(ctx, dir)
		rie <- built{p, err}
	}()
	arches := []string{"arm64"}
	if runtime.GOARCH != "arm64" {
		arches = append(arches, runtime.GOARCH)
	}
	for _, arch := range arches {
		archDir := filepath.Join(dir, arch)
		for _, name := range names() {
			var p string
			var err error
			if name == Hello {
				p, err = buildHello(ctx, root, archDir, arch)
			} else {
				p, err = e2e.BuildFunction(ctx, archDir, name, arch)
			}
			if err != nil {
				return nil, err
			}
			if arch == "arm64" {
				b.deployed[name] = p
			}
			if arch == runtime.GOARCH {
				b.runnable[name] = p
			}
		}
	}
	r := <-rie
	if r.err != nil {
		return nil, r.err
	}
	b.emulator = r.path
	return b, nil
}

func buildHello(ctx context.Context, root, dir, goarch string) (string, error) {
	out := filepath.Join(dir, Hello, "bootstrap")
	args := append([]string{"build"}, lambdaBuildFlags...)
	args = append(args, "-o", out, helloPackage)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+goarch, "CGO_ENABLED=0")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("bench: build %s: %w\n%s", helloPackage, err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

// FunctionFigure is one function's bootstrap size and cold start.
type FunctionFigure struct {
	Name string
	Size int64         // the arm64 bootstrap, in bytes
	Init time.Duration // median INIT REPORT duration over the cold starts
}

// samples are what each function is invoked with to start it: a request it
// answers without error against the local stack, so a function that
// failed to initialise cannot pass unnoticed. A new function needs an
// entry here.
var samples = map[string]string{
	routes.FnAPI:        "apigw-v2-health.json",
	routes.FnAuthorizer: "apigw-v2-authorizer-request.json",
	routes.FnRealtime:   "apigw-ws-connect.json",
	routes.FnStream:     "dynamodb-stream-settings-modify.json",
	routes.FnSweeper:    "eventbridge-scheduled.json",
}

// measureFunctions cold-starts every runnable bootstrap coldStarts times
// under the emulator, one at a time so they do not compete for the CPU,
// with the environment the stack gives it, and takes the emulator's INIT
// REPORT: from starting the bootstrap to its first request for an event,
// which is what Lambda reports as Init Duration.
func measureFunctions(ctx context.Context, root string, b *builds, local e2e.Local, coldStarts int) ([]FunctionFigure, error) {
	var out []FunctionFigure
	for _, name := range names() {
		info, err := os.Stat(b.deployed[name])
		if err != nil {
			return nil, err
		}
		payload := []byte(`{}`)
		var env []string
		if name == Hello {
			env = helloEnv()
		} else {
			f, _ := routes.FunctionByName(name)
			sample, ok := samples[name]
			if !ok {
				return nil, fmt.Errorf("bench: no sample to start function %s with: add one to samples", name)
			}
			if payload, err = os.ReadFile(filepath.Join(root, "events", sample)); err != nil {
				return nil, err
			}
			env = functionEnv(f, local)
		}
		var inits []time.Duration
		for range coldStarts {
			d, err := coldStart(ctx, b.emulator, b.runnable[name], env, payload)
			if err != nil {
				return nil, fmt.Errorf("bench: %s: %w", name, err)
			}
			inits = append(inits, d)
		}
		out = append(out, FunctionFigure{Name: name, Size: info.Size(), Init: Percentile(inits, 50)})
	}
	return out, nil
}

// functionEnv is the environment the end-to-end test runs a function
// with, with the sweeper's window shortened to nothing: a cold start
// should not wait out the ticks of a minute.
func functionEnv(f routes.Function, local e2e.Local) []string {
	env := e2e.FunctionEnv(f, local)
	for i, kv := range env {
		if strings.HasPrefix(kv, config.EnvSweepWindow+"=") {
			env[i] = config.EnvSweepWindow + "=0s"
		}
	}
	return env
}

// helloEnv is what Lambda would set for a function of 128 MB, and nothing
// else.
func helloEnv() []string {
	return []string{"AWS_LAMBDA_FUNCTION_NAME=" + Hello, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128", "AWS_LAMBDA_FUNCTION_TIMEOUT=3",
		"AWS_REGION=us-east-1", "AWS_ACCESS_KEY_ID=local", "AWS_SECRET_ACCESS_KEY=local"}
}

func coldStart(ctx context.Context, emulator, bootstrap string, env []string, payload []byte) (time.Duration, error) {
	r, err := e2e.RunUnderRIE(ctx, emulator, bootstrap, env)
	if err != nil {
		return 0, err
	}
	defer r.Stop()
	if _, err := r.Invoke(ctx, payload); err != nil {
		return 0, fmt.Errorf("%w\n%s", err, r.Output())
	}
	// The emulator writes its INIT REPORT line as the function asks for
	// its first event, and the scanner may read it a moment after the
	// invocation returns.
	deadline := time.Now().Add(5 * time.Second)
	for {
		if d, ok := r.InitDuration(); ok {
			return d, nil
		}
		if time.Now().After(deadline) {
			return 0, errors.New("the emulator reported no init duration\n" + r.Output())
		}
		time.Sleep(5 * time.Millisecond)
	}
}
