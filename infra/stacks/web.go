package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfront"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfrontorigins"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3assets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3deployment"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsssm"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// ConsoleConfigKey is the object beside index.html that tells the console
// and the widget where the APIs are, so one build of web/ serves every
// deployment. Locally the dev server answers it.
const ConsoleConfigKey = "config.json"

// WebStackProps wires the site to the APIs it calls.
type WebStackProps struct {
	awscdk.StackProps
	Settings Settings
	HTTP     *HTTPStack
	Realtime *RealtimeStack
}

// WebStack serves web/ (the console and the widget) from a private bucket
// through CloudFront.
type WebStack struct {
	awscdk.Stack
	Bucket       awss3.Bucket
	Distribution awscloudfront.Distribution
	// URL is the console's address: https://<distribution domain>, or the
	// custom domain of context consoleUrl.
	URL *string
}

// NewWebStack builds the bucket, the distribution and the deployment of the
// web folder with its config.json.
func NewWebStack(scope constructs.Construct, id string, props *WebStackProps) *WebStack {
	stack := awscdk.NewStack(scope, jsii.String(id), &props.StackProps)

	bucket := awss3.NewBucket(stack, jsii.String("Site"), &awss3.BucketProps{
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		EnforceSSL:        jsii.Bool(true),
		Encryption:        awss3.BucketEncryption_S3_MANAGED,
		ObjectOwnership:   awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
	})

	distribution := awscloudfront.NewDistribution(stack, jsii.String("Cdn"), &awscloudfront.DistributionProps{
		Comment:           jsii.String("Parley console and widget"),
		DefaultRootObject: jsii.String("index.html"),
		DefaultBehavior: &awscloudfront.BehaviorOptions{
			Origin:                awscloudfrontorigins.S3BucketOrigin_WithOriginAccessControl(bucket, nil),
			ViewerProtocolPolicy:  awscloudfront.ViewerProtocolPolicy_REDIRECT_TO_HTTPS,
			ResponseHeadersPolicy: consoleHeaders(stack, props.HTTP.URL, props.Realtime.WebSocketStage.Url()),
		},
		// The cheapest class (edges in North America, Europe and Israel): the
		// site is a few small static files that browsers cache.
		PriceClass: awscloudfront.PriceClass_PRICE_CLASS_100,
	})

	awss3deployment.NewBucketDeployment(stack, jsii.String("SiteContent"), &awss3deployment.BucketDeploymentProps{
		Sources: &[]awss3deployment.ISource{
			// The browser tests live beside the pages they test; they are
			// not part of the site.
			awss3deployment.Source_Asset(jsii.String(props.Settings.WebDir), &awss3assets.AssetOptions{Exclude: jsii.Strings("tests", "tests/**")}),
			awss3deployment.Source_JsonData(jsii.String(ConsoleConfigKey), map[string]any{
				"apiUrl":       props.HTTP.URL,
				"websocketUrl": props.Realtime.WebSocketStage.Url(),
			}, nil),
		},
		DestinationBucket: bucket,
		Distribution:      distribution,
		DistributionPaths: jsii.Strings("/*"),
	})

	url := jsii.String("https://" + *distribution.DistributionDomainName())
	if props.Settings.ConsoleURL != "" {
		url = jsii.String(props.Settings.ConsoleURL)
	}
	// Invitation and reset mails link here. The api function reads the
	// parameter by its fixed name: a reference from the HTTP stack to this
	// one would close a cycle, since this stack references the HTTP API.
	awsssm.NewStringParameter(stack, jsii.String("ConsoleUrlParameter"), &awsssm.StringParameterProps{
		ParameterName: jsii.String(ConsoleURLParameter),
		StringValue:   url,
		Description:   jsii.String("The Parley console's URL, which invitation and password-reset mails link to"),
	})
	awscdk.NewCfnOutput(stack, jsii.String("ConsoleUrl"), &awscdk.CfnOutputProps{Value: url})
	return &WebStack{Stack: stack, Bucket: bucket, Distribution: distribution, URL: url}
}
