// Package e2e runs Parley's functions the way Lambda runs them: each built
// as its own bootstrap and started under the AWS Lambda Runtime Interface
// Emulator, which speaks the Lambda Runtime API to it. The end-to-end test
// uses it to prove that every main wires its dependencies from the
// environment alone; make bench reuses it for each function's binary size
// and init time.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"parley/internal/local/childproc"
)

// The emulator, as go.mod pins it.
const (
	rieModule  = "github.com/aws/aws-lambda-runtime-interface-emulator"
	riePackage = rieModule + "/cmd/aws-lambda-rie"
)

// ModuleRoot returns the folder holding Parley's go.mod, as the go command
// sees it from the working directory.
func ModuleRoot(ctx context.Context) (string, error) {
	out, err := goOutput(ctx, "", nil, "env", "GOMOD")
	if err != nil {
		return "", err
	}
	if out == "" || out == os.DevNull {
		return "", errors.New("e2e: not inside a Go module")
	}
	return filepath.Dir(out), nil
}

// BuildRIE builds the emulator into dir and returns its path: the version
// go.mod names as a tool, from the module cache like any dependency.
func BuildRIE(ctx context.Context, dir string) (string, error) {
	root, err := ModuleRoot(ctx)
	if err != nil {
		return "", err
	}
	out := filepath.Join(dir, "aws-lambda-rie")
	hostEnv := []string{"CGO_ENABLED=0", "GOOS=", "GOARCH="} // the emulator runs here, not in Lambda
	// go.mod names the emulator as a tool, so it builds from the module
	// cache like any dependency.
	if _, err := goOutput(ctx, root, hostEnv, "build", "-o", out, riePackage); err != nil {
		return "", fmt.Errorf("e2e: build the emulator: %w", err)
	}
	return out, nil
}

// BuildFunction builds function fn (a folder of functions/) as Lambda's
// provided.al2023 runtime wants it, for goarch, into dir/fn/bootstrap, with
// the flags of make build, so its size is the size deployed.
func BuildFunction(ctx context.Context, dir, fn, goarch string) (string, error) {
	root, err := ModuleRoot(ctx)
	if err != nil {
		return "", err
	}
	out := filepath.Join(dir, fn, "bootstrap")
	env := []string{"GOOS=linux", "GOARCH=" + goarch, "CGO_ENABLED=0"}
	if _, err := goOutput(ctx, root, env, "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w", "-o", out, "./functions/"+fn); err != nil {
		return "", err
	}
	return out, nil
}

func goOutput(ctx context.Context, dir string, env []string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("e2e: go %s: %w\n%s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(string(out)), nil
}

// RIE is one bootstrap running under the emulator. The emulator serves one
// invocation at a time, and so does Invoke.
type RIE struct {
	// Bootstrap is the function's binary and Size its size in bytes.
	Bootstrap string
	Size      int64

	addr    string
	proc    *childproc.Process
	started time.Time
	reports *reportScanner

	mu            sync.Mutex // one invocation at a time
	firstResponse time.Duration
}

// RunUnderRIE starts bootstrap under the emulator at path emulator, on free
// loopback ports, with exactly env as its environment (the emulator passes
// its own environment on to the function), and returns once the emulator
// accepts invocations. Lambda starts the function lazily, on the first
// invocation, and so does the emulator.
func RunUnderRIE(ctx context.Context, emulator, bootstrap string, env []string) (*RIE, error) {
	info, err := os.Stat(bootstrap)
	if err != nil {
		return nil, fmt.Errorf("e2e: %w", err)
	}
	// childproc cannot set a child's environment, and the emulator would
	// hand the whole of the test's environment (profiles, real keys) to the
	// function: env -i starts it with env and nothing else, in the process
	// group childproc made.
	envBin, err := childproc.Lookup("env")
	if err != nil {
		return nil, err
	}
	var last error
	// A port found free may be taken before the emulator binds it: retry.
	for range 3 {
		r, err := startRIE(ctx, envBin, emulator, bootstrap, env)
		if err == nil {
			r.Size = info.Size()
			return r, nil
		}
		last = err
		if ctx.Err() != nil {
			break
		}
	}
	return nil, last
}

func startRIE(ctx context.Context, envBin, emulator, bootstrap string, env []string) (*RIE, error) {
	ports := map[int]bool{}
	for len(ports) < 2 {
		p, err := childproc.FreePort()
		if err != nil {
			return nil, err
		}
		ports[p] = true
	}
	var addrs []string
	for p := range ports {
		addrs = append(addrs, "127.0.0.1:"+strconv.Itoa(p))
	}
	args := append([]string{"-i"}, env...)
	args = append(args, emulator,
		"--runtime-interface-emulator-address", addrs[0], // where invocations are posted
		// The Runtime API the function polls defaults to 127.0.0.1:9001,
		// which two emulators at once would share.
		"--runtime-api-address", addrs[1],
		bootstrap)
	r := &RIE{Bootstrap: bootstrap, addr: addrs[0], reports: &reportScanner{}}
	r.started = time.Now()
	proc, err := childproc.Start(envBin, args, filepath.Dir(bootstrap), r.reports)
	if err != nil {
		return nil, err
	}
	r.proc = proc
	err = proc.WaitReady(ctx, 15*time.Second, func(ctx context.Context) error {
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", r.addr)
		if err == nil {
			c.Close()
		}
		return err
	})
	if err != nil {
		_ = proc.Stop(2 * time.Second)
		return nil, fmt.Errorf("e2e: emulator for %s: %w", bootstrap, err)
	}
	return r, nil
}

// FunctionError is a function's failed invocation, as Lambda reports it.
type FunctionError struct {
	Type    string `json:"errorType"`
	Message string `json:"errorMessage"`
}

func (e *FunctionError) Error() string { return "e2e: function failed: " + e.Type + ": " + e.Message }

// Invoke posts payload as one invocation and returns the function's
// response. A function error is a *FunctionError; Output says more.
func (r *RIE) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+r.addr+"/2015-03-31/functions/function/invocations", bytes.NewReader(payload))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("e2e: invoke: %w", err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, fmt.Errorf("e2e: invoke: %w", err)
	}
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("e2e: invoke: %s: %.500s", res.Status, body)
	}
	var fe FunctionError
	if json.Unmarshal(body, &fe) == nil && fe.Type != "" {
		return nil, &fe
	}
	if r.firstResponse == 0 {
		r.firstResponse = time.Since(r.started)
	}
	return body, nil
}

// FirstResponse is the time from starting the emulator to the end of the
// first successful invocation (0 before it): a cold start as a caller sees
// it, including the first request's own work.
func (r *RIE) FirstResponse() time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.firstResponse
}

// InitDuration is Lambda's own measure of a cold start, from starting the
// bootstrap until it asks for its first event, as the emulator's INIT
// REPORT line gives it. (The "Init Duration" of its REPORT line is not it:
// the emulator starts the init asynchronously and times only that call.)
// ok is false before the first invocation has started the function.
func (r *RIE) InitDuration() (d time.Duration, ok bool) { return r.reports.init() }

// Output returns the last lines the emulator and the function wrote.
func (r *RIE) Output() string { return r.proc.Output() }

// Stop stops the emulator and the function it started.
func (r *RIE) Stop() error { return r.proc.Stop(5 * time.Second) }

var initDurationRE = regexp.MustCompile(`INIT REPORT\(durationMs: ([0-9.]+)\)`)

// reportScanner reads the emulator's output for its INIT REPORT line.
type reportScanner struct {
	mu      sync.Mutex
	partial []byte
	initDur time.Duration
	found   bool
}

func (s *reportScanner) Write(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.found {
		return len(b), nil
	}
	s.partial = append(s.partial, b...)
	for {
		i := bytes.IndexByte(s.partial, '\n')
		if i < 0 {
			break
		}
		line := s.partial[:i]
		s.partial = s.partial[i+1:]
		if m := initDurationRE.FindSubmatch(line); m != nil {
			if ms, err := strconv.ParseFloat(string(m[1]), 64); err == nil {
				s.initDur, s.found = time.Duration(ms*float64(time.Millisecond)), true
				s.partial = nil
				break
			}
		}
	}
	return len(b), nil
}

func (s *reportScanner) init() (time.Duration, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.initDur, s.found
}
