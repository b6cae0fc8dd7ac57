package chat

import (
	"fmt"
	"strings"

	"parley/internal/settings"
)

// MaxTranscriptBytes bounds the transcript a mail carries. A queued mail
// is one DynamoDB item, at most 400 KB with its other attributes; a long
// chat's whole transcript (a chat may hold MessagesPerChat messages of up
// to 16 KB) would make the enqueue fail and the mail be lost. Cut to its
// latest messages with a note, the mail always fits; the console's
// history keeps the whole conversation.
const MaxTranscriptBytes = 256 << 10

// transcriptLines joins rendered lines, keeping the latest that fit in
// MaxTranscriptBytes with the note of how many were left out.
func transcriptLines(doc settings.Document, lines []string) string {
	total := 0
	for _, l := range lines {
		total += len(l)
	}
	if total <= MaxTranscriptBytes {
		return strings.Join(lines, "")
	}
	budget := MaxTranscriptBytes - len(text(doc, "transcriptCut")) - 20
	first := len(lines)
	for size := 0; first > 0 && size+len(lines[first-1]) <= budget; first-- {
		size += len(lines[first-1])
	}
	return fmt.Sprintf(text(doc, "transcriptCut"), first) + strings.Join(lines[first:], "")
}

// Transcript renders messages as the text of a mail, times in the
// account's time zone.
// A transcript longer than MaxTranscriptBytes keeps its latest messages
// and says how many earlier ones it left out (transcriptLines).
func Transcript(doc settings.Document, ms []Message) string {
	loc := doc.Company.Location()
	lines := make([]string, len(ms))
	for i, m := range ms {
		lines[i] = fmt.Sprintf("[%s] %s: %s\n", m.At.In(loc).Format("2006-01-02 15:04"), text(doc, string(m.From)), m.Text)
	}
	return transcriptLines(doc, lines)
}
