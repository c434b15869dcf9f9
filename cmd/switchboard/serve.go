package main

import (
	"context"
	"errors"
	"flag"

	"github.com/switchboardhq/switchboard/app"
)

// errNeedNATS: with the API and the worker in different processes, the
// worker's lifecycle events reach the API's sockets only through NATS.
var errNeedNATS = errors.New("NATS_URL is required: serve and worker in separate processes share realtime events through NATS (use `switchboard dev` for a single process)")

// runServe runs the HTTP API and the sockets, for scale-out front ends.
func runServe(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	cfg, err := loadConfig(fs, args, defaults{HTTPAddr: "0.0.0.0:8080"})
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
		HTTPAddr: cfg.HTTPAddr, NATSURL: cfg.NATSURL, SecureCookies: cfg.SecureCookies,
		RateLimits: cfg.apiLimits(), TrustedProxies: cfg.proxies(), Signup: cfg.SignupEnabled,
		API: true, Logger: log,
	})
	if err != nil {
		return err
	}
	log.Info("serving", "url", sys.URL)
	return waitAndShutdown(ctx, sys, cfg)
}
