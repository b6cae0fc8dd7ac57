package bench

import (
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		var out []time.Duration
		for _, x := range v {
			out = append(out, time.Duration(x)*time.Millisecond)
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = 100 - i // unsorted: 100 … 1
	}
	cases := []struct {
		samples []time.Duration
		p       float64
		want    time.Duration
	}{
		{nil, 50, 0},
		{ms(7), 50, 7 * time.Millisecond},
		{ms(7), 99, 7 * time.Millisecond},
		{ms(3, 1, 2), 50, 2 * time.Millisecond},
		{ms(1, 2, 3, 4), 50, 2 * time.Millisecond}, // nearest rank: ceil(0.5*4) = 2nd
		{ms(1, 2, 3, 4), 75, 3 * time.Millisecond},
		{ms(1, 2, 3, 4), 100, 4 * time.Millisecond},
		{ms(hundred...), 50, 50 * time.Millisecond},
		{ms(hundred...), 99, 99 * time.Millisecond},
		{ms(hundred...), 99.5, 100 * time.Millisecond},
		{ms(5, 1, 4), 1, 1 * time.Millisecond},
	}
	for _, c := range cases {
		if got := Percentile(c.samples, c.p); got != c.want {
			t.Errorf("Percentile(%v, %v) = %v, want %v", c.samples, c.p, got, c.want)
		}
	}
	s := ms(3, 1, 2)
	Percentile(s, 50)
	if s[0] != 3*time.Millisecond {
		t.Error("Percentile sorted its argument in place")
	}
	if got := Mean(ms(1, 2, 6)); got != 3*time.Millisecond {
		t.Errorf("Mean = %v, want 3ms", got)
	}
}

func TestFormatValue(t *testing.T) {
	for v, want := range map[float64]string{0: "0", 2: "2", 4000: "4000", 12.345: "12.3", 0.5: "0.5", 0.0123456: "0.0123", 1.5e-6: "0.0000015", -2.25: "-2.25"} {
		if got := FormatValue(v); got != want {
			t.Errorf("FormatValue(%v) = %q, want %q", v, got, want)
		}
	}
}

func TestGBSecondsRoundUpPerInvocation(t *testing.T) {
	o := OpCost{Invocations: 2, MemoryMB: 256, Duration: 1200 * time.Microsecond}
	// 1.2 ms bills as 2 ms: 2 invocations × 0.25 GB × 0.002 s.
	if got, want := o.GBSeconds(), 0.001; math.Abs(got-want) > 1e-12 {
		t.Errorf("GBSeconds = %v, want %v", got, want)
	}
}

// TestCost works one chat through by hand: 10 visitor and 10 operator
// messages, each 2 read units, 1 invocation of 2 ms at 256 MB and 3
// WebSocket messages; a connect of 4 write units and a disconnect of 2,
// 1 invocation each of 5 ms; 10 connection minutes.
func TestCost(t *testing.T) {
	msg := OpCost{Requests: 2, ReadUnits: 2, Invocations: 1, MemoryMB: 256, Duration: 2 * time.Millisecond, Messages: 3}
	conn := OpCost{Requests: 1, WriteUnits: 4, Invocations: 1, MemoryMB: 256, Duration: 5 * time.Millisecond}
	disc := OpCost{Requests: 2, WriteUnits: 2, Invocations: 1, MemoryMB: 256, Duration: 5 * time.Millisecond}
	chat := Chat{Ops: []Counted{{msg, 10}, {msg, 10}, {conn, 1}, {disc, 1}}, ConnectionMinutes: 10}
	u := chat.Usage()
	want := ChatUsage{Requests: 43, ReadUnits: 40, WriteUnits: 6, Invocations: 22,
		GBSeconds: 20*0.25*0.002 + 2*0.25*0.005, Messages: 60, ConnectionMinutes: 10}
	if !near(u.Requests, want.Requests) || !near(u.ReadUnits, want.ReadUnits) || !near(u.WriteUnits, want.WriteUnits) ||
		!near(u.Invocations, want.Invocations) || !near(u.GBSeconds, want.GBSeconds) || !near(u.Messages, want.Messages) ||
		u.ConnectionMinutes != want.ConnectionMinutes {
		t.Fatalf("usage %+v, want %+v", u, want)
	}
	p := Prices{DynamoDBReadRequestUnit: 0.125e-6, DynamoDBWriteRequestUnit: 0.625e-6, LambdaRequest: 0.2e-6,
		LambdaArmGBSecond: 0.0000133334, WebSocketMessage: 1e-6, WebSocketConnMinute: 0.25e-6}
	b := p.Cost(u, 1000)
	checks := []struct {
		name      string
		got, want float64
	}{
		// 40,000 RRU at $0.125/M + 6,000 WRU at $0.625/M
		{"dynamodb", b.DynamoDB, 0.005 + 0.00375},
		// 22,000 requests at $0.20/M + 12.5 GB-s at $0.0000133334
		{"lambda", b.Lambda, 0.0044 + 12.5*0.0000133334},
		// 60,000 messages at $1/M + 10,000 connection minutes at $0.25/M
		{"api gateway", b.APIGateway, 0.06 + 0.0025},
		{"total", b.Total(), 0.00875 + 0.0044 + 12.5*0.0000133334 + 0.0625},
	}
	for _, c := range checks {
		if !near(c.got, c.want) {
			t.Errorf("%s: $%v, want $%v", c.name, c.got, c.want)
		}
	}
}

func TestListPricesAreDatedAndPositive(t *testing.T) {
	p := ListPrices
	if _, err := time.Parse(time.DateOnly, p.Date); err != nil || p.Region != "us-east-1" {
		t.Errorf("prices dated %q in %q", p.Date, p.Region)
	}
	for _, v := range []float64{p.DynamoDBReadRequestUnit, p.DynamoDBWriteRequestUnit, p.LambdaRequest, p.LambdaArmGBSecond, p.WebSocketMessage, p.WebSocketConnMinute} {
		if v <= 0 || v > 0.001 {
			t.Errorf("implausible unit price %v in %+v", v, p)
		}
	}
}

func TestUsageSub(t *testing.T) {
	a := Usage{Requests: map[string]int{"GetItem": 3, "Query": 1}, ReadUnits: 4, WriteUnits: 1}
	b := Usage{Requests: map[string]int{"GetItem": 5, "Query": 1, "PutItem": 2}, ReadUnits: 6.5, WriteUnits: 3}
	d := b.Sub(a)
	if d.Total() != 4 || d.Requests["GetItem"] != 2 || d.Requests["PutItem"] != 2 || len(d.Requests) != 2 || d.ReadUnits != 2.5 || d.WriteUnits != 2 {
		t.Errorf("Sub = %+v", d)
	}
}

// TestHelloBuiltLikeTheFunctions keeps the hello-world Lambda's flags those
// of make build, or the size comparison would be unfair.
func TestHelloBuiltLikeTheFunctions(t *testing.T) {
	mk, err := os.ReadFile(filepath.Join("..", "..", "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^GOFLAGS_LAMBDA\s*:?=\s*(.+)$`).FindSubmatch(mk)
	if m == nil {
		t.Fatal("no GOFLAGS_LAMBDA in the Makefile")
	}
	want := strings.ReplaceAll(strings.TrimSpace(string(m[1])), "'", "")
	if got := strings.Join(lambdaBuildFlags, " "); got != want {
		t.Errorf("hello is built with %q, make build with %q", got, want)
	}
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

func TestNumberSize(t *testing.T) {
	for n, want := range map[string]int{"0": 1, "7": 2, "42": 2, "100": 2, "1000": 2, "1e3": 2, "12345.678": 6, "100.5": 4, "-0.05": 2, "1764085600": 5} {
		if got := numberSize(n); got != want {
			t.Errorf("numberSize(%s) = %d, want %d", n, got, want)
		}
	}
}

func TestPairOf(t *testing.T) {
	for id, want := range map[string]int{"v:12:3": 12, "o:0:9": 0, "setup-take:7": 7, "setup-start": -1, "": -1, "v:x:1": -1} {
		got, ok := pairOf(id)
		if !ok {
			got = -1
		}
		if got != want {
			t.Errorf("pairOf(%q) = %d, want %d", id, got, want)
		}
	}
}
