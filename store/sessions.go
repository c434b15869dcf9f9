package store

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	dbsqlc "github.com/switchboardhq/switchboard/db/sqlc"
)

// Session is an operator's authenticated session.
type Session struct {
	ID          uuid.UUID
	Operator    Operator
	CSRFToken   string
	Departments []uuid.UUID
	ExpiresAt   time.Time
}

// CreateSession stores a session by the hash of its token.
func (s *Store) CreateSession(ctx context.Context, tokenHash []byte, op Operator, expires time.Time, csrf string) error {
	err := s.q.OperatorSessionInsert(ctx, dbsqlc.OperatorSessionInsertParams{
		TokenHash: tokenHash, WorkspaceID: op.WorkspaceID, OperatorID: op.ID, ExpiresAt: expires, CSRFToken: csrf,
		ID: newID(),
	})
	if err != nil {
		return fmt.Errorf("creating session: %w", interpretError(err))
	}
	return nil
}

// Session returns the live session of an active operator.
func (s *Store) Session(ctx context.Context, tokenHash []byte) (Session, error) {
	r, err := s.q.OperatorSessionGet(ctx, tokenHash)
	if err != nil {
		return Session{}, interpretError(err)
	}
	return Session{ID: r.SessionID, Operator: operatorFromRow(r.Operator), CSRFToken: r.CSRFToken, Departments: r.DepartmentIDs, ExpiresAt: r.SessionExpiresAt}, nil
}

// DeleteSession ends a session and records its revocation in the same
// transaction. Ending an ended session changes nothing.
func (s *Store) DeleteSession(ctx context.Context, tokenHash []byte) error {
	var revoked []Revocation
	err := s.tx(ctx, func(q *dbsqlc.Queries) error {
		rows, err := q.OperatorSessionDelete(ctx, tokenHash)
		if err != nil {
			return fmt.Errorf("deleting session: %w", err)
		}
		for _, r := range rows {
			rv, err := revoke(ctx, q, r.WorkspaceID, RevokedSession, r.ID)
			if err != nil {
				return err
			}
			revoked = append(revoked, rv)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("ending session: %w", err)
	}
	s.revoked(ctx, revoked)
	return nil
}
