// Command bench prints Parley's figures (DESIGN §8) as "name: value unit"
// lines on standard output, progress on standard error. make bench runs it;
// internal/bench does the measuring.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"parley/internal/bench"
	"parley/internal/testkit/testenv"
)

func main() {
	var o bench.Options
	flag.IntVar(&o.Load.Chats, "chats", 200, "concurrent chats in the relay run")
	flag.IntVar(&o.Load.Operators, "operators", 20, "operators serving the relay run's chats, one connection each")
	flag.IntVar(&o.Load.MessagesPerSide, "messages", 10, "messages each side sends per chat (a chat of 20 messages is 10)")
	flag.DurationVar(&o.Load.Spread, "spread", time.Minute, "time over which each side sends its messages")
	flag.IntVar(&o.Assign.Chats, "assign-chats", 1000, "chats arriving at once in the auto-assignment run")
	flag.IntVar(&o.Assign.Operators, "assign-operators", 50, "online operators in the auto-assignment run")
	flag.IntVar(&o.Assign.Limit, "assign-limit", 5, "each operator's chat limit in the auto-assignment run")
	flag.IntVar(&o.Timers.Timers, "timers", 200, "timers in the timer lateness run")
	flag.DurationVar(&o.Timers.Spread, "timer-spread", 20*time.Second, "time over which the timers fall due")
	flag.IntVar(&o.Webhooks.Chats, "webhook-chats", 300, "chat starts in the webhook run, one delivery each")
	flag.DurationVar(&o.Webhooks.Spread, "webhook-spread", 15*time.Second, "time over which the webhook run's chats start")
	flag.Float64Var(&o.Webhooks.FailRate, "webhook-fail", 0.1, "fraction of requests the webhook run's receiver answers 500")
	flag.IntVar(&o.Repeat, "repeat", 3, "whole chats measured one operation at a time")
	flag.IntVar(&o.ColdStarts, "cold-starts", 5, "cold starts per function under the emulator")
	flag.Float64Var(&o.ChatMinutes, "chat-minutes", 10, "assumed minutes a visitor stays connected per chat, for the cost")
	flag.BoolVar(&o.SkipFunctions, "skip-functions", false, "leave out bootstrap sizes and cold starts")
	flag.IntVar(&o.Busy.Chats, "busy-chats", 50, "unanswered chats in the busy-message lateness run")
	flag.DurationVar(&o.Busy.Spread, "busy-spread", 10*time.Second, "time over which the busy run's chats start")
	flag.IntVar(&o.Stats.Chats, "stats-chats", 4000, "chats counted over a year in the statistics run")
	flag.IntVar(&o.Stats.ReportChats, "report-chats", 50, "chats in the day of the daily report's cost")
	flag.StringVar(&o.Only, "only", "", `run one part alone: "busy" (the busy-message lateness), "webhooks" (the webhook deliveries) or "stats" (statistics reads and the daily report)`)
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root, err := testenv.Root()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	o.Root, o.Out, o.Log = root, os.Stdout, os.Stderr
	start := time.Now()
	if err := bench.Run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "bench: finished in %s\n", time.Since(start).Round(time.Second))
}
