package chat

import "context"

// Paging of one chat's transcript for the history (GET /v1/chats/{id}).
// A chat may hold thousands of messages of up to MaxTextBytes each, far
// more than one Lambda response (6 MB) can carry, so the transcript comes
// in pages: at most a count of messages and at most PageTextBytes of text,
// whichever is reached first. JSON can escape a byte into six (\u003c),
// so a full page still fits a response.
const (
	DefaultTranscriptPage = 200
	MaxTranscriptPage     = 500
	PageTextBytes         = 512 * 1024
)

// TranscriptPage is one page of a chat's messages. Next is the seq to
// pass as since for the following page, 0 when this page is the last.
type TranscriptPage struct {
	Chat     Chat
	Messages []Message
	Next     int64
}

// Transcript returns the messages of a chat the party sees (Sees) after
// seq since, at most limit (DefaultTranscriptPage when 0, capped at
// MaxTranscriptPage) and at most PageTextBytes of text, though always at
// least one message when one is left. Errors: apperr.NotFound.
func (s *Service) Transcript(ctx context.Context, p Party, chatID string, since int64, limit int) (TranscriptPage, error) {
	if limit <= 0 {
		limit = DefaultTranscriptPage
	}
	limit = min(limit, MaxTranscriptPage)
	c, ms, err := s.Messages(ctx, p, chatID, since, limit)
	if err != nil {
		return TranscriptPage{}, err
	}
	size := 0
	for i, m := range ms {
		if size += len(m.Text); i > 0 && size > PageTextBytes {
			ms = ms[:i]
			break
		}
	}
	page := TranscriptPage{Chat: c, Messages: ms}
	if n := len(ms); n > 0 && ms[n-1].Seq < c.Seq {
		page.Next = ms[n-1].Seq
	}
	return page, nil
}
