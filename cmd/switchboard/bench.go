package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/switchboardhq/switchboard/bench"
)

func envDuration(name string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(os.Getenv(name)); err == nil {
		return d
	}
	return def
}

func envFloat(name string, def float64) float64 {
	if v, err := strconv.ParseFloat(os.Getenv(name), 64); err == nil {
		return v
	}
	return def
}

// runBench drives a running system (started separately, e.g. with
// `switchboard dev`) over loopback and prints widget send -> operator
// socket latencies. Fixtures are written to DATABASE_URL; everything else
// goes through the system's HTTP API and WebSockets.
func runBench(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	d := bench.Defaults()
	o := d
	var asJSON bool
	fs.StringVar(&o.URL, "url", env("BENCH_URL", d.URL), "base URL of the running system; loopback only unless -allow-remote (BENCH_URL)")
	fs.IntVar(&o.Workspaces, "workspaces", envInt("BENCH_WORKSPACES", d.Workspaces), "workspaces to create (BENCH_WORKSPACES)")
	fs.IntVar(&o.Operators, "operators", envInt("BENCH_OPERATORS", d.Operators), "operator sockets in total, spread evenly across workspaces (BENCH_OPERATORS)")
	fs.IntVar(&o.Visitors, "visitors", envInt("BENCH_VISITORS", d.Visitors), "visitors (widget sockets, one conversation each) in total, spread evenly (BENCH_VISITORS)")
	fs.Float64Var(&o.Rate, "rate", envFloat("BENCH_RATE", d.Rate), "messages per second in total, open loop (BENCH_RATE)")
	fs.DurationVar(&o.Duration, "duration", envDuration("BENCH_DURATION", d.Duration), "length of the load phase, warmup included (BENCH_DURATION)")
	fs.DurationVar(&o.Warmup, "warmup", envDuration("BENCH_WARMUP", d.Warmup), "first part of the load phase left out of the figures (BENCH_WARMUP)")
	fs.IntVar(&o.BodySize, "body-size", envInt("BENCH_BODY_SIZE", d.BodySize), "message body size in bytes (BENCH_BODY_SIZE)")
	fs.DurationVar(&o.Timeout, "timeout", envDuration("BENCH_TIMEOUT", d.Timeout), "a message not on every operator socket of its workspace this long after its intended send time is lost (BENCH_TIMEOUT)")
	fs.IntVar(&o.Senders, "senders", envInt("BENCH_SENDERS", d.Senders), "concurrent HTTP senders and kept-alive connections (BENCH_SENDERS)")
	fs.IntVar(&o.SetupConcurrency, "setup-concurrency", envInt("BENCH_SETUP_CONCURRENCY", d.SetupConcurrency), "concurrent requests while logging in and creating visitors")
	fs.IntVar(&o.ReplyEvery, "reply-every", envInt("BENCH_REPLY_EVERY", d.ReplyEvery), "an operator answers after every n-1 to n+1 customer messages of a conversation; 0: only customers write (BENCH_REPLY_EVERY)")
	fs.IntVar(&o.SnoozeEvery, "snooze-every", envInt("BENCH_SNOOZE_EVERY", d.SnoozeEvery), "every n-th reply of a conversation is followed by a snooze until the customer replies; 0: none (BENCH_SNOOZE_EVERY)")
	fs.IntVar(&o.ResolveEvery, "resolve-every", envInt("BENCH_RESOLVE_EVERY", d.ResolveEvery), "every n-th reply of a conversation is followed by a resolve, reopened by the customer's next message; 0: none (BENCH_RESOLVE_EVERY)")
	fs.IntVar(&o.Timers, "timers", envInt("BENCH_TIMERS", 0), "timers scenario: snooze this many conversations (one per visitor) and watch the wakes instead of the message load (BENCH_TIMERS)")
	fs.DurationVar(&o.TimerDelay, "timer-delay", envDuration("BENCH_TIMER_DELAY", 20*time.Second), "timers: first deadline this long after setup; the snoozes must be sent by then (BENCH_TIMER_DELAY)")
	fs.DurationVar(&o.TimerSpread, "timer-spread", envDuration("BENCH_TIMER_SPREAD", 0), "timers: deadlines spread evenly over this; 0: all at one instant (BENCH_TIMER_SPREAD)")
	fs.IntVar(&o.SLA, "sla", envInt("BENCH_SLA", 0), "SLA burst: this many conversations whose first-response clocks all breach at one instant (business hours open at once), watched instead of the message load (BENCH_SLA)")
	fs.DurationVar(&o.SLATarget, "sla-target", envDuration("BENCH_SLA_TARGET", 30*time.Second), "SLA burst: the first-response target, in business time (BENCH_SLA_TARGET)")
	fs.DurationVar(&o.SLADelay, "sla-delay", envDuration("BENCH_SLA_DELAY", time.Minute), "SLA burst: business hours open at the next whole minute this long after setup starts; setup must be done by then (BENCH_SLA_DELAY)")
	fs.DurationVar(&o.Settle, "settle", envDuration("BENCH_SETTLE", d.Settle), "longest wait after setup for the server to settle (outbox empty, process under 0.15 cores); 0 skips it (BENCH_SETTLE)")
	fs.BoolVar(&o.SingleSource, "single-source", envBool("BENCH_SINGLE_SOURCE"), "connect every simulated client from the default address instead of its own 127.x.y.z (the server's per-address limits then stop a large setup) (BENCH_SINGLE_SOURCE)")
	fs.BoolVar(&o.AllowRemote, "allow-remote", envBool("BENCH_ALLOW_REMOTE"), "allow a non-loopback -url (BENCH_ALLOW_REMOTE)")
	fs.BoolVar(&asJSON, "json", false, "print the result as JSON")
	cfg, err := loadConfig(fs, args, defaults{HTTPAddr: "127.0.0.1:0"})
	if err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	o.DatabaseURL = cfg.DatabaseURL
	o.Log = os.Stderr

	res, err := bench.Run(ctx, o)
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	if asJSON {
		return res.JSON(os.Stdout)
	}
	res.Print(os.Stdout)
	return nil
}
