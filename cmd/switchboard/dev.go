//go:build !nodev

package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"

	"github.com/switchboardhq/switchboard/app"
	"github.com/switchboardhq/switchboard/devtemporal"
)

// runDev runs every role in one process beside an embedded Temporal server
// whose state lives in a SQLite file, so timers survive a restart.
func runDev(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("dev", flag.ContinueOnError)
	cfg, err := loadConfig(fs, args, defaults{HTTPAddr: "127.0.0.1:8080", Signup: true, FlowPrivate: true})
	if err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	log := cfg.logger()
	cfg.startDebug(log)

	if created, err := app.EnsureDatabase(ctx, cfg.DatabaseURL); err != nil {
		return err
	} else if created {
		log.Info("created database", "url", redact(cfg.DatabaseURL))
	}

	tfile := filepath.Join(cfg.DataDir, "temporal.db")
	temporal, err := devtemporal.Start(ctx, devtemporal.Options{
		DatabaseFile: tfile,
		FrontendAddr: net.JoinHostPort("127.0.0.1", strconv.Itoa(cfg.TemporalPort)),
		Namespace:    cfg.TemporalNamespace,
		Logger:       log,
	})
	if err != nil {
		return fmt.Errorf("starting the embedded Temporal server: %w", err)
	}
	defer func() {
		if err := temporal.Stop(); err != nil {
			log.Warn("stopping the embedded Temporal server", "err", err)
		}
	}()

	sys, err := app.Start(ctx, app.Config{
		DatabaseURL: cfg.DatabaseURL, TemporalAddress: temporal.HostPort(), TemporalNamespace: cfg.TemporalNamespace,
		HTTPAddr: cfg.HTTPAddr, NATSURL: cfg.NATSURL, SecureCookies: cfg.SecureCookies,
		RateLimits: cfg.apiLimits(), TrustedProxies: cfg.proxies(), Signup: cfg.SignupEnabled, RelayMaxAttempts: cfg.OutboxMaxAttempts, Durable: cfg.Durable,
		FlowHTTPAllowPrivate: cfg.FlowHTTPAllowPrivate,
		API:                  true, Worker: true, Migrate: true, MaintenanceInterval: cfg.MaintenanceInterval, Logger: log,
	})
	if err != nil {
		return err
	}
	admin, err := app.EnsureFirstAdmin(ctx, sys.Store, cfg.AdminEmail)
	if err != nil {
		sys.Shutdown(context.Background())
		return err
	}
	// /demo shows the widget of a demo inbox that allows this server's
	// own origin, so a newcomer can chat with themselves.
	demo, err := app.EnsureDemoInbox(ctx, sys.Store, sys.URL)
	if err != nil {
		sys.Shutdown(context.Background())
		return err
	}
	sys.API.Widget.SetDemoInbox(demo.ID)
	printBanner(sys.URL, temporal.HostPort(), cfg, tfile, admin)
	return waitAndShutdown(ctx, sys, cfg)
}

func printBanner(url, temporalAddr string, cfg config, tfile string, admin *app.FirstAdmin) {
	w := os.Stdout
	fmt.Fprintf(w, "\nSwitchboard is running (dev: one process, embedded Temporal).\n\n")
	fmt.Fprintf(w, "  inbox            %s/   (open it in a browser and log in)\n", url)
	fmt.Fprintf(w, "  demo site        %s/demo   (the chat widget on a sample site: write, then answer in the inbox)\n", url)
	fmt.Fprintf(w, "  API              %s/api/v1\n", url)
	fmt.Fprintf(w, "  operator socket  ws%s/ws/operator\n", url[len("http"):])
	fmt.Fprintf(w, "  widget socket    ws%s/ws/widget\n", url[len("http"):])
	fmt.Fprintf(w, "  health           %s/healthz  %s/readyz\n", url, url)
	fmt.Fprintf(w, "  metrics          %s/metrics\n", url)
	fmt.Fprintf(w, "  temporal         %s (namespace %s, state in %s)\n", temporalAddr, cfg.TemporalNamespace, tfile)
	fmt.Fprintf(w, "  database         %s\n\n", redact(cfg.DatabaseURL))
	if admin != nil {
		fmt.Fprintf(w, "First admin (shown only this once; keep it):\n")
		fmt.Fprintf(w, "  email     %s\n  password  %s\n  workspace %s\n\n", admin.Email, admin.Password, admin.WorkspaceID)
		fmt.Fprintf(w, "Log in at %s/ with these, or with curl:\n", url)
		fmt.Fprintf(w, "  curl -c cookies.txt -H 'Content-Type: application/json' \\\n")
		fmt.Fprintf(w, "       -d '{\"email\":\"%s\",\"password\":\"%s\"}' %s/api/v1/auth/login\n\n", admin.Email, admin.Password, url)
	} else {
		fmt.Fprintf(w, "Log in with the admin credentials printed when this installation was created.\n\n")
	}
	fmt.Fprintf(w, "Ctrl-C stops it; conversations, timers and snoozes survive a restart.\n")
}

// redact hides a URL's password for printing.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable URL)"
	}
	return u.Redacted()
}
