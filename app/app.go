// Package app assembles a running Switchboard process from its parts: the
// PostgreSQL pool, the realtime bus, the Temporal client, and the roles the
// process plays (the HTTP API with its sockets, the Temporal worker with the
// outbox relay). `switchboard dev` runs both roles beside an embedded
// Temporal server; `serve` and `worker` run one each.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"

	"github.com/switchboardhq/switchboard/activities"
	"github.com/switchboardhq/switchboard/api"
	"github.com/switchboardhq/switchboard/api/ws"
	"github.com/switchboardhq/switchboard/bus"
	"github.com/switchboardhq/switchboard/db"
	"github.com/switchboardhq/switchboard/metrics"
	"github.com/switchboardhq/switchboard/outbox"
	"github.com/switchboardhq/switchboard/presence"
	"github.com/switchboardhq/switchboard/store"
	"github.com/switchboardhq/switchboard/workflows"
)

// Config is what a process needs to start; cmd/ fills it from the
// environment and flags.
type Config struct {
	DatabaseURL       string
	TemporalAddress   string
	TemporalNamespace string
	// HTTPAddr is where the API listens (API role); port 0 picks one.
	HTTPAddr string
	// NATSURL selects the NATS bus; empty means the in-process bus, which
	// is only correct when one process plays every role.
	NATSURL       string
	SecureCookies bool
	// RateLimits overrides the API's rate limits (nil: api.DefaultLimits);
	// TrustedProxies are the reverse proxies whose X-Forwarded-For the
	// limits believe (none by default).
	RateLimits     *api.Limits
	TrustedProxies []string
	// Signup enables POST /api/v1/signup: anyone may create a workspace.
	Signup bool
	// API and Worker select the roles.
	API    bool
	Worker bool
	// RelayPoll is how often an idle relay looks for outbox rows.
	RelayPoll time.Duration
	// RevocationPoll is how often the API role reads the revocations
	// table (DefaultRevocationPoll when zero; negative turns the poll off,
	// leaving only the bus: for tests of that path).
	RevocationPoll time.Duration
	// MaintenanceInterval is how often the switchboard-maintenance
	// schedule runs the clean-up (DefaultMaintenanceInterval when zero).
	// The worker role creates or updates the schedule at start.
	MaintenanceInterval time.Duration
	// RelayMaxAttempts is how many failed deliveries dead-letter an outbox
	// row (0: outbox.DefaultMaxAttempts).
	RelayMaxAttempts int
	// Durable bounds what the durable path (the worker and the relay) may
	// take, so the hot path keeps its latency (zero fields: defaults).
	Durable DurableLimits
	// NoRelay runs the worker without the outbox relay: tests that drive
	// relays of their own.
	NoRelay bool
	// Migrate applies migrations at start.
	Migrate bool
	// FlowHTTPAllowPrivate lets bot flows call loopback and private
	// addresses (the worker role).
	FlowHTTPAllowPrivate bool
	Logger               *slog.Logger
}

// System is a started process.
type System struct {
	cfg      Config
	Pool     *pgxpool.Pool
	Store    *store.Store
	Bus      bus.Bus
	Temporal client.Client
	Metrics  *metrics.Metrics
	Hub      *ws.Hub
	// API is the HTTP layer (API role).
	API *api.Server
	// URL is the API's base URL (API role).
	URL string

	server      *http.Server
	worker      worker.Worker
	relay       *outbox.Relay
	stopRelay   context.CancelFunc
	relayDone   chan struct{}
	unsubscribe func()
	stopWatch   context.CancelFunc
	watchDone   chan struct{}

	presence     *presence.Manager
	stopPresence context.CancelFunc
	presenceDone chan struct{}
	serveErr     chan error
	closeOnce    sync.Once
}

// Start connects to PostgreSQL, Temporal and the bus and starts the roles.
func Start(ctx context.Context, cfg Config) (*System, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.TemporalNamespace == "" {
		cfg.TemporalNamespace = "default"
	}
	s := &System{cfg: cfg, Metrics: metrics.New(), serveErr: make(chan error, 1)}
	ok := false
	defer func() {
		if !ok {
			s.Shutdown(context.Background())
		}
	}()

	pool, err := Connect(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	s.Pool = pool
	if cfg.Migrate {
		applied, err := db.Migrate(ctx, pool)
		if err != nil {
			return nil, err
		}
		for _, m := range applied {
			cfg.Logger.Info("migration applied", "file", m)
		}
	}
	s.Store = store.New(pool)

	if cfg.NATSURL != "" {
		s.Bus, err = bus.NewNATS(cfg.NATSURL, cfg.Logger)
		if err != nil {
			return nil, fmt.Errorf("connecting to NATS at %s: %w", cfg.NATSURL, err)
		}
	} else {
		s.Bus = bus.NewLocal()
	}
	s.Store.OnRevoked = s.publishRevocations

	s.Temporal, err = client.DialContext(ctx, client.Options{
		HostPort:       cfg.TemporalAddress,
		Namespace:      cfg.TemporalNamespace,
		Logger:         tlog.NewStructuredLogger(cfg.Logger.With("component", "temporal-sdk")),
		MetricsHandler: s.Metrics.SDK,
	})
	if err != nil {
		return nil, fmt.Errorf("connecting to Temporal at %s: %w", cfg.TemporalAddress, err)
	}

	if cfg.Worker {
		if err := s.startWorker(ctx); err != nil {
			return nil, err
		}
	}
	if cfg.API {
		if err := s.startAPI(); err != nil {
			return nil, err
		}
	}
	ok = true
	return s, nil
}

// DefaultMaxConns is the pool size when DATABASE_URL names none: pgxpool's
// own default (the number of CPUs, at least 4) starves the relay, the
// worker's activities and the API of one process sharing a 2-core machine.
const DefaultMaxConns = 16

// PoolConfig parses DATABASE_URL. A pool_max_conns in it is respected, in
// either form (URL query or key=value); without one the pool holds
// DefaultMaxConns.
func PoolConfig(url string) (*pgxpool.Config, error) {
	pcfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parsing DATABASE_URL: %w", err)
	}
	if !strings.Contains(url, "pool_max_conns") {
		pcfg.MaxConns = DefaultMaxConns
	}
	return pcfg, nil
}

// Connect opens a pool and checks that PostgreSQL answers.
func Connect(ctx context.Context, url string) (*pgxpool.Pool, error) {
	pcfg, err := PoolConfig(url)
	if err != nil {
		return nil, err
	}
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, fmt.Errorf("connecting to PostgreSQL: %w", err)
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := pool.Ping(pctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connecting to PostgreSQL at %s: %w", pcfg.ConnConfig.Host, err)
	}
	return pool, nil
}

func (s *System) startWorker(ctx context.Context) error {
	lim := s.cfg.Durable.withDefaults()
	setStickyCacheSize(lim.StickyCache)
	w := worker.New(s.Temporal, workflows.TaskQueue, worker.Options{
		MaxConcurrentWorkflowTaskExecutionSize: lim.WorkflowTasks,
		MaxConcurrentActivityExecutionSize:     lim.Activities,
		// Workflow tasks run their load and persist as local activities
		// (a PostgreSQL round trip inside the task): 8 pollers keep the
		// slots fed while tasks wait on it. A burst of 2,000 wakes: 2
		// pollers 116 wakes/s, 8 pollers 299 (docs/BENCHMARKS.md).
		MaxConcurrentWorkflowTaskPollers: 8,
		MaxConcurrentActivityTaskPollers: 2,
	})
	w.RegisterWorkflow(workflows.ConversationWorkflow)
	w.RegisterWorkflow(workflows.MaintenanceWorkflow)
	w.RegisterWorkflow(workflows.PresenceWorkflow)
	if !s.cfg.NoRelay {
		s.relay = &outbox.Relay{
			Store: s.Store, Pool: s.Pool, Temporal: s.Temporal, Logger: s.cfg.Logger,
			Metrics: s.Metrics, Poll: s.cfg.RelayPoll, MaxAttempts: s.cfg.RelayMaxAttempts, Parallel: lim.RelayParallel,
		}
	}
	acts := &activities.Activities{Store: s.Store, Bus: s.Bus, Logger: s.cfg.Logger, FlowHTTPAllowPrivate: s.cfg.FlowHTTPAllowPrivate}
	if s.relay != nil {
		// A change that dispatched other conversations wakes the relay.
		acts.Kick = s.relay.Kick
	}
	w.RegisterActivity(acts)
	if err := w.Start(); err != nil {
		return fmt.Errorf("starting Temporal worker: %w", err)
	}
	s.worker = w
	every := s.cfg.MaintenanceInterval
	if every == 0 {
		every = DefaultMaintenanceInterval
	}
	if err := EnsureMaintenanceSchedule(ctx, s.Temporal, every); err != nil {
		return err
	}

	if s.relay == nil {
		return nil
	}
	rctx, cancel := context.WithCancel(context.Background())
	s.stopRelay = cancel
	s.relayDone = make(chan struct{})
	go func() {
		defer close(s.relayDone)
		_ = s.relay.Run(rctx)
	}()
	return nil
}

func (s *System) startAPI() error {
	s.presence = &presence.Manager{Store: s.Store, Temporal: s.Temporal, Bus: s.Bus, Logger: s.cfg.Logger}
	if s.relay != nil {
		s.presence.Kick = s.relay.Kick
	}
	s.Hub = ws.NewHub(ws.Options{
		Logger:             s.cfg.Logger,
		OnOperatorPresence: s.presence.Notify,
		OnVisitorHeartbeat: func(workspaceID, visitorID uuid.UUID) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			_, _ = s.Store.TouchVisitor(ctx, workspaceID, visitorID)
		},
	})
	unsub, err := s.Bus.Subscribe(s.Hub.Deliver)
	if err != nil {
		return fmt.Errorf("subscribing to the bus: %w", err)
	}
	s.unsubscribe = unsub
	s.Metrics.Registry.MustRegister(socketGauge(s.Hub), revokedCounter(s.Hub))
	if every := s.cfg.RevocationPoll; every >= 0 {
		if every == 0 {
			every = DefaultRevocationPoll
		}
		wctx, cancel := context.WithCancel(context.Background())
		s.stopWatch = cancel
		s.watchDone = make(chan struct{})
		go func() {
			defer close(s.watchDone)
			s.watchRevocations(wctx, every)
		}()
	}

	pctx, stopPresence := context.WithCancel(context.Background())
	s.stopPresence = stopPresence
	s.presenceDone = make(chan struct{})
	go func() {
		defer close(s.presenceDone)
		_ = s.presence.Run(pctx)
	}()

	srv := &api.Server{
		Store: s.Store, Bus: s.Bus, Hub: s.Hub, Temporal: s.Temporal, Metrics: s.Metrics,
		Logger: s.cfg.Logger, SecureCookies: s.cfg.SecureCookies,
		Limits: s.cfg.RateLimits, TrustedProxies: s.cfg.TrustedProxies, Signup: s.cfg.Signup,
	}
	if s.relay != nil {
		srv.Kick = s.relay.Kick
	}
	ln, err := net.Listen("tcp", s.cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", s.cfg.HTTPAddr, err)
	}
	s.URL = "http://" + ln.Addr().String()
	s.API = srv
	s.server = &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.cfg.Logger.Handler(), slog.LevelWarn),
	}
	go func() {
		if err := s.server.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.serveErr <- err
		}
	}()
	return nil
}

// Err reports a fatal error of the HTTP server.
func (s *System) Err() <-chan error { return s.serveErr }

// Shutdown stops the process in order: the HTTP server stops accepting and
// lets in-flight requests finish, sockets are closed with "going away", the
// relay and the worker drain, then the connections close.
func (s *System) Shutdown(ctx context.Context) {
	s.closeOnce.Do(func() {
		if s.server != nil {
			if err := s.server.Shutdown(ctx); err != nil {
				s.cfg.Logger.Warn("HTTP shutdown cut short", "err", err)
			}
		}
		if s.stopWatch != nil {
			s.stopWatch()
			<-s.watchDone
		}
		if s.Hub != nil {
			s.Hub.Shutdown(ctx)
		}
		if s.stopPresence != nil {
			s.stopPresence() // after the hub: its last disconnects are recorded
			<-s.presenceDone
		}
		if s.unsubscribe != nil {
			s.unsubscribe()
		}
		if s.stopRelay != nil {
			s.stopRelay()
			<-s.relayDone
		}
		if s.worker != nil {
			s.worker.Stop()
		}
		if s.Temporal != nil {
			s.Temporal.Close()
		}
		if s.Bus != nil {
			_ = s.Bus.Close()
		}
		if s.Pool != nil {
			s.Pool.Close()
		}
	})
}
