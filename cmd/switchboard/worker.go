package main

import (
	"context"
	"flag"

	"github.com/switchboardhq/switchboard/app"
)

// runWorker runs the Temporal worker and the outbox relay, for scale-out.
func runWorker(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("worker", flag.ContinueOnError)
	cfg, err := loadConfig(fs, args, defaults{HTTPAddr: "127.0.0.1:0"})
	if err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	if cfg.NATSURL == "" {
		return errNeedNATS
	}
	log := cfg.logger()
	cfg.startDebug(log)
	sys, err := app.Start(ctx, app.Config{
		DatabaseURL: cfg.DatabaseURL, TemporalAddress: cfg.TemporalAddress, TemporalNamespace: cfg.TemporalNamespace,
		NATSURL: cfg.NATSURL, Worker: true, MaintenanceInterval: cfg.MaintenanceInterval, Logger: log, RelayMaxAttempts: cfg.OutboxMaxAttempts, Durable: cfg.Durable,
		FlowHTTPAllowPrivate: cfg.FlowHTTPAllowPrivate,
	})
	if err != nil {
		return err
	}
	log.Info("worker running", "temporal", cfg.TemporalAddress)
	return waitAndShutdown(ctx, sys, cfg)
}
