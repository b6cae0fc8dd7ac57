// Package stack assembles the whole local stack in one process: DynamoDB
// Local and the local SES (started here unless given), the table built from
// the shared schema, every function's real handler behind the local HTTP
// and WebSocket gateways, the stream poller and the schedule runner. make
// dev runs it; end-to-end tests start it the same way.
package stack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/aws/smithy-go/middleware"

	"parley/internal/config"
	"parley/internal/crm"
	"parley/internal/dynamo"
	"parley/internal/lambdas"
	"parley/internal/local/dynamolocal"
	"parley/internal/local/gateway"
	"parley/internal/local/localaws"
	"parley/internal/local/messengers"
	"parley/internal/local/schedules"
	"parley/internal/local/seslocal"
	"parley/internal/local/streams"
	"parley/internal/routes"
	"parley/internal/webhook"
)

// Options configure Start. The zero value runs everything in memory on free
// ports.
type Options struct {
	Root string // repository root (node_modules, web/)
	// DataDir keeps DynamoDB Local's data on disk; "" runs it in memory.
	DataDir string
	// DynamoDBEndpoint and SESEndpoint use emulators already running
	// instead of starting them.
	DynamoDBEndpoint string
	SESEndpoint      string
	// HTTPAddr and WSAddr are the listen addresses; default 127.0.0.1:0.
	HTTPAddr string
	WSAddr   string
	// DynamoDBPort and SESPort are used when the emulators are started
	// here; 0 picks free ports.
	DynamoDBPort int
	SESPort      int
	Table        string // default "parley"
	TokenSecret  string // at least 32 bytes
	MailFrom     string // default "Parley <no-reply@parley.localhost>"
	// StreamStart is where the poller starts: Latest for a dev session on a
	// kept data folder (old records must not send mail again), TrimHorizon
	// for tests.
	StreamStart streams.StartingPosition
	// ScheduleSpeed runs schedule time faster (60: a minute a second).
	ScheduleSpeed float64
	// SweepWindow is how long one sweeper run ticks; default one minute.
	SweepWindow time.Duration
	Log         *slog.Logger
	// EmulatorLog receives DynamoDB Local's and SES's output; nil discards.
	EmulatorLog io.Writer
	// DynamoDBAPIOptions are added to the handlers' DynamoDB client (not
	// to the stack's own), so make bench counts what the functions do.
	DynamoDBAPIOptions []func(*middleware.Stack) error
	// MeteredFunctions, when set, limits DynamoDBAPIOptions to the named
	// functions: a test that counts what a request costs leaves out the
	// stream consumer and the schedules, whose work for earlier writes
	// lands in the counted window at whatever moment the machine allows.
	MeteredFunctions []string
	// TrustForwardedFor makes the gateways report the first X-Forwarded-For
	// entry as the source address. FOR TESTS ONLY (IP allowlists): make dev
	// never sets it, and API Gateway has no such switch.
	TrustForwardedFor bool
	// OutboundAllowLoopback lets webhooks (every outbound call) reach
	// loopback, so a receiver on the developer's machine or a test's
	// httptest server can get them. make dev and the tests set it; the
	// deployed functions have no way to.
	OutboundAllowLoopback bool
	// WebhookRetry overrides the webhook back-off (tests); nil: default.
	WebhookRetry *webhook.Retry
	// CRM points the CRM and mailing services at local servers (tests).
	CRM crm.Config
	// SignUpsPerHour limits sign-ups per address, as in AWS; 0 (the
	// default here) is no limit, since every local client is loopback.
	SignUpsPerHour int
	// TelegramAPIURL and VKAPIURL point the channels at local servers
	// instead of Telegram's and VK's APIs (tests, make dev).
	TelegramAPIURL string
	VKAPIURL       string
}

// Stack is a running local stack.
type Stack struct {
	HTTPURL          string // the HTTP API and the console
	WebSocketURL     string // what the widget and workplace connect to
	ConnectionsURL   string // the @connections endpoint (CONNECTIONS_ENDPOINT)
	DynamoDBEndpoint string
	SESEndpoint      string
	Table            string
	Store            *dynamo.Store
	Functions        map[string]gateway.Invoker
	// Telegram is the local Bot API the stack started when Options named
	// none (nil otherwise).
	Telegram *messengers.Telegram

	cancel  context.CancelFunc
	wg      sync.WaitGroup
	servers []*http.Server
	stops   []func() error
	ws      *gateway.WebSocket
}

// Start brings the stack up and returns once every part answers.
func Start(ctx context.Context, o Options) (_ *Stack, err error) {
	if o.Log == nil {
		o.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.Table == "" {
		o.Table = "parley"
	}
	if o.MailFrom == "" {
		o.MailFrom = "Parley <no-reply@parley.localhost>"
	}
	if o.SweepWindow == 0 {
		o.SweepWindow = time.Minute
	}
	s := &Stack{Table: o.Table}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()

	if s.DynamoDBEndpoint = o.DynamoDBEndpoint; s.DynamoDBEndpoint == "" {
		db, err := dynamolocal.Start(ctx, dynamolocal.Options{Root: o.Root, Port: o.DynamoDBPort, DataDir: o.DataDir, Log: o.EmulatorLog})
		if err != nil {
			return nil, fmt.Errorf("stack: DynamoDB Local: %w", err)
		}
		s.stops = append(s.stops, db.Stop)
		s.DynamoDBEndpoint = db.Endpoint()
	}
	if s.SESEndpoint = o.SESEndpoint; s.SESEndpoint == "" {
		ses, err := seslocal.Start(ctx, seslocal.Options{Root: o.Root, Port: o.SESPort, Log: o.EmulatorLog})
		if err != nil {
			return nil, fmt.Errorf("stack: local SES: %w", err)
		}
		s.stops = append(s.stops, ses.Stop)
		s.SESEndpoint = ses.Endpoint()
	}
	// Saving a bot token calls the Bot API (getMe, setWebhook): without a
	// Bot API of the caller's, the stack runs a local one that knows every
	// well-formed token, so no local stack reaches Telegram.
	if o.TelegramAPIURL == "" {
		s.Telegram = messengers.NewTelegram("").AnyBot()
		s.stops = append(s.stops, func() error { s.Telegram.Close(); return nil })
		o.TelegramAPIURL = s.Telegram.URL()
	}
	db := localaws.NewDynamoDBClient(s.DynamoDBEndpoint)
	if err := dynamo.CreateTable(ctx, db, o.Table); err != nil {
		return nil, fmt.Errorf("stack: create table: %w", err)
	}
	s.Store = dynamo.New(db, o.Table)

	// Listen before building the handlers: the realtime function needs the
	// @connections URL, which is known once the WebSocket port is bound.
	httpLn, err := listen(o.HTTPAddr)
	if err != nil {
		return nil, err
	}
	wsLn, err := listen(o.WSAddr)
	if err != nil {
		httpLn.Close()
		return nil, err
	}
	s.HTTPURL = "http://" + httpLn.Addr().String()

	// The stage is the first path segment of both WebSocket URLs, as in AWS.
	const stage = "local"
	cfg := gateway.Config{HTTPRoutes: routes.HTTP, WSRoutes: routes.WebSocket, Authorizer: routes.FnAuthorizer,
		WebDir: filepath.Join(o.Root, "web"), Stage: stage, Logger: o.Log, TrustForwardedFor: o.TrustForwardedFor}
	s.ConnectionsURL = "http://" + wsLn.Addr().String() + "/" + stage
	s.WebSocketURL = "ws://" + wsLn.Addr().String() + "/" + stage
	cfg.ConsoleConfig = map[string]string{"apiUrl": s.HTTPURL, "websocketUrl": s.WebSocketURL}

	deps := lambdas.Deps{
		Config: config.Config{TableName: o.Table, ConnectionsEndpoint: s.ConnectionsURL, MailFrom: o.MailFrom,
			TokenSecret: o.TokenSecret, PublicBaseURL: s.HTTPURL, WebSocketURL: s.WebSocketURL, Stage: "local",
			// The local gateway serves the console (web/) and /v1 on one origin.
			ConsoleURL: s.HTTPURL, SignUpsPerHour: o.SignUpsPerHour,
			TelegramAPIURL: o.TelegramAPIURL, VKAPIURL: o.VKAPIURL},
		AWS: localaws.Config(), Log: o.Log, Now: time.Now, TokenKey: []byte(o.TokenSecret), SweepWindow: o.SweepWindow,
		DynamoDBEndpoint: s.DynamoDBEndpoint, SESEndpoint: s.SESEndpoint, DynamoDBAPIOptions: o.DynamoDBAPIOptions,
		OutboundAllowLoopback: o.OutboundAllowLoopback, WebhookRetry: o.WebhookRetry, CRM: o.CRM,
	}
	if o.ScheduleSpeed > 1 {
		// Runs come every minute of schedule time: the dispatcher need look
		// back no further than two of those, not a minute of the clock.
		deps.WebhookLookback = max(2*time.Second, time.Duration(2*float64(time.Minute)/o.ScheduleSpeed))
	}
	s.Functions = map[string]gateway.Invoker{}
	for _, f := range routes.Functions {
		fdeps := deps
		if len(o.MeteredFunctions) > 0 && !slices.Contains(o.MeteredFunctions, f.Name) {
			fdeps.DynamoDBAPIOptions = nil
		}
		h, err := lambdas.Handler(f.Name, fdeps)
		if err != nil {
			return nil, err
		}
		s.Functions[f.Name] = gateway.NewFunction(h)
	}
	cfg.Functions = s.Functions
	httpAPI, err := gateway.NewHTTP(cfg)
	if err != nil {
		return nil, err
	}
	if s.ws, err = gateway.NewWebSocket(cfg); err != nil {
		return nil, err
	}

	runCtx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	s.serve(httpLn, httpAPI)
	s.serve(wsLn, s.ws)

	for _, c := range routes.Streams {
		p := &streams.Poller{DynamoDB: db, Streams: localaws.NewStreamsClient(s.DynamoDBEndpoint), Table: o.Table,
			Consumer: s.Functions[c.Function], BatchSize: c.BatchSize, MaxRetries: c.MaxRetries, StartingPosition: o.StreamStart, Logger: o.Log}
		s.goRun("stream poller", o.Log, func() error { return p.Run(runCtx) })
		select {
		case <-p.Ready():
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(30 * time.Second):
			return nil, errors.New("stack: the stream poller did not become ready")
		}
	}
	targets := map[string]schedules.Invoker{}
	for name, f := range s.Functions {
		targets[name] = f
	}
	runner := &schedules.Runner{Schedules: routes.Schedules, Targets: targets, Speed: o.ScheduleSpeed, Logger: o.Log}
	s.goRun("schedule runner", o.Log, func() error { return runner.Run(runCtx) })
	return s, nil
}

func listen(addr string) (net.Listener, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("stack: listen on %s: %w", addr, err)
	}
	return ln, nil
}

func (s *Stack) serve(ln net.Listener, h http.Handler) {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	s.servers = append(s.servers, srv)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		_ = srv.Serve(ln)
	}()
}

func (s *Stack) goRun(what string, log *slog.Logger, run func() error) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := run(); err != nil {
			log.Error(what+" stopped", "err", err)
		}
	}()
}

// Close stops everything Start started, the emulators last.
func (s *Stack) Close() {
	if s.cancel != nil {
		s.cancel()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if s.ws != nil {
		_ = s.ws.Shutdown(ctx)
	}
	for _, srv := range s.servers {
		_ = srv.Shutdown(ctx)
	}
	s.wg.Wait()
	for i := len(s.stops) - 1; i >= 0; i-- {
		_ = s.stops[i]()
	}
}
