// Command withlocal starts DynamoDB Local (in memory) and the local SES on
// free ports, runs a command with their endpoints in the environment, stops
// them, and exits with the command's status. make test runs the whole test
// suite under it, so every package shares one DynamoDB Local and no test can
// skip for want of one.
//
//	go run ./cmd/withlocal -- go test ./...
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"parley/internal/repo"
	"syscall"

	"parley/internal/local/dynamolocal"
	"parley/internal/local/seslocal"
	"parley/internal/local/testenv"
)

func main() {
	os.Exit(run())
}

func run() int {
	args := os.Args[1:]
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "usage: withlocal -- command [args...]")
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root, err := repo.Root()
	if err != nil {
		fmt.Fprintln(os.Stderr, "withlocal:", err)
		return 1
	}
	db, err := dynamolocal.Start(ctx, dynamolocal.Options{Root: root, QuickStart: true})
	if err != nil {
		fmt.Fprintln(os.Stderr, "withlocal: DynamoDB Local:", err)
		return 1
	}
	defer db.Stop()
	ses, err := seslocal.Start(ctx, seslocal.Options{Root: root})
	if err != nil {
		fmt.Fprintln(os.Stderr, "withlocal: local SES:", err)
		return 1
	}
	defer ses.Stop()
	fmt.Printf("withlocal: DynamoDB Local at %s, local SES at %s\n", db.Endpoint(), ses.Endpoint())

	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Stdout, cmd.Stderr, cmd.Stdin = os.Stdout, os.Stderr, os.Stdin
	cmd.Env = append(os.Environ(),
		testenv.EnvDynamoDBEndpoint+"="+db.Endpoint(),
		testenv.EnvSESEndpoint+"="+ses.Endpoint(),
		testenv.EnvRequireLocal+"=1",
	)
	err = cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "withlocal:", err)
		return 1
	}
	return 0
}
