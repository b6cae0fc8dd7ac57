package lambdas

import (
	"context"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

// consoleURL returns where the console is, for the links in mails. In AWS
// the web stack (CloudFront) is built after the HTTP stack, so the api
// function finds the distribution's URL in an SSM parameter. It is read on
// the first mail that needs it rather than at start-up: the HTTP stack
// deploys before the web stack writes the parameter, and the API must not
// fail to start in between. A success is kept for the life of the
// instance; a failure is retried on the next mail.
func (d Deps) consoleURL() func(ctx context.Context) (string, error) {
	switch {
	case d.Config.ConsoleURL != "":
		return func(context.Context) (string, error) { return d.Config.ConsoleURL, nil }
	case d.Config.ConsoleURLParameter != "":
		return (&parameterValue{client: ssm.NewFromConfig(d.AWS), name: d.Config.ConsoleURLParameter}).get
	default:
		// Tests that build a config by hand: the console is served beside
		// the API, as by the local gateway.
		return func(context.Context) (string, error) { return d.Config.PublicBaseURL, nil }
	}
}

// parameterValue reads one SSM parameter once it has been found.
type parameterValue struct {
	client *ssm.Client
	name   string
	mu     sync.Mutex
	value  string
}

func (p *parameterValue) get(ctx context.Context) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.value != "" {
		return p.value, nil
	}
	out, err := p.client.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(p.name)})
	if err != nil {
		return "", fmt.Errorf("lambdas: read the console's URL from SSM parameter %s: %w", p.name, err)
	}
	if out.Parameter == nil || aws.ToString(out.Parameter.Value) == "" {
		return "", fmt.Errorf("lambdas: SSM parameter %s holds no console URL", p.name)
	}
	p.value = aws.ToString(out.Parameter.Value)
	return p.value, nil
}
