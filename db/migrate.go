// Package db holds the schema (goose migrations, embedded) and the
// sqlc-generated queries in db/sqlc.
package db

import (
	"context"
	"embed"
	"fmt"
	"io/fs"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrate applies every pending migration. A PostgreSQL session advisory
// lock makes concurrent starts (several nodes deploying at once) apply each
// migration exactly once.
func Migrate(ctx context.Context, pool *pgxpool.Pool) ([]string, error) {
	return withProvider(ctx, pool, "applying migrations", func(p *goose.Provider) ([]*goose.MigrationResult, error) {
		return p.Up(ctx)
	})
}

// MigrateUpTo applies pending migrations up to and including version.
func MigrateUpTo(ctx context.Context, pool *pgxpool.Pool, version int64) ([]string, error) {
	return withProvider(ctx, pool, "applying migrations", func(p *goose.Provider) ([]*goose.MigrationResult, error) {
		return p.UpTo(ctx, version)
	})
}

// MigrateDownTo rolls the schema back to version (0: empty), newest first,
// running each migration's Down section: the way back from a release whose
// schema must be undone. Data in dropped columns and tables is lost.
func MigrateDownTo(ctx context.Context, pool *pgxpool.Pool, version int64) ([]string, error) {
	return withProvider(ctx, pool, "rolling back migrations", func(p *goose.Provider) ([]*goose.MigrationResult, error) {
		return p.DownTo(ctx, version)
	})
}

func withProvider(ctx context.Context, pool *pgxpool.Pool, doing string, run func(*goose.Provider) ([]*goose.MigrationResult, error)) ([]string, error) {
	dir, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, err
	}
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return nil, fmt.Errorf("creating migration lock: %w", err)
	}
	sqlDB := stdlib.OpenDBFromPool(pool)
	defer sqlDB.Close()
	p, err := goose.NewProvider(goose.DialectPostgres, sqlDB, dir, goose.WithSessionLocker(locker))
	if err != nil {
		return nil, fmt.Errorf("creating migration provider: %w", err)
	}
	results, err := run(p)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", doing, err)
	}
	done := make([]string, 0, len(results))
	for _, r := range results {
		done = append(done, r.Source.Path)
	}
	return done, nil
}

// Versions lists the embedded migrations' versions, oldest first.
func Versions() ([]int64, error) {
	entries, err := fs.ReadDir(migrations, "migrations")
	if err != nil {
		return nil, err
	}
	var out []int64
	for _, e := range entries {
		v, err := goose.NumericComponent(e.Name())
		if err != nil {
			return nil, fmt.Errorf("migration %s: %w", e.Name(), err)
		}
		out = append(out, v)
	}
	return out, nil
}
