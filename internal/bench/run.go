package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"strings"
	"time"

	"parley/internal/e2e"
	"parley/internal/local/stack"
	"parley/internal/routes"
)

// Options configure Run. Zero fields take the defaults of DESIGN §8.
type Options struct {
	Root   string // the repository root (node_modules, events/)
	Load   LoadOptions
	Assign AssignOptions
	Timers TimerOptions
	Busy   BusyOptions
	// Only runs one part alone ("busy": the busy-message lateness, on a
	// stack of its own; "webhooks": the webhook deliveries, on a DynamoDB
	// Local of its own); "" runs everything.
	Only string
	// Webhooks shape the webhook delivery run.
	Webhooks WebhookOptions
	// Stats shapes the statistics run (-only stats).
	Stats StatsOptions
	// Repeat is how many whole chats are measured one operation at a time.
	Repeat int
	// ColdStarts is how many times each function is started under the
	// emulator; the median is printed.
	ColdStarts int
	// ChatMinutes is how long a visitor stays connected per chat, for the
	// connection minutes of the cost; an assumption, printed as such.
	ChatMinutes float64
	// SkipFunctions leaves out the builds and cold starts.
	SkipFunctions bool
	Out           io.Writer // the figures
	Log           io.Writer // progress and warnings
}

func (o *Options) defaults() {
	if o.Load.Chats == 0 {
		o.Load.Chats = 200
	}
	if o.Load.Operators == 0 {
		o.Load.Operators = 20
	}
	o.Load.Operators = min(o.Load.Operators, o.Load.Chats)
	if o.Load.MessagesPerSide == 0 {
		o.Load.MessagesPerSide = 10
	}
	if o.Load.Spread == 0 {
		// A message every 6 s from each side of 200 chats, 67 a second:
		// a brisk chat, and half of what DynamoDB Local sustains on two
		// cores (each message is four requests, one a transaction), so
		// the figure is latency, not the emulator's queue.
		o.Load.Spread = time.Minute
	}
	if o.Assign.Chats == 0 {
		o.Assign.Chats = 1000
	}
	if o.Assign.Operators == 0 {
		o.Assign.Operators = 50
	}
	if o.Assign.Limit == 0 {
		o.Assign.Limit = 5
	}
	if o.Assign.Concurrency == 0 {
		o.Assign.Concurrency = 32
	}
	if o.Assign.CloseConcurrency == 0 {
		o.Assign.CloseConcurrency = 8
	}
	if o.Timers.Timers == 0 {
		o.Timers.Timers = 200
	}
	if o.Timers.Spread == 0 {
		o.Timers.Spread = 20 * time.Second
	}
	if o.Busy.Chats == 0 {
		o.Busy.Chats = 50
	}
	if o.Busy.Spread == 0 {
		o.Busy.Spread = 10 * time.Second
	}
	if o.Webhooks.Chats == 0 {
		o.Webhooks.Chats = 300
	}
	if o.Webhooks.Spread == 0 {
		o.Webhooks.Spread = 15 * time.Second
	}
	if o.Webhooks.FailRate == 0 {
		o.Webhooks.FailRate = 0.1
	}
	if o.Repeat == 0 {
		o.Repeat = 3
	}
	if o.ColdStarts == 0 {
		o.ColdStarts = 5
	}
	if o.ChatMinutes == 0 {
		o.ChatMinutes = 10
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
}

// Run measures every figure whose subject exists and prints it to o.Out.
func Run(ctx context.Context, o Options) error {
	o.defaults()
	started := time.Now()
	out := Printer{W: o.Out}
	progress := func(s string) { fmt.Fprintf(o.Log, "bench: %5.1fs %s\n", time.Since(started).Seconds(), s) }
	if o.Only == "stats" {
		r, err := RunStatsAlone(ctx, o.Root, o.Stats, progress)
		if err != nil {
			return err
		}
		printStats(out, o.Out, o.Stats, r)
		return nil
	}
	if o.Only == "webhooks" {
		r, err := RunWebhooksAlone(ctx, o.Root, o.Webhooks, progress)
		if err != nil {
			return err
		}
		printWebhooks(out, o.Out, o.Webhooks, r)
		return nil
	}

	dir, err := os.MkdirTemp("", "parley-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	// Everything is built before anything is measured, so the compiler
	// does not share the two cores with a measurement.
	var b *builds
	if !o.SkipFunctions && o.Only == "" {
		progress("building every function (arm64 and for this machine), the hello-world Lambda and the emulator")
		if b, err = buildAll(ctx, o.Root, dir); err != nil {
			return err
		}
	}

	var key [32]byte
	_, _ = rand.Read(key[:])
	secret := hex.EncodeToString(key[:])
	meter := &Meter{}
	progress("starting the local stack")
	st, err := stack.Start(ctx, stack.Options{
		Root: o.Root, TokenSecret: secret, DynamoDBAPIOptions: meter.APIOptions(),
		Log: slog.New(slog.NewTextHandler(o.Log, &slog.HandlerOptions{Level: slog.LevelWarn})),
		// Schedule time crawls, so the sweeper, whose ticks query the
		// table every second, never runs: its requests would be counted
		// against the messages. The timer lateness run runs a sweeper of
		// its own.
		ScheduleSpeed: 1e-6,
	})
	if err != nil {
		return err
	}
	defer st.Close()
	if o.Only == "busy" {
		return measureBusy(ctx, st, o, out, progress)
	}

	progress("warming up DynamoDB Local")
	pairs, err := warmUp(ctx, st.DynamoDBEndpoint, st.Table, 5*time.Second)
	if err != nil {
		return err
	}
	fmt.Fprintf(o.Log, "bench: warm-up: %d PutItem+GetItem pairs\n", pairs)

	progress(fmt.Sprintf("measuring %d whole chats one operation at a time, then %d auto-assigned", o.Repeat, o.Repeat))
	ops, err := measureOps(ctx, st, meter, o.Repeat, o.Load.MessagesPerSide)
	if err != nil {
		return err
	}
	fmt.Fprintln(o.Out, "# *_auto_assign: features.autoAssign on, one operator online; chat_start and chat_close without it, where chat_take is the operator's take")
	for _, name := range chatOps {
		s := ops[name]
		c := s.cost()
		out.Figure("dynamodb_requests_per_"+name, c.Requests, "requests")
		out.Figure("dynamodb_read_units_per_"+name, c.ReadUnits, "RCU")
		out.Figure("dynamodb_write_units_per_"+name, c.WriteUnits, "WCU")
		if s.usage.SizedWriteUnits > 0 {
			// DynamoDB Local miscounts transactions: this part of the
			// write units is computed from item sizes (see Meter).
			out.Figure("dynamodb_transact_write_units_from_item_sizes_per_"+name, s.usage.SizedWriteUnits/float64(s.n), "WCU")
		}
		out.Ms("lambda_duration_per_"+name, c.Duration)
		if s.usage.Unreported > 0 {
			fmt.Fprintf(o.Log, "bench: warning: %d requests of %s reported no consumed capacity\n", s.usage.Unreported, name)
		}
		fmt.Fprintf(o.Log, "bench: %s: %s over %d\n", name, describe(s.usage), s.n)
	}

	fmt.Fprintf(o.Out, "# host: %d CPUs, load average %s before the relay\n", runtime.NumCPU(), loadAverage())
	progress(fmt.Sprintf("relay: %d concurrent chats on %d operators, %d messages each way per chat over %s", o.Load.Chats, o.Load.Operators, o.Load.MessagesPerSide, o.Load.Spread))
	relay, err := runRelay(ctx, st, meter, o.Load, progress)
	if err != nil {
		return err
	}
	sent := float64(relay.Sent)
	out.Figure("relay_chats", float64(o.Load.Chats), "chats")
	out.Figure("relay_operators", float64(o.Load.Operators), "operators")
	out.Figure("relay_messages", sent, "messages")
	out.Figure("relay_offered_rate", sent/o.Load.Spread.Seconds(), "messages/s")
	// Open loop: what arrived, once each, over the time from the first
	// message due to the last one read. The schedule spans the spread and
	// half an interval (the operators answer), so this is a little under
	// the offered rate unless the stack falls behind or loses messages.
	out.Figure("relay_delivered", float64(relay.Delivered), "messages")
	out.Figure("relay_delivered_rate", float64(relay.Delivered)/relay.Elapsed.Seconds(), "messages/s")
	out.Ms("relay_visitor_to_operator_p50", Percentile(relay.VisitorToOperator, 50))
	out.Ms("relay_visitor_to_operator_p99", Percentile(relay.VisitorToOperator, 99))
	out.Ms("relay_operator_to_visitor_p50", Percentile(relay.OperatorToVisitor, 50))
	out.Ms("relay_operator_to_visitor_p99", Percentile(relay.OperatorToVisitor, 99))
	out.Figure("relay_lost", float64(relay.Lost), "messages")
	out.Figure("relay_reordered", float64(relay.Reordered), "messages")
	out.Figure("relay_duplicated", float64(relay.Dups), "messages")
	out.Figure("relay_errors", float64(relay.Errors), "frames")
	// Above visitor_message's count, this is retries: the two sides of a
	// chat racing for its next sequence number.
	out.Figure("relay_dynamodb_requests_per_message", float64(relay.Usage.Total())/sent, "requests")
	fmt.Fprintf(o.Log, "bench: relay: %s over %d messages\n", describe(relay.Usage), relay.Sent)
	for _, e := range relay.ErrorSamples {
		fmt.Fprintf(o.Log, "bench: relay: error frame %s\n", e)
	}

	// The relay's connections are closing; their $disconnects would load
	// DynamoDB Local under the floor run.
	waitQuiet(ctx, meter, 300*time.Millisecond, 20*time.Second)
	progress("floor: bare PutItem+GetItem pairs on DynamoDB Local at the relay's concurrency and rate")
	floor, failures, err := runFloor(ctx, st.DynamoDBEndpoint, st.Table, o.Load)
	if err != nil {
		return err
	}
	out.Ms("floor_dynamodb_local_put_get_p50", Percentile(floor, 50))
	out.Ms("floor_dynamodb_local_put_get_p99", Percentile(floor, 99))
	out.Figure("floor_errors", float64(failures), "requests")

	progress(fmt.Sprintf("timers: %d due over %s, one sweeper", o.Timers.Timers, o.Timers.Spread))
	late, scheduled, err := runTimers(ctx, st.Store, o.Timers)
	if err != nil {
		return err
	}
	out.Ms("timer_lateness_p50", Percentile(late, 50))
	out.Ms("timer_lateness_p99", Percentile(late, 99))
	out.Figure("timer_unfired", float64(scheduled-len(late)), "count")
	if err := measureBusy(ctx, st, o, out, progress); err != nil {
		return err
	}

	// On a DynamoDB Local of its own, like the assignment run: the stack's
	// stream holds every record of the runs before.
	if wr, err := RunWebhooksAlone(ctx, o.Root, o.Webhooks, progress); err != nil {
		if ctx.Err() != nil {
			return err
		}
		fmt.Fprintf(o.Out, "# webhooks: no figures: %v\n", err)
	} else {
		printWebhooks(out, o.Out, o.Webhooks, wr)
	}
	if sr, err := RunStatsAlone(ctx, o.Root, o.Stats, progress); err != nil {
		if ctx.Err() != nil {
			return err
		}
		fmt.Fprintf(o.Out, "# stats: no figures: %v\n", err)
	} else {
		printStats(out, o.Out, o.Stats, sr)
	}

	progress(fmt.Sprintf("auto-assignment: %d chats at once on %d operators with a limit of %d, then closing them all",
		o.Assign.Chats, o.Assign.Operators, o.Assign.Limit))
	// On a DynamoDB Local of its own: the stack's, after the relay, spends
	// its time on the stream poller's DescribeStream (each one walks every
	// stream record written so far), which measured the poller, not
	// routing. A failed run (DynamoDB Local's lock timeouts on a loaded
	// host) is reported and the other figures still measured.
	if as, err := runAssignmentAlone(ctx, o.Root, o.Assign, progress); err != nil {
		if ctx.Err() != nil {
			return err
		}
		fmt.Fprintf(o.Out, "# assignment: no figures: %v\n", err)
	} else {
		out.Figure("assignment_throughput", float64(o.Assign.Chats)/as.Started.Seconds(), "chats/s")
		out.Figure("assignment_drain_throughput", float64(as.Drained)/as.DrainTime.Seconds(), "chats/s")
		out.Figure("assignment_violations", float64(as.Violations.Total()), "count")
		out.Figure("assignment_dynamodb_requests_per_start", float64(as.StartUsage.Total())/float64(o.Assign.Chats), "requests")
		fmt.Fprintf(o.Out, "# assignment: %d chats (%d in flight) on %d operators with a limit of %d, one language, a fixed roster, DynamoDB Local: %d assigned and %d queued in %s; %d queued chats assigned by closing the held ones (%d in flight) in %d rounds over %s\n",
			o.Assign.Chats, o.Assign.Concurrency, o.Assign.Operators, o.Assign.Limit, as.Assigned, as.Queued, as.Started.Round(time.Millisecond),
			as.Drained, o.Assign.CloseConcurrency, as.Rounds, as.DrainTime.Round(time.Millisecond))
		fmt.Fprintf(o.Log, "bench: assignment violations: %s\n", as.Violations)
		fmt.Fprintf(o.Log, "bench: assignment starts: %s\n", describe(as.StartUsage))
		fmt.Fprintf(o.Log, "bench: assignment closes: %s\n", describe(as.CloseUsage))
	}

	if b != nil {
		progress(fmt.Sprintf("cold-starting every function %d times under the emulator", o.ColdStarts))
		figs, err := measureFunctions(ctx, o.Root, b, e2e.Local{Table: st.Table, DynamoDBEndpoint: st.DynamoDBEndpoint,
			SESEndpoint: st.SESEndpoint, ConnectionsEndpoint: st.ConnectionsURL}, o.ColdStarts)
		if err != nil {
			return err
		}
		for _, f := range figs {
			out.Figure("bootstrap_size_"+f.Name, float64(f.Size)/(1<<20), "MiB")
			out.Ms("init_"+f.Name, f.Init)
		}
	}

	chat := chatModel(ops, o.Load.MessagesPerSide, o.ChatMinutes)
	u := chat.Usage()
	out.Figure("chat_dynamodb_read_units", u.ReadUnits, "RRU")
	out.Figure("chat_dynamodb_write_units", u.WriteUnits, "WRU")
	out.Figure("chat_lambda_invocations", u.Invocations, "invocations")
	out.Figure("chat_lambda_gb_seconds", u.GBSeconds, "GB-s")
	out.Figure("chat_websocket_messages", u.Messages, "messages")
	out.Figure("chat_assumed_connection_minutes", u.ConnectionMinutes, "minutes")
	bill := ListPrices.Cost(u, 1000)
	out.Figure("cost_per_1000_chats_dynamodb", bill.DynamoDB, "USD")
	out.Figure("cost_per_1000_chats_lambda", bill.Lambda, "USD")
	out.Figure("cost_per_1000_chats_api_gateway", bill.APIGateway, "USD")
	out.Figure("cost_per_1000_chats", bill.Total(), "USD")
	fmt.Fprintf(o.Out, "# cost: %s list prices of %s; a chat is the visitor's connect, chat start with auto-assignment (one operator online), %d messages from each side, the operator's close (which drains the queue) and the visitor's disconnect; the visitor stays connected %s minutes (assumed), operators' connections are not charged to chats, and the stream consumer is counted as one 1 ms invocation per write request (an upper bound)\n",
		ListPrices.Region, ListPrices.Date, o.Load.MessagesPerSide, FormatValue(o.ChatMinutes))
	progress("done")
	return nil
}

// chatModel is one auto-assigned chat as its operations measured alone
// add up, and the stream consumer's invocations for the items they write:
// at most one per write request, as at low traffic (batching lowers it
// under load), each priced at Lambda's minimum billed duration, 1 ms, as
// the consumer's own duration is not measured here.
func chatModel(ops map[string]opSample, perSide int, minutes float64) Chat {
	c := Chat{ConnectionMinutes: minutes}
	writes := 0.0
	for _, name := range autoChatOps {
		s := ops[name]
		times := 1.0
		if name == OpVisitorMessage || name == OpOperatorMessage {
			times = float64(perSide)
		}
		c.Ops = append(c.Ops, Counted{Op: s.cost(), Times: times})
		for op, n := range s.usage.Requests {
			if !readOps[op] && s.n > 0 {
				writes += times * float64(n) / float64(s.n)
			}
		}
	}
	stream, _ := routes.FunctionByName(routes.FnStream)
	c.Ops = append(c.Ops, Counted{Op: OpCost{Name: "stream_batch", Invocations: 1, MemoryMB: stream.MemoryMB, Duration: time.Millisecond}, Times: writes})
	return c
}

// waitQuiet waits until the meter has seen no request for quiet, or max.
func waitQuiet(ctx context.Context, m *Meter, quiet, max time.Duration) {
	deadline := time.Now().Add(max)
	last, since := m.Snapshot().Total(), time.Now()
	for time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(50 * time.Millisecond)
		if n := m.Snapshot().Total(); n != last {
			last, since = n, time.Now()
		} else if time.Since(since) >= quiet {
			return
		}
	}
}

// loadAverage is the host's one-minute load average, "?" where unknown: the
// relay and floor figures depend on what else the machine is doing.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) > 0 {
		return f[0]
	}
	return "?"
}

// describe lists requests by operation with their capacity.
func describe(u Usage) string {
	var parts []string
	for _, op := range u.Ops() {
		parts = append(parts, fmt.Sprintf("%s %d", op, u.Requests[op]))
	}
	return fmt.Sprintf("%s; %s RCU, %s WCU", strings.Join(parts, ", "), FormatValue(u.ReadUnits), FormatValue(u.WriteUnits))
}
