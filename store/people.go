package store

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/switchboardhq/switchboard/access"
	"github.com/switchboardhq/switchboard/db/sqlc"
)

// Workspace owns everything else.
type Workspace struct {
	ID              uuid.UUID `json:"id"`
	Name            string    `json:"name"`
	VisitorTokenKey []byte    `json:"-"`
	CreatedAt       time.Time `json:"created_at"`
}

// Operator is a person working the inbox.
type Operator struct {
	ID           uuid.UUID `json:"id"`
	WorkspaceID  uuid.UUID `json:"workspace_id"`
	Email        string    `json:"email"`
	Name         string    `json:"name"`
	Role         string    `json:"role"`
	Status       string    `json:"status"`
	Active       bool      `json:"active"`
	CreatedAt    time.Time `json:"created_at"`
	PasswordHash string    `json:"-"`
}

// Visitor is a browser the widget runs in.
type Visitor struct {
	ID          uuid.UUID  `json:"id"`
	WorkspaceID uuid.UUID  `json:"workspace_id"`
	ContactID   *uuid.UUID `json:"contact_id,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	LastSeenAt  time.Time  `json:"last_seen_at"`
}

func workspaceFromRow(r dbsqlc.Workspace) Workspace {
	return Workspace{ID: r.ID, Name: r.Name, VisitorTokenKey: r.VisitorTokenKey, CreatedAt: r.CreatedAt}
}

func operatorFromRow(r dbsqlc.Operator) Operator {
	return Operator{
		ID: r.ID, WorkspaceID: r.WorkspaceID, Email: r.Email, Name: r.Name, Role: r.Role,
		Status: r.Status, Active: r.Active, CreatedAt: r.CreatedAt, PasswordHash: r.PasswordHash,
	}
}

func visitorFromRow(r dbsqlc.Visitor) Visitor {
	return Visitor{ID: r.ID, WorkspaceID: r.WorkspaceID, ContactID: uuidPtr(r.ContactID), CreatedAt: r.CreatedAt, LastSeenAt: r.LastSeenAt}
}

// CreateWorkspace creates a workspace with a fresh visitor-token key.
func (s *Store) CreateWorkspace(ctx context.Context, name string) (Workspace, error) {
	r, err := s.q.WorkspaceInsert(ctx, dbsqlc.WorkspaceInsertParams{ID: newID(), Name: name, VisitorTokenKey: randomBytes(32)})
	if err != nil {
		return Workspace{}, fmt.Errorf("creating workspace: %w", interpretError(err))
	}
	return workspaceFromRow(r), nil
}

// Workspace returns one workspace.
func (s *Store) Workspace(ctx context.Context, id uuid.UUID) (Workspace, error) {
	r, err := s.q.WorkspaceGet(ctx, id)
	if err != nil {
		return Workspace{}, interpretError(err)
	}
	return workspaceFromRow(r), nil
}

// FirstWorkspace returns the oldest workspace, or ErrNotFound on a new
// installation.
func (s *Store) FirstWorkspace(ctx context.Context) (Workspace, error) {
	r, err := s.q.WorkspaceFirst(ctx)
	if err != nil {
		return Workspace{}, interpretError(err)
	}
	return workspaceFromRow(r), nil
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

// CreateWorkspaceWithOwner creates a workspace and its first operator, an
// owner, in one transaction: there is never a workspace nobody can manage.
func (s *Store) CreateWorkspaceWithOwner(ctx context.Context, name string, owner NewOperator) (Workspace, Operator, error) {
	var ws Workspace
	var op Operator
	err := s.tx(ctx, func(q *dbsqlc.Queries) error {
		w, err := q.WorkspaceInsert(ctx, dbsqlc.WorkspaceInsertParams{ID: newID(), Name: name, VisitorTokenKey: randomBytes(32)})
		if err != nil {
			return fmt.Errorf("creating workspace: %w", interpretError(err))
		}
		o, err := q.OperatorInsert(ctx, dbsqlc.OperatorInsertParams{
			ID: newID(), WorkspaceID: w.ID, Email: owner.Email, Name: owner.Name, PasswordHash: owner.PasswordHash, Role: access.RoleOwner,
		})
		if err != nil {
			return fmt.Errorf("creating owner %s: %w", owner.Email, interpretError(err))
		}
		ws, op = workspaceFromRow(w), operatorFromRow(o)
		return nil
	})
	if err != nil {
		return Workspace{}, Operator{}, err
	}
	return ws, op, nil
}

// CreateVisitor registers a new anonymous visitor.
func (s *Store) CreateVisitor(ctx context.Context, workspaceID uuid.UUID) (Visitor, error) {
	r, err := s.q.VisitorInsert(ctx, dbsqlc.VisitorInsertParams{ID: newID(), WorkspaceID: workspaceID})
	if err != nil {
		return Visitor{}, fmt.Errorf("creating visitor: %w", interpretError(err))
	}
	return visitorFromRow(r), nil
}

// TouchVisitor records that a visitor is present and returns it.
func (s *Store) TouchVisitor(ctx context.Context, workspaceID, id uuid.UUID) (Visitor, error) {
	r, err := s.q.VisitorTouch(ctx, dbsqlc.VisitorTouchParams{WorkspaceID: workspaceID, ID: id})
	if err != nil {
		return Visitor{}, interpretError(err)
	}
	return visitorFromRow(r), nil
}

// CreateDepartment adds a department to a workspace.
func (s *Store) CreateDepartment(ctx context.Context, workspaceID uuid.UUID, name string) (uuid.UUID, error) {
	r, err := s.q.DepartmentInsert(ctx, dbsqlc.DepartmentInsertParams{ID: newID(), WorkspaceID: workspaceID, Name: name})
	if err != nil {
		return uuid.Nil, fmt.Errorf("creating department %q: %w", name, interpretError(err))
	}
	return r.ID, nil
}
