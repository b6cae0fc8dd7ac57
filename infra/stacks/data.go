package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsses"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"parley/internal/schema"
)

// DataStack holds what outlives any deployment of the code: the table, the
// token-signing key and the mail configuration set. The other stacks only
// reference it, so they can be destroyed and redeployed freely.
type DataStack struct {
	awscdk.Stack
	Table         awsdynamodb.Table
	TokenKey      awssecretsmanager.Secret
	MailConfigSet awsses.ConfigurationSet
	// Alarms is the topic every alarm of every stack notifies; an
	// operator subscribes to it (AlarmEmailParameter at deploy, or later).
	Alarms awssns.Topic
}

// AlarmEmailParameter names the deploy-time parameter of the data stack:
// an address subscribed to the alarm topic, e.g.
// `cdk deploy --parameters ParleyData:AlarmEmail=ops@example.com`. Empty
// (the default) subscribes nobody; SNS mails the address a confirmation
// link before it sends it anything.
const AlarmEmailParameter = "AlarmEmail"

// NewDataStack builds the single table from schema.Definition, the signing
// key and the SES configuration set.
func NewDataStack(scope constructs.Construct, id string, props *awscdk.StackProps) *DataStack {
	stack := awscdk.NewStack(scope, jsii.String(id), props)
	def := schema.Definition

	table := awsdynamodb.NewTable(stack, jsii.String("Table"), &awsdynamodb.TableProps{
		PartitionKey: stringKey(def.PartitionKey),
		SortKey:      stringKey(def.SortKey),
		BillingMode:  awsdynamodb.BillingMode_PAY_PER_REQUEST,
		Stream:       awsdynamodb.StreamViewType(def.StreamView),
		// Ephemeral items (connections, presence, timers, idempotency
		// records) carry an expiry so crashed clean-ups cost nothing.
		TimeToLiveAttribute: jsii.String(def.TTLAttribute),
		PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{
			PointInTimeRecoveryEnabled: jsii.Bool(true),
		},
		// Every account's data lives here: deleting the stack must not delete it.
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	for _, index := range def.Indexes {
		table.AddGlobalSecondaryIndex(&awsdynamodb.GlobalSecondaryIndexProps{
			IndexName:      jsii.String(index.Name),
			PartitionKey:   stringKey(index.PartitionKey),
			SortKey:        optionalStringKey(index.SortKey),
			ProjectionType: awsdynamodb.ProjectionType_ALL,
		})
	}

	tokenKey := awssecretsmanager.NewSecret(stack, jsii.String("TokenKey"), &awssecretsmanager.SecretProps{
		Description: jsii.String("Parley token-signing key (HMAC): the SecretString is used as the key bytes"),
		GenerateSecretString: &awssecretsmanager.SecretStringGenerator{
			PasswordLength:     jsii.Number(64),
			ExcludePunctuation: jsii.Bool(true),
		},
		// Losing the key signs everyone out; keep it with the data it guards.
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})

	mailConfigSet := awsses.NewConfigurationSet(stack, jsii.String("Mail"), &awsses.ConfigurationSetProps{
		// Keep sending to addresses that bounced or complained from hurting
		// the account's reputation with SES.
		SuppressionReasons: awsses.SuppressionReasons_BOUNCES_AND_COMPLAINTS,
		ReputationMetrics:  jsii.Bool(true),
	})

	return &DataStack{Stack: stack, Table: table, TokenKey: tokenKey, MailConfigSet: mailConfigSet, Alarms: alarmTopic(stack)}
}

// grantSendMail lets grantee send through identity, and only with Parley's
// configuration set: SES v2 authorises SendEmail against both.
func (d *DataStack) grantSendMail(grantee awsiam.IGrantable, identity awsses.IEmailIdentity) {
	identity.GrantSendEmail(grantee)
	awsiam.Grant_AddToPrincipal(&awsiam.GrantOnPrincipalOptions{
		Grantee: grantee,
		Actions: jsii.Strings("ses:SendEmail", "ses:SendRawEmail"),
		ResourceArns: jsii.Strings(*awscdk.Stack_Of(identity).FormatArn(&awscdk.ArnComponents{
			Service:      jsii.String("ses"),
			Resource:     jsii.String("configuration-set"),
			ResourceName: d.MailConfigSet.ConfigurationSetName(),
		})),
	})
}

func stringKey(name string) *awsdynamodb.Attribute {
	return &awsdynamodb.Attribute{Name: jsii.String(name), Type: awsdynamodb.AttributeType_STRING}
}

// optionalStringKey is stringKey for an index that may have no sort key.
func optionalStringKey(name string) *awsdynamodb.Attribute {
	if name == "" {
		return nil
	}
	return stringKey(name)
}

// alarmTopic is the topic the alarms notify, with the operator's address
// subscribed when the deploy names one. The subscription is conditional so
// that a deploy without an address still succeeds (and nobody is mailed).
func alarmTopic(stack awscdk.Stack) awssns.Topic {
	email := awscdk.NewCfnParameter(stack, jsii.String(AlarmEmailParameter), &awscdk.CfnParameterProps{
		Type:                  jsii.String("String"),
		Default:               jsii.String(""),
		Description:           jsii.String("An address to mail when a Parley alarm fires (SNS asks it to confirm first); empty for none"),
		AllowedPattern:        jsii.String(`^$|^[^@\s]+@[^@\s]+\.[^@\s]+$`),
		ConstraintDescription: jsii.String("an e-mail address, or empty"),
	})
	topic := awssns.NewTopic(stack, jsii.String("Alarms"), &awssns.TopicProps{
		DisplayName: jsii.String("Parley alarms"),
		EnforceSSL:  jsii.Bool(true),
	})
	hasEmail := awscdk.NewCfnCondition(stack, jsii.String("HasAlarmEmail"), &awscdk.CfnConditionProps{
		Expression: awscdk.Fn_ConditionNot(awscdk.Fn_ConditionEquals(email.ValueAsString(), jsii.String(""))),
	})
	sub := awssns.NewCfnSubscription(stack, jsii.String("AlarmEmailSubscription"), &awssns.CfnSubscriptionProps{
		TopicArn: topic.TopicArn(), Protocol: jsii.String("email"), Endpoint: email.ValueAsString(),
	})
	sub.CfnOptions().SetCondition(hasEmail)
	return topic
}
