package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/switchboardhq/switchboard/access"
	"github.com/switchboardhq/switchboard/db/sqlc"
)

// ErrLastOwner: the change would leave the workspace without an active
// owner, and so without anyone who can manage admins.
var ErrLastOwner = errors.New("the workspace's last active owner")

// Token kinds of operator_tokens.
const (
	tokenInvite        = "invite"
	tokenPasswordReset = "password_reset"
)

// Person is an operator as the people screens show them.
type Person struct {
	Operator
	StatusChangedAt time.Time   `json:"status_changed_at"`
	DeactivatedAt   *time.Time  `json:"deactivated_at"`
	DepartmentIDs   []uuid.UUID `json:"department_ids"`
}

func personFromRow(r dbsqlc.Operator, departments []uuid.UUID) Person {
	if departments == nil {
		departments = []uuid.UUID{}
	}
	return Person{
		Operator: operatorFromRow(r), StatusChangedAt: r.StatusChangedAt, DeactivatedAt: r.DeactivatedAt,
		DepartmentIDs: departments,
	}
}

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

func person(ctx context.Context, q *dbsqlc.Queries, workspaceID, id uuid.UUID) (Person, error) {
	r, err := q.OperatorGetWithDepartments(ctx, dbsqlc.OperatorGetWithDepartmentsParams{WorkspaceID: workspaceID, ID: id})
	if err != nil {
		return Person{}, interpretError(err)
	}
	return personFromRow(r.Operator, r.DepartmentIDs), nil
}

// Person returns one operator of the workspace with their departments.
func (s *Store) Person(ctx context.Context, workspaceID, id uuid.UUID) (Person, error) {
	return person(ctx, s.q, workspaceID, id)
}

// People lists the workspace's operators by name; deactivated ones only
// with includeInactive.
func (s *Store) People(ctx context.Context, workspaceID uuid.UUID, includeInactive bool) ([]Person, error) {
	rows, err := s.q.OperatorList(ctx, dbsqlc.OperatorListParams{WorkspaceID: workspaceID, IncludeInactive: includeInactive})
	if err != nil {
		return nil, fmt.Errorf("listing operators: %w", interpretError(err))
	}
	out := make([]Person, len(rows))
	for i, r := range rows {
		out[i] = personFromRow(r.Operator, r.DepartmentIDs)
	}
	return out, nil
}

// OperatorChange is a change to an operator; nil fields stay as they are.
type OperatorChange struct {
	Role   *string
	Name   *string
	Active *bool
}

// ChangeOperator applies change to an operator, after check has approved
// it against the operator as they are, locked. An owner who would stop
// being an active owner is refused with ErrLastOwner when no other active
// owner remains. Deactivating ends every session of the operator. It
// returns the operator before and after.
func (s *Store) ChangeOperator(ctx context.Context, workspaceID, id uuid.UUID, change OperatorChange, check func(current Operator) error) (before, after Person, err error) {
	var revoked []Revocation
	err = s.tx(ctx, func(q *dbsqlc.Queries) error {
		// The owners are locked before the operator, always in this order,
		// so concurrent changes queue instead of deadlocking.
		var owners []uuid.UUID
		if change.Role != nil || change.Active != nil {
			var err error
			if owners, err = q.OperatorLockActiveOwners(ctx, workspaceID); err != nil {
				return fmt.Errorf("locking owners: %w", err)
			}
		}
		cur, err := q.OperatorGetForUpdate(ctx, dbsqlc.OperatorGetForUpdateParams{WorkspaceID: workspaceID, ID: id})
		if err != nil {
			return interpretError(err)
		}
		if before, err = person(ctx, q, workspaceID, id); err != nil {
			return err
		}
		if err := check(operatorFromRow(cur)); err != nil {
			return err
		}
		losesOwner := cur.Role == access.RoleOwner && cur.Active &&
			((change.Role != nil && *change.Role != access.RoleOwner) || (change.Active != nil && !*change.Active))
		if losesOwner && len(owners) <= 1 {
			return ErrLastOwner
		}
		key := dbsqlc.OperatorGetForUpdateParams{WorkspaceID: workspaceID, ID: id}
		if change.Role != nil && *change.Role != cur.Role {
			if _, err := q.OperatorUpdateRole(ctx, dbsqlc.OperatorUpdateRoleParams{WorkspaceID: key.WorkspaceID, ID: key.ID, Role: *change.Role}); err != nil {
				return fmt.Errorf("changing role: %w", interpretError(err))
			}
		}
		if change.Name != nil && *change.Name != cur.Name {
			if _, err := q.OperatorUpdateName(ctx, dbsqlc.OperatorUpdateNameParams{WorkspaceID: key.WorkspaceID, ID: key.ID, Name: *change.Name}); err != nil {
				return fmt.Errorf("renaming: %w", interpretError(err))
			}
		}
		if change.Active != nil && *change.Active != cur.Active {
			if *change.Active {
				_, err = q.OperatorReactivate(ctx, dbsqlc.OperatorReactivateParams(key))
			} else {
				_, err = q.OperatorDeactivate(ctx, dbsqlc.OperatorDeactivateParams(key))
			}
			if err != nil {
				return fmt.Errorf("setting active %t: %w", *change.Active, interpretError(err))
			}
		}
		if change.Active != nil && !*change.Active {
			// Also when already inactive: no session and no socket may
			// outlive a deactivation. One revocation of the operator
			// covers their sessions and API tokens.
			if _, err := q.OperatorSessionDeleteAllForOperator(ctx, dbsqlc.OperatorSessionDeleteAllForOperatorParams{WorkspaceID: workspaceID, OperatorID: id}); err != nil {
				return fmt.Errorf("ending sessions: %w", err)
			}
			rv, err := revoke(ctx, q, workspaceID, RevokedOperator, id)
			if err != nil {
				return err
			}
			revoked = append(revoked, rv)
		}
		after, err = person(ctx, q, workspaceID, id)
		return err
	})
	if err != nil {
		return Person{}, Person{}, fmt.Errorf("changing operator %s: %w", id, err)
	}
	s.revoked(ctx, revoked)
	return before, after, nil
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

// SetStatus sets an active operator's status. changed is false when the
// operator already had it (status_changed_at is then kept).
func (s *Store) SetStatus(ctx context.Context, workspaceID, id uuid.UUID, status string) (p Person, changed bool, err error) {
	r, err := s.q.OperatorUpdateStatus(ctx, dbsqlc.OperatorUpdateStatusParams{WorkspaceID: workspaceID, ID: id, Status: status})
	if err != nil {
		return Person{}, false, fmt.Errorf("setting status of %s: %w", id, interpretError(err))
	}
	if p, err = s.Person(ctx, workspaceID, id); err != nil {
		return Person{}, false, fmt.Errorf("reading operator %s: %w", id, err)
	}
	return p, r.Changed, nil
}
