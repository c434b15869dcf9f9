package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	dbsqlc "github.com/switchboardhq/switchboard/db/sqlc"
)

// Token kinds of operator_tokens.
const (
	tokenInvite        = "invite"
	tokenPasswordReset = "password_reset"
)

// Invite is a pending invitation to join a workspace.
type Invite struct {
	ID            uuid.UUID   `json:"id"`
	WorkspaceID   uuid.UUID   `json:"-"`
	Email         string      `json:"email"`
	Name          string      `json:"name"`
	Role          string      `json:"role"`
	DepartmentIDs []uuid.UUID `json:"department_ids"`
	CreatedBy     uuid.UUID   `json:"created_by"`
	ExpiresAt     time.Time   `json:"expires_at"`
	CreatedAt     time.Time   `json:"created_at"`
}

func inviteFromRow(r dbsqlc.OperatorToken) Invite {
	deps := r.DepartmentIDs
	if deps == nil {
		deps = []uuid.UUID{}
	}
	return Invite{
		ID: r.ID, WorkspaceID: r.WorkspaceID, Email: r.Email, Name: r.Name, Role: r.Role, DepartmentIDs: deps,
		CreatedBy: r.CreatedBy, ExpiresAt: r.ExpiresAt, CreatedAt: r.CreatedAt,
	}
}

// NewInvite is what inviting someone takes. Only the token's hash is kept.
type NewInvite struct {
	WorkspaceID   uuid.UUID
	Email         string // lower case
	Name          string
	Role          string
	DepartmentIDs []uuid.UUID // distinct
	CreatedBy     uuid.UUID
	TokenHash     []byte
	ExpiresAt     time.Time
}

// ErrUnknownDepartment: a department id that is not one of the workspace's.
var ErrUnknownDepartment = fmt.Errorf("%w: department", ErrNotFound)

// CreateInvite stores an invite. It returns ErrUnknownDepartment when a
// department is not the workspace's.
func (s *Store) CreateInvite(ctx context.Context, n NewInvite) (Invite, error) {
	deps := n.DepartmentIDs
	if deps == nil {
		deps = []uuid.UUID{}
	}
	r, err := s.q.OperatorTokenInsertInvite(ctx, dbsqlc.OperatorTokenInsertInviteParams{
		ID: newID(), TokenHash: n.TokenHash, WorkspaceID: n.WorkspaceID, Email: n.Email, Name: n.Name,
		Role: n.Role, DepartmentIDs: deps, CreatedBy: n.CreatedBy, ExpiresAt: n.ExpiresAt,
	})
	if err != nil {
		err = interpretError(err)
		if errors.Is(err, ErrNotFound) {
			err = ErrUnknownDepartment
		}
		return Invite{}, fmt.Errorf("inviting %s: %w", n.Email, err)
	}
	return inviteFromRow(r), nil
}

// PendingInvites lists the workspace's invites that can still be accepted,
// newest first.
func (s *Store) PendingInvites(ctx context.Context, workspaceID uuid.UUID) ([]Invite, error) {
	rows, err := s.q.OperatorTokenListPendingInvites(ctx, workspaceID)
	if err != nil {
		return nil, fmt.Errorf("listing invites: %w", interpretError(err))
	}
	out := make([]Invite, len(rows))
	for i, r := range rows {
		out[i] = inviteFromRow(r)
	}
	return out, nil
}

// RevokeInvite deletes a pending invite; ErrNotFound when there is none
// with this id (accepted, expired, or another workspace's).
func (s *Store) RevokeInvite(ctx context.Context, workspaceID, id uuid.UUID) error {
	_, err := s.q.OperatorTokenDeletePendingInvite(ctx, dbsqlc.OperatorTokenDeletePendingInviteParams{WorkspaceID: workspaceID, ID: id})
	if err != nil {
		return interpretError(err)
	}
	return nil
}

// InviteByToken returns the pending invite with this token hash, or
// ErrNotFound when it is unknown, expired or used.
func (s *Store) InviteByToken(ctx context.Context, tokenHash []byte) (Invite, error) {
	r, err := s.q.OperatorTokenGetLive(ctx, dbsqlc.OperatorTokenGetLiveParams{TokenHash: tokenHash, Kind: tokenInvite})
	if err != nil {
		return Invite{}, interpretError(err)
	}
	return inviteFromRow(r), nil
}

// AcceptInvite uses the invite once and creates its operator, with the
// invite's role and departments (those that still exist), in one
// transaction: of two concurrent accepts exactly one creates the operator,
// the other gets ErrNotFound. An email taken meanwhile is ErrDuplicate and
// leaves the invite unused.
func (s *Store) AcceptInvite(ctx context.Context, tokenHash []byte, name, passwordHash string) (Person, Invite, error) {
	var p Person
	var inv Invite
	err := s.tx(ctx, func(q *dbsqlc.Queries) error {
		t, err := q.OperatorTokenUse(ctx, dbsqlc.OperatorTokenUseParams{TokenHash: tokenHash, Kind: tokenInvite})
		if err != nil {
			return interpretError(err)
		}
		inv = inviteFromRow(t)
		if name == "" {
			name = inv.Name
		}
		op, err := q.OperatorInsert(ctx, dbsqlc.OperatorInsertParams{
			ID: newID(), WorkspaceID: inv.WorkspaceID, Email: inv.Email, Name: name, PasswordHash: passwordHash, Role: inv.Role,
		})
		if err != nil {
			return fmt.Errorf("creating operator %s: %w", inv.Email, interpretError(err))
		}
		if err := q.OperatorDepartmentsAdd(ctx, dbsqlc.OperatorDepartmentsAddParams{
			WorkspaceID: inv.WorkspaceID, OperatorID: op.ID, DepartmentIDs: inv.DepartmentIDs,
		}); err != nil {
			return fmt.Errorf("adding %s to departments: %w", inv.Email, interpretError(err))
		}
		p, err = person(ctx, q, inv.WorkspaceID, op.ID)
		return err
	})
	if err != nil {
		return Person{}, Invite{}, fmt.Errorf("accepting invite: %w", err)
	}
	return p, inv, nil
}

// CreatePasswordReset stores a password-reset token for an operator,
// replacing any earlier one still pending.
func (s *Store) CreatePasswordReset(ctx context.Context, op Operator, createdBy uuid.UUID, tokenHash []byte, expires time.Time) error {
	err := s.tx(ctx, func(q *dbsqlc.Queries) error {
		opID := uuid.NullUUID{UUID: op.ID, Valid: true}
		if err := q.OperatorTokenDeletePendingResets(ctx, dbsqlc.OperatorTokenDeletePendingResetsParams{WorkspaceID: op.WorkspaceID, OperatorID: opID}); err != nil {
			return err
		}
		_, err := q.OperatorTokenInsertPasswordReset(ctx, dbsqlc.OperatorTokenInsertPasswordResetParams{
			ID: newID(), TokenHash: tokenHash, WorkspaceID: op.WorkspaceID, Email: op.Email, OperatorID: opID,
			CreatedBy: createdBy, ExpiresAt: expires,
		})
		return interpretError(err)
	})
	if err != nil {
		return fmt.Errorf("creating password reset for %s: %w", op.ID, err)
	}
	return nil
}

// PasswordResetPending reports ErrNotFound unless the token is a live
// password-reset token.
func (s *Store) PasswordResetPending(ctx context.Context, tokenHash []byte) error {
	_, err := s.q.OperatorTokenGetLive(ctx, dbsqlc.OperatorTokenGetLiveParams{TokenHash: tokenHash, Kind: tokenPasswordReset})
	return interpretError(err)
}

// CompletePasswordReset uses a password-reset token once, sets the
// operator's new password hash and ends all their sessions, recording
// their revocations. It returns the operator, or ErrNotFound for an
// unknown, used or expired token.
func (s *Store) CompletePasswordReset(ctx context.Context, tokenHash []byte, passwordHash string) (Operator, error) {
	var op Operator
	var revoked []Revocation
	err := s.tx(ctx, func(q *dbsqlc.Queries) error {
		t, err := q.OperatorTokenUse(ctx, dbsqlc.OperatorTokenUseParams{TokenHash: tokenHash, Kind: tokenPasswordReset})
		if err != nil {
			return interpretError(err)
		}
		if !t.OperatorID.Valid {
			return ErrNotFound
		}
		key := dbsqlc.OperatorGetForUpdateParams{WorkspaceID: t.WorkspaceID, ID: t.OperatorID.UUID}
		r, err := q.OperatorGetForUpdate(ctx, key)
		if err != nil {
			return interpretError(err)
		}
		if err := q.OperatorUpdatePassword(ctx, dbsqlc.OperatorUpdatePasswordParams{WorkspaceID: key.WorkspaceID, ID: key.ID, PasswordHash: passwordHash}); err != nil {
			return fmt.Errorf("setting password: %w", err)
		}
		ended, err := q.OperatorSessionDeleteAllForOperator(ctx, dbsqlc.OperatorSessionDeleteAllForOperatorParams{WorkspaceID: key.WorkspaceID, OperatorID: key.ID})
		if err != nil {
			return fmt.Errorf("ending sessions: %w", err)
		}
		if revoked, err = sessionRevocations(ctx, q, key.WorkspaceID, ended); err != nil {
			return err
		}
		op = operatorFromRow(r)
		return nil
	})
	if err != nil {
		return Operator{}, fmt.Errorf("completing password reset: %w", err)
	}
	s.revoked(ctx, revoked)
	return op, nil
}
