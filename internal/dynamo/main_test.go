package dynamo_test

import (
	"testing"

	"parley/internal/testkit/testenv"
)

// TestMain stops the DynamoDB Local that testenv starts for this package.
func TestMain(m *testing.M) { testenv.Main(m) }
