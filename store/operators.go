package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/switchboardhq/switchboard/access"
	dbsqlc "github.com/switchboardhq/switchboard/db/sqlc"
)

// ErrLastOwner: the change would leave the workspace without an active
// owner, and so without anyone who can manage admins.
var ErrLastOwner = errors.New("the workspace's last active owner")

// Operator is a person working the inbox.
type Operator struct {
	ID          uuid.UUID `json:"id"`
	WorkspaceID uuid.UUID `json:"workspace_id"`
	Email       string    `json:"email"`
	Name        string    `json:"name"`
	Role        string    `json:"role"`
	Status      string    `json:"status"`
	Active      bool      `json:"active"`
	// FlowDesigner: an admin let this operator define and publish bot
	// flows (admins may anyway).
	FlowDesigner bool `json:"flow_designer"`
	// MaxConcurrent is the operator's own capacity; nil: their
	// departments' default.
	MaxConcurrent *int      `json:"max_concurrent"`
	CreatedAt     time.Time `json:"created_at"`
	PasswordHash  string    `json:"-"`
}

func operatorFromRow(r dbsqlc.Operator) Operator {
	return Operator{
		ID: r.ID, WorkspaceID: r.WorkspaceID, Email: r.Email, Name: r.Name, Role: r.Role,
		Status: r.Status, Active: r.Active, FlowDesigner: r.FlowDesigner, CreatedAt: r.CreatedAt, PasswordHash: r.PasswordHash,
		MaxConcurrent: intPtr(r.MaxConcurrent),
	}
}

// NewOperator is what creating an operator takes.
type NewOperator struct {
	WorkspaceID  uuid.UUID
	Email        string // lower case
	Name         string
	PasswordHash string
	Role         string
}

// CreateOperator adds an operator to a workspace.
func (s *Store) CreateOperator(ctx context.Context, n NewOperator) (Operator, error) {
	r, err := s.q.OperatorInsert(ctx, dbsqlc.OperatorInsertParams{
		ID: newID(), WorkspaceID: n.WorkspaceID, Email: n.Email, Name: n.Name, PasswordHash: n.PasswordHash, Role: n.Role,
	})
	if err != nil {
		return Operator{}, fmt.Errorf("creating operator %s: %w", n.Email, interpretError(err))
	}
	return operatorFromRow(r), nil
}

// Operator returns one operator of a workspace.
func (s *Store) Operator(ctx context.Context, workspaceID, id uuid.UUID) (Operator, error) {
	r, err := s.q.OperatorGet(ctx, dbsqlc.OperatorGetParams{WorkspaceID: workspaceID, ID: id})
	if err != nil {
		return Operator{}, interpretError(err)
	}
	return operatorFromRow(r), nil
}

// OperatorByEmail returns the workspace's operator with this address,
// active or not. An address is unique per workspace only: the same person
// may work in several workspaces, as one operator in each.
func (s *Store) OperatorByEmail(ctx context.Context, workspaceID uuid.UUID, email string) (Operator, error) {
	r, err := s.q.OperatorGetByEmail(ctx, dbsqlc.OperatorGetByEmailParams{WorkspaceID: workspaceID, Email: email})
	if err != nil {
		return Operator{}, interpretError(err)
	}
	return operatorFromRow(r), nil
}

// LoginCandidate is an active operator an address may log in as, with
// their workspace's name.
type LoginCandidate struct {
	Operator
	WorkspaceName string
}

// LoginCandidates returns the active operators with this address, oldest
// first and at most max: in every workspace, or only in workspaceID when it
// is given.
func (s *Store) LoginCandidates(ctx context.Context, email string, workspaceID *uuid.UUID, max int32) ([]LoginCandidate, error) {
	rows, err := s.q.OperatorListLoginCandidates(ctx, dbsqlc.OperatorListLoginCandidatesParams{Email: email, WorkspaceID: nullUUID(workspaceID), MaxRows: max})
	if err != nil {
		return nil, fmt.Errorf("finding operators of %s: %w", email, interpretError(err))
	}
	out := make([]LoginCandidate, len(rows))
	for i, r := range rows {
		out[i] = LoginCandidate{Operator: operatorFromRow(r.Operator), WorkspaceName: r.WorkspaceName}
	}
	return out, nil
}

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
	Role         *string
	Name         *string
	Active       *bool
	FlowDesigner *bool
	// MaxConcurrent: the operator's own capacity; 0 clears it (their
	// departments' default applies).
	MaxConcurrent *int
}

// ChangeOperator applies change to an operator, after check has approved
// it against the operator as they are, locked. An owner who would stop
// being an active owner is refused with ErrLastOwner when no other active
// owner remains. Deactivating ends every session of the operator. It
// returns the operator before and after.
func (s *Store) ChangeOperator(ctx context.Context, workspaceID, id uuid.UUID, change OperatorChange, check func(current Operator) error) (before, after Person, err error) {
	var (
		revoked    []Revocation
		redispatch []uuid.UUID
	)
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
		if change.FlowDesigner != nil && *change.FlowDesigner != cur.FlowDesigner {
			if _, err := q.OperatorUpdateFlowDesigner(ctx, dbsqlc.OperatorUpdateFlowDesignerParams{
				WorkspaceID: key.WorkspaceID, ID: key.ID, FlowDesigner: *change.FlowDesigner,
			}); err != nil {
				return fmt.Errorf("changing flow designer: %w", interpretError(err))
			}
		}
		if change.MaxConcurrent != nil {
			var capacity *int32
			if *change.MaxConcurrent > 0 {
				v := int32(*change.MaxConcurrent)
				capacity = &v
			}
			if err := q.OperatorUpdateMaxConcurrent(ctx, dbsqlc.OperatorUpdateMaxConcurrentParams{
				WorkspaceID: key.WorkspaceID, ID: key.ID, MaxConcurrent: capacity,
			}); err != nil {
				return fmt.Errorf("changing capacity: %w", interpretError(err))
			}
			// More room, dispatched once this commits.
			if redispatch, err = operatorDepartments(ctx, q, workspaceID, id); err != nil {
				return err
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
			if !*change.Active {
				// Dispatched again once this commits (the operator's row is
				// locked here; dispatch locks departments first).
				if redispatch, err = takeBackOffers(ctx, q, workspaceID, id); err != nil {
					return err
				}
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
	if len(redispatch) > 0 {
		// Best effort: what it fails to hand out waits in its queue, in
		// sight of everyone, until the next chance to dispatch.
		_, _ = s.Dispatch(ctx, workspaceID, redispatch...)
	}
	return before, after, nil
}

// SetStatus sets an active operator's status. changed is false when the
// operator already had it (status_changed_at is then kept).
//
// Dispatch follows in the same transaction: an operator who comes online
// takes waiting conversations of their departments at once (up to their
// capacity); one who leaves gets nothing more, and the decisions on their
// way to them go to others. Their departments are locked before the
// operator, the order every dispatch locks in.
func (s *Store) SetStatus(ctx context.Context, workspaceID, id uuid.UUID, status string) (p Person, changed bool, err error) {
	err = s.tx(ctx, func(q *dbsqlc.Queries) error {
		depts, _, err := lockForStatus(ctx, q, workspaceID, id)
		if err != nil {
			return err
		}
		r, err := q.OperatorUpdateStatus(ctx, dbsqlc.OperatorUpdateStatusParams{WorkspaceID: workspaceID, ID: id, Status: status})
		if err != nil {
			return interpretError(err)
		}
		changed = r.Changed
		if changed {
			if status != "online" {
				if depts, err = takeBackOffers(ctx, q, workspaceID, id); err != nil {
					return err
				}
			}
			if status == StatusOffline {
				// Gone for the day: departments that say so take back their work.
				if _, err := releaseAway(ctx, q, workspaceID, id); err != nil {
					return err
				}
			}
			if _, _, err := dispatchIn(ctx, q, workspaceID, depts, uuid.Nil, time.Now()); err != nil {
				return err
			}
		}
		p, err = person(ctx, q, workspaceID, id)
		return err
	})
	if err != nil {
		return Person{}, false, fmt.Errorf("setting status of %s: %w", id, err)
	}
	return p, changed, nil
}

// takeBackOffers deletes the dispatch decisions on their way to an
// operator who is no longer online and returns their departments, to
// dispatch again.
func takeBackOffers(ctx context.Context, q *dbsqlc.Queries, workspaceID, operatorID uuid.UUID) ([]uuid.UUID, error) {
	depts, err := q.DispatchOffersTakeBack(ctx, dbsqlc.DispatchOffersTakeBackParams{WorkspaceID: workspaceID, OperatorID: operatorID})
	if err != nil {
		return nil, fmt.Errorf("taking back dispatch offers: %w", err)
	}
	return depts, nil
}
