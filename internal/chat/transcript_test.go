package chat_test

import (
	"crypto/rand"
	"fmt"
	"strings"
	"testing"
	"time"

	"parley/internal/chat"
	"parley/internal/settings"
)

// TestLongTranscriptFits: a 2 MB chat's transcript keeps its latest
// messages within MaxTranscriptBytes and says how many it left out; a
// short one is whole.
func TestLongTranscriptFits(t *testing.T) {
	doc, err := settings.NewAccountDocument("en", rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	var ms []chat.Message
	for i := range 130 {
		ms = append(ms, chat.Message{Seq: int64(i + 1), From: chat.FromVisitor, Text: fmt.Sprintf("line %03d %s", i, strings.Repeat("x", 16000)), At: time.Now()})
	}
	got := chat.Transcript(doc, ms)
	if len(got) > chat.MaxTranscriptBytes {
		t.Fatalf("a transcript of %d bytes, over %d", len(got), chat.MaxTranscriptBytes)
	}
	if !strings.Contains(got, "line 129 ") || strings.Contains(got, "line 000 ") {
		t.Fatal("the transcript does not keep the latest messages")
	}
	kept := strings.Count(got, "\n[")
	if want := fmt.Sprintf("[The first %d messages do not fit", 130-kept); !strings.HasPrefix(got, want) {
		t.Fatalf("the transcript starts %.120q, want %q", got, want)
	}
	if short := chat.Transcript(doc, ms[:3]); strings.Contains(short, "do not fit") || strings.Count(short, "\n") != 3 {
		t.Fatalf("a short transcript was cut: %.200q", short)
	}
}
