package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard/api"
	"github.com/switchboardhq/switchboard/app"
	"github.com/switchboardhq/switchboard/outbox"
)

// config is every setting of every command, read once from the
// environment and then from flags. No other package reads the environment.
type config struct {
	DatabaseURL       string
	TemporalAddress   string
	TemporalNamespace string
	HTTPAddr          string
	NATSURL           string
	DataDir           string
	TemporalPort      int
	AdminEmail        string
	SecureCookies     bool
	LogLevel          string
	LogFormat         string
	ShutdownTimeout   time.Duration
	// RateLimits "off" disables the per-node rate limits (a load test from
	// one address); anything else keeps the defaults.
	RateLimits string
	// TrustedProxies are reverse proxies (addresses or CIDRs, comma
	// separated) whose X-Forwarded-For names the client.
	TrustedProxies string
	// DebugAddr, when set, serves Go's pprof profiles there (keep it on
	// loopback).
	DebugAddr string
	// MaintenanceInterval is how often the switchboard-maintenance
	// schedule runs the clean-up (dev, worker).
	MaintenanceInterval time.Duration
	// SignupEnabled lets anyone create a workspace (POST /api/v1/signup):
	// on in dev, off in serve, where an operator of the installation
	// decides.
	SignupEnabled bool
	// OutboxMaxAttempts is how many failed deliveries dead-letter an outbox
	// row.
	OutboxMaxAttempts int
	// Durable bounds the worker and the relay (WORKER_*, RELAY_PARALLEL).
	Durable app.DurableLimits
	// FlowHTTPAllowPrivate lets bot flows' http nodes reach loopback and
	// private addresses: on in dev (local services), off elsewhere.
	FlowHTTPAllowPrivate bool
}

// defaults are the settings whose default depends on the command.
type defaults struct {
	HTTPAddr    string
	Signup      bool
	FlowPrivate bool
}

// apiLimits is the API's rate-limit setting: nil keeps the defaults.
func (c config) apiLimits() *api.Limits {
	if c.RateLimits == "off" {
		return &api.Limits{}
	}
	return nil
}

func (c config) proxies() []string {
	var out []string
	for _, p := range strings.Split(c.TrustedProxies, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return def
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

// envDurationStrict reads a Go duration ("1h", "15m"); a malformed value
// is an error, not the default, so a typo does not go unnoticed.
func envDurationStrict(name string, def time.Duration) (time.Duration, error) {
	v := os.Getenv(name)
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("%s %q: want a duration like 1h or 15m", name, v)
	}
	return d, nil
}

func envBool(name string) bool {
	v, _ := strconv.ParseBool(os.Getenv(name))
	return v
}

// envBoolStrict reads a boolean that must be spelled as one when set.
func envBoolStrict(name string, def bool) (bool, error) {
	raw, ok := os.LookupEnv(name)
	if !ok || raw == "" {
		return def, nil
	}
	v, err := strconv.ParseBool(raw)
	if err != nil {
		return def, fmt.Errorf("%s %q: want true or false", name, raw)
	}
	return v, nil
}

// loadConfig reads the environment with the given defaults, then lets
// flags (registered on fs by the caller's needs) override it.
func loadConfig(fs *flag.FlagSet, args []string, d defaults) (config, error) {
	signup, err := envBoolStrict("SIGNUP_ENABLED", d.Signup)
	if err != nil {
		return config{}, err
	}
	flowPrivate, err := envBoolStrict("FLOW_HTTP_ALLOW_PRIVATE", d.FlowPrivate)
	if err != nil {
		return config{}, err
	}
	c := config{
		DatabaseURL:          env("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/switchboard?sslmode=disable"),
		TemporalAddress:      env("TEMPORAL_ADDRESS", "127.0.0.1:7233"),
		TemporalNamespace:    env("TEMPORAL_NAMESPACE", "default"),
		HTTPAddr:             env("HTTP_ADDR", d.HTTPAddr),
		NATSURL:              env("NATS_URL", ""),
		DataDir:              env("SWITCHBOARD_DATA_DIR", ".switchboard"),
		TemporalPort:         envInt("TEMPORAL_PORT", 7233),
		AdminEmail:           env("SWITCHBOARD_ADMIN_EMAIL", "admin@example.com"),
		SecureCookies:        envBool("SECURE_COOKIES"),
		LogLevel:             env("LOG_LEVEL", "info"),
		LogFormat:            env("LOG_FORMAT", "json"),
		ShutdownTimeout:      20 * time.Second,
		RateLimits:           env("RATE_LIMITS", "on"),
		TrustedProxies:       env("TRUSTED_PROXIES", ""),
		DebugAddr:            env("DEBUG_ADDR", ""),
		SignupEnabled:        signup,
		FlowHTTPAllowPrivate: flowPrivate,
		OutboxMaxAttempts:    envInt("OUTBOX_MAX_ATTEMPTS", outbox.DefaultMaxAttempts),
		Durable: app.DurableLimits{
			WorkflowTasks: envInt("WORKER_WORKFLOW_TASKS", app.DefaultDurableLimits.WorkflowTasks),
			Activities:    envInt("WORKER_ACTIVITIES", app.DefaultDurableLimits.Activities),
			StickyCache:   envInt("WORKER_STICKY_CACHE", app.DefaultDurableLimits.StickyCache),
			RelayParallel: envInt("RELAY_PARALLEL", app.DefaultDurableLimits.RelayParallel),
		},
	}
	if c.MaintenanceInterval, err = envDurationStrict("MAINTENANCE_INTERVAL", app.DefaultMaintenanceInterval); err != nil {
		return c, err
	}
	fs.StringVar(&c.DatabaseURL, "database-url", c.DatabaseURL, "PostgreSQL URL (DATABASE_URL)")
	fs.StringVar(&c.TemporalAddress, "temporal-address", c.TemporalAddress, "Temporal frontend host:port (TEMPORAL_ADDRESS)")
	fs.StringVar(&c.TemporalNamespace, "temporal-namespace", c.TemporalNamespace, "Temporal namespace (TEMPORAL_NAMESPACE)")
	fs.StringVar(&c.HTTPAddr, "http-addr", c.HTTPAddr, "HTTP listen address (HTTP_ADDR)")
	fs.StringVar(&c.NATSURL, "nats-url", c.NATSURL, "NATS URL for the realtime bus between nodes (NATS_URL)")
	fs.StringVar(&c.DataDir, "data-dir", c.DataDir, "dev: where the embedded Temporal keeps its SQLite file (SWITCHBOARD_DATA_DIR)")
	fs.IntVar(&c.TemporalPort, "temporal-port", c.TemporalPort, "dev: embedded Temporal frontend port (TEMPORAL_PORT)")
	fs.StringVar(&c.AdminEmail, "admin-email", c.AdminEmail, "email of the first admin created on a new installation (SWITCHBOARD_ADMIN_EMAIL)")
	fs.BoolVar(&c.SecureCookies, "secure-cookies", c.SecureCookies, "mark session cookies Secure; set behind TLS (SECURE_COOKIES)")
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "debug, info, warn or error (LOG_LEVEL)")
	fs.StringVar(&c.LogFormat, "log-format", c.LogFormat, "json or text (LOG_FORMAT)")
	fs.StringVar(&c.RateLimits, "rate-limits", c.RateLimits, "on, or off to disable the per-node rate limits, e.g. for a load test from one address (RATE_LIMITS)")
	fs.StringVar(&c.TrustedProxies, "trusted-proxies", c.TrustedProxies, "comma-separated addresses or CIDRs of reverse proxies whose X-Forwarded-For names the client (TRUSTED_PROXIES)")
	fs.StringVar(&c.DebugAddr, "debug-addr", c.DebugAddr, "serve pprof profiles at this address, e.g. 127.0.0.1:6060 (DEBUG_ADDR)")
	fs.DurationVar(&c.MaintenanceInterval, "maintenance-interval", c.MaintenanceInterval, "how often expired sessions, used one-time tokens, abandoned visitors and old revocations are deleted (MAINTENANCE_INTERVAL)")
	fs.BoolVar(&c.SignupEnabled, "signup-enabled", c.SignupEnabled, "let anyone create a workspace with POST /api/v1/signup (SIGNUP_ENABLED; default on in dev, off in serve)")
	fs.BoolVar(&c.FlowHTTPAllowPrivate, "flow-http-allow-private", c.FlowHTTPAllowPrivate, "let bot flows call loopback and private addresses (FLOW_HTTP_ALLOW_PRIVATE; default on in dev, off in serve and worker)")
	fs.IntVar(&c.OutboxMaxAttempts, "outbox-max-attempts", c.OutboxMaxAttempts, "failed deliveries after which an outbox row is dead-lettered (OUTBOX_MAX_ATTEMPTS)")
	fs.IntVar(&c.Durable.WorkflowTasks, "worker-workflow-tasks", c.Durable.WorkflowTasks, "workflow tasks a worker runs at once (WORKER_WORKFLOW_TASKS)")
	fs.IntVar(&c.Durable.Activities, "worker-activities", c.Durable.Activities, "activities a worker runs at once (WORKER_ACTIVITIES)")
	fs.IntVar(&c.Durable.StickyCache, "worker-sticky-cache", c.Durable.StickyCache, "workflow executions a worker keeps in memory between tasks (WORKER_STICKY_CACHE)")
	fs.IntVar(&c.Durable.RelayParallel, "relay-parallel", c.Durable.RelayParallel, "conversations the outbox relay signals at once (RELAY_PARALLEL)")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", c.ShutdownTimeout, "how long in-flight work may take to finish on shutdown")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	return c, nil
}

// Validate checks the settings every command uses.
func (c config) Validate() error {
	var errs []error
	if u, err := url.Parse(c.DatabaseURL); err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		errs = append(errs, fmt.Errorf("DATABASE_URL %q is not a postgres:// URL", c.DatabaseURL))
	}
	if _, _, err := net.SplitHostPort(c.HTTPAddr); err != nil {
		errs = append(errs, fmt.Errorf("HTTP_ADDR %q: %w", c.HTTPAddr, err))
	}
	if c.NATSURL != "" {
		if u, err := url.Parse(c.NATSURL); err != nil || u.Scheme != "nats" && u.Scheme != "tls" {
			errs = append(errs, fmt.Errorf("NATS_URL %q is not a nats:// URL", c.NATSURL))
		}
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("LOG_LEVEL %q: want debug, info, warn or error", c.LogLevel))
	}
	if c.LogFormat != "json" && c.LogFormat != "text" {
		errs = append(errs, fmt.Errorf("LOG_FORMAT %q: want json or text", c.LogFormat))
	}
	if c.DebugAddr != "" {
		if _, _, err := net.SplitHostPort(c.DebugAddr); err != nil {
			errs = append(errs, fmt.Errorf("DEBUG_ADDR %q: %w", c.DebugAddr, err))
		}
	}
	if c.RateLimits != "on" && c.RateLimits != "off" {
		errs = append(errs, fmt.Errorf("RATE_LIMITS %q: want on or off", c.RateLimits))
	}
	for _, p := range c.proxies() {
		if net.ParseIP(p) == nil {
			if _, _, err := net.ParseCIDR(p); err != nil {
				errs = append(errs, fmt.Errorf("TRUSTED_PROXIES: %q is neither an address nor a CIDR", p))
			}
		}
	}
	if c.MaintenanceInterval < time.Minute {
		errs = append(errs, fmt.Errorf("MAINTENANCE_INTERVAL %s: want at least 1m", c.MaintenanceInterval))
	}
	for _, l := range []struct {
		name  string
		value int
	}{
		{"WORKER_WORKFLOW_TASKS", c.Durable.WorkflowTasks}, {"WORKER_ACTIVITIES", c.Durable.Activities},
		{"WORKER_STICKY_CACHE", c.Durable.StickyCache}, {"RELAY_PARALLEL", c.Durable.RelayParallel},
	} {
		if l.value < 1 || l.value > 1_000_000 {
			errs = append(errs, fmt.Errorf("%s %d: want 1 to 1000000", l.name, l.value))
		}
	}
	if c.OutboxMaxAttempts < 1 || c.OutboxMaxAttempts > 1000 {
		errs = append(errs, fmt.Errorf("OUTBOX_MAX_ATTEMPTS %d: want 1 to 1000", c.OutboxMaxAttempts))
	}
	if c.TemporalPort <= 0 || c.TemporalPort > 65535 {
		errs = append(errs, fmt.Errorf("TEMPORAL_PORT %d out of range", c.TemporalPort))
	}
	return errors.Join(errs...)
}

// startDebug serves pprof on DebugAddr, when set, for the life of the
// process.
func (c config) startDebug(log *slog.Logger) {
	if c.DebugAddr == "" {
		return
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	go func() {
		srv := &http.Server{Addr: c.DebugAddr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		if err := srv.ListenAndServe(); err != nil {
			log.Warn("debug server stopped", "addr", c.DebugAddr, "err", err)
		}
	}()
	log.Info("serving pprof", "addr", c.DebugAddr)
}

func (c config) logger() *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(c.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if c.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewJSONHandler(os.Stderr, opts))
}
