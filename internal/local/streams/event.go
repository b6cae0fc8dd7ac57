package streams

import (
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
)

// The types below are the JSON Lambda's event source mapping sends, field
// for field (events.DynamoDBEvent of aws-lambda-go decodes it). They are
// this package's own, rather than aws-lambda-go's, so the encoding is
// pinned here: that package's attribute values cannot be built from raw
// JSON and its epoch type writes fractions.

type event struct {
	Records []json.RawMessage `json:"Records"`
}

type record struct {
	EventID        string        `json:"eventID"`
	EventName      string        `json:"eventName"`
	EventVersion   string        `json:"eventVersion"`
	EventSource    string        `json:"eventSource"`
	AWSRegion      string        `json:"awsRegion"`
	Change         streamRecord  `json:"dynamodb"`
	EventSourceARN string        `json:"eventSourceARN"`
	UserIdentity   *userIdentity `json:"userIdentity,omitempty"`
}

type streamRecord struct {
	// Whole seconds, as Lambda sends them.
	ApproximateCreationDateTime int64          `json:"ApproximateCreationDateTime,omitempty"`
	Keys                        map[string]any `json:"Keys,omitempty"`
	NewImage                    map[string]any `json:"NewImage,omitempty"`
	OldImage                    map[string]any `json:"OldImage,omitempty"`
	SequenceNumber              string         `json:"SequenceNumber"`
	SizeBytes                   int64          `json:"SizeBytes"`
	StreamViewType              string         `json:"StreamViewType"`
}

type userIdentity struct {
	Type        string `json:"type"`
	PrincipalID string `json:"principalId"`
}

// EncodeEvent returns the events.DynamoDBEvent JSON Lambda would send for
// records read from the stream streamARN. region fills awsRegion: DynamoDB
// Local reports its own pseudo-region "ddblocal" there.
func EncodeEvent(streamARN, region string, records []types.Record) ([]byte, error) {
	raws := make([]json.RawMessage, len(records))
	for i, r := range records {
		raw, err := encodeRecord(streamARN, region, r)
		if err != nil {
			return nil, err
		}
		raws[i] = raw
	}
	return joinEvent(raws), nil
}

// joinEvent builds {"Records":[...]} from records already encoded, so a
// bisected batch is not encoded again.
func joinEvent(records []json.RawMessage) []byte {
	if records == nil {
		records = []json.RawMessage{} // "Records":[] rather than null
	}
	b, _ := json.Marshal(event{Records: records}) // raw messages are valid JSON
	return b
}

func encodeRecord(streamARN, region string, r types.Record) (json.RawMessage, error) {
	if r.Dynamodb == nil {
		return nil, fmt.Errorf("streams: record %s has no dynamodb part", aws.ToString(r.EventID))
	}
	d := r.Dynamodb
	out := record{
		EventID:        aws.ToString(r.EventID),
		EventName:      string(r.EventName),
		EventVersion:   aws.ToString(r.EventVersion),
		EventSource:    aws.ToString(r.EventSource),
		AWSRegion:      region,
		EventSourceARN: streamARN,
		Change: streamRecord{
			SequenceNumber: aws.ToString(d.SequenceNumber),
			SizeBytes:      aws.ToInt64(d.SizeBytes),
			StreamViewType: string(d.StreamViewType),
		},
	}
	if out.EventSource == "" {
		out.EventSource = "aws:dynamodb"
	}
	if d.ApproximateCreationDateTime != nil {
		out.Change.ApproximateCreationDateTime = d.ApproximateCreationDateTime.Unix()
	}
	if r.UserIdentity != nil {
		out.UserIdentity = &userIdentity{Type: aws.ToString(r.UserIdentity.Type), PrincipalID: aws.ToString(r.UserIdentity.PrincipalId)}
	}
	var err error
	if out.Change.Keys, err = attributeMap(d.Keys); err != nil {
		return nil, err
	}
	if out.Change.NewImage, err = attributeMap(d.NewImage); err != nil {
		return nil, err
	}
	if out.Change.OldImage, err = attributeMap(d.OldImage); err != nil {
		return nil, err
	}
	return json.Marshal(out)
}

// attributeMap converts an item; nil stays nil so an absent image is
// omitted, as in Lambda's events.
func attributeMap(m map[string]types.AttributeValue) (map[string]any, error) {
	if m == nil {
		return nil, nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		j, err := AttributeJSON(v)
		if err != nil {
			return nil, fmt.Errorf("attribute %q: %w", k, err)
		}
		out[k] = j
	}
	return out, nil
}

// AttributeJSON returns v in the JSON form of DynamoDB's wire format, which
// is also Lambda's: {"S": "x"}, {"N": "1"}, {"B": "<base64>"}, {"SS": [...]},
// {"NS": [...]}, {"BS": [...]}, {"M": {...}}, {"L": [...]}, {"NULL": true},
// {"BOOL": true}. Empty sets and lists encode as [] rather than null.
func AttributeJSON(v types.AttributeValue) (any, error) {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return map[string]string{"S": v.Value}, nil
	case *types.AttributeValueMemberN:
		return map[string]string{"N": v.Value}, nil
	case *types.AttributeValueMemberB:
		return map[string][]byte{"B": nonNil(v.Value)}, nil // []byte encodes as base64
	case *types.AttributeValueMemberSS:
		return map[string][]string{"SS": nonNil(v.Value)}, nil
	case *types.AttributeValueMemberNS:
		return map[string][]string{"NS": nonNil(v.Value)}, nil
	case *types.AttributeValueMemberBS:
		return map[string][][]byte{"BS": nonNil(v.Value)}, nil
	case *types.AttributeValueMemberM:
		m, err := attributeMap(v.Value)
		if m == nil && err == nil {
			m = map[string]any{}
		}
		return map[string]any{"M": m}, err
	case *types.AttributeValueMemberL:
		l := make([]any, len(v.Value))
		for i, e := range v.Value {
			j, err := AttributeJSON(e)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			l[i] = j
		}
		return map[string]any{"L": l}, nil
	case *types.AttributeValueMemberNULL:
		return map[string]bool{"NULL": true}, nil
	case *types.AttributeValueMemberBOOL:
		return map[string]bool{"BOOL": v.Value}, nil
	default:
		return nil, fmt.Errorf("streams: unsupported attribute value %T", v)
	}
}

func nonNil[S ~[]E, E any](s S) S {
	if s == nil {
		return S{}
	}
	return s
}
