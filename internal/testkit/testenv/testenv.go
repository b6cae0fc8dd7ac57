// Package testenv gives tests across the repository the local AWS parts:
// a DynamoDB client on DynamoDB Local with a fresh table per test, and the
// endpoint of the local SES.
//
// Where each comes from, in order:
//   - PARLEY_TEST_DYNAMODB_ENDPOINT / PARLEY_TEST_SES_ENDPOINT, when set (make
//     test starts both once for all packages and sets them);
//   - otherwise a server this test process starts on first use, from the npm
//     packages in node_modules, shared by all its tests;
//   - otherwise the test is skipped, unless PARLEY_REQUIRE_LOCAL=1 or
//     CI=true, which turn the skip into a failure, so CI cannot pass by
//     testing nothing.
//
// A package that uses testenv must stop what it started when its tests end:
//
//	func TestMain(m *testing.M) { testenv.Main(m) }
//
// (On Linux a forgotten TestMain leaks nothing, as the kernel kills the
// servers with the test process, but other systems have no such net.)
package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"parley/internal/repo"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"parley/internal/dynamo"
	"parley/internal/local/dynamolocal"
	"parley/internal/local/localaws"
	"parley/internal/local/seslocal"
)

// Environment variables read by testenv.
const (
	EnvDynamoDBEndpoint = "PARLEY_TEST_DYNAMODB_ENDPOINT"
	EnvSESEndpoint      = "PARLEY_TEST_SES_ENDPOINT"
	EnvRequireLocal     = "PARLEY_REQUIRE_LOCAL" // "1": a missing emulator fails the test
	EnvCI               = "CI"                   // "true" (set by CI systems): same
)

// lazy is one emulator, started at most once per test process.
type lazy struct {
	once     sync.Once
	endpoint string
	err      error
	stop     func() error
}

var (
	dynamoServer lazy
	sesServer    lazy
)

// get returns the endpoint from env, else starts the server once.
func (l *lazy) get(env string, start func(ctx context.Context, root string) (endpoint string, stop func() error, err error)) (string, error) {
	if e := os.Getenv(env); e != "" {
		return e, nil
	}
	l.once.Do(func() {
		root, err := Root()
		if err != nil {
			l.err = err
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		l.endpoint, l.stop, l.err = start(ctx, root)
	})
	return l.endpoint, l.err
}

// DynamoDBEndpoint returns the endpoint of DynamoDB Local, starting it if
// needed, or skips (or fails) the test as the package doc says.
func DynamoDBEndpoint(t testing.TB) string {
	t.Helper()
	ep, err := dynamoServer.get(EnvDynamoDBEndpoint, func(ctx context.Context, root string) (string, func() error, error) {
		s, err := dynamolocal.Start(ctx, dynamolocal.Options{Root: root, QuickStart: true})
		if err != nil {
			return "", nil, err
		}
		return s.Endpoint(), s.Stop, nil
	})
	unavailable(t, "DynamoDB Local", EnvDynamoDBEndpoint, err, dynamolocal.ErrNotInstalled)
	return ep
}

// DynamoDB returns a client on DynamoDB Local and the name of a table made
// for this test alone with dynamo.CreateTable, deleted when the test ends.
func DynamoDB(t testing.TB) (client *dynamodb.Client, table string) {
	t.Helper()
	client = localaws.NewDynamoDBClient(DynamoDBEndpoint(t))
	table = TableName(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := dynamo.CreateTable(ctx, client, table); err != nil {
		t.Fatalf("testenv: %v", err)
	}
	t.Cleanup(func() {
		// Keeps the shared in-memory database small over a long run; a
		// failure here does not make the test wrong.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, _ = client.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(table)})
	})
	return client, table
}

var unsafeName = regexp.MustCompile(`[^a-zA-Z0-9_.-]+`)

// DynamoDBWithoutStream is DynamoDB with the table's stream switched off,
// for store tests that write tens of thousands of items and read nothing
// from the stream. DynamoDB Local keeps every stream record in one SQLite
// table for a day, tables deleted or not, and finding where a newer
// stream's shard begins walks past all the records before it: after one
// such test, each write to any table made later in the same DynamoDB Local
// was measured 25 times slower (2.7 ms -> 70 ms). Without a stream the
// test leaves nothing behind for the tests after it.
func DynamoDBWithoutStream(t testing.TB) (client *dynamodb.Client, table string) {
	t.Helper()
	client, table = DynamoDB(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := client.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String(table),
		StreamSpecification: &types.StreamSpecification{StreamEnabled: aws.Bool(false)}}); err != nil {
		t.Fatalf("testenv: switch the stream off: %v", err)
	}
	return client, table
}

// TableName returns a table name unique to this test and run, readable
// enough to find the test from it.
func TableName(t testing.TB) string {
	name := unsafeName.ReplaceAllString(t.Name(), "-")
	if len(name) > 180 {
		name = name[:180]
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "test-" + name + "-" + hex.EncodeToString(b[:])
}

// SES returns the endpoint of the local SES, starting it if needed. The
// store is shared by every test of the process, so a test should look for
// mail to an address of its own rather than count all mail.
func SES(t testing.TB) (endpoint string) {
	t.Helper()
	ep, err := sesServer.get(EnvSESEndpoint, func(ctx context.Context, root string) (string, func() error, error) {
		s, err := seslocal.Start(ctx, seslocal.Options{Root: root})
		if err != nil {
			return "", nil, err
		}
		return s.Endpoint(), s.Stop, nil
	})
	unavailable(t, "the local SES", EnvSESEndpoint, err, seslocal.ErrNotInstalled)
	return ep
}

// Endpoints returns both endpoints, e.g. to set AWS_ENDPOINT_URL_DYNAMODB,
// AWS_ENDPOINT_URL_DYNAMODB_STREAMS and AWS_ENDPOINT_URL_SESV2 for a child
// process under test.
func Endpoints(t testing.TB) (dynamoDB, ses string) {
	t.Helper()
	return DynamoDBEndpoint(t), SES(t)
}

// Required reports whether a missing emulator must fail tests rather than
// skip them.
func Required() bool {
	return os.Getenv(EnvRequireLocal) == "1" || os.Getenv(EnvCI) == "true"
}

// unavailable skips or fails t when err says the emulator cannot run. Only
// "not installed" may skip: an emulator that is there but fails to start is
// a broken setup, and a skip would hide it.
func unavailable(t testing.TB, what, env string, err, notInstalled error) {
	t.Helper()
	if err == nil {
		return
	}
	if (errors.Is(err, notInstalled) || errors.Is(err, repo.ErrNoRoot)) && !Required() {
		t.Skipf("testenv: %s unavailable, skipping (set %s, or run npm install at the repository root; %s=1 makes this a failure): %v", what, env, EnvRequireLocal, err)
		return
	}
	t.Fatalf("testenv: %s unavailable: %v", what, err)
}

// Main runs the tests, then stops the servers this process started.
func Main(m *testing.M) {
	code := m.Run()
	if err := Stop(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

// Stop stops the servers this process started. Main calls it; call it
// yourself only from a TestMain that cannot use Main.
func Stop() error {
	var errs []error
	for _, l := range []*lazy{&dynamoServer, &sesServer} {
		if l.stop != nil {
			if err := l.stop(); err != nil {
				errs = append(errs, fmt.Errorf("testenv: stop: %w", err))
			}
			l.stop = nil
		}
	}
	return errors.Join(errs...)
}

// Root returns the repository root: the nearest folder at or above the
// working directory (a test runs in its package's folder) holding go.mod.
func Root() (string, error) { return repo.Root() }
