package e2e

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"parley/internal/account"
	"parley/internal/auth"
	"parley/internal/config"
	"parley/internal/dynamo"
	"parley/internal/local/localaws"
	"parley/internal/mail"
	"parley/internal/realtime"
	"parley/internal/routes"
	"parley/internal/settings"
	"parley/internal/timers"
)

// What the samples in events/ name. A sample is a fixed file, so whatever
// it refers to must be stored under exactly these keys before it is driven
// through a handler; SeedDemo does that.
const (
	DemoAccount    = "demo-account"
	DemoAdmin      = "demo-admin"
	DemoAdminEmail = "demo-admin@example.com"
	DemoVisitor    = "demo-visitor"
	// DemoSession is the session the samples' access token names: the
	// authorizer and $connect refuse a token whose session is gone.
	DemoSession = "demo-session"
	// DemoStaffConnection is the connection apigw-ws-connect.json opens
	// (as demo-admin) and apigw-ws-disconnect.json closes.
	DemoStaffConnection = "T7x4QdVnoAMCJOA="
	// DemoVisitorConnection sends apigw-ws-message.json.
	DemoVisitorConnection = "T7x3zVisoAMCIvw="
	// DemoMailID is the queued mail of dynamodb-stream-mail-insert.json.
	DemoMailID = "demo-welcome"
	// DemoSettingsVersion is the version the settings MODIFY sample writes.
	DemoSettingsVersion = 2
	// DemoTokenSecret is the TOKEN_SECRET the samples' bearer token (an
	// administrator's access token for demo-account, valid until 2100) is
	// signed with. A fixed file cannot carry a token that expires, so this
	// key must never sign anything else: a deployed stack reads its key
	// from Secrets Manager, where the token is worthless.
	DemoTokenSecret = "parley-demo-token-secret-for-local-samples-only"
	// DemoMailFrom is the MAIL_FROM the functions run with locally.
	DemoMailFrom = "Parley <noreply@parley.example>"
)

// SeedDemo stores what the samples refer to: the demo account with its
// administrator and settings, a staff and a visitor connection, and the
// queued mail. It expects an empty table.
func SeedDemo(ctx context.Context, s *dynamo.Store, now time.Time) error {
	now = now.UTC()
	a := account.Account{ID: DemoAccount, Name: "Demo Company", Plan: account.PlanBasic, Language: "en", CreatedAt: now}
	admin := account.Person{AccountID: DemoAccount, ID: DemoAdmin, Email: DemoAdminEmail, Name: "Demo Admin", Role: routes.Administrator, CreatedAt: now}
	if err := s.CreateAccount(ctx, a, admin); err != nil {
		return fmt.Errorf("e2e: seed account: %w", err)
	}
	doc, err := settings.NewAccountDocument(a.Language, rand.Reader)
	if err != nil {
		return fmt.Errorf("e2e: seed settings: %w", err)
	}
	doc.Company.Name = a.Name
	raw, err := json.Marshal(doc)
	if err != nil {
		return fmt.Errorf("e2e: seed settings: %w", err)
	}
	if _, err := s.SaveSettings(ctx, dynamo.SettingsRecord{AccountID: DemoAccount, Doc: string(raw), UpdatedBy: DemoAdmin, UpdatedAt: now}, 0); err != nil {
		return fmt.Errorf("e2e: seed settings: %w", err)
	}
	// The session of the samples' token lasts as long as the token.
	sess := account.Session{AccountID: DemoAccount, PersonID: DemoAdmin, ID: DemoSession, RefreshHash: auth.HashSecret("demo-refresh-secret"),
		CreatedAt: now, ExpiresAt: time.Unix(4102444800, 0).UTC()}
	if err := s.PutSession(ctx, sess); err != nil {
		return fmt.Errorf("e2e: seed session: %w", err)
	}
	conns := []realtime.Connection{
		{ID: DemoStaffConnection, AccountID: DemoAccount, Kind: auth.Access, Subject: DemoAdmin, Role: string(routes.Administrator), SourceIP: "203.0.113.10", ConnectedAt: now},
		{ID: DemoVisitorConnection, AccountID: DemoAccount, Kind: auth.Visitor, Subject: DemoVisitor, SourceIP: "198.51.100.23", ConnectedAt: now},
	}
	for _, c := range conns {
		if err := s.PutConnection(ctx, c); err != nil {
			return fmt.Errorf("e2e: seed connection: %w", err)
		}
	}
	// The stream sample is the INSERT of this item; storing it too lets the
	// consumer mark it sent, which is how a test sees that it acted.
	m := mail.Message{AccountID: DemoAccount, ID: DemoMailID, To: []string{DemoAdminEmail}, Subject: "Welcome to Parley",
		Text: "Your account \"Demo Company\" is ready. Sign in with " + DemoAdminEmail + " to set up your chat.\n\n-- \nParley\n", CreatedAt: now}
	if err := s.Enqueue(ctx, m); err != nil {
		return fmt.Errorf("e2e: seed mail: %w", err)
	}
	return nil
}

// DemoTimer is a timer of the demo account due a few seconds before now:
// inside the sweeper's lookback, so one run fires it.
func DemoTimer(now time.Time) timers.Timer {
	return timers.Timer{AccountID: DemoAccount, Subject: "demo-chat", Kind: "firstResponse", Due: now.UTC().Truncate(time.Second).Add(-5 * time.Second)}
}

// LocalAWS returns an SDK configuration on which DynamoDB and SES v2
// clients reach the given local endpoints. It is the in-process twin of
// AWS_ENDPOINT_URL_DYNAMODB and AWS_ENDPOINT_URL_SESV2, which a function's
// main reads from its environment: both feed the SDK's configured-endpoint
// lookup (aws.Config.ConfigSources), so lambdas.Handler builds its clients
// with dynamodb.NewFromConfig and sesv2.NewFromConfig exactly as in AWS.
// A single aws.Config.BaseEndpoint cannot do this, as the two emulators
// listen on different ports. (The SDK skips the lookup when
// AWS_ENDPOINT_URL is set without the service-specific variable.)
func LocalAWS(dynamoDB, ses string) aws.Config {
	cfg := localaws.Config()
	cfg.ConfigSources = append(cfg.ConfigSources, serviceEndpoints{"DynamoDB": dynamoDB, "SESv2": ses})
	return cfg
}

// serviceEndpoints maps an SDK service id to its endpoint; the SDK's
// clients look for this method on every configuration source.
type serviceEndpoints map[string]string

func (e serviceEndpoints) GetServiceBaseEndpoint(_ context.Context, sdkID string) (string, bool, error) {
	ep, ok := e[sdkID]
	return ep, ok && ep != "", nil
}

// Local is where a function started as a process finds the local stack.
type Local struct {
	Table               string
	DynamoDBEndpoint    string
	SESEndpoint         string
	ConnectionsEndpoint string
}

// FunctionEnv is the whole environment of function fn run as a process
// against the local stack: what lambdas.Main reads, the variables the Lambda
// service would set, and dummy credentials. Nothing else: no profile,
// region or key of the developer's may leak in and reach real AWS.
func FunctionEnv(fn routes.Function, l Local) []string {
	return []string{
		config.EnvTableName + "=" + l.Table,
		config.EnvConnectionsEndpoint + "=" + l.ConnectionsEndpoint,
		config.EnvMailFrom + "=" + DemoMailFrom,
		config.EnvTokenSecret + "=" + DemoTokenSecret,
		config.EnvStage + "=local",
		config.EnvSweepWindow + "=1s", // one tick is enough to prove the wiring
		"AWS_ENDPOINT_URL_DYNAMODB=" + l.DynamoDBEndpoint,
		"AWS_ENDPOINT_URL_DYNAMODB_STREAMS=" + l.DynamoDBEndpoint,
		"AWS_ENDPOINT_URL_SESV2=" + l.SESEndpoint,
		"AWS_ACCESS_KEY_ID=local",
		"AWS_SECRET_ACCESS_KEY=local",
		"AWS_REGION=" + localaws.Region,
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_LAMBDA_FUNCTION_NAME=" + fn.Name,
		fmt.Sprintf("AWS_LAMBDA_FUNCTION_MEMORY_SIZE=%d", fn.MemoryMB),
		fmt.Sprintf("AWS_LAMBDA_FUNCTION_TIMEOUT=%d", fn.TimeoutSec),
	}
}
