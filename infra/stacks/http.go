package stacks

import (
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2authorizers"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2integrations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"parley/internal/routes"
)

// HTTPStackProps wires the HTTP stack to the data and realtime stacks.
type HTTPStackProps struct {
	awscdk.StackProps
	Settings Settings
	Data     *DataStack
	// Realtime gives the WebSocket URL the API tells clients.
	Realtime *RealtimeStack
}

// HTTPStack holds the HTTP API and its functions, and nothing that sam
// local start-api cannot read: no WebSocket API.
type HTTPStack struct {
	awscdk.Stack
	API       awsapigatewayv2.HttpApi
	Functions map[string]awslambda.Function
	// URL is the API's base URL and the deployment's PUBLIC_BASE_URL: the
	// links the service derives (image URLs, integration callbacks) are
	// paths of this API.
	URL *string
}

// NewHTTPStack builds the HTTP API with every route of routes.HTTP, the
// Lambda authorizer on the routes that are not public, and the functions
// routes.Functions places in "http".
func NewHTTPStack(scope constructs.Construct, id string, props *HTTPStackProps) (*HTTPStack, error) {
	stack := awscdk.NewStack(scope, jsii.String(id), &props.StackProps)

	api := awsapigatewayv2.NewHttpApi(stack, jsii.String("HttpApi"), &awsapigatewayv2.HttpApiProps{
		Description: jsii.String("Parley console, operator and admin REST"),
		CorsPreflight: &awsapigatewayv2.CorsPreflightOptions{
			AllowOrigins: jsii.Strings(props.Settings.CORSOrigins...),
			AllowMethods: &[]awsapigatewayv2.CorsHttpMethod{
				awsapigatewayv2.CorsHttpMethod_GET, awsapigatewayv2.CorsHttpMethod_PUT,
				awsapigatewayv2.CorsHttpMethod_PATCH, awsapigatewayv2.CorsHttpMethod_POST,
				awsapigatewayv2.CorsHttpMethod_DELETE, awsapigatewayv2.CorsHttpMethod_OPTIONS,
			},
			AllowHeaders:  jsii.Strings("Authorization", "Content-Type", "If-Match"),
			ExposeHeaders: jsii.Strings("ETag"),
			MaxAge:        awscdk.Duration_Hours(jsii.Number(1)),
		},
	})

	fns, err := newFunctions(stack, "http", functionDeps{
		settings:      props.Settings,
		data:          props.Data,
		publicBaseURL: api.Url(),
		webSocketURL:  props.Realtime.WebSocketStage.Url(),
	})
	if err != nil {
		return nil, err
	}
	authorizerFn, ok := fns[routes.FnAuthorizer]
	if !ok {
		return nil, fmt.Errorf("stacks: the authorizer function %q is not in the http stack", routes.FnAuthorizer)
	}

	authorizer := awsapigatewayv2authorizers.NewHttpLambdaAuthorizer(jsii.String("Authorizer"), authorizerFn, &awsapigatewayv2authorizers.HttpLambdaAuthorizerProps{
		ResponseTypes:  &[]awsapigatewayv2authorizers.HttpLambdaResponseType{awsapigatewayv2authorizers.HttpLambdaResponseType_SIMPLE},
		IdentitySource: jsii.Strings("$request.header.Authorization"),
		// The answer depends on the route (its roles), but API Gateway would
		// cache it by token alone and reuse it on every route.
		ResultsCacheTtl: awscdk.Duration_Seconds(jsii.Number(0)),
	})

	// One integration per function, shared by its routes.
	integrations := map[string]awsapigatewayv2integrations.HttpLambdaIntegration{}
	var created []awsapigatewayv2.HttpRoute
	for _, route := range routes.HTTP {
		fn, ok := fns[route.Function]
		if !ok {
			return nil, fmt.Errorf("stacks: HTTP route %s names function %q, which is not in the http stack", route.RouteKey(), route.Function)
		}
		integration, ok := integrations[route.Function]
		if !ok {
			integration = awsapigatewayv2integrations.NewHttpLambdaIntegration(jsii.String(route.Function+"Integration"), fn, nil)
			integrations[route.Function] = integration
		}
		options := &awsapigatewayv2.AddRoutesOptions{
			Path:        jsii.String(route.Path),
			Methods:     &[]awsapigatewayv2.HttpMethod{awsapigatewayv2.HttpMethod(strings.ToUpper(route.Method))},
			Integration: integration,
		}
		if !route.Public() {
			options.Authorizer = authorizer
		}
		created = append(created, *api.AddRoutes(options)...)
	}

	hardenHTTPStage(stack, api, created)
	awscdk.NewCfnOutput(stack, jsii.String("HttpApiUrl"), &awscdk.CfnOutputProps{Value: api.Url()})
	return &HTTPStack{Stack: stack, API: api, Functions: fns, URL: api.Url()}, nil
}
