package store

import (
	"context"
	"fmt"
	"slices"

	"github.com/google/uuid"

	"github.com/switchboardhq/switchboard/access"
	"github.com/switchboardhq/switchboard/conversation"
)

// QueueCounts are the inbox's live counts as one viewer may see them,
// read from counters kept as conversations move (migration 00012), never
// by counting the table.
type QueueCounts struct {
	// Mine are the conversations assigned to the viewer.
	Mine StatusCounts `json:"mine"`
	// Unclaimed are the open conversations nobody has that the viewer may
	// see (and so claim); not those a bot flow has.
	Unclaimed int64 `json:"unclaimed"`
	// Bot are the open conversations a bot flow has (among All.Open).
	Bot int64 `json:"bot"`
	// All are every unresolved conversation the viewer may see.
	All StatusCounts `json:"all"`
	// Departments break All down by department (DepartmentID null: none).
	Departments []DepartmentCounts `json:"departments"`
	// Operators are the load of each operator the viewer may see
	// conversations of: what they hold, open and snoozed.
	Operators []OperatorLoad `json:"operators"`
}

// OperatorLoad is what one operator holds.
type OperatorLoad struct {
	OperatorID uuid.UUID `json:"operator_id"`
	StatusCounts
}

// StatusCounts count unresolved conversations by status.
type StatusCounts struct {
	Open    int64 `json:"open"`
	Snoozed int64 `json:"snoozed"`
}

// DepartmentCounts are one department's part of QueueCounts.All.
type DepartmentCounts struct {
	DepartmentID *uuid.UUID `json:"department_id"`
	StatusCounts
	Unclaimed int64 `json:"unclaimed"`
	Bot       int64 `json:"bot"`
}

// bucketBot is the counters' status of open conversations in the bot
// phase (migration 00014).
const bucketBot = "bot"

// QueueCounts reads the workspace's counters and keeps what v may see,
// by the same rule as the list (access.Viewer.CanSee).
func (s *Store) QueueCounts(ctx context.Context, v access.Viewer) (QueueCounts, error) {
	rows, err := s.q.ConversationCountList(ctx, v.WorkspaceID)
	if err != nil {
		return QueueCounts{}, fmt.Errorf("reading queue counts: %w", err)
	}
	out := QueueCounts{Departments: []DepartmentCounts{}, Operators: []OperatorLoad{}}
	byDept := map[uuid.UUID]*DepartmentCounts{}
	byOperator := map[uuid.UUID]*OperatorLoad{}
	for _, r := range rows {
		dept, assignee := optionalID(r.DepartmentID), optionalID(r.AssigneeID)
		if !v.CanSee(dept, assignee) {
			continue
		}
		d := byDept[r.DepartmentID]
		if d == nil {
			d = &DepartmentCounts{DepartmentID: dept}
			byDept[r.DepartmentID] = d
		}
		mine := assignee != nil && *assignee == v.OperatorID
		var load *StatusCounts
		if assignee != nil {
			o := byOperator[*assignee]
			if o == nil {
				o = &OperatorLoad{OperatorID: *assignee}
				byOperator[*assignee] = o
			}
			load = &o.StatusCounts
		}
		switch r.Status {
		case conversation.StatusOpen:
			out.All.Open += r.N
			d.Open += r.N
			if load != nil {
				load.Open += r.N
			}
			if mine {
				out.Mine.Open += r.N
			}
			if assignee == nil {
				out.Unclaimed += r.N
				d.Unclaimed += r.N
			}
		case bucketBot:
			// Open, with the bot: in the lists of all open conversations,
			// nobody's to claim.
			out.All.Open += r.N
			d.Open += r.N
			out.Bot += r.N
			d.Bot += r.N
		case conversation.StatusSnoozed:
			out.All.Snoozed += r.N
			d.Snoozed += r.N
			if load != nil {
				load.Snoozed += r.N
			}
			if mine {
				out.Mine.Snoozed += r.N
			}
		}
	}
	for _, d := range byDept {
		out.Departments = append(out.Departments, *d)
	}
	for _, o := range byOperator {
		out.Operators = append(out.Operators, *o)
	}
	slices.SortFunc(out.Operators, func(a, b OperatorLoad) int { return slices.Compare(a.OperatorID[:], b.OperatorID[:]) })
	// Stable for clients: no department first, then by id.
	slices.SortFunc(out.Departments, func(a, b DepartmentCounts) int {
		switch {
		case a.DepartmentID == nil:
			return -1
		case b.DepartmentID == nil:
			return 1
		}
		return slices.Compare(a.DepartmentID[:], b.DepartmentID[:])
	})
	return out, nil
}

// optionalID reads the counters' nil uuid as "none".
func optionalID(id uuid.UUID) *uuid.UUID {
	if id == uuid.Nil {
		return nil
	}
	return &id
}
