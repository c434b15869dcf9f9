package store

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/switchboardhq/switchboard/access"
	"github.com/switchboardhq/switchboard/conversation"
	dbsqlc "github.com/switchboardhq/switchboard/db/sqlc"
	"github.com/switchboardhq/switchboard/dispatch"
)

// Team is the supervisor's view of the departments they manage: each
// queue, and who is online with how much they hold.
type Team struct {
	Departments []TeamDepartment `json:"departments"`
	Operators   []TeamOperator   `json:"operators"`
}

// TeamDepartment is one department's queue and roster in numbers.
type TeamDepartment struct {
	ID           uuid.UUID `json:"id"`
	Name         string    `json:"name"`
	DispatchMode string    `json:"dispatch_mode"`
	// Waiting conversations (open, in the queue, not with the bot), and
	// since when the longest has waited.
	Waiting        int        `json:"waiting"`
	OldestQueuedAt *time.Time `json:"oldest_queued_at"`
	// Online members, and the places they have free (capacity − load).
	Online int `json:"online"`
	Free   int `json:"free"`
}

// TeamOperator is one person: their presence, what they hold and how much
// they may.
type TeamOperator struct {
	ID            uuid.UUID   `json:"id"`
	Name          string      `json:"name"`
	Role          string      `json:"role"`
	Status        string      `json:"status"`
	DepartmentIDs []uuid.UUID `json:"department_ids"`
	// Open assigned conversations, and offers on their way to them: the
	// load dispatch counts against Capacity.
	Open    int `json:"open"`
	Offers  int `json:"offers"`
	Snoozed int `json:"snoozed"`
	// Capacity is their own limit, else the largest of their
	// departments' (dispatch applies each department's own).
	Capacity int `json:"capacity"`
}

// Team reads the view for v: admins see every department and person,
// supervisors their departments and the people in them.
func (s *Store) Team(ctx context.Context, v access.Viewer) (Team, error) {
	depts, err := s.q.TeamDepartments(ctx, v.WorkspaceID)
	if err != nil {
		return Team{}, fmt.Errorf("reading the team's departments: %w", err)
	}
	ops, err := s.q.TeamOperators(ctx, v.WorkspaceID)
	if err != nil {
		return Team{}, fmt.Errorf("reading the team: %w", err)
	}
	out := Team{Departments: []TeamDepartment{}, Operators: []TeamOperator{}}
	capacity := map[uuid.UUID]int{}
	index := map[uuid.UUID]int{}
	for _, d := range depts {
		capacity[d.ID] = int(d.MaxConcurrent)
		if !v.SeesAll() && !v.InDepartment(d.ID) {
			continue
		}
		index[d.ID] = len(out.Departments)
		out.Departments = append(out.Departments, TeamDepartment{
			ID: d.ID, Name: d.Name, DispatchMode: d.DispatchMode, Waiting: int(d.Waiting), OldestQueuedAt: d.OldestQueuedAt,
		})
	}
	for _, o := range ops {
		shown := v.SeesAll() || slices.ContainsFunc(o.DepartmentIDs, v.InDepartment)
		if !shown {
			continue
		}
		op := TeamOperator{
			ID: o.ID, Name: o.Name, Role: o.Role, Status: o.Status, DepartmentIDs: o.DepartmentIDs,
			Open: int(o.Open), Offers: int(o.Offers), Snoozed: int(o.Snoozed),
		}
		if op.DepartmentIDs == nil {
			op.DepartmentIDs = []uuid.UUID{}
		}
		// What they may hold in d: their own limit, else d's (as dispatch
		// counts it).
		limit := func(d uuid.UUID) int {
			if o.MaxConcurrent != nil {
				return int(*o.MaxConcurrent)
			}
			return capacity[d]
		}
		for _, d := range o.DepartmentIDs {
			op.Capacity = max(op.Capacity, limit(d))
			if i, ok := index[d]; ok && op.Status == StatusOnline {
				out.Departments[i].Online++
				out.Departments[i].Free += max(limit(d)-op.Open-op.Offers, 0)
			}
		}
		out.Operators = append(out.Operators, op)
	}
	return out, nil
}

// Distribute hands a department's waiting conversations to its online
// members with room, the least loaded first, whatever the department's
// dispatch mode (a manual department's supervisor clearing Unclaimed; an
// offer department's, assigning without asking). Each decision goes to
// its conversation's workflow like any dispatch. It says how many.
func (s *Store) Distribute(ctx context.Context, workspaceID, departmentID uuid.UUID) (int, error) {
	n := 0
	err := s.tx(ctx, func(q *dbsqlc.Queries) error {
		if _, err := q.DepartmentLockForDistribute(ctx, dbsqlc.DepartmentLockForDistributeParams{WorkspaceID: workspaceID, ID: departmentID}); err != nil {
			return interpretError(err)
		}
		if _, err := q.DispatchLockOperators(ctx, dbsqlc.DispatchLockOperatorsParams{WorkspaceID: workspaceID, DepartmentIDs: []uuid.UUID{departmentID}}); err != nil {
			return fmt.Errorf("locking operators to distribute: %w", err)
		}
		offers, err := dispatchDepartment(ctx, q, workspaceID, departmentID, dispatch.Distributed, time.Now())
		if err != nil {
			return err
		}
		for _, o := range offers {
			if err := queueOffer(ctx, q, o); err != nil {
				return err
			}
		}
		n = len(offers)
		return nil
	})
	return n, err
}

// ReleaseOperator asks the workflows of an operator's open assigned
// conversations in departments (every department when all) to return them
// to the queue, where dispatch (or a claim) finds them someone; by names
// who asked. It says how many.
func (s *Store) ReleaseOperator(ctx context.Context, workspaceID, operatorID uuid.UUID, all bool, departments []uuid.UUID, by *uuid.UUID) (int, error) {
	n := 0
	err := s.tx(ctx, func(q *dbsqlc.Queries) error {
		if departments == nil {
			departments = []uuid.UUID{}
		}
		ids, err := q.OperatorOpenAssigned(ctx, dbsqlc.OperatorOpenAssignedParams{
			WorkspaceID: workspaceID, OperatorID: uuid.NullUUID{UUID: operatorID, Valid: true}, AllDepartments: all, DepartmentIDs: departments,
		})
		if err != nil {
			return fmt.Errorf("reading an operator's conversations: %w", err)
		}
		if err := queueReleases(ctx, q, workspaceID, ids, Release{OperatorID: operatorID, Reason: conversation.ReasonReleased, ActorID: by}); err != nil {
			return err
		}
		n = len(ids)
		return nil
	})
	return n, err
}
