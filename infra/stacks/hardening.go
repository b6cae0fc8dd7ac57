package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfront"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"parley/internal/routes"
)

// Throttling of the HTTP API's stage, per second, for every route; the
// application's own limits (README, limits) are per caller and kept in
// the table, these only cap the total a flood can cost.
const (
	HTTPRateLimit  = 200
	HTTPBurstLimit = 400
)

// Throttling of each public route (no authorizer: sign-up, sign-in, the
// password links, the widget's reads), per second. These are the routes
// anyone can call without an account, so one of them flooded must not use
// up the stage's whole rate for the staff routes; their per-caller limits
// stay in the table (README, limits).
const (
	PublicRouteRateLimit  = 50
	PublicRouteBurstLimit = 100
)

// ReservedConcurrency keeps room for the functions a flood of public
// routes must not starve: the authorizer (every staff request) and the
// stream consumer (mail, timers, live pushes). Reserved, they always have
// it; the rest of the account's concurrency is shared by the others.
var ReservedConcurrency = map[string]float64{
	routes.FnAuthorizer: 20,
	routes.FnStream:     5,
}

// accessLogFormat is one JSON line per request: who, what, how it ended.
// No header, query or body is logged, so no token or secret reaches it.
const accessLogFormat = `{"requestId":"$context.requestId","ip":"$context.identity.sourceIp","time":"$context.requestTime",` +
	`"route":"$context.routeKey","status":"$context.status","latencyMs":"$context.responseLatency","error":"$context.error.message"}`

// hardenHTTPStage throttles the HTTP API's default stage, each public
// route tighter, and writes its access log.
func hardenHTTPStage(scope constructs.Construct, api awsapigatewayv2.HttpApi, created []awsapigatewayv2.HttpRoute) {
	stage := api.DefaultStage().Node().DefaultChild().(awsapigatewayv2.CfnStage)
	stage.SetDefaultRouteSettings(&awsapigatewayv2.CfnStage_RouteSettingsProperty{
		ThrottlingRateLimit: jsii.Number(HTTPRateLimit), ThrottlingBurstLimit: jsii.Number(HTTPBurstLimit),
	})
	perRoute := map[string]any{}
	for _, route := range routes.HTTP {
		if route.Public() {
			perRoute[route.RouteKey()] = map[string]any{"ThrottlingRateLimit": PublicRouteRateLimit, "ThrottlingBurstLimit": PublicRouteBurstLimit}
		}
	}
	stage.SetRouteSettings(perRoute)
	// A stage's route settings name routes that must exist first.
	for _, route := range created {
		stage.Node().AddDependency(route)
	}
	logs := awslogs.NewLogGroup(scope, jsii.String("HttpAccessLogs"), &awslogs.LogGroupProps{
		Retention: awslogs.RetentionDays_ONE_MONTH, RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	stage.SetAccessLogSettings(&awsapigatewayv2.CfnStage_AccessLogSettingsProperty{
		DestinationArn: logs.LogGroupArn(), Format: jsii.String(accessLogFormat),
	})
}

// hardenWebSocketStage writes the WebSocket stage's access log.
func hardenWebSocketStage(scope constructs.Construct, stage awsapigatewayv2.WebSocketStage) {
	cfn := stage.Node().DefaultChild().(awsapigatewayv2.CfnStage)
	logs := awslogs.NewLogGroup(scope, jsii.String("WebSocketAccessLogs"), &awslogs.LogGroupProps{
		Retention: awslogs.RetentionDays_ONE_MONTH, RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	cfn.SetAccessLogSettings(&awsapigatewayv2.CfnStage_AccessLogSettingsProperty{
		DestinationArn: logs.LogGroupArn(), Format: jsii.String(accessLogFormat),
	})
}

// consoleHeaders is the response headers policy of the console's
// distribution: a CSP with no inline script or style (the console has
// none), connections only to the two APIs, no framing at all, HSTS, and
// no sniffing or referrer leaks.
func consoleHeaders(scope constructs.Construct, apiURL, webSocketURL *string) awscloudfront.ResponseHeadersPolicy {
	csp := awscdk.Fn_Join(jsii.String(""), &[]*string{
		jsii.String("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob: "), apiURL,
		jsii.String("; connect-src 'self' "), apiURL, jsii.String(" "), webSocketURL,
		jsii.String("; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"),
	})
	return awscloudfront.NewResponseHeadersPolicy(scope, jsii.String("ConsoleHeaders"), &awscloudfront.ResponseHeadersPolicyProps{
		Comment: jsii.String("Parley console: CSP, HSTS, no framing"),
		SecurityHeadersBehavior: &awscloudfront.ResponseSecurityHeadersBehavior{
			ContentSecurityPolicy: &awscloudfront.ResponseHeadersContentSecurityPolicy{ContentSecurityPolicy: csp, Override: jsii.Bool(true)},
			StrictTransportSecurity: &awscloudfront.ResponseHeadersStrictTransportSecurity{
				AccessControlMaxAge: awscdk.Duration_Days(jsii.Number(365)), IncludeSubdomains: jsii.Bool(true), Override: jsii.Bool(true),
			},
			FrameOptions:       &awscloudfront.ResponseHeadersFrameOptions{FrameOption: awscloudfront.HeadersFrameOption_DENY, Override: jsii.Bool(true)},
			ContentTypeOptions: &awscloudfront.ResponseHeadersContentTypeOptions{Override: jsii.Bool(true)},
			ReferrerPolicy:     &awscloudfront.ResponseHeadersReferrerPolicy{ReferrerPolicy: awscloudfront.HeadersReferrerPolicy_STRICT_ORIGIN_WHEN_CROSS_ORIGIN, Override: jsii.Bool(true)},
		},
	})
}
