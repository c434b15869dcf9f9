// Command switchboard is the one binary of Switchboard. Its subcommands
// are its roles: dev (everything in one process, with an embedded Temporal
// server), serve (HTTP API and sockets), worker (Temporal worker and outbox
// relay), migrate (schema), bench (load generator).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/switchboardhq/switchboard/app"
)

const usage = `usage: switchboard <command> [flags]

commands:
  dev       run everything in one process: migrations, an embedded Temporal
            server (SQLite under ./.switchboard/), the worker, the HTTP server
  serve     run the HTTP API and WebSockets (scale-out front end)
  worker    run the Temporal worker and the outbox relay (scale-out)
  migrate   apply database migrations and create the first admin if none
  bench     drive a running system over loopback and report latencies

Run 'switchboard <command> -h' for a command's flags. Configuration comes
from the environment (DATABASE_URL, TEMPORAL_ADDRESS, HTTP_ADDR, NATS_URL,
...); flags override it.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "switchboard:", err)
		}
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, usage)
		return errors.New("no command given")
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "dev":
		return runDev(ctx, rest)
	case "serve":
		return runServe(ctx, rest)
	case "worker":
		return runWorker(ctx, rest)
	case "migrate":
		return runMigrate(ctx, rest)
	case "bench":
		return runBench(ctx, rest)
	case "help", "-h", "--help":
		fmt.Fprint(os.Stdout, usage)
		return nil
	default:
		fmt.Fprint(os.Stderr, usage)
		return fmt.Errorf("unknown command %q", cmd)
	}
}

// waitAndShutdown blocks until a signal or a fatal server error, then shuts
// the system down within the configured timeout.
func waitAndShutdown(ctx context.Context, sys *app.System, cfg config) error {
	var err error
	select {
	case <-ctx.Done():
	case err = <-sys.Err():
	}
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	sys.Shutdown(sctx)
	return err
}
