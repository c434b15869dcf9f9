package store

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/switchboardhq/switchboard/conversation"
	dbsqlc "github.com/switchboardhq/switchboard/db/sqlc"
)

// QueueSpot is where a waiting conversation stands, as its visitor sees
// it.
type QueueSpot struct {
	// Position is 1 for the next conversation to be taken.
	Position int `json:"position"`
	// WaitSeconds estimates the wait from how many conversations the
	// department took in the last hour; nil when it took none.
	WaitSeconds *int `json:"wait_seconds"`
	// Open: the department is within its business hours (always, without
	// any). Closed, the visitor hears back when it opens.
	Open bool `json:"open"`
}

// queueWindow is how far back the department's pace is measured.
const queueWindow = time.Hour

// QueueSpot returns where conversation c stands in its department's queue,
// or nil when it does not wait in one.
func (s *Store) QueueSpot(ctx context.Context, c Conversation) (*QueueSpot, error) {
	if c.Status != conversation.StatusOpen || c.Phase != conversation.PhaseQueued || c.DepartmentID == nil || c.QueuedAt == nil {
		return nil, nil
	}
	ahead, err := s.q.QueueAhead(ctx, dbsqlc.QueueAheadParams{
		WorkspaceID: c.WorkspaceID, DepartmentID: uuid.NullUUID{UUID: *c.DepartmentID, Valid: true}, ID: c.ID,
		Rank: int32(conversation.PriorityRank(c.Priority)), QueuedAt: *c.QueuedAt,
	})
	if err != nil {
		return nil, fmt.Errorf("reading the queue position of %s: %w", c.ID, err)
	}
	pace, err := s.queuePace(ctx, c.WorkspaceID, *c.DepartmentID)
	if err != nil {
		return nil, err
	}
	spot := pace.at(int(ahead) + 1)
	return &spot, nil
}

// pace is how fast a department's queue moves now.
type pace struct {
	taken int64 // in the last queueWindow
	open  bool
}

func (p pace) at(position int) QueueSpot {
	spot := QueueSpot{Position: position, Open: p.open}
	if p.taken > 0 {
		w := int((int64(position)*int64(queueWindow/time.Second) + p.taken - 1) / p.taken)
		spot.WaitSeconds = &w
	}
	return spot
}

func (s *Store) queuePace(ctx context.Context, workspaceID, departmentID uuid.UUID) (pace, error) {
	taken, err := s.q.DepartmentAssignedSince(ctx, dbsqlc.DepartmentAssignedSinceParams{
		WorkspaceID: workspaceID, DepartmentID: departmentID, Since: time.Now().Add(-queueWindow),
	})
	if err != nil {
		return pace{}, fmt.Errorf("reading the pace of department %s: %w", departmentID, err)
	}
	d, err := s.Department(ctx, workspaceID, departmentID)
	if err != nil {
		return pace{}, fmt.Errorf("reading department %s: %w", departmentID, err)
	}
	return pace{taken: taken, open: d.BusinessHours == nil || d.BusinessHours.Open(time.Now())}, nil
}

// WaitingSpot is a waiting conversation's spot, with whom to tell.
type WaitingSpot struct {
	ConversationID uuid.UUID
	VisitorID      uuid.UUID
	ContactID      *uuid.UUID
	Spot           QueueSpot
}

// QueueHead returns the first limit conversations of a department's queue
// with their spots: after the queue moved, each visitor learns theirs.
func (s *Store) QueueHead(ctx context.Context, workspaceID, departmentID uuid.UUID, limit int) ([]WaitingSpot, error) {
	rows, err := s.q.QueueHead(ctx, dbsqlc.QueueHeadParams{
		WorkspaceID: workspaceID, DepartmentID: uuid.NullUUID{UUID: departmentID, Valid: true}, RowLimit: int32(limit),
	})
	if err != nil {
		return nil, fmt.Errorf("reading the head of department %s's queue: %w", departmentID, err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	p, err := s.queuePace(ctx, workspaceID, departmentID)
	if err != nil {
		return nil, err
	}
	out := make([]WaitingSpot, len(rows))
	for i, r := range rows {
		out[i] = WaitingSpot{ConversationID: r.ID, VisitorID: r.VisitorID, ContactID: uuidPtr(r.ContactID), Spot: p.at(i + 1)}
	}
	return out, nil
}
