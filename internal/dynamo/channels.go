package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"parley/internal/channel"
	"parley/internal/chat"
)

// Messenger updates: ACC#a#CHANNEL / IN#channel#externalId, written once
// (the conditional put drops a resent update_id or event_id) and kept
// for InboundTTL, longer than either messenger resends an update. The
// stream consumer turns the insert into a chat message.
const (
	typeChannelInbound = "channelInbound"
	// InboundTTL is how long an accepted update's id is remembered.
	InboundTTL = 7 * 24 * time.Hour
)

type inboundRow struct {
	Type       string    `dynamodbav:"type"`
	AccountID  string    `dynamodbav:"accountId"`
	Channel    string    `dynamodbav:"channel"`
	ExternalID string    `dynamodbav:"externalId"`
	VisitorID  string    `dynamodbav:"visitorId"`
	Name       string    `dynamodbav:"name,omitempty"`
	Username   string    `dynamodbav:"username,omitempty"`
	Language   string    `dynamodbav:"language,omitempty"`
	Text       string    `dynamodbav:"text,omitempty"`
	Kind       string    `dynamodbav:"kind,omitempty"`
	At         time.Time `dynamodbav:"at"`
	ExpiresAt  int64     `dynamodbav:"expiresAt"`
}

// PutInbound stores an accepted update unless its id was stored already.
func (s *Store) PutInbound(ctx context.Context, in channel.Inbound) (bool, error) {
	item, err := marshal(inboundRow{Type: typeChannelInbound, AccountID: in.AccountID, Channel: in.Channel, ExternalID: in.ExternalID, VisitorID: in.VisitorID,
		Name: in.Name, Username: in.Username, Language: in.Language, Text: in.Text, Kind: in.Kind, At: in.At,
		ExpiresAt: s.Now().Add(InboundTTL).Unix()}, accountPK(in.AccountID)+"#CHANNEL", "IN#"+in.Channel+"#"+in.ExternalID)
	if err != nil {
		return false, err
	}
	_, err = s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: item, ConditionExpression: notExists})
	if isConditionFailed(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("dynamo: put inbound update: %w", err)
	}
	return true, nil
}

// channelChange decodes a stream record into what the channels act on:
// an accepted update inserted (in), or a message of a messenger's chat
// inserted (posted). Both nil for every other record.
func channelChange(rec events.DynamoDBEventRecord) (in *channel.Inbound, posted *channel.Posted, err error) {
	img := rec.Change.NewImage
	typ, has := img["type"]
	if rec.EventName != string(events.DynamoDBOperationTypeInsert) || !has || typ.DataType() != events.DataTypeString {
		return nil, nil, nil
	}
	switch typ.String() {
	case typeChannelInbound:
		var r inboundRow
		if err := UnmarshalStreamImage(img, &r); err != nil {
			return nil, nil, err
		}
		return &channel.Inbound{AccountID: r.AccountID, Channel: r.Channel, ExternalID: r.ExternalID, VisitorID: r.VisitorID, Name: r.Name,
			Username: r.Username, Language: r.Language, Text: r.Text, Kind: r.Kind, At: r.At}, nil, nil
	case typeMessage:
		if ch, ok := img["channel"]; !ok || ch.DataType() != events.DataTypeString {
			return nil, nil, nil // a widget chat's
		}
		var r messageRow
		if err := UnmarshalStreamImage(img, &r); err != nil {
			return nil, nil, err
		}
		return nil, &channel.Posted{AccountID: r.AccountID, ChatID: r.ChatID, VisitorID: r.VisitorID, Channel: r.Channel, Seq: r.Seq,
			From: chat.Kind(r.From), Text: r.Text, At: r.At}, nil
	}
	return nil, nil, nil
}
