// Package localaws builds AWS SDK clients for the local stack: DynamoDB
// Local, its Streams API and the local SES. Tests (through testenv) and the
// dev command share it, so both talk to the emulators the same way.
package localaws

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
)

// Region is the region every local client claims. DynamoDB Local runs with
// -sharedDb, so the region does not partition its data; it only has to be
// the same everywhere ARNs and events mention one.
const Region = "us-east-1"

// AccountID is the account the local stack pretends to be.
const AccountID = "000000000000"

// Config returns an SDK configuration with static dummy credentials. It is
// built by hand rather than with config.LoadDefaultConfig so that nothing in
// the developer's environment (profiles, AWS_* variables, SSO) can make a
// local run reach, or authenticate against, real AWS.
func Config() aws.Config {
	return aws.Config{
		Region:      Region,
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
	}
}

// NewDynamoDBClient returns a DynamoDB client for the endpoint, e.g.
// http://127.0.0.1:8000.
func NewDynamoDBClient(endpoint string) *dynamodb.Client {
	return dynamodb.NewFromConfig(Config(), func(o *dynamodb.Options) {
		o.BaseEndpoint = aws.String(endpoint)
	})
}

// NewStreamsClient returns a DynamoDB Streams client for the endpoint.
// DynamoDB Local serves the Streams API on the same port as DynamoDB.
func NewStreamsClient(endpoint string) *dynamodbstreams.Client {
	return dynamodbstreams.NewFromConfig(Config(), func(o *dynamodbstreams.Options) {
		o.BaseEndpoint = aws.String(endpoint)
	})
}

// NewSESClient returns an SES v2 client for the endpoint of the local SES.
func NewSESClient(endpoint string) *sesv2.Client {
	return sesv2.NewFromConfig(Config(), func(o *sesv2.Options) {
		o.BaseEndpoint = aws.String(endpoint)
	})
}
