// Package config reads a function's settings from its environment once, at
// start-up. The same names are set by the CDK stacks in AWS and by the local
// stack (make dev, make test), so one main.go runs in both.
package config

import (
	"fmt"
	"os"
	"strconv"
	"time"
)

// Environment variable names. AWS SDK v2 itself honours
// AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL_DYNAMODB_STREAMS and
// AWS_ENDPOINT_URL_SESV2, which is how the local stack points the real
// clients at DynamoDB Local and the local SES.
const (
	EnvTableName           = "TABLE_NAME"
	EnvConnectionsEndpoint = "CONNECTIONS_ENDPOINT" // WebSocket @connections base URL, e.g. https://id.execute-api.r.amazonaws.com/prod
	EnvMailFrom            = "MAIL_FROM"
	EnvMailConfigSet       = "MAIL_CONFIGURATION_SET"
	EnvTokenSecret         = "TOKEN_SECRET"     // signing key, local development only
	EnvTokenSecretARN      = "TOKEN_SECRET_ARN" // Secrets Manager secret holding the signing key, in AWS
	EnvPublicBaseURL       = "PUBLIC_BASE_URL"  // the deployment's own URL, for links in mails and derived URLs
	EnvWebSocketURL        = "WEBSOCKET_URL"    // wss:// URL the widget and workplace connect to, told to clients by the API
	EnvStage               = "PARLEY_STAGE"     // "local" or "aws": outbound-call rules differ (SPEC §4.9)
	EnvSweepWindow         = "SWEEP_WINDOW"     // how long one sweeper run ticks, a Go duration; default 1m to meet the next scheduled run
	// How many accounts one address may sign up in an hour: default 10 in
	// AWS, 0 (no limit) on the local stack, where every client is the
	// loopback address.
	EnvSignUpsPerHour = "SIGNUPS_PER_ADDRESS_PER_HOUR"
	// Whether the per-source-address limits of ratelimit.Limits apply:
	// "on" or "off"; default on in AWS, off on the local stack for the same
	// reason.
	EnvAddressLimits = "LIMITS_PER_ADDRESS"
	// The console's URL, which invitation and reset mails link to: CONSOLE_URL
	// when it is known where the function is configured (locally, or a custom
	// domain), else CONSOLE_URL_PARAMETER names the SSM parameter the web
	// stack writes it to, since the HTTP stack cannot reference the web stack
	// that depends on it.
	EnvConsoleURL = "CONSOLE_URL"
	// The messengers' API addresses (SPEC §4.12): unset in AWS, which
	// calls Telegram's and VK's own; tests and make dev point them at
	// local servers. Never a setting users can change.
	EnvTelegramAPIURL      = "TELEGRAM_API_URL"
	EnvVKAPIURL            = "VK_API_URL"
	EnvConsoleURLParameter = "CONSOLE_URL_PARAMETER"
)

// Config is what every function may need. Fields a function does not use may
// be empty.
type Config struct {
	TableName           string
	ConnectionsEndpoint string
	MailFrom            string
	MailConfigSet       string
	TokenSecret         string
	TokenSecretARN      string
	PublicBaseURL       string
	WebSocketURL        string
	Stage               string
	SweepWindow         time.Duration
	ConsoleURL          string
	ConsoleURLParameter string
	SignUpsPerHour      int
	AddressLimits       bool
	TelegramAPIURL      string
	VKAPIURL            string
}

// FromEnv reads the configuration. TABLE_NAME is required by every function.
func FromEnv() (Config, error) {
	c := Config{
		TableName:           os.Getenv(EnvTableName),
		ConnectionsEndpoint: os.Getenv(EnvConnectionsEndpoint),
		MailFrom:            os.Getenv(EnvMailFrom),
		MailConfigSet:       os.Getenv(EnvMailConfigSet),
		TokenSecret:         os.Getenv(EnvTokenSecret),
		TokenSecretARN:      os.Getenv(EnvTokenSecretARN),
		PublicBaseURL:       os.Getenv(EnvPublicBaseURL),
		WebSocketURL:        os.Getenv(EnvWebSocketURL),
		Stage:               os.Getenv(EnvStage),
		ConsoleURL:          os.Getenv(EnvConsoleURL),
		ConsoleURLParameter: os.Getenv(EnvConsoleURLParameter),
		TelegramAPIURL:      os.Getenv(EnvTelegramAPIURL),
		VKAPIURL:            os.Getenv(EnvVKAPIURL),
	}
	if c.TableName == "" {
		return c, fmt.Errorf("config: %s is not set", EnvTableName)
	}
	c.SweepWindow = time.Minute
	if w := os.Getenv(EnvSweepWindow); w != "" {
		d, err := time.ParseDuration(w)
		if err != nil || d < 0 || d > 15*time.Minute {
			return c, fmt.Errorf("config: %s must be a duration from 0 to 15m, got %q", EnvSweepWindow, w)
		}
		c.SweepWindow = d
	}
	if c.Stage == "" {
		c.Stage = "aws"
	}
	if !c.Local() {
		c.SignUpsPerHour = 10
		c.AddressLimits = true
	}
	switch v := os.Getenv(EnvAddressLimits); v {
	case "":
	case "on", "off":
		c.AddressLimits = v == "on"
	default:
		return c, fmt.Errorf("config: %s must be on or off, got %q", EnvAddressLimits, v)
	}
	if n := os.Getenv(EnvSignUpsPerHour); n != "" {
		v, err := strconv.Atoi(n)
		if err != nil || v < 0 {
			return c, fmt.Errorf("config: %s must be a whole number >= 0, got %q", EnvSignUpsPerHour, n)
		}
		c.SignUpsPerHour = v
	}
	return c, nil
}

// Local reports whether this is the local development stack.
func (c Config) Local() bool { return c.Stage == "local" }
