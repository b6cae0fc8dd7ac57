package stacks

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsses"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"parley/internal/config"
	"parley/internal/routes"
)

// access is what a function may reach beyond its own logs. Each grant and
// the environment variable naming its target are set together, so a
// function never sees a name it may not use; TABLE_NAME is the exception,
// because config.FromEnv requires it of every function.
type access struct {
	table       tableAccess
	tokenKey    bool // reads the token-signing key (TOKEN_SECRET_ARN)
	mail        bool // sends through SES (MAIL_FROM, MAIL_CONFIGURATION_SET)
	connections bool // posts to WebSocket connections (CONNECTIONS_ENDPOINT)
	// links tells clients the deployment's URLs (PUBLIC_BASE_URL,
	// WEBSOCKET_URL, and the console's: CONSOLE_URL, or the parameter
	// CONSOLE_URL_PARAMETER it may read). Only the HTTP stack knows both
	// APIs: the HTTP API is its own and the realtime stack is built before
	// it. A realtime function with links would make the two stacks depend
	// on each other.
	links bool
}

type tableAccess int

const (
	tableNone tableAccess = iota
	tableGet              // GetItem alone: reads items it can name, lists nothing
	tableRead
	tableReadWrite
)

// accessByFunction must name every function of routes.Functions: a new
// function fails synthesis until someone decides what it may touch.
var accessByFunction = map[string]access{
	// Signs people in (signs tokens), creates accounts, changes settings.
	routes.FnAPI: {table: tableReadWrite, tokenKey: true, links: true},
	// Role and account travel in the token; it reads the token's session
	// (revocation) and the account's settings (IP allowlist), one GetItem
	// each, and nothing else.
	routes.FnAuthorizer: {table: tableGet, tokenKey: true},
	// Verifies $connect tokens and answers on the socket.
	routes.FnRealtime: {table: tableReadWrite, tokenKey: true, connections: true},
	// Does what follows a change: fan-out, mail, audit trail.
	routes.FnStream: {table: tableReadWrite, mail: true, connections: true},
	// Fires due timers by conditional writes (the stream consumer acts on
	// them) and sends the pending mail the stream could not.
	routes.FnSweeper: {table: tableReadWrite, mail: true},
	// Sends due webhook deliveries and records their attempts: the table
	// only. Its calls go out over the internet from Lambda's own network
	// (no VPC), through the SSRF-safe client.
	routes.FnWebhooks: {table: tableReadWrite},
}

// The table actions a function may use: GrantReadData and
// GrantReadWriteData would add Scan, which no request, stream or schedule
// path may use (DESIGN §3), so the grant names the item and query actions
// only. Transactions are authorised by these same actions.
var (
	tableGetActions   = *jsii.Strings("dynamodb:GetItem")
	tableReadActions  = *jsii.Strings("dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query")
	tableWriteActions = *jsii.Strings("dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query",
		"dynamodb:ConditionCheckItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem")
)

// functionDeps is what functions in a stack are wired to. connections and
// the URLs are nil in a stack that cannot reference them.
type functionDeps struct {
	settings      Settings
	data          *DataStack
	connections   awsapigatewayv2.WebSocketStage
	publicBaseURL *string
	webSocketURL  *string
	mailIdentity  awsses.IEmailIdentity // set by newFunctions when a function sends mail
}

// newFunctions builds every function that routes.Functions places in stack
// ("http" or "realtime"), keyed by name.
func newFunctions(scope awscdk.Stack, stack string, deps functionDeps) (map[string]awslambda.Function, error) {
	fns := map[string]awslambda.Function{}
	for _, def := range routes.Functions {
		if def.Stack == stack && accessByFunction[def.Name].mail && deps.mailIdentity == nil {
			// Verified outside the stack (it needs DNS records), so referenced
			// by name, once per stack.
			deps.mailIdentity = awsses.EmailIdentity_FromEmailIdentityName(scope, jsii.String("MailIdentity"), jsii.String(deps.settings.SESIdentity))
		}
	}
	for _, def := range routes.Functions {
		if def.Stack != stack {
			continue
		}
		acc, ok := accessByFunction[def.Name]
		if !ok {
			return nil, fmt.Errorf("stacks: function %q has no entry in accessByFunction", def.Name)
		}
		if acc.connections && deps.connections == nil {
			return nil, fmt.Errorf("stacks: function %q posts to connections but stack %q has no WebSocket API", def.Name, stack)
		}
		if acc.links && (deps.publicBaseURL == nil || deps.webSocketURL == nil) {
			return nil, fmt.Errorf("stacks: function %q tells clients the deployment's URLs, which stack %q cannot reference", def.Name, stack)
		}
		fns[def.Name] = newFunction(scope, def, acc, deps)
	}
	return fns, nil
}

func newFunction(scope awscdk.Stack, def routes.Function, acc access, deps functionDeps) awslambda.Function {
	// The construct id is the function's name because sam local names a
	// CDK function by it: `sam local invoke api`.
	id := def.Name
	logs := awslogs.NewLogGroup(scope, jsii.String(id+"Logs"), &awslogs.LogGroupProps{
		Retention: awslogs.RetentionDays_ONE_MONTH,
		// Logs are diagnostics, not records: the audit trail is in the table.
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	env := map[string]*string{
		config.EnvTableName: deps.data.Table.TableName(),
		config.EnvStage:     jsii.String("aws"),
	}
	fn := awslambda.NewFunction(scope, jsii.String(id), &awslambda.FunctionProps{
		Description:  jsii.String(def.Description),
		Runtime:      awslambda.Runtime_PROVIDED_AL2023(),
		Architecture: awslambda.Architecture_ARM_64(),
		Handler:      jsii.String("bootstrap"),
		Code:         awslambda.Code_FromAsset(jsii.String(filepath.Join(deps.settings.BinDir, def.Name)), nil),
		MemorySize:   jsii.Number(def.MemoryMB),
		Timeout:      awscdk.Duration_Seconds(jsii.Number(def.TimeoutSec)),
		LogGroup:     logs,
		// JSON logs let lambdacontext's slog logger carry the request id and
		// let Lambda drop debug lines without a redeploy.
		LoggingFormat:         awslambda.LoggingFormat_JSON,
		ApplicationLogLevelV2: awslambda.ApplicationLogLevel_INFO,
		SystemLogLevelV2:      awslambda.SystemLogLevel_WARN,
		Environment:           &env,
	})
	if n, ok := ReservedConcurrency[def.Name]; ok {
		fn.Node().DefaultChild().(awslambda.CfnFunction).SetReservedConcurrentExecutions(jsii.Number(n))
	}

	switch acc.table {
	case tableReadWrite:
		deps.data.Table.Grant(fn, tableWriteActions...)
	case tableRead:
		deps.data.Table.Grant(fn, tableReadActions...)
	case tableGet:
		deps.data.Table.Grant(fn, tableGetActions...)
	}
	if acc.tokenKey {
		deps.data.TokenKey.GrantRead(fn, nil)
		fn.AddEnvironment(jsii.String(config.EnvTokenSecretARN), deps.data.TokenKey.SecretArn(), nil)
	}
	if acc.mail {
		deps.data.grantSendMail(fn, deps.mailIdentity)
		fn.AddEnvironment(jsii.String(config.EnvMailFrom), jsii.String(deps.settings.MailFrom), nil)
		fn.AddEnvironment(jsii.String(config.EnvMailConfigSet), deps.data.MailConfigSet.ConfigurationSetName(), nil)
	}
	if acc.connections {
		deps.connections.GrantManagementApiAccess(fn)
		fn.AddEnvironment(jsii.String(config.EnvConnectionsEndpoint), deps.connections.CallbackUrl(), nil)
	}
	if acc.links {
		fn.AddEnvironment(jsii.String(config.EnvPublicBaseURL), deps.publicBaseURL, nil)
		fn.AddEnvironment(jsii.String(config.EnvWebSocketURL), deps.webSocketURL, nil)
		if deps.settings.ConsoleURL != "" {
			fn.AddEnvironment(jsii.String(config.EnvConsoleURL), jsii.String(deps.settings.ConsoleURL), nil)
		} else {
			// GetParameter on that one name only; the ARN is built from the
			// name because the parameter belongs to the web stack.
			fn.AddEnvironment(jsii.String(config.EnvConsoleURLParameter), jsii.String(ConsoleURLParameter), nil)
			fn.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Actions: jsii.Strings("ssm:GetParameter"),
				Resources: &[]*string{scope.FormatArn(&awscdk.ArnComponents{
					Service: jsii.String("ssm"), Resource: jsii.String("parameter"), ResourceName: jsii.String(strings.TrimPrefix(ConsoleURLParameter, "/")),
				})},
			}))
		}
	}

	addFunctionAlarms(scope, id, fn, deps.data.Alarms)
	return fn
}

// addFunctionAlarms raises an alarm on any error or throttle: the service
// has no expected failures, so one in five minutes is worth a look.
func addFunctionAlarms(scope awscdk.Stack, id string, fn awslambda.Function, topic awssns.ITopic) {
	period := &awscloudwatch.MetricOptions{Period: awscdk.Duration_Minutes(jsii.Number(5)), Statistic: jsii.String("Sum")}
	for _, alarm := range []struct {
		name   string
		metric awscloudwatch.Metric
	}{
		{"Errors", fn.MetricErrors(period)},
		{"Throttles", fn.MetricThrottles(period)},
	} {
		newAlarm(scope, id+alarm.name, topic, &awscloudwatch.AlarmProps{
			AlarmDescription:   jsii.String(fmt.Sprintf("%s: %s in the last 5 minutes", id, alarm.name)),
			Metric:             alarm.metric,
			Threshold:          jsii.Number(1),
			EvaluationPeriods:  jsii.Number(1),
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
			TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
		})
	}
}

// newAlarm is an alarm that notifies topic when it fires and when it
// clears, so the operator also learns that it is over.
func newAlarm(scope constructs.Construct, id string, topic awssns.ITopic, props *awscloudwatch.AlarmProps) awscloudwatch.Alarm {
	alarm := awscloudwatch.NewAlarm(scope, jsii.String(id), props)
	action := awscloudwatchactions.NewSnsAction(topic)
	alarm.AddAlarmAction(action)
	alarm.AddOkAction(action)
	return alarm
}
