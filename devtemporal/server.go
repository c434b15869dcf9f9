// Package devtemporal runs a real Temporal server inside the switchboard
// process, persisted to a SQLite file, for `switchboard dev` and for tests.
//
// It is the model of go.temporal.io/server/temporaltest's LiteServer with the
// pitfalls measured on our machines fixed: SQLite pragmas are passed without a
// leading underscore (with one they are silently ignored), and the
// cluster_membership table is cleared before start, because rows left by a
// killed process keep shard ownership pending for ~45 s and timers fire late.
package devtemporal

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	"go.temporal.io/server/common/metrics"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	sqliteschema "go.temporal.io/server/schema/sqlite"
	"go.temporal.io/server/temporal"
)

// Options configure an embedded server.
type Options struct {
	// DatabaseFile is the SQLite file. Empty means in-memory (tests that do
	// not need to survive a restart).
	DatabaseFile string
	// FrontendAddr is host:port for the frontend gRPC service; port 0 picks
	// a free one.
	FrontendAddr string
	// Namespace is created if it does not exist.
	Namespace string
	// Logger receives the server's warnings and errors.
	Logger *slog.Logger
	// SuggestContinueAsNewAfter, when above zero, makes the server suggest
	// continue-as-new once a run's history has this many events (the
	// default is thousands). Recording a replay corpus uses it to capture a
	// continue-as-new in a short run.
	SuggestContinueAsNewAfter int
}

// Server is a running embedded Temporal server.
type Server struct {
	srv      temporal.Server
	hostPort string
}

// HostPort is the frontend address clients dial.
func (s *Server) HostPort() string { return s.hostPort }

// Stop stops every service of the server.
func (s *Server) Stop() error { return s.srv.Stop() }

// Start configures and starts the server, creating the schema and namespace
// on first use. It returns once the frontend accepts connections.
func Start(ctx context.Context, opts Options) (*Server, error) {
	if opts.Namespace == "" {
		opts.Namespace = "default"
	}
	if opts.FrontendAddr == "" {
		opts.FrontendAddr = "127.0.0.1:0"
	}
	host, port, err := resolvePort(opts.FrontendAddr)
	if err != nil {
		return nil, err
	}

	sqlCfg := config.SQL{
		PluginName:        sqliteplugin.PluginName,
		ConnectAttributes: map[string]string{},
		DatabaseName:      opts.DatabaseFile,
	}
	if opts.DatabaseFile == "" {
		// The SQLite plugin creates the schema of an in-memory database itself.
		sqlCfg.ConnectAttributes["mode"] = "memory"
		sqlCfg.ConnectAttributes["cache"] = "shared"
		sqlCfg.DatabaseName = fmt.Sprintf("switchboard-%d", time.Now().UnixNano())
	} else {
		sqlCfg.ConnectAttributes["mode"] = "rwc"
		sqlCfg.ConnectAttributes["journal_mode"] = "wal"
		// FULL: a timer or a signal the server acknowledged survives power loss.
		sqlCfg.ConnectAttributes["synchronous"] = "2"
		sqlCfg.ConnectAttributes["busy_timeout"] = "10000"
		if err := os.MkdirAll(filepath.Dir(opts.DatabaseFile), 0o755); err != nil {
			return nil, fmt.Errorf("creating temporal data dir: %w", err)
		}
		if _, err := os.Stat(opts.DatabaseFile); errors.Is(err, os.ErrNotExist) {
			if err := sqliteschema.SetupSchema(&sqlCfg); err != nil {
				return nil, fmt.Errorf("setting up temporal sqlite schema: %w", err)
			}
		} else if err := clearMembership(opts.DatabaseFile); err != nil {
			return nil, err
		}
	}

	nsCfg, err := sqliteschema.NewNamespaceConfig("active", opts.Namespace, false, nil)
	if err != nil {
		return nil, fmt.Errorf("building namespace config: %w", err)
	}
	if err := sqliteschema.CreateNamespaces(&sqlCfg, nsCfg); err != nil {
		return nil, fmt.Errorf("creating namespace %s: %w", opts.Namespace, err)
	}

	hostPort := net.JoinHostPort(host, fmt.Sprint(port))
	svc := func(grpcPort int) (config.Service, error) {
		if grpcPort == 0 {
			p, err := freePort(host)
			if err != nil {
				return config.Service{}, err
			}
			grpcPort = p
		}
		mp, err := freePort(host)
		if err != nil {
			return config.Service{}, err
		}
		return config.Service{RPC: config.RPC{GRPCPort: grpcPort, MembershipPort: mp, BindOnIP: host}}, nil
	}
	services := map[string]config.Service{}
	for i, name := range []string{"frontend", "history", "matching", "worker"} {
		p := 0
		if i == 0 {
			p = port
		}
		s, err := svc(p)
		if err != nil {
			return nil, err
		}
		services[name] = s
	}
	metricsPort, err := freePort(host)
	if err != nil {
		return nil, err
	}

	cfg := &config.Config{
		Global: config.Global{
			Membership: config.Membership{MaxJoinDuration: 30 * time.Second, BroadcastAddress: host},
			Metrics: &metrics.Config{Prometheus: &metrics.PrometheusConfig{
				ListenAddress: net.JoinHostPort(host, fmt.Sprint(metricsPort)), HandlerPath: "/metrics",
			}},
		},
		Persistence: config.Persistence{
			DefaultStore:     sqliteplugin.PluginName,
			VisibilityStore:  sqliteplugin.PluginName,
			NumHistoryShards: 1,
			DataStores:       map[string]config.DataStore{sqliteplugin.PluginName: {SQL: &sqlCfg}},
		},
		ClusterMetadata: &cluster.Config{
			EnableGlobalNamespace:    false,
			FailoverVersionIncrement: 10,
			MasterClusterName:        "active",
			CurrentClusterName:       "active",
			ClusterInformation: map[string]cluster.ClusterInformation{
				"active": {Enabled: true, InitialFailoverVersion: 1, RPCAddress: hostPort},
			},
		},
		DCRedirectionPolicy: config.DCRedirectionPolicy{Policy: "noop"},
		Services:            services,
		Archival: config.Archival{
			History:    config.HistoryArchival{State: "disabled"},
			Visibility: config.VisibilityArchival{State: "disabled"},
		},
		NamespaceDefaults: config.NamespaceDefaults{Archival: config.ArchivalNamespaceDefaults{
			History:    config.HistoryArchivalNamespaceDefaults{State: "disabled"},
			Visibility: config.VisibilityArchivalNamespaceDefaults{State: "disabled"},
		}},
		PublicClient: config.PublicClient{HostPort: hostPort},
	}

	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	dc := dynamicconfig.StaticClient{
		// One process: a single task-queue partition avoids forwarding hops.
		dynamicconfig.MatchingNumTaskqueueReadPartitions.Key():  1,
		dynamicconfig.MatchingNumTaskqueueWritePartitions.Key(): 1,
	}
	if opts.SuggestContinueAsNewAfter > 0 {
		dc[dynamicconfig.HistoryCountSuggestContinueAsNew.Key()] = opts.SuggestContinueAsNewAfter
	}
	srv, err := temporal.NewServer(
		temporal.WithConfig(cfg),
		temporal.ForServices(temporal.DefaultServices),
		temporal.WithLogger(newLogger(logger)),
		temporal.WithDynamicConfigClient(dc),
	)
	if err != nil {
		return nil, fmt.Errorf("creating temporal server: %w", err)
	}
	if err := srv.Start(); err != nil {
		return nil, fmt.Errorf("starting temporal server: %w", err)
	}
	s := &Server{srv: srv, hostPort: hostPort}
	if err := waitDial(ctx, hostPort); err != nil {
		_ = srv.Stop()
		return nil, err
	}
	return s, nil
}

// clearMembership deletes the ring membership rows a killed process left
// behind; see the package comment.
func clearMembership(file string) error {
	db, err := sql.Open("sqlite", "file:"+file+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return fmt.Errorf("opening temporal sqlite file: %w", err)
	}
	defer db.Close()
	if _, err := db.Exec(`DELETE FROM cluster_membership`); err != nil {
		return fmt.Errorf("clearing stale temporal cluster membership: %w", err)
	}
	return nil
}

func resolvePort(addr string) (string, int, error) {
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, fmt.Errorf("temporal frontend address %q: %w", addr, err)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	var port int
	if _, err := fmt.Sscan(p, &port); err != nil {
		return "", 0, fmt.Errorf("temporal frontend port %q: %w", p, err)
	}
	if port == 0 {
		if port, err = freePort(host); err != nil {
			return "", 0, err
		}
	}
	return host, port, nil
}

// freePort finds a port nothing listens on for one of the server's
// services. It picks below the kernel's ephemeral range (32768-60999 on
// Linux), not with :0: a port from that range may be taken, between this
// check and the server's bind, by any outgoing connection (to PostgreSQL,
// to another test's server), and the server then fails to start. Test
// processes starting servers at the same moment could still pick the same
// port; with 12,000 to choose from that is rare.
func freePort(host string) (int, error) {
	for range 200 {
		p := 20000 + rand.IntN(12000)
		l, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(p)))
		if err != nil {
			continue // taken
		}
		_ = l.Close()
		return p, nil
	}
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func waitDial(ctx context.Context, hostPort string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		c, err := net.DialTimeout("tcp", hostPort, time.Second)
		if err == nil {
			return c.Close()
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("temporal frontend %s did not come up: %w", hostPort, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}
