package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/switchboardhq/switchboard/access"
	"github.com/switchboardhq/switchboard/calendar"
	"github.com/switchboardhq/switchboard/conversation"
	dbsqlc "github.com/switchboardhq/switchboard/db/sqlc"
)

// ErrDepartmentInUse: the department still has open or snoozed
// conversations; they must be transferred or resolved before it can go.
var ErrDepartmentInUse = errors.New("department has conversations that are not resolved")

// Department is a team that works some inboxes' conversations.
type Department struct {
	ID   uuid.UUID `json:"id"`
	Name string    `json:"name"`
	// BusinessHours are when it is open; nil: always.
	BusinessHours *calendar.Calendar `json:"business_hours"`
	// DispatchMode is how its queue reaches operators (dispatch.Modes);
	// MaxConcurrent how many open conversations an operator carries at
	// once, unless they have a limit of their own.
	DispatchMode  string `json:"dispatch_mode"`
	MaxConcurrent int    `json:"max_concurrent"`
	// OfferTimeoutSeconds: in the offer mode, how long an operator has to
	// accept.
	OfferTimeoutSeconds int `json:"offer_timeout_seconds"`
	// UnclaimedLadder: what happens to a conversation that waits in the
	// queue unclaimed.
	UnclaimedLadder Ladder `json:"unclaimed_ladder"`
	// ReplyWithinSeconds: an assigned conversation whose customer waits
	// longer for the operator's first reply goes back to the queue; nil:
	// no limit.
	ReplyWithinSeconds *int `json:"reply_within_seconds"`
	// AwayPolicy: what becomes of an operator's assigned conversations
	// when they go away: "keep", or "requeue" (back to the queue).
	AwayPolicy string    `json:"away_policy"`
	CreatedAt  time.Time `json:"created_at"`
}

// Ladder is a department's unclaimed ladder (nil: no such step).
type Ladder struct {
	NotifyAfterSeconds   *int       `json:"notify_after_seconds"`
	WidenAfterSeconds    *int       `json:"widen_after_seconds"`
	FallbackDepartmentID *uuid.UUID `json:"fallback_department_id"`
	RaiseAfterSeconds    *int       `json:"raise_after_seconds"`
}

// Config is the ladder as the conversation's workflow times it.
func (l Ladder) Config() conversation.LadderConfig {
	sec := func(n *int) time.Duration {
		if n == nil {
			return 0
		}
		return time.Duration(*n) * time.Second
	}
	return conversation.LadderConfig{
		NotifyAfter: sec(l.NotifyAfterSeconds), WidenAfter: sec(l.WidenAfterSeconds),
		FallbackID: l.FallbackDepartmentID, RaiseAfter: sec(l.RaiseAfterSeconds),
	}
}

func int32Ptr(n *int) *int32 {
	if n == nil {
		return nil
	}
	v := int32(*n)
	return &v
}

func departmentFromRow(r dbsqlc.Department) Department {
	d := Department{
		ID: r.ID, Name: r.Name, DispatchMode: r.DispatchMode, MaxConcurrent: int(r.MaxConcurrent),
		OfferTimeoutSeconds: int(r.OfferTimeoutSeconds), CreatedAt: r.CreatedAt,
		UnclaimedLadder: Ladder{
			NotifyAfterSeconds: intPtr(r.LadderNotifyAfterSeconds), WidenAfterSeconds: intPtr(r.LadderWidenAfterSeconds),
			FallbackDepartmentID: uuidPtr(r.LadderFallbackDepartmentID), RaiseAfterSeconds: intPtr(r.LadderRaiseAfterSeconds),
		},
		ReplyWithinSeconds: intPtr(r.ReplyWithinSeconds), AwayPolicy: r.AwayPolicy,
	}
	d.BusinessHours, _ = calendarOf(r.BusinessHours) // written checked: it decodes
	return d
}

// DepartmentChange is a partial update: nil fields stay; SetHours with
// Hours nil clears the business hours (always open).
type DepartmentChange struct {
	Name          *string
	SetHours      bool
	Hours         *calendar.Calendar
	DispatchMode  *string
	MaxConcurrent *int
	OfferTimeout  *time.Duration
	// Ladder, when set, replaces the unclaimed ladder.
	Ladder *Ladder
	// ReplyWithin, when set, replaces the reply limit; 0 removes it.
	ReplyWithin *time.Duration
	AwayPolicy  *string
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

// UpdateDepartment changes a department and returns it before and after,
// and how many conversations a new dispatch mode or capacity dispatched.
func (s *Store) UpdateDepartment(ctx context.Context, workspaceID, id uuid.UUID, ch DepartmentChange) (before, after Department, dispatched int, err error) {
	err = s.tx(ctx, func(q *dbsqlc.Queries) error {
		r, err := q.DepartmentGetForUpdate(ctx, dbsqlc.DepartmentGetForUpdateParams{WorkspaceID: workspaceID, ID: id})
		if err != nil {
			return interpretError(err)
		}
		before = departmentFromRow(r)
		p := dbsqlc.DepartmentUpdateParams{
			WorkspaceID: workspaceID, ID: id, Name: r.Name, BusinessHours: r.BusinessHours,
			DispatchMode: r.DispatchMode, MaxConcurrent: r.MaxConcurrent, OfferTimeoutSeconds: r.OfferTimeoutSeconds,
			LadderNotifyAfterSeconds: r.LadderNotifyAfterSeconds, LadderWidenAfterSeconds: r.LadderWidenAfterSeconds,
			LadderFallbackDepartmentID: r.LadderFallbackDepartmentID, LadderRaiseAfterSeconds: r.LadderRaiseAfterSeconds,
			ReplyWithinSeconds: r.ReplyWithinSeconds, AwayPolicy: r.AwayPolicy,
		}
		if ch.AwayPolicy != nil {
			p.AwayPolicy = *ch.AwayPolicy
		}
		if ch.ReplyWithin != nil {
			p.ReplyWithinSeconds = nil
			if *ch.ReplyWithin > 0 {
				n := int32(*ch.ReplyWithin / time.Second)
				p.ReplyWithinSeconds = &n
			}
		}
		if l := ch.Ladder; l != nil {
			p.LadderNotifyAfterSeconds, p.LadderWidenAfterSeconds = int32Ptr(l.NotifyAfterSeconds), int32Ptr(l.WidenAfterSeconds)
			p.LadderFallbackDepartmentID, p.LadderRaiseAfterSeconds = nullUUID(l.FallbackDepartmentID), int32Ptr(l.RaiseAfterSeconds)
		}
		if ch.OfferTimeout != nil {
			p.OfferTimeoutSeconds = int32(*ch.OfferTimeout / time.Second)
		}
		if ch.Name != nil {
			p.Name = *ch.Name
		}
		if ch.DispatchMode != nil {
			p.DispatchMode = *ch.DispatchMode
		}
		if ch.MaxConcurrent != nil {
			p.MaxConcurrent = int32(*ch.MaxConcurrent)
		}
		if ch.SetHours {
			p.BusinessHours = nil
			if ch.Hours != nil {
				if p.BusinessHours, err = json.Marshal(ch.Hours); err != nil {
					return err
				}
			}
		}
		r, err = q.DepartmentUpdate(ctx, p)
		if err != nil {
			return interpretError(err)
		}
		after = departmentFromRow(r)
		if ch.SetHours {
			// Running SLA clocks count in the department's hours: they
			// re-read them when they next matter.
			if _, err := q.SLAPoliciesLock(ctx, workspaceID); err != nil {
				return interpretError(err)
			}
		}
		if after.DispatchMode != before.DispatchMode || after.MaxConcurrent != before.MaxConcurrent {
			// A new mode or more room: its queue may move now.
			_, dispatched, err = dispatchIn(ctx, q, workspaceID, []uuid.UUID{id}, uuid.Nil, time.Now())
		}
		return err
	})
	if err != nil {
		return Department{}, Department{}, 0, fmt.Errorf("updating department %s: %w", id, err)
	}
	return before, after, dispatched, nil
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
func (s *Store) AddDepartmentMember(ctx context.Context, workspaceID, departmentID, operatorID uuid.UUID) (added bool, dispatched int, err error) {
	err = s.tx(ctx, func(q *dbsqlc.Queries) error {
		n, err := q.DepartmentMemberInsert(ctx, dbsqlc.DepartmentMemberInsertParams{
			WorkspaceID: workspaceID, DepartmentID: departmentID, OperatorID: operatorID,
		})
		if err != nil || n == 0 {
			return interpretError(err)
		}
		added = true
		// An online operator joining has room for its queue.
		_, dispatched, err = dispatchIn(ctx, q, workspaceID, []uuid.UUID{departmentID}, uuid.Nil, time.Now())
		return err
	})
	if err != nil {
		return false, 0, fmt.Errorf("adding operator %s to department %s: %w", operatorID, departmentID, err)
	}
	return added, dispatched, nil
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

// CreateDepartment adds a department to a workspace.
func (s *Store) CreateDepartment(ctx context.Context, workspaceID uuid.UUID, name string) (uuid.UUID, error) {
	r, err := s.q.DepartmentInsert(ctx, dbsqlc.DepartmentInsertParams{ID: newID(), WorkspaceID: workspaceID, Name: name})
	if err != nil {
		return uuid.Nil, fmt.Errorf("creating department %q: %w", name, interpretError(err))
	}
	return r.ID, nil
}
