package faults_test

import (
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"parley/internal/faults"
	"parley/internal/local/localaws"
	"parley/internal/testkit/testenv"
)

// TestMain stops the emulators testenv starts for this package.
func TestMain(m *testing.M) { testenv.Main(m) }

// quickRetryer is the SDK's standard retryer (same attempts, same retry
// quota, same errors retried) with millisecond backoff instead of seconds,
// so hundreds of injected faults fit in a test's time; what is retried, and
// how often, is the SDK's default.
func quickRetryer() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.Backoff = retry.BackoffDelayerFunc(func(attempt int, _ error) (time.Duration, error) {
			return time.Duration(attempt) * 2 * time.Millisecond, nil
		})
	})
}

// faultyDynamoDB is a client on the same DynamoDB Local as clean, with
// in's faults.
func faultyDynamoDB(clean *dynamodb.Client, in *faults.Injector) *dynamodb.Client {
	return dynamodb.New(clean.Options(), func(o *dynamodb.Options) {
		o.APIOptions = append(slices.Clone(o.APIOptions), in.InputOption, in.APIOption)
		o.Retryer = quickRetryer()
	})
}

// faultySES is an SES v2 client on the local SES with in's faults.
func faultySES(endpoint string, in *faults.Injector) *sesv2.Client {
	return sesv2.New(localaws.NewSESClient(endpoint).Options(), func(o *sesv2.Options) {
		o.APIOptions = append(slices.Clone(o.APIOptions), in.InputOption, in.APIOption)
		o.Retryer = quickRetryer()
	})
}
