// Command withlocal starts DynamoDB Local (in memory) and the local SES on
// free ports, runs a command with their endpoints in the environment, stops
// them, and exits with the command's status. It also requires the local
// parts (testenv.EnvRequireLocal), so no test can skip for want of one.
//
//	go run ./cmd/withlocal -- go test ./...
//
// With -dynamodb-per-process it starts no DynamoDB Local: each test
// process starts its own on first use (testenv), which is what make test
// does. One DynamoDB Local shared by every package slows down for good as
// the stream records of all of them pile up (see
// testenv.DynamoDBWithoutStream), so the packages that run last would pay
// for the ones before; one per package bounds that to its own tests.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"parley/internal/repo"
	"syscall"

	"parley/internal/local/dynamolocal"
	"parley/internal/local/seslocal"
	"parley/internal/testkit/testenv"
)

func main() {
	os.Exit(run())
}

func run() int {
	flags := flag.NewFlagSet("withlocal", flag.ContinueOnError)
	perProcess := flags.Bool("dynamodb-per-process", false, "start no shared DynamoDB Local: each test process starts its own")
	if err := flags.Parse(os.Args[1:]); err != nil {
		return 2
	}
	args := flags.Args()
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "usage: withlocal [-dynamodb-per-process] -- command [args...]")
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root, err := repo.Root()
	if err != nil {
		fmt.Fprintln(os.Stderr, "withlocal:", err)
		return 1
	}
	env := append(os.Environ(), testenv.EnvRequireLocal+"=1")
	if *perProcess {
		// Found now rather than by every test process later.
		if _, err := dynamolocal.FindJarDir(root); err != nil {
			fmt.Fprintln(os.Stderr, "withlocal: DynamoDB Local:", err)
			return 1
		}
		fmt.Println("withlocal: each test process starts its own DynamoDB Local")
	} else {
		db, err := dynamolocal.Start(ctx, dynamolocal.Options{Root: root, QuickStart: true})
		if err != nil {
			fmt.Fprintln(os.Stderr, "withlocal: DynamoDB Local:", err)
			return 1
		}
		defer db.Stop()
		fmt.Printf("withlocal: DynamoDB Local at %s\n", db.Endpoint())
		env = append(env, testenv.EnvDynamoDBEndpoint+"="+db.Endpoint())
	}
	ses, err := seslocal.Start(ctx, seslocal.Options{Root: root})
	if err != nil {
		fmt.Fprintln(os.Stderr, "withlocal: local SES:", err)
		return 1
	}
	defer ses.Stop()
	fmt.Printf("withlocal: local SES at %s\n", ses.Endpoint())

	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Stdout, cmd.Stderr, cmd.Stdin = os.Stdout, os.Stderr, os.Stdin
	cmd.Env = append(env, testenv.EnvSESEndpoint+"="+ses.Endpoint())
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
