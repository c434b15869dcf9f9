// Package systest starts real parts for tests: a fresh PostgreSQL database
// per test package (on TEST_DATABASE_URL's server) and an embedded Temporal
// server, once per package from TestMain, and a whole Switchboard on
// loopback. Tests isolate themselves by creating their own workspace, so
// they can run in parallel on one system.
package systest

import (
	"context"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/switchboardhq/switchboard/api"
	"github.com/switchboardhq/switchboard/app"
	"github.com/switchboardhq/switchboard/db/dbtest"
	"github.com/switchboardhq/switchboard/devtemporal"
)

// Env is a package's shared test environment.
type Env struct {
	DatabaseURL string
	Temporal    *devtemporal.Server
	System      *app.System
	dropDB      func()
}

// Logger is quiet unless SWITCHBOARD_TEST_LOG=1.
func Logger() *slog.Logger {
	if os.Getenv("SWITCHBOARD_TEST_LOG") == "1" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// NewDatabase creates an empty database with the schema applied on the
// TEST_DATABASE_URL server, and returns its URL and a func that drops it.
func NewDatabase(ctx context.Context) (string, func(), error) {
	return dbtest.New(ctx)
}

// Start makes a database, an embedded Temporal server and a Switchboard
// with every role (in-process bus), listening on a free loopback port.
func Start(ctx context.Context) (*Env, error) {
	url, drop, err := NewDatabase(ctx)
	if err != nil {
		return nil, err
	}
	e := &Env{DatabaseURL: url, dropDB: drop}
	topts := devtemporal.Options{Logger: Logger()}
	if os.Getenv("SWITCHBOARD_RECORD_HISTORY") == "1" {
		// Recording the replay corpus (app's TestRecordConversationHistory):
		// a short run reaches continue-as-new.
		topts.SuggestContinueAsNewAfter = 60
	}
	e.Temporal, err = devtemporal.Start(ctx, topts)
	if err != nil {
		e.Close()
		return nil, err
	}
	e.System, err = app.Start(ctx, app.Config{
		DatabaseURL: url, TemporalAddress: e.Temporal.HostPort(), HTTPAddr: "127.0.0.1:0",
		API: true, Worker: true, Logger: Logger(), RelayPoll: 50 * time.Millisecond,
		// Every test client comes from 127.0.0.1, so per-address limits
		// would throttle the suite; the limits are tested on servers of
		// their own (app/integration_test.go).
		RateLimits: &api.Limits{},
		// As in `switchboard dev`: and flows call test servers on loopback.
		Signup: true, FlowHTTPAllowPrivate: true,
	})
	if err != nil {
		e.Close()
		return nil, err
	}
	return e, nil
}

// Close stops everything Start started.
func (e *Env) Close() {
	if e.System != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		e.System.Shutdown(ctx)
		cancel()
	}
	if e.Temporal != nil {
		_ = e.Temporal.Stop()
	}
	if e.dropDB != nil {
		e.dropDB()
	}
}
