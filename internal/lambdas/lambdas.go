// Package lambdas builds every function's handler from its configuration.
// functions/<name>/main.go calls it and lambda.Start; the local stack calls
// it too and invokes the same handlers through the Lambda contract, so both
// wire the same way.
package lambdas

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/smithy-go/middleware"

	"parley/internal/account"
	"parley/internal/apigw"
	"parley/internal/auth"
	"parley/internal/chat"
	"parley/internal/config"
	"parley/internal/crm"
	"parley/internal/dynamo"
	"parley/internal/httpapi"
	"parley/internal/mail"
	"parley/internal/ratelimit"
	"parley/internal/realtime"
	"parley/internal/routes"
	"parley/internal/sesmail"
	"parley/internal/settings"
	"parley/internal/stream"
	"parley/internal/templates"
	"parley/internal/timers"
	"parley/internal/visitor"
	"parley/internal/webhook"
	"parley/internal/wsapi"
)

// Deps are the clients and settings every handler is built from.
type Deps struct {
	Config config.Config
	AWS    aws.Config
	Log    *slog.Logger
	Now    func() time.Time
	// TokenKey is the signing key; Load fetches it from Secrets Manager
	// when the config names a secret.
	TokenKey []byte
	// SweepWindow overrides how long one sweeper run ticks (tests).
	SweepWindow time.Duration
	// DynamoDBEndpoint and SESEndpoint point the clients at local
	// emulators when the local stack runs the handlers in its own process;
	// empty in AWS (and under the emulator, where the SDK reads
	// AWS_ENDPOINT_URL_DYNAMODB and AWS_ENDPOINT_URL_SESV2 itself).
	DynamoDBEndpoint string
	SESEndpoint      string
	// DynamoDBAPIOptions are added to the DynamoDB client's middleware, so
	// make bench can count every request the handlers make and the
	// capacity each consumes; nil in AWS.
	DynamoDBAPIOptions []func(*middleware.Stack) error
	// OutboundAllowLoopback lets outbound calls (webhooks) reach loopback:
	// set by the local stack only, never from the environment.
	OutboundAllowLoopback bool
	// WebhookRetry overrides the webhook back-off (tests); nil: the default.
	WebhookRetry *webhook.Retry
	// WebhookLookback is how far back a dispatcher run's first tick looks;
	// 0: a minute, the schedule's period. The local stack, whose schedule
	// may run faster, shortens it to its period.
	WebhookLookback time.Duration
	// CRM overrides the CRM and mailing services' base URLs (the tests'
	// local servers) and the export's batch; zero in AWS.
	CRM crm.Config
}

// Load fills the token key from the environment or Secrets Manager.
func Load(ctx context.Context, cfg config.Config, awsCfg aws.Config, log *slog.Logger) (Deps, error) {
	d := Deps{Config: cfg, AWS: awsCfg, Log: log, Now: time.Now, SweepWindow: cfg.SweepWindow}
	switch {
	case cfg.TokenSecret != "":
		d.TokenKey = []byte(cfg.TokenSecret)
	case cfg.TokenSecretARN != "":
		out, err := secretsmanager.NewFromConfig(awsCfg).GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(cfg.TokenSecretARN)})
		if err != nil {
			return d, fmt.Errorf("lambdas: read token secret: %w", err)
		}
		d.TokenKey = []byte(aws.ToString(out.SecretString))
	}
	return d, nil
}

func (d Deps) store() *dynamo.Store {
	s := dynamo.New(dynamodb.NewFromConfig(d.AWS, func(o *dynamodb.Options) {
		if d.DynamoDBEndpoint != "" {
			o.BaseEndpoint = aws.String(d.DynamoDBEndpoint)
		}
		o.APIOptions = append(o.APIOptions, d.DynamoDBAPIOptions...)
	}), d.Config.TableName)
	s.Now = d.Now
	return s
}

// limits are ratelimit's defaults, less the per-address rules where the
// configuration turns them off (the local stack).
func (d Deps) limits() ratelimit.Limits {
	l := ratelimit.Defaults()
	if !d.Config.AddressLimits {
		l = l.WithoutAddressRules()
	}
	return l
}

// ChatService builds the chat use cases on the store, with the default
// limits (the functions set their own).
func ChatService(s *dynamo.Store, now func() time.Time) *chat.Service {
	return &chat.Service{Store: s, Settings: s.SettingsDocument, Departments: s, Outbox: s, Now: now, Profiles: s.OperatorProfile, Alerts: s,
		Router:  &chat.Router{Store: s, Settings: s.SettingsDocument, Online: s.OnlineOperators, Now: now},
		Limiter: &ratelimit.Limiter{Store: s, Now: now}, Limits: ratelimit.Defaults()}
}

func (d Deps) chatService(store *dynamo.Store) *chat.Service {
	svc := ChatService(store, d.Now)
	svc.Limits = d.limits()
	return svc
}

func (d Deps) signer() (*auth.Signer, error) {
	s, err := auth.NewSigner(d.TokenKey)
	if err != nil {
		return nil, err
	}
	s.Now = d.Now
	return s, nil
}

// Constructor builds one function's handler from its dependencies. Each
// functions/<name>/main.go names its own, so the linker keeps only what
// that function uses.
type Constructor func(d Deps) (any, error)

// Handler returns the Lambda handler of function fn, for the local stack and
// tests that run every function in one process.
func Handler(fn string, d Deps) (any, error) {
	switch fn {
	case routes.FnAPI:
		return API(d)
	case routes.FnAuthorizer:
		return Authorizer(d)
	case routes.FnRealtime:
		return Realtime(d)
	case routes.FnStream:
		return Stream(d)
	case routes.FnSweeper:
		return Sweeper(d)
	case routes.FnWebhooks:
		return Webhooks(d)
	}
	return nil, fmt.Errorf("lambdas: no function %q", fn)
}

// API builds the HTTP API function.
func API(d Deps) (any, error) {
	signer, err := d.signer()
	if err != nil {
		return nil, err
	}
	store := d.store()
	api := httpapi.NewAPI(d.Log)
	chats := d.chatService(store)
	cfg := &settings.Service{Store: store, Now: d.Now, PublicBaseURL: d.Config.PublicBaseURL, AllowLoopback: d.OutboundAllowLoopback,
		Connector: d.telegramConnector(), Log: d.Log}
	httpapi.Register(api, httpapi.Deps{
		Accounts:     d.accounts(store, signer),
		Visitors:     &visitor.Service{Store: store, Now: d.Now},
		Chats:        chats,
		Settings:     cfg,
		Widget:       &chat.Widget{Store: store, Settings: cfg, Chats: chats, Tokens: signer},
		Tokens:       signer,
		Now:          d.Now,
		Public:       d.Config.PublicBaseURL,
		WebSocketURL: d.Config.WebSocketURL,
		// Members stays nil until the store answers department questions:
		// department templates are then refused with 403.
		Templates: &templates.Service{Store: store, Members: store, Now: d.Now, NewID: account.NewID},
		Webhooks:  d.enqueuer(store),
		Exports:   d.exporter(store),
		Stats:     d.statsService(store),
		Channels:  d.channelEndpoints(store),
	})
	return api.Serve, nil
}

// Authorizer builds the HTTP API's Lambda authorizer.
func Authorizer(d Deps) (any, error) {
	signer, err := d.signer()
	if err != nil {
		return nil, err
	}
	az := httpapi.NewAuthorizer(signer, routes.HTTP)
	az.Guard, az.Log = d.guard(d.store()), d.Log
	return az.Authorize, nil
}

// Realtime builds the WebSocket API function.
func Realtime(d Deps) (any, error) {
	signer, err := d.signer()
	if err != nil {
		return nil, err
	}
	store := d.store()
	hub := d.hub(store)
	hub.Tokens, hub.Staff = signer, d.guard(store)
	return (&wsapi.Handler{Hub: hub, Log: d.Log}).Serve, nil
}

// hub builds the live side that both the WebSocket routes and the stream
// consumer drive: routing's assignments, made in either, reach the
// operators through it at once. Only the WebSocket routes authenticate
// connections, so only they add the signer and the guard.
func (d Deps) hub(store *dynamo.Store) *realtime.Hub {
	hub := &realtime.Hub{Store: store, Poster: apigw.NewPoster(d.AWS, d.Config.ConnectionsEndpoint), Now: d.Now, Log: d.Log}
	svc := d.chatService(store)
	svc.Router.Store = chat.ObserveAssignments(svc.Router.Store, hub.Assigned)
	hub.Chats = &realtime.Chats{Service: svc, Store: store, Settings: store.SettingsDocument, People: store,
		Templates: &templates.Service{Store: store, Members: store, Now: d.Now, NewID: account.NewID}, Timers: store, Queue: store, Presence: store}
	return hub
}

// mailer sends through SES (the local SES on the local stack).
func (d Deps) mailer() *sesmail.Sender {
	ses := sesv2.NewFromConfig(d.AWS, func(o *sesv2.Options) {
		if d.SESEndpoint != "" {
			o.BaseEndpoint = aws.String(d.SESEndpoint)
		}
	})
	return &sesmail.Sender{Client: ses, From: d.Config.MailFrom, ConfigurationSet: d.Config.MailConfigSet}
}

// Stream builds the stream consumer.
func Stream(d Deps) (any, error) {
	store := d.store()
	mailer := d.mailer()
	hub := d.hub(store)
	return StreamHandler(&stream.Consumer{Audit: store, Outbox: store, Mailer: mailer, Log: d.Log, Live: hub,
		Templates: &templates.Service{Store: store, Members: store, Now: d.Now, NewID: account.NewID},
		Waits:     hub, Events: store, Alerts: hub.Chats.Service, Webhooks: d.enqueuer(store),
		Stats: store, Zone: zone(store), Reports: d.daily(store),
		Channels: d.channelConsumer(store, hub)}), nil
}

// Sweeper builds the timer sweeper.
func Sweeper(d Deps) (any, error) {
	store := d.store()
	sw := &timers.Sweeper{Store: store, Now: d.Now, Sleep: timers.SleepContext, Window: d.SweepWindow, Lookback: time.Minute}
	daily := d.daily(store)
	resend := &mail.Resender{Store: store, Via: d.mailer(), Now: d.Now}
	return func(ctx context.Context, ev events.EventBridgeEvent) (SweepResult, error) {
		// The daily reports due and the mail the stream could not send
		// ride on the sweeper's minute (a few Queries), beside the
		// ticking so they never delay a timer.
		reports, resent := make(chan error, 1), make(chan error, 1)
		var mails int
		go func() {
			_, err := daily.Run(ctx)
			reports <- err
		}()
		go func() {
			var err error
			mails, err = resend.Run(ctx)
			resent <- err
		}()
		n, err := sw.Run(ctx)
		if rerr := <-reports; err == nil && rerr != nil {
			err = fmt.Errorf("daily reports: %w", rerr)
		}
		if merr := <-resent; err == nil && merr != nil {
			err = fmt.Errorf("pending mail: %w", merr)
		}
		return SweepResult{Fired: n, Resent: mails}, err
	}, nil
}

// SweepResult is what the sweeper returns: how many timers it fired.
type SweepResult struct {
	Fired int `json:"fired"`
	// Resent is how many pending mails the stream had not sent it sent.
	Resent int `json:"resent"`
}

// Main is the whole of a function's main: read the environment once, build
// the clients once, and start the Lambda loop. A start-up failure exits, so
// Lambda reports an init error instead of serving half-wired.
func Main(build Constructor) {
	log := lambdacontext.NewLogger()
	ctx := context.Background()
	cfg, err := config.FromEnv()
	if err != nil {
		log.Error("configuration", "err", err)
		os.Exit(1)
	}
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		log.Error("aws configuration", "err", err)
		os.Exit(1)
	}
	deps, err := Load(ctx, cfg, awsCfg, log)
	if err != nil {
		log.Error("dependencies", "err", err)
		os.Exit(1)
	}
	h, err := build(deps)
	if err != nil {
		log.Error("handler", "err", err)
		os.Exit(1)
	}
	lambda.Start(h)
}
