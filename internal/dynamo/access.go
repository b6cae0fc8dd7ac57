package dynamo

import (
	"context"

	"parley/internal/settings"
)

// AllowedIPs returns an account's security.allowedIps, parsed: one
// GetItem of the settings document. An account without settings has no
// limit; a stored list that no longer parses is an error, so the caller
// refuses rather than letting everyone in.
func (s *Store) AllowedIPs(ctx context.Context, accountID string) (settings.IPRanges, error) {
	rec, err := s.Settings(ctx, accountID)
	if isNotFound(err) {
		return settings.IPRanges{}, nil
	}
	if err != nil {
		return nil, err
	}
	doc, err := settings.Load([]byte(rec.Doc))
	if err != nil {
		return nil, err
	}
	return doc.Security.Ranges()
}

// HiddenProfiles reports whether an account has features.hiddenProfiles
// on (SPEC §2.7): one GetItem of the settings document.
func (s *Store) HiddenProfiles(ctx context.Context, accountID string) (bool, error) {
	rec, err := s.Settings(ctx, accountID)
	if isNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	doc, err := settings.Load([]byte(rec.Doc))
	if err != nil {
		return false, err
	}
	return doc.Features.HiddenProfiles, nil
}
