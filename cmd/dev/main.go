// Command dev runs Parley on this machine: DynamoDB Local (data kept under
// .local/), the local SES, the HTTP and WebSocket gateways with every
// function's real handler, the stream poller and the schedules. It seeds a
// demo account on first start and prints every URL, port and credential.
// Ctrl-C stops everything it started.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"parley/internal/repo"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"parley/internal/account"
	"parley/internal/apperr"
	"parley/internal/auth"
	"parley/internal/local/stack"
	"parley/internal/local/streams"
	"parley/internal/routes"
)

// The demo account's people; printed at start so a new developer can sign in.
const (
	demoCompany  = "Demo Company"
	demoAdmin    = "admin@demo.example"
	demoOperator = "operator@demo.example"
	demoPassword = "parley-demo-password"
)

func main() {
	httpPort := flag.Int("http-port", 8080, "HTTP API and console port")
	wsPort := flag.Int("ws-port", 8081, "WebSocket API and @connections port")
	dbPort := flag.Int("dynamodb-port", 8000, "DynamoDB Local port")
	sesPort := flag.Int("ses-port", 8005, "local SES port (its page shows sent mail)")
	dataDir := flag.String("data", ".local/dynamodb", "where DynamoDB Local keeps its data")
	speed := flag.Float64("schedule-speed", 1, "run schedule time this many times faster")
	verbose := flag.Bool("v", false, "log every function's output")
	flag.Parse()
	if err := run(*httpPort, *wsPort, *dbPort, *sesPort, *dataDir, *speed, *verbose); err != nil {
		fmt.Fprintln(os.Stderr, "dev:", err)
		os.Exit(1)
	}
}

func run(httpPort, wsPort, dbPort, sesPort int, dataDir string, speed float64, verbose bool) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root, err := repo.Root()
	if err != nil {
		return err
	}
	if !filepath.IsAbs(dataDir) {
		dataDir = filepath.Join(root, dataDir)
	}
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return err
	}
	secret, err := tokenSecret(filepath.Join(root, ".local", "token-secret"))
	if err != nil {
		return err
	}
	level := slog.LevelWarn
	if verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	started := time.Now()
	fmt.Println("dev: starting DynamoDB Local, the local SES, the gateways, the stream poller and the schedules…")
	s, err := stack.Start(ctx, stack.Options{
		Root: root, DataDir: dataDir, DynamoDBPort: dbPort, SESPort: sesPort,
		HTTPAddr: fmt.Sprintf("127.0.0.1:%d", httpPort), WSAddr: fmt.Sprintf("127.0.0.1:%d", wsPort),
		TokenSecret: secret, StreamStart: streams.Latest, ScheduleSpeed: speed, Log: log,
		// A webhook receiver on this machine is what local development uses.
		OutboundAllowLoopback: true,
	})
	if err != nil {
		return err
	}
	defer s.Close()
	accountID, err := seed(ctx, s)
	if err != nil {
		return fmt.Errorf("seed the demo account: %w", err)
	}

	fmt.Printf(`
Parley is running (ready in %.1fs). Ctrl-C stops everything.

  Console              %s/
  Widget demo page     %s/widget/demo.html?account=%s
  HTTP API             %s/v1   (e.g. %s/v1/health)
  WebSocket API        %s
  @connections         %s/@connections/{id}
  DynamoDB Local       %s   (table %q, data in %s)
  Local SES (mail)     %s/   (sent mail as JSON: %s/store)

  Demo account %s (%q)
    administrator      %s / %s
    operator           %s / %s
`, time.Since(started).Seconds(), s.HTTPURL, s.HTTPURL, accountID, s.HTTPURL, s.HTTPURL, s.WebSocketURL, s.ConnectionsURL,
		s.DynamoDBEndpoint, s.Table, dataDir, s.SESEndpoint, s.SESEndpoint, accountID, demoCompany, demoAdmin, demoPassword, demoOperator, demoPassword)

	<-ctx.Done()
	fmt.Println("\ndev: stopping…")
	return nil
}

// tokenSecret keeps one signing key per checkout, so tokens survive a
// restart of make dev.
func tokenSecret(path string) (string, error) {
	if b, err := os.ReadFile(path); err == nil && len(strings.TrimSpace(string(b))) >= 32 {
		return strings.TrimSpace(string(b)), nil
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	secret := hex.EncodeToString(b)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", err
	}
	return secret, os.WriteFile(path, []byte(secret+"\n"), 0o600)
}

// seed creates the demo account through the real sign-up route on first
// start, and its operator; on later starts it finds them.
func seed(ctx context.Context, s *stack.Stack) (string, error) {
	if p, err := s.Store.PersonByEmail(ctx, demoAdmin); err == nil {
		return p.AccountID, nil
	} else if apperr.CodeOf(err) != apperr.NotFound {
		return "", err
	}
	accountID, err := signUp(ctx, s.HTTPURL, demoCompany, demoAdmin, demoPassword)
	if err != nil {
		return "", err
	}
	hash, err := auth.HashPassword(demoPassword)
	if err != nil {
		return "", err
	}
	op := account.Person{AccountID: accountID, ID: account.NewID(), Email: demoOperator, Name: "Demo Operator", Role: routes.Operator, PasswordHash: hash,
		Status: account.StatusActive, InterfaceLanguage: "en", Languages: []string{"en"}, Version: 1, CreatedAt: time.Now().UTC()}
	if err := s.Store.AddPerson(ctx, op); err != nil && !errors.Is(err, context.Canceled) {
		return "", err
	}
	return accountID, nil
}
