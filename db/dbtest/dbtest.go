// Package dbtest makes throwaway PostgreSQL databases for tests, on the
// server TEST_DATABASE_URL names (default: the local one, trust auth). It
// is light on purpose: the store and db tests use it without linking the
// embedded Temporal server.
package dbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/switchboardhq/switchboard/db"
)

// DefaultURL is used when TEST_DATABASE_URL is not set.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// baseURL is the server tests create their databases on.
func baseURL() string {
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		return u
	}
	return DefaultURL
}

// NewEmpty creates an empty database and returns its URL and a func that
// drops it.
func NewEmpty(ctx context.Context) (string, func(), error) {
	base := baseURL()
	cfg, err := pgx.ParseConfig(base)
	if err != nil {
		return "", nil, fmt.Errorf("TEST_DATABASE_URL: %w", err)
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return "", nil, fmt.Errorf("connecting to the test PostgreSQL (%s:%d); run scripts/ensure-postgres.sh or `make test`: %w", cfg.Host, cfg.Port, err)
	}
	defer conn.Close(ctx)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "sbtest_" + hex.EncodeToString(b)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", nil, fmt.Errorf("creating test database: %w", err)
	}
	drop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if c, err := pgx.ConnectConfig(ctx, cfg); err == nil {
			_, _ = c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			_ = c.Close(ctx)
		}
	}
	return replaceDatabase(base, name), drop, nil
}

// New creates a database with the schema applied.
func New(ctx context.Context) (string, func(), error) {
	url, drop, err := NewEmpty(ctx)
	if err != nil {
		return "", nil, err
	}
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		drop()
		return "", nil, err
	}
	defer pool.Close()
	if _, err := db.Migrate(ctx, pool); err != nil {
		drop()
		return "", nil, err
	}
	return url, drop, nil
}

// Main runs a package's tests against one migrated database of its own,
// its pool in *pool, and exits with their result: a TestMain in one line.
func Main(m *testing.M, pool **pgxpool.Pool) {
	ctx := context.Background()
	url, drop, err := New(ctx)
	if err == nil {
		*pool, err = pgxpool.New(ctx, url)
	}
	if err != nil {
		if drop != nil {
			drop()
		}
		fmt.Fprintln(os.Stderr, "test database:", err)
		os.Exit(1)
	}
	code := m.Run()
	(*pool).Close()
	drop()
	os.Exit(code)
}

// replaceDatabase swaps the database name in a postgres URL.
func replaceDatabase(url, name string) string {
	rest, query, _ := strings.Cut(url, "?")
	if i := strings.LastIndex(rest, "/"); i > len("postgres://") {
		rest = rest[:i]
	}
	out := rest + "/" + name
	if query != "" {
		out += "?" + query
	}
	return out
}

// Kept returns the URL of a database called name on the test server,
// creating it when missing and migrating it to the latest schema. Unlike
// New's, it is kept between runs: for benchmarks whose data takes long to
// generate.
func Kept(ctx context.Context, name string) (string, error) {
	base := baseURL()
	cfg, err := pgx.ParseConfig(base)
	if err != nil {
		return "", fmt.Errorf("TEST_DATABASE_URL: %w", err)
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return "", fmt.Errorf("connecting to the test PostgreSQL (%s:%d): %w", cfg.Host, cfg.Port, err)
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return "", err
	}
	if !exists {
		if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
			return "", fmt.Errorf("creating database %s: %w", name, err)
		}
	}
	url := replaceDatabase(base, name)
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		return "", err
	}
	defer pool.Close()
	if _, err := db.Migrate(ctx, pool); err != nil {
		return "", err
	}
	return url, nil
}
