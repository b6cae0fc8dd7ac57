package account

import (
	"context"

	"parley/internal/ratelimit"
)

// take counts an attempt against ratelimit rules (Service.Limits), in the
// same store as the sign-in counts. Zero rules limit nothing.
func (s *Service) take(ctx context.Context, checks ...ratelimit.Check) error {
	return (&ratelimit.Limiter{Store: s.Store, Now: s.Now}).Take(ctx, checks...)
}

// limitInvitation counts one invitation mail (an invitation or a resend)
// against the account's daily limit and the invited address's, so a new
// account cannot use Parley to mail strangers without end. Errors:
// apperr.RateLimited (*RetryError).
func (s *Service) limitInvitation(ctx context.Context, accountID, email string) error {
	return s.take(ctx, ratelimit.For(s.Limits.InvitationsPerAccount, accountID), ratelimit.For(s.Limits.InvitationsPerPerson, email))
}
