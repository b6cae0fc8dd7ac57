package stacks

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2integrations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdaeventsources"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsscheduler"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsschedulertargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"parley/internal/routes"
)

// WebSocketStageName is the stage the widget and the workplace connect to;
// CONNECTIONS_ENDPOINT ends with it.
const WebSocketStageName = "prod"

// RealtimeStackProps wires the realtime stack to the data stack.
type RealtimeStackProps struct {
	awscdk.StackProps
	Settings Settings
	Data     *DataStack
}

// RealtimeStack holds the WebSocket API and everything that reacts to
// changes rather than to HTTP requests: the stream consumers and the
// scheduled functions. It is apart from the HTTP stack because sam local
// start-api cannot read a template that holds a WebSocket API.
type RealtimeStack struct {
	awscdk.Stack
	WebSocketAPI   awsapigatewayv2.WebSocketApi
	WebSocketStage awsapigatewayv2.WebSocketStage
	Functions      map[string]awslambda.Function
}

// NewRealtimeStack builds the WebSocket API with every routes.WebSocket
// route, the functions routes.Functions places in "realtime", the stream
// consumers of routes.Streams and the schedules of routes.Schedules.
func NewRealtimeStack(scope constructs.Construct, id string, props *RealtimeStackProps) (*RealtimeStack, error) {
	stack := awscdk.NewStack(scope, jsii.String(id), &props.StackProps)

	api := awsapigatewayv2.NewWebSocketApi(stack, jsii.String("WebSocketApi"), &awsapigatewayv2.WebSocketApiProps{
		Description:              jsii.String("Parley live: visitor widget and operator workplace"),
		RouteSelectionExpression: jsii.String("$request.body.action"),
	})
	stage := awsapigatewayv2.NewWebSocketStage(stack, jsii.String("WebSocketStage"), &awsapigatewayv2.WebSocketStageProps{
		WebSocketApi: api,
		StageName:    jsii.String(WebSocketStageName),
		AutoDeploy:   jsii.Bool(true),
	})
	hardenWebSocketStage(stack, stage)

	fns, err := newFunctions(stack, "realtime", functionDeps{
		settings:    props.Settings,
		data:        props.Data,
		connections: stage,
	})
	if err != nil {
		return nil, err
	}
	function := func(name, use string) (awslambda.Function, error) {
		if fn, ok := fns[name]; ok {
			return fn, nil
		}
		return nil, fmt.Errorf("stacks: %s names function %q, which is not in the realtime stack", use, name)
	}

	// One integration per function: API Gateway then holds one Lambda
	// integration however many routes share it.
	integrations := map[string]awsapigatewayv2integrations.WebSocketLambdaIntegration{}
	for _, route := range routes.WebSocket {
		fn, err := function(route.Function, "WebSocket route "+route.RouteKey)
		if err != nil {
			return nil, err
		}
		integration, ok := integrations[route.Function]
		if !ok {
			integration = awsapigatewayv2integrations.NewWebSocketLambdaIntegration(jsii.String(route.Function+"Integration"), fn, nil)
			integrations[route.Function] = integration
		}
		// The handler's return value is the reply frame (state, sent, error
		// and the rest of docs/websocket.md); API Gateway drops it unless
		// the route has a response. $connect and $disconnect have none: they
		// answer the handshake, not a frame.
		twoWay := route.RouteKey != "$connect" && route.RouteKey != "$disconnect"
		api.AddRoute(jsii.String(route.RouteKey), &awsapigatewayv2.WebSocketRouteOptions{Integration: integration, ReturnResponse: jsii.Bool(twoWay)})
	}

	for _, consumer := range routes.Streams {
		fn, err := function(consumer.Function, "stream consumer")
		if err != nil {
			return nil, err
		}
		addStreamConsumer(stack, props.Data, consumer, fn)
	}

	for _, schedule := range routes.Schedules {
		fn, err := function(schedule.Function, "schedule "+schedule.Name)
		if err != nil {
			return nil, err
		}
		addSchedule(stack, schedule, fn)
	}

	awscdk.NewCfnOutput(stack, jsii.String("WebSocketUrl"), &awscdk.CfnOutputProps{Value: stage.Url()})
	return &RealtimeStack{Stack: stack, WebSocketAPI: api, WebSocketStage: stage, Functions: fns}, nil
}

// addStreamConsumer feeds the table's stream to fn. A failing record is
// isolated by bisecting and retried MaxRetries times; then its batch's
// position goes to a queue, so one poison record cannot stall the shard.
func addStreamConsumer(stack awscdk.Stack, data *DataStack, consumer routes.StreamConsumer, fn awslambda.Function) {
	id := consumer.Function
	failures := awssqs.NewQueue(stack, jsii.String(id+"Failures"), &awssqs.QueueProps{
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:      jsii.Bool(true),
	})
	fn.AddEventSource(awslambdaeventsources.NewDynamoEventSource(data.Table, &awslambdaeventsources.DynamoEventSourceProps{
		// Only changes made after the consumer exists: replaying a day of
		// stream would resend mails and webhooks.
		StartingPosition:        awslambda.StartingPosition_LATEST,
		BatchSize:               jsii.Number(consumer.BatchSize),
		ReportBatchItemFailures: jsii.Bool(true),
		BisectBatchOnError:      jsii.Bool(true),
		RetryAttempts:           jsii.Number(consumer.MaxRetries),
		OnFailure:               awslambdaeventsources.NewSqsDlq(failures),
	}))

	newAlarm(stack, id+"FailuresVisible", data.Alarms, &awscloudwatch.AlarmProps{
		AlarmDescription: jsii.String(id + ": stream records gave up after retries; their positions are in the queue"),
		Metric: failures.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{
			Period: awscdk.Duration_Minutes(jsii.Number(5)), Statistic: jsii.String("Maximum"),
		}),
		Threshold:          jsii.Number(0),
		EvaluationPeriods:  jsii.Number(1),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD,
		TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
	})
	// Timeouts act through the stream consumer, so a lagging stream makes
	// them late; a minute behind for three minutes is already a failure.
	newAlarm(stack, id+"IteratorAge", data.Alarms, &awscloudwatch.AlarmProps{
		AlarmDescription: jsii.String(id + ": the stream consumer is more than a minute behind"),
		Metric: fn.Metric(jsii.String("IteratorAge"), &awscloudwatch.MetricOptions{
			Period: awscdk.Duration_Minutes(jsii.Number(1)), Statistic: jsii.String("Maximum"),
		}),
		Threshold:          jsii.Number(60_000),
		EvaluationPeriods:  jsii.Number(3),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD,
		TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
	})
}

// addSchedule invokes fn on the schedule's expression with an EventBridge
// "Scheduled Event", the event internal/local/schedules fires, so the
// function decodes one payload in both places. Its time is when the run was
// due, not when the invocation happened to start.
func addSchedule(stack awscdk.Stack, schedule routes.Schedule, fn awslambda.Function) {
	event := map[string]any{
		"version":     "0",
		"id":          awsscheduler.ContextAttribute_ExecutionId(),
		"detail-type": "Scheduled Event",
		"source":      "aws.scheduler",
		"account":     awscdk.Aws_ACCOUNT_ID(),
		"time":        awsscheduler.ContextAttribute_ScheduledTime(),
		"region":      awscdk.Aws_REGION(),
		"resources":   []*string{awsscheduler.ContextAttribute_ScheduleArn()},
		"detail":      map[string]any{},
	}
	awsscheduler.NewSchedule(stack, jsii.String(schedule.Name), &awsscheduler.ScheduleProps{
		Description: jsii.String(fmt.Sprintf("Parley %s: invokes %s", schedule.Name, schedule.Function)),
		Schedule:    awsscheduler.ScheduleExpression_Expression(jsii.String(schedule.Expression), nil),
		Target: awsschedulertargets.NewLambdaInvoke(fn, &awsschedulertargets.ScheduleTargetBaseProps{
			Input: awsscheduler.ScheduleTargetInput_FromObject(event),
		}),
	})
}
