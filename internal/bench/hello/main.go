// Command hello is the smallest useful Go Lambda: make bench builds it with
// the same flags as Parley's functions and prints its bootstrap size and
// cold start beside theirs, so what Parley's own code adds can be told from
// what any Go Lambda costs.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.Start(func(ctx context.Context, ev map[string]any) (string, error) {
		return "hello", nil
	})
}
