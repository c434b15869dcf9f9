// Package store is the edge of the database layer: it runs the
// sqlc-generated queries, owns the transactions of the hot path, and turns
// rows into the domain types the API renders. sqlc types do not leave it.
package store

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	dbsqlc "github.com/switchboardhq/switchboard/db/sqlc"
)

// Errors the store returns; compare with errors.Is.
var (
	// ErrNotFound: no such row in this workspace (also for another
	// workspace's ids, which must be indistinguishable from absent ones).
	ErrNotFound = errors.New("not found")
	// ErrDuplicate: a unique value (an email) is taken.
	ErrDuplicate = errors.New("already exists")
	// ErrIdempotencyKeyReused: an idempotency key came back with a request
	// other than the one it was first used for.
	ErrIdempotencyKeyReused = errors.New("idempotency key reused for another request")
)

// Store runs queries against PostgreSQL.
type Store struct {
	pool *pgxpool.Pool
	q    *dbsqlc.Queries
	// OnRevoked, when set, is called with the revocations a transaction
	// wrote (logout, API-token revocation, deactivation, password reset)
	// once it committed: the process publishes them on the bus, the fast
	// path to every node's sockets. It must not block.
	OnRevoked func(ctx context.Context, revocations []Revocation)
}

// New returns a Store using pool.
func New(pool *pgxpool.Pool) *Store {
	return &Store{pool: pool, q: dbsqlc.New(pool)}
}

// Ping checks that PostgreSQL answers.
func (s *Store) Ping(ctx context.Context) error { return s.pool.Ping(ctx) }

// interpretError maps driver errors to the store's sentinel errors.
func interpretError(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return ErrNotFound
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "23505": // unique_violation
			return fmt.Errorf("%w: %s", ErrDuplicate, pgErr.ConstraintName)
		case "23503": // foreign_key_violation: a referenced id is not in this workspace
			return fmt.Errorf("%w: %s", ErrNotFound, pgErr.ConstraintName)
		}
	}
	return err
}

// tx runs fn in a transaction, committing when it returns nil.
func (s *Store) tx(ctx context.Context, fn func(q *dbsqlc.Queries) error) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		return fn(s.q.WithTx(tx))
	})
}

// newID returns a time-ordered UUID (v7): new rows land at the right edge
// of their indexes.
func newID() uuid.UUID {
	return uuid.Must(uuid.NewV7())
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails on supported platforms
	return b
}

func nullUUID(id *uuid.UUID) uuid.NullUUID {
	if id == nil {
		return uuid.NullUUID{}
	}
	return uuid.NullUUID{UUID: *id, Valid: true}
}

func uuidPtr(n uuid.NullUUID) *uuid.UUID {
	if !n.Valid {
		return nil
	}
	id := n.UUID
	return &id
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func strPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
