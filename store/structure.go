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

// ErrDepartmentInUse: the department still has open or snoozed
// conversations; they must be transferred or resolved before it can go.
var ErrDepartmentInUse = errors.New("department has conversations that are not resolved")

// Department is a team that works some inboxes' conversations.
type Department struct {
	ID        uuid.UUID `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

func departmentFromRow(r dbsqlc.Department) Department {
	return Department{ID: r.ID, Name: r.Name, CreatedAt: r.CreatedAt}
}

// Department returns one department of a workspace.
func (s *Store) Department(ctx context.Context, workspaceID, id uuid.UUID) (Department, error) {
	r, err := s.q.DepartmentGet(ctx, dbsqlc.DepartmentGetParams{WorkspaceID: workspaceID, ID: id})
	if err != nil {
		return Department{}, interpretError(err)
	}
	return departmentFromRow(r), nil
}

// Departments lists a workspace's departments by name.
func (s *Store) Departments(ctx context.Context, workspaceID uuid.UUID) ([]Department, error) {
	rows, err := s.q.DepartmentList(ctx, workspaceID)
	if err != nil {
		return nil, fmt.Errorf("listing departments: %w", err)
	}
	out := make([]Department, len(rows))
	for i, r := range rows {
		out[i] = departmentFromRow(r)
	}
	return out, nil
}

// RenameDepartment renames a department and returns it before and after.
func (s *Store) RenameDepartment(ctx context.Context, workspaceID, id uuid.UUID, name string) (before, after Department, err error) {
	err = s.tx(ctx, func(q *dbsqlc.Queries) error {
		r, err := q.DepartmentGet(ctx, dbsqlc.DepartmentGetParams{WorkspaceID: workspaceID, ID: id})
		if err != nil {
			return interpretError(err)
		}
		before = departmentFromRow(r)
		r, err = q.DepartmentRename(ctx, dbsqlc.DepartmentRenameParams{WorkspaceID: workspaceID, ID: id, Name: name})
		if err != nil {
			return interpretError(err)
		}
		after = departmentFromRow(r)
		return nil
	})
	if err != nil {
		return Department{}, Department{}, fmt.Errorf("renaming department %s: %w", id, err)
	}
	return before, after, nil
}

// DeletedDepartment is what deleting a department took away.
type DeletedDepartment struct {
	Name string
	// Members lost their membership with it.
	Members []uuid.UUID
}

// DeleteDepartment deletes a department that has no open or snoozed
// conversations (ErrDepartmentInUse otherwise). Its memberships and inbox
// links go with it; resolved conversations keep their history and become
// unrouted; an inbox that defaulted to it has no default any more.
func (s *Store) DeleteDepartment(ctx context.Context, workspaceID, id uuid.UUID) (DeletedDepartment, error) {
	var out DeletedDepartment
	err := s.tx(ctx, func(q *dbsqlc.Queries) error {
		r, err := q.DepartmentLockForDelete(ctx, dbsqlc.DepartmentLockForDeleteParams{WorkspaceID: workspaceID, ID: id})
		if err != nil {
			return interpretError(err)
		}
		if r.OpenConversations > 0 {
			return fmt.Errorf("%w (%d)", ErrDepartmentInUse, r.OpenConversations)
		}
		out.Name = r.Name
		if out.Members, err = q.DepartmentMemberOperatorIDs(ctx, dbsqlc.DepartmentMemberOperatorIDsParams{WorkspaceID: workspaceID, DepartmentID: id}); err != nil {
			return err
		}
		return q.DepartmentDelete(ctx, dbsqlc.DepartmentDeleteParams{WorkspaceID: workspaceID, ID: id})
	})
	if err != nil {
		return DeletedDepartment{}, fmt.Errorf("deleting department %s: %w", id, err)
	}
	return out, nil
}

// DepartmentMember is an operator of a department.
type DepartmentMember struct {
	OperatorID uuid.UUID `json:"operator_id"`
	Name       string    `json:"name"`
	Email      string    `json:"email"`
	Role       string    `json:"role"`
	Status     string    `json:"status"`
	Active     bool      `json:"active"`
	AddedAt    time.Time `json:"added_at"`
}

// DepartmentMembers lists a department's members by name; ErrNotFound when
// the workspace has no such department.
func (s *Store) DepartmentMembers(ctx context.Context, workspaceID, id uuid.UUID) ([]DepartmentMember, error) {
	if _, err := s.Department(ctx, workspaceID, id); err != nil {
		return nil, err
	}
	rows, err := s.q.DepartmentMemberList(ctx, dbsqlc.DepartmentMemberListParams{WorkspaceID: workspaceID, DepartmentID: id})
	if err != nil {
		return nil, fmt.Errorf("listing members of department %s: %w", id, err)
	}
	out := make([]DepartmentMember, len(rows))
	for i, r := range rows {
		o := r.Operator
		out[i] = DepartmentMember{OperatorID: o.ID, Name: o.Name, Email: o.Email, Role: o.Role, Status: o.Status, Active: o.Active, AddedAt: r.AddedAt}
	}
	return out, nil
}

// AddDepartmentMember makes an operator a member of a department and says
// whether they were not one already. ErrNotFound: the department or the
// operator is not the workspace's.
func (s *Store) AddDepartmentMember(ctx context.Context, workspaceID, departmentID, operatorID uuid.UUID) (bool, error) {
	n, err := s.q.DepartmentMemberInsert(ctx, dbsqlc.DepartmentMemberInsertParams{
		WorkspaceID: workspaceID, DepartmentID: departmentID, OperatorID: operatorID,
	})
	if err != nil {
		return false, fmt.Errorf("adding operator %s to department %s: %w", operatorID, departmentID, interpretError(err))
	}
	return n > 0, nil
}

// RemoveDepartmentMember ends a membership; ErrNotFound when there is none.
func (s *Store) RemoveDepartmentMember(ctx context.Context, workspaceID, departmentID, operatorID uuid.UUID) error {
	n, err := s.q.DepartmentMemberDelete(ctx, dbsqlc.DepartmentMemberDeleteParams{
		WorkspaceID: workspaceID, DepartmentID: departmentID, OperatorID: operatorID,
	})
	if err != nil {
		return fmt.Errorf("removing operator %s from department %s: %w", operatorID, departmentID, interpretError(err))
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}

// AllDepartmentsExist reports whether every id is a department of the
// workspace.
func (s *Store) AllDepartmentsExist(ctx context.Context, workspaceID uuid.UUID, ids []uuid.UUID) (bool, error) {
	if len(ids) == 0 {
		return true, nil
	}
	n, err := s.q.DepartmentCountInWorkspace(ctx, dbsqlc.DepartmentCountInWorkspaceParams{WorkspaceID: workspaceID, IDs: ids})
	if err != nil {
		return false, fmt.Errorf("checking departments: %w", err)
	}
	return n == int64(len(ids)), nil
}

// OperatorCanWork reports whether an operator may hold a conversation of
// department (nil: unrouted): an active operator who is an admin or owner,
// or a member of the department, or any active operator for an unrouted
// conversation. ErrNotFound: no such operator in the workspace.
func (s *Store) OperatorCanWork(ctx context.Context, workspaceID, operatorID uuid.UUID, department *uuid.UUID) (bool, error) {
	op, err := s.Operator(ctx, workspaceID, operatorID)
	if err != nil {
		return false, err
	}
	switch {
	case !op.Active:
		return false, nil
	case department == nil, access.AtLeast(op.Role, access.RoleAdmin):
		return true, nil
	}
	ok, err := s.q.DepartmentMemberExists(ctx, dbsqlc.DepartmentMemberExistsParams{
		WorkspaceID: workspaceID, DepartmentID: *department, OperatorID: operatorID,
	})
	if err != nil {
		return false, fmt.Errorf("checking membership of operator %s: %w", operatorID, err)
	}
	return ok, nil
}

// Inbox is a channel into the workspace (a website widget) with the
// departments that work it.
type Inbox struct {
	ID          uuid.UUID `json:"id"`
	WorkspaceID uuid.UUID `json:"-"`
	Name        string    `json:"name"`
	Channel     string    `json:"channel"`
	// AllowedOrigins are the page origins that may open the widget socket;
	// empty allows any.
	AllowedOrigins      []string    `json:"allowed_origins"`
	DepartmentIDs       []uuid.UUID `json:"department_ids"`
	DefaultDepartmentID *uuid.UUID  `json:"default_department_id"`
	CreatedAt           time.Time   `json:"created_at"`
}

func inboxFromRow(r dbsqlc.Inbox, departments []uuid.UUID) Inbox {
	if departments == nil {
		departments = []uuid.UUID{}
	}
	origins := r.AllowedOrigins
	if origins == nil {
		origins = []string{}
	}
	return Inbox{
		ID: r.ID, WorkspaceID: r.WorkspaceID, Name: r.Name, Channel: r.Channel, AllowedOrigins: origins,
		DepartmentIDs: departments, DefaultDepartmentID: uuidPtr(r.DefaultDepartmentID), CreatedAt: r.CreatedAt,
	}
}

// InboxFields are an inbox's settings, as created or replaced.
type InboxFields struct {
	Name                string
	AllowedOrigins      []string
	DepartmentIDs       []uuid.UUID
	DefaultDepartmentID *uuid.UUID
}

func (f InboxFields) origins() []string {
	if f.AllowedOrigins == nil {
		return []string{}
	}
	return f.AllowedOrigins
}

// CreateInbox creates a widget inbox with its departments. ErrDuplicate:
// the name is taken; ErrNotFound: a department is not the workspace's.
func (s *Store) CreateInbox(ctx context.Context, workspaceID uuid.UUID, f InboxFields) (Inbox, error) {
	var out Inbox
	err := s.tx(ctx, func(q *dbsqlc.Queries) error {
		r, err := q.InboxInsert(ctx, dbsqlc.InboxInsertParams{
			ID: newID(), WorkspaceID: workspaceID, Name: f.Name, AllowedOrigins: f.origins(),
			DefaultDepartmentID: nullUUID(f.DefaultDepartmentID),
		})
		if err != nil {
			return interpretError(err)
		}
		if err := setInboxDepartments(ctx, q, workspaceID, r.ID, f.DepartmentIDs, false); err != nil {
			return err
		}
		out = inboxFromRow(r, f.DepartmentIDs)
		return nil
	})
	if err != nil {
		return Inbox{}, fmt.Errorf("creating inbox %q: %w", f.Name, err)
	}
	return out, nil
}

func setInboxDepartments(ctx context.Context, q *dbsqlc.Queries, workspaceID, inboxID uuid.UUID, ids []uuid.UUID, clear bool) error {
	if clear {
		if err := q.InboxDepartmentsClear(ctx, dbsqlc.InboxDepartmentsClearParams{WorkspaceID: workspaceID, InboxID: inboxID}); err != nil {
			return err
		}
	}
	if len(ids) == 0 {
		return nil
	}
	err := q.InboxDepartmentsAdd(ctx, dbsqlc.InboxDepartmentsAddParams{WorkspaceID: workspaceID, InboxID: inboxID, DepartmentIDs: ids})
	return interpretError(err)
}

// Inbox returns one inbox of a workspace.
func (s *Store) Inbox(ctx context.Context, workspaceID, id uuid.UUID) (Inbox, error) {
	r, err := s.q.InboxGet(ctx, dbsqlc.InboxGetParams{WorkspaceID: workspaceID, ID: id})
	if err != nil {
		return Inbox{}, interpretError(err)
	}
	return inboxFromRow(r.Inbox, r.DepartmentIDs), nil
}

// Inboxes lists a workspace's inboxes by name.
func (s *Store) Inboxes(ctx context.Context, workspaceID uuid.UUID) ([]Inbox, error) {
	rows, err := s.q.InboxList(ctx, workspaceID)
	if err != nil {
		return nil, fmt.Errorf("listing inboxes: %w", err)
	}
	out := make([]Inbox, len(rows))
	for i, r := range rows {
		out[i] = inboxFromRow(r.Inbox, r.DepartmentIDs)
	}
	return out, nil
}

// UpdateInbox replaces an inbox's settings. Conversations already started
// keep their department.
func (s *Store) UpdateInbox(ctx context.Context, workspaceID, id uuid.UUID, f InboxFields) (Inbox, error) {
	var out Inbox
	err := s.tx(ctx, func(q *dbsqlc.Queries) error {
		r, err := q.InboxUpdate(ctx, dbsqlc.InboxUpdateParams{
			WorkspaceID: workspaceID, ID: id, Name: f.Name, AllowedOrigins: f.origins(),
			DefaultDepartmentID: nullUUID(f.DefaultDepartmentID),
		})
		if err != nil {
			return interpretError(err)
		}
		if err := setInboxDepartments(ctx, q, workspaceID, id, f.DepartmentIDs, true); err != nil {
			return err
		}
		out = inboxFromRow(r, f.DepartmentIDs)
		return nil
	})
	if err != nil {
		return Inbox{}, fmt.Errorf("updating inbox %s: %w", id, err)
	}
	return out, nil
}

// DeleteInbox deletes an inbox; its conversations and visitors keep their
// history and lose the reference.
func (s *Store) DeleteInbox(ctx context.Context, workspaceID, id uuid.UUID) error {
	n, err := s.q.InboxDelete(ctx, dbsqlc.InboxDeleteParams{WorkspaceID: workspaceID, ID: id})
	if err != nil {
		return fmt.Errorf("deleting inbox %s: %w", id, interpretError(err))
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}

// BindVisitorInbox records the inbox whose widget the visitor uses: its
// conversations are routed by that inbox, its socket checked against the
// inbox's origins.
func (s *Store) BindVisitorInbox(ctx context.Context, workspaceID, visitorID, inboxID uuid.UUID) error {
	err := s.q.VisitorBindInbox(ctx, dbsqlc.VisitorBindInboxParams{
		WorkspaceID: workspaceID, ID: visitorID, InboxID: uuid.NullUUID{UUID: inboxID, Valid: true},
	})
	if err != nil {
		return fmt.Errorf("binding visitor %s to inbox %s: %w", visitorID, inboxID, interpretError(err))
	}
	return nil
}

// VisitorInbox returns the inbox a visitor is bound to, nil for none.
func (s *Store) VisitorInbox(ctx context.Context, workspaceID, visitorID uuid.UUID) (*uuid.UUID, error) {
	id, err := s.q.VisitorInboxGet(ctx, dbsqlc.VisitorInboxGetParams{WorkspaceID: workspaceID, ID: visitorID})
	if err != nil {
		return nil, interpretError(err)
	}
	return uuidPtr(id), nil
}
