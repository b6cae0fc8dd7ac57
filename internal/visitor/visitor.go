package visitor

import (
	"context"
	"time"

	"parley/internal/apperr"
)

// Store declares what identification needs from storage.
type Store interface {
	// SetVisitorIdentity attaches fields to a visitor of an account.
	SetVisitorIdentity(ctx context.Context, accountID, visitorID string, f Fields, at time.Time) error
}

// Service identifies visitors.
type Service struct {
	Store Store
	Now   func() time.Time
}

// Identification is what the widget passes on: the fields as an object, or
// the signed canonical text as Payload (exactly one of the two), and the
// signature.
type Identification struct {
	Fields    map[string]string `json:"fields"`
	Payload   string            `json:"payload"`
	Signature string            `json:"signature"`
}

// errSignature is the refusal of a signature that does not match.
var errSignature = &apperr.Error{Code: apperr.Invalid,
	Message: "the signature does not match the fields: sign their canonical form with the account's private key (integration.privateKey); the visitor stays anonymous",
	Fields:  map[string]string{"signature": "does not match the fields"}}

// Identify checks an identification signed with the account's private key
// and, if it is valid, attaches its fields to the visitor. Anything wrong
// changes nothing: the visitor stays as they were (anonymous, or with the
// fields of an earlier valid identification). Errors: apperr.Invalid
// (fields, payload, signature).
func (s *Service) Identify(ctx context.Context, accountID, visitorID, privateKey string, in Identification) (Fields, error) {
	var f Fields
	var canonical string
	var err error
	switch {
	case in.Payload != "" && in.Fields != nil:
		return nil, invalid("payload", "give either fields or payload, not both")
	case in.Payload != "":
		if f, err = ParseCanonical(in.Payload); err != nil {
			return nil, err
		}
		canonical = in.Payload
	default:
		if f, canonical, err = Canonical(in.Fields); err != nil {
			return nil, err
		}
	}
	if in.Signature == "" {
		return nil, invalid("signature", "is required: hex HMAC-SHA256 of the canonical form")
	}
	if !Verify([]byte(privateKey), canonical, in.Signature) {
		return nil, errSignature
	}
	if err := s.Store.SetVisitorIdentity(ctx, accountID, visitorID, f, s.Now().UTC()); err != nil {
		return nil, err
	}
	return f, nil
}
