package dynamolocal

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"parley/internal/local/localaws"
)

// root is the repository root, three levels up from this package.
func root(t *testing.T) string {
	t.Helper()
	r, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := FindJarDir(r); err != nil {
		// Same rule as testenv (which imports this package, so cannot be
		// used here): skip where it is absent unless it is required.
		if os.Getenv("PARLEY_REQUIRE_LOCAL") == "1" || os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	return r
}

// With a data folder, what was written survives a restart (make dev); Stop
// leaves no java behind.
func TestDataDirSurvivesRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("starts DynamoDB Local twice")
	}
	ctx := context.Background()
	o := Options{Root: root(t), DataDir: t.TempDir()}

	s, err := Start(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	db := localaws.NewDynamoDBClient(s.Endpoint())
	_, err = db.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String("kept"),
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
	})
	if err != nil {
		t.Fatal(err)
	}
	pid := s.proc.Pid()
	if err := s.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if err := syscall.Kill(-pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("process group %d still there after Stop (kill 0: %v)", pid, err)
	}
	if err := s.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}

	s, err = Start(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	db = localaws.NewDynamoDBClient(s.Endpoint())
	out, err := db.ListTables(ctx, &dynamodb.ListTablesInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.TableNames) != 1 || out.TableNames[0] != "kept" {
		t.Errorf("tables after restart = %v, want [kept]", out.TableNames)
	}
}

// A server that cannot start says why, with its own output, and quickly:
// Start notices the exit instead of waiting out its timeout.
func TestStartFailureReportsOutput(t *testing.T) {
	r := root(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	start := time.Now()
	_, err = Start(context.Background(), Options{Root: r, Port: l.Addr().(*net.TCPAddr).Port, StartTimeout: time.Minute})
	if err == nil {
		t.Fatal("Start on a taken port succeeded")
	}
	if !strings.Contains(err.Error(), "exited early") || !strings.Contains(strings.ToLower(err.Error()), "address already in use") {
		t.Errorf("error does not tell why: %v", err)
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("failure took %v to notice", d)
	}
}

func TestFindJarDirMissing(t *testing.T) {
	_, err := FindJarDir(t.TempDir())
	if !errors.Is(err, ErrNotInstalled) {
		t.Errorf("FindJarDir(empty) = %v, want ErrNotInstalled", err)
	}
}
