package chat

import (
	"context"
	"strings"

	"parley/internal/apperr"
	"parley/internal/ratelimit"
)

// What a visitor can make Parley do is bounded by ratelimit's counters
// (ratelimit.Defaults has the values; the README's limits table lists
// them). Each check runs after the input is validated and before anything
// is stored or mailed, so a refused attempt leaves no trace but its count.

// limitStart counts a new chat against the visitor's source address.
func (s *Service) limitStart(ctx context.Context, v Party) error {
	return s.Limiter.Take(ctx, ratelimit.For(s.Limits.ChatStartsPerAddress, v.SourceIP))
}

// limitMessage counts a visitor's message against their per-minute rate;
// staff are not limited.
func (s *Service) limitMessage(ctx context.Context, p Party) error {
	if p.Kind != FromVisitor {
		return nil
	}
	return s.Limiter.Take(ctx, ratelimit.For(s.Limits.MessagesPerVisitor, p.AccountID+"#"+p.ID))
}

// chatFull refuses a visitor's message once the chat holds
// Limits.MessagesPerChat messages. The append that follows is conditional
// on the sequence number read here, so the cap holds under concurrency
// without a counter of its own. The chat's operator may still answer and
// close it.
func (s *Service) chatFull(p Party, c Chat) error {
	if n := s.Limits.MessagesPerChat; p.Kind == FromVisitor && n > 0 && c.Seq >= int64(n) {
		return apperr.New(apperr.RateLimited, "this chat holds the most messages a chat may (%d): wait for the operator to close it", n)
	}
	return nil
}

// limitTranscript decides whether a transcript may be mailed: only a chat
// an operator answered has one worth mailing (an unanswered chat's
// transcript is only the visitor's own text, signed by the company: the
// spammer's way in), and then within the per-chat, per-recipient,
// per-source-address and per-account limits. Errors: apperr.Conflict,
// apperr.RateLimited (*ratelimit.RetryError).
func (s *Service) limitTranscript(ctx context.Context, v Party, c Chat, email string) error {
	if c.AnsweredAt.IsZero() {
		return apperr.New(apperr.Conflict, "no operator has answered this chat yet: there is no transcript to mail")
	}
	l := s.Limits
	return s.Limiter.Take(ctx,
		ratelimit.For(l.TranscriptsPerChat, c.AccountID+"#"+c.ID),
		ratelimit.For(l.TranscriptsPerRecipient, strings.ToLower(email)),
		ratelimit.For(l.TranscriptsPerAddress, v.SourceIP),
		ratelimit.For(l.TranscriptsPerAccount, c.AccountID))
}

// limitOffline counts an offline request against the source address.
func (s *Service) limitOffline(ctx context.Context, v Party) error {
	return s.Limiter.Take(ctx, ratelimit.For(s.Limits.OfflinePerAddress, v.SourceIP))
}
