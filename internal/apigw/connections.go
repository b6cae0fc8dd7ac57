// Package apigw adapts API Gateway's @connections management API to the
// realtime package.
package apigw

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigatewaymanagementapi"
	"github.com/aws/aws-sdk-go-v2/service/apigatewaymanagementapi/types"

	"parley/internal/realtime"
)

// Poster implements realtime.Poster with PostToConnection.
type Poster struct {
	Client *apigatewaymanagementapi.Client
}

// NewPoster returns a Poster for the WebSocket stage whose callback URL is
// endpoint (https://{api}.execute-api.{region}.amazonaws.com/{stage}).
func NewPoster(cfg aws.Config, endpoint string) *Poster {
	return &Poster{Client: apigatewaymanagementapi.NewFromConfig(cfg, func(o *apigatewaymanagementapi.Options) {
		o.BaseEndpoint = aws.String(endpoint)
	})}
}

// Close disconnects a client with DeleteConnection; one already gone is
// fine.
func (p *Poster) Close(ctx context.Context, id string) error {
	_, err := p.Client.DeleteConnection(ctx, &apigatewaymanagementapi.DeleteConnectionInput{ConnectionId: aws.String(id)})
	var gone *types.GoneException
	if err != nil && !errors.As(err, &gone) {
		return fmt.Errorf("apigw: close %s: %w", id, err)
	}
	return nil
}

// Post sends a frame; realtime.ErrGone when the connection is gone.
func (p *Poster) Post(ctx context.Context, id string, frame []byte) error {
	_, err := p.Client.PostToConnection(ctx, &apigatewaymanagementapi.PostToConnectionInput{ConnectionId: aws.String(id), Data: frame})
	var gone *types.GoneException
	if errors.As(err, &gone) {
		return realtime.ErrGone
	}
	if err != nil {
		return fmt.Errorf("apigw: post to %s: %w", id, err)
	}
	return nil
}
