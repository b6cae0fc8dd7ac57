package telegram_test

import (
	"strings"
	"testing"

	"parley/internal/channel/telegram"
)

func TestParse(t *testing.T) {
	for _, c := range []struct {
		name, body string
		ok         bool
		err        bool
		text, kind string
	}{
		{"text", `{"update_id":5,"message":{"message_id":1,"date":1700000000,"text":"hi","from":{"id":9,"is_bot":false,"first_name":"Ann","last_name":"Lee","username":"ann"},"chat":{"id":9,"type":"private"}}}`, true, false, "hi", ""},
		{"photo with caption", `{"update_id":6,"message":{"message_id":2,"date":1,"caption":"look","photo":[{"file_id":"x"}],"from":{"id":9,"first_name":"Ann"},"chat":{"id":9,"type":"private"}}}`, true, false, "look", "photo"},
		{"sticker", `{"update_id":7,"message":{"message_id":3,"date":1,"sticker":{"file_id":"x"},"from":{"id":9,"first_name":"Ann"},"chat":{"id":9,"type":"private"}}}`, true, false, "", "sticker"},
		{"group", `{"update_id":8,"message":{"message_id":4,"date":1,"text":"hi","from":{"id":9,"first_name":"Ann"},"chat":{"id":-100,"type":"group"}}}`, false, false, "", ""},
		{"bot", `{"update_id":9,"message":{"message_id":4,"date":1,"text":"hi","from":{"id":9,"is_bot":true,"first_name":"B"},"chat":{"id":9,"type":"private"}}}`, false, false, "", ""},
		{"edited", `{"update_id":10,"edited_message":{"message_id":4}}`, false, false, "", ""},
		{"no update_id", `{"message":{}}`, false, true, "", ""},
		{"not json", `hello`, false, true, "", ""},
		{"too large", `{"update_id":1,"x":"` + strings.Repeat("a", telegram.MaxUpdateBytes) + `"}`, false, true, "", ""},
	} {
		in, ok, err := telegram.Parse([]byte(c.body))
		if ok != c.ok || (err != nil) != c.err || (ok && (in.Text != c.text || in.Kind != c.kind)) {
			t.Errorf("%s: %+v ok %v err %v", c.name, in, ok, err)
		}
	}
	in, _, _ := telegram.Parse([]byte(`{"update_id":5,"message":{"message_id":1,"date":1700000000,"text":"hi","from":{"id":9,"first_name":"Ann","last_name":"Lee","username":"ann"},"chat":{"id":9,"type":"private"}}}`))
	if in.Name != "Ann Lee" || in.Username != "ann" || in.ChatID != 9 || in.UpdateID != 5 {
		t.Errorf("fields: %+v", in)
	}
}

func TestAnswer(t *testing.T) {
	a := telegram.ReadAnswer(429, []byte(`{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 7","parameters":{"retry_after":7}}`))
	if a.OK || a.RetryAfter().Seconds() != 7 || !strings.Contains(a.Err().Error(), "429") {
		t.Errorf("429: %+v", a)
	}
	if a := telegram.ReadAnswer(502, []byte(`<html>`)); a.OK || a.ErrorCode != 502 {
		t.Errorf("not JSON: %+v", a)
	}
	if u := telegram.RedactedURL("https://api.telegram.org/", "sendMessage"); u != "https://api.telegram.org/bot…/sendMessage" {
		t.Errorf("redacted: %s", u)
	}
}

// FuzzParse: no body makes Parse panic, and an accepted message always
// has a chat and a text or a kind.
func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"update_id":5,"message":{"message_id":1,"date":1,"text":"hi","from":{"id":9,"first_name":"Ann"},"chat":{"id":9,"type":"private"}}}`))
	f.Add([]byte(`{"update_id":6,"message":{"photo":[],"from":{"id":9},"chat":{"id":9,"type":"private"}}}`))
	f.Add([]byte(`{"update_id":"x"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		in, ok, err := telegram.Parse(body)
		if ok && (err != nil || in.ChatID == 0 || (in.Text == "" && in.Kind == "") || in.UpdateID <= 0) {
			t.Fatalf("accepted %+v (err %v)", in, err)
		}
	})
}
