package testenv

import (
	"context"
	"errors"
	"fmt"
	"parley/internal/repo"
	"regexp"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

func TestMain(m *testing.M) { Main(m) }

// outcome records what unavailable did instead of stopping the test.
type outcome struct {
	testing.TB
	skipped, failed bool
}

func (o *outcome) Helper()                   {}
func (o *outcome) Skipf(string, ...any)      { o.skipped = true }
func (o *outcome) Fatalf(string, ...any)     { o.failed = true }
func (o *outcome) Skip(...any)               { o.skipped = true }
func (o *outcome) Fatal(...any)              { o.failed = true }
func (o *outcome) Errorf(f string, a ...any) { o.failed = true }

func TestUnavailable(t *testing.T) {
	errNotInstalled := errors.New("not installed")
	tests := []struct {
		name            string
		err             error
		require, ci     string
		skipped, failed bool
	}{
		{name: "available", err: nil},
		{name: "not installed skips", err: fmt.Errorf("x: %w", errNotInstalled), skipped: true},
		{name: "no repository root skips", err: repo.ErrNoRoot, skipped: true},
		{name: "required fails", err: errNotInstalled, require: "1", failed: true},
		{name: "CI fails", err: errNotInstalled, ci: "true", failed: true},
		{name: "a broken start fails", err: errors.New("exited early"), failed: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(EnvRequireLocal, tc.require)
			t.Setenv(EnvCI, tc.ci)
			o := &outcome{TB: t}
			unavailable(o, "it", "ENV", tc.err, errNotInstalled)
			if o.skipped != tc.skipped || o.failed != tc.failed {
				t.Errorf("skipped %v failed %v, want %v %v", o.skipped, o.failed, tc.skipped, tc.failed)
			}
		})
	}
}

// Each call gets its own table, named validly whatever the test's name.
func TestDynamoDB(t *testing.T) {
	valid := regexp.MustCompile(`^[a-zA-Z0-9_.-]{3,255}$`)
	var tables []string
	for _, name := range []string{"plain", "with spaces/and slashes #1", "ünïcode"} {
		t.Run(name, func(t *testing.T) {
			db, table := DynamoDB(t)
			if !valid.MatchString(table) {
				t.Errorf("table name %q is not valid", table)
			}
			if _, err := db.DescribeTable(context.Background(), &dynamodb.DescribeTableInput{TableName: aws.String(table)}); err != nil {
				t.Error(err)
			}
			tables = append(tables, table)
		})
	}
	if len(tables) == 3 && (tables[0] == tables[1] || tables[1] == tables[2]) {
		t.Errorf("tables not distinct: %v", tables)
	}
}
