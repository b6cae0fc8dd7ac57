package vk_test

import (
	"net/url"
	"strings"
	"testing"

	"parley/internal/channel/vk"
)

const messageNew = `{"type":"message_new","group_id":1,"event_id":"a1b2c3","v":"5.199","secret":"s","object":{"message":{"date":1700000000,"from_id":42,"id":7,"out":0,"peer_id":42,"text":"hello","attachments":[]},"client_info":{}}}`

func TestParse(t *testing.T) {
	c, err := vk.Parse([]byte(messageNew))
	if err != nil || c.Type != vk.TypeMessageNew || c.Secret != "s" || c.EventID != "a1b2c3" {
		t.Fatalf("%+v %v", c, err)
	}
	in, ok, err := c.Message()
	if err != nil || !ok || in.PeerID != 42 || in.Text != "hello" || in.Kind != "" {
		t.Fatalf("%+v %v %v", in, ok, err)
	}
	for _, body := range []string{
		`{"type":"message_new","event_id":"e","object":{"message":{"from_id":42,"peer_id":2000000001,"text":"group chat"}}}`,
		`{"type":"message_new","event_id":"e","object":{"message":{"from_id":-5,"peer_id":42,"text":"community"}}}`,
		`{"type":"message_new","event_id":"e","object":{"message":{"from_id":42,"peer_id":42,"out":1,"text":"our own"}}}`,
	} {
		c, _ := vk.Parse([]byte(body))
		if _, ok, err := c.Message(); ok || err != nil {
			t.Errorf("%s: accepted (%v)", body, err)
		}
	}
	c, _ = vk.Parse([]byte(`{"type":"message_new","event_id":"e","object":{"message":{"from_id":42,"peer_id":42,"text":"","attachments":[{"type":"photo","photo":{}}]}}}`))
	if in, ok, _ := c.Message(); !ok || in.Kind != "photo" {
		t.Errorf("photo: %+v", in)
	}
	if _, err := vk.Parse([]byte(`[1]`)); err == nil {
		t.Error("an array parsed")
	}
}

func TestSendForm(t *testing.T) {
	v, err := url.ParseQuery(string(vk.SendForm(42, "hi there", vk.RandomID("msg_1"), "key")))
	if err != nil || v.Get("peer_id") != "42" || v.Get("message") != "hi there" || v.Get("access_token") != "key" || v.Get("v") != vk.Version || v.Get("random_id") == "" {
		t.Fatalf("%v %v", v, err)
	}
	if vk.RandomID("msg_1") != vk.RandomID("msg_1") || vk.RandomID("msg_1") == vk.RandomID("msg_2") || vk.RandomID("x") < 0 {
		t.Error("random_id is not fixed per delivery")
	}
	a, err := vk.ReadAnswer([]byte(`{"error":{"error_code":6,"error_msg":"Too many requests per second"}}`))
	if retry, _ := a.Retry(); err != nil || !retry || !strings.Contains(a.Err().Error(), "6") {
		t.Errorf("error 6: %+v %v", a, err)
	}
	a, _ = vk.ReadAnswer([]byte(`{"error":{"error_code":5,"error_msg":"User authorization failed"}}`))
	if retry, _ := a.Retry(); retry {
		t.Error("error 5 retried")
	}
}

// FuzzParse: no body makes the parser panic; an accepted message is a
// private one with an event id.
func FuzzParse(f *testing.F) {
	f.Add([]byte(messageNew))
	f.Add([]byte(`{"type":"confirmation","group_id":1}`))
	f.Add([]byte(`{"type":"message_new","object":null}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		c, err := vk.Parse(body)
		if err != nil {
			return
		}
		in, ok, err := c.Message()
		if ok && (err != nil || in.EventID == "" || in.PeerID <= 0 || in.PeerID >= 2000000000) {
			t.Fatalf("accepted %+v", in)
		}
	})
}
