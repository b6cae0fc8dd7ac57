package webhook_test

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"parley/internal/outbound"
	"parley/internal/webhook"
)

// TestSign checks the signature against the Standard Webhooks reference
// example, and Verify's refusals.
func TestSign(t *testing.T) {
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	body := []byte(`{"test": 2432232314}`)
	ts := time.Unix(1614265330, 0)
	sig, err := webhook.Sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", ts, body)
	if err != nil || sig != "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=" {
		t.Fatalf("Sign: %q, %v", sig, err)
	}
	ok := func(id, tsText, sigs string, b []byte, now time.Time) error {
		return webhook.Verify(secret, id, tsText, sigs, b, now, 5*time.Minute)
	}
	if err := ok("msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", "v1,bm9wZQ== "+sig, body, ts); err != nil {
		t.Fatalf("Verify of a good signature among others: %v", err)
	}
	for name, err := range map[string]error{
		"another body": ok("msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", sig, []byte(`{"test": 1}`), ts),
		"another id":   ok("msg_other", "1614265330", sig, body, ts),
		"too old":      ok("msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", sig, body, ts.Add(10*time.Minute)),
		"v2 only":      ok("msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", "v2,"+sig[3:], body, ts),
	} {
		if err == nil {
			t.Errorf("%s verified", name)
		}
	}
	if _, err := webhook.Sign("", "id", ts, body); err == nil {
		t.Error("an empty secret signed")
	}
}

func TestRetryDelay(t *testing.T) {
	r := webhook.Retry{First: 10 * time.Second, Max: time.Hour, Jitter: func(d time.Duration) time.Duration { return 0 }}
	for failed, want := range map[int]time.Duration{1: 5 * time.Second, 2: 10 * time.Second, 3: 20 * time.Second, 12: 30 * time.Minute, 40: 30 * time.Minute} {
		if got := r.Delay(failed, 0); got != want {
			t.Errorf("after %d failures: %v, want %v", failed, got, want)
		}
	}
	if got := r.Delay(1, time.Minute); got != time.Minute {
		t.Errorf("Retry-After of a minute: %v", got)
	}
	if got := r.Delay(1, 100*time.Hour); got != 6*time.Hour {
		t.Errorf("a huge Retry-After: %v", got)
	}
	full := webhook.Retry{First: 10 * time.Second, Max: time.Hour, Jitter: func(d time.Duration) time.Duration { return d - 1 }}
	if got := full.Delay(1, 0); got >= 10*time.Second || got < 5*time.Second {
		t.Errorf("jitter out of [step/2, step): %v", got)
	}
	// The default back-off gives up after about a day of attempts.
	total, n := time.Duration(0), 0
	for d := webhook.DefaultRetry; total < d.GiveUpAfter; n++ {
		total += webhook.Retry{First: d.First, Max: d.Max, Jitter: func(x time.Duration) time.Duration { return x / 2 }}.Delay(n+1, 0)
	}
	if n < 20 || n > 40 {
		t.Errorf("%d attempts in a day", n)
	}
}

func TestJudge(t *testing.T) {
	now := time.Now()
	hdr := func(k, v string) http.Header { h := http.Header{}; h.Set(k, v); return h }
	for _, tc := range []struct {
		name             string
		resp             outbound.Response
		err              error
		delivered, retry bool
		after            time.Duration
	}{
		{"200", outbound.Response{Status: 200}, nil, true, false, 0},
		{"204", outbound.Response{Status: 204}, nil, true, false, 0},
		{"500", outbound.Response{Status: 500}, nil, false, true, 0},
		{"503 Retry-After", outbound.Response{Status: 503, Header: hdr("Retry-After", "120")}, nil, false, true, 2 * time.Minute},
		{"429 date", outbound.Response{Status: 429, Header: hdr("Retry-After", now.Add(time.Hour).UTC().Format(http.TimeFormat))}, nil, false, true, time.Hour},
		{"408", outbound.Response{Status: 408}, nil, false, true, 0},
		{"404", outbound.Response{Status: 404}, nil, false, false, 0},
		{"302", outbound.Response{Status: 302}, nil, false, false, 0},
		{"timeout", outbound.Response{}, &outbound.Error{Kind: outbound.KindTimeout, Msg: "t"}, false, true, 0},
		{"connection", outbound.Response{}, &outbound.Error{Kind: outbound.KindConnection, Msg: "c"}, false, true, 0},
		{"refused", outbound.Response{}, &outbound.Error{Kind: outbound.KindRefused, Msg: "r"}, false, false, 0},
		{"other", outbound.Response{}, errors.New("x"), false, false, 0},
	} {
		o := webhook.Judge(tc.resp, tc.err, now)
		if o.Delivered != tc.delivered || o.Retry != tc.retry || (tc.after > 0 && (o.After < tc.after-2*time.Second || o.After > tc.after)) {
			t.Errorf("%s: %+v", tc.name, o)
		}
	}
}

func TestID(t *testing.T) {
	at := time.Date(2026, 12, 3, 12, 0, 0, 123456000, time.UTC)
	a, b := webhook.NewID(at, "x"), webhook.NewID(at, "x")
	if a != b || !webhook.ValidID(a) || webhook.NewID(at, "y") == a || webhook.NewID(at.Add(time.Second), "x") <= a {
		t.Fatalf("ids %q %q", a, b)
	}
	for _, bad := range []string{"", "msg_", "msg_../../x", a + "0", "MSG" + a[3:]} {
		if webhook.ValidID(bad) {
			t.Errorf("%q valid", bad)
		}
	}
}
