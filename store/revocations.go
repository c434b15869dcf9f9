package store

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	dbsqlc "github.com/switchboardhq/switchboard/db/sqlc"
)

// Kinds of revocation: what the subject id names.
const (
	RevokedSession  = "session"
	RevokedToken    = "token"
	RevokedOperator = "operator"
)

// Revocation is a credential that stopped working: a session (logout,
// password reset), an API token, or every credential of an operator
// (deactivation). Sockets it opened must close on every node.
type Revocation struct {
	ID          int64
	WorkspaceID uuid.UUID
	Kind        string
	SubjectID   uuid.UUID
	CreatedAt   time.Time
}

func revocationFromRow(r dbsqlc.Revocation) Revocation {
	return Revocation{ID: r.ID, WorkspaceID: r.WorkspaceID, Kind: r.Kind, SubjectID: r.SubjectID, CreatedAt: r.CreatedAt}
}

func revocationsFromRows(rows []dbsqlc.Revocation) []Revocation {
	out := make([]Revocation, len(rows))
	for i, r := range rows {
		out[i] = revocationFromRow(r)
	}
	return out
}

// revoked hands the revocations a transaction wrote, once it committed,
// to OnRevoked.
func (s *Store) revoked(ctx context.Context, rs []Revocation) {
	if len(rs) > 0 && s.OnRevoked != nil {
		s.OnRevoked(context.WithoutCancel(ctx), rs)
	}
}

// RecentRevocations returns, across workspaces, the revocations after id
// afterID and again those of the last window, in id order. A transaction
// takes its id when it inserts, not when it commits, so a lower id can
// appear after a higher one was read: the window is read again for it.
func (s *Store) RecentRevocations(ctx context.Context, afterID int64, window time.Duration) ([]Revocation, error) {
	rows, err := s.q.RevocationListRecent(ctx, dbsqlc.RevocationListRecentParams{AfterID: afterID, WindowSeconds: window.Seconds()})
	if err != nil {
		return nil, fmt.Errorf("reading revocations: %w", err)
	}
	return revocationsFromRows(rows), nil
}

// LastRevocationID returns the highest revocation id, 0 when there is
// none.
func (s *Store) LastRevocationID(ctx context.Context) (int64, error) {
	id, err := s.q.RevocationLastID(ctx)
	if err != nil {
		return 0, fmt.Errorf("reading the last revocation: %w", err)
	}
	return id, nil
}

// sessionRevocations records that the sessions ended.
func sessionRevocations(ctx context.Context, q *dbsqlc.Queries, workspaceID uuid.UUID, sessionIDs []uuid.UUID) ([]Revocation, error) {
	if len(sessionIDs) == 0 {
		return nil, nil
	}
	rows, err := q.RevocationInsertMany(ctx, dbsqlc.RevocationInsertManyParams{WorkspaceID: workspaceID, Kind: RevokedSession, SubjectIDs: sessionIDs})
	if err != nil {
		return nil, fmt.Errorf("recording revoked sessions: %w", err)
	}
	return revocationsFromRows(rows), nil
}

func revoke(ctx context.Context, q *dbsqlc.Queries, workspaceID uuid.UUID, kind string, subject uuid.UUID) (Revocation, error) {
	r, err := q.RevocationInsert(ctx, dbsqlc.RevocationInsertParams{WorkspaceID: workspaceID, Kind: kind, SubjectID: subject})
	if err != nil {
		return Revocation{}, fmt.Errorf("recording revoked %s %s: %w", kind, subject, err)
	}
	return revocationFromRow(r), nil
}
