package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/switchboardhq/switchboard/conversation"
	dbsqlc "github.com/switchboardhq/switchboard/db/sqlc"
	"github.com/switchboardhq/switchboard/dispatch"
)

// OutboxDispatch is the outbox kind of a dispatch decision: it takes an
// Offer to its conversation's workflow.
const OutboxDispatch = "dispatch.offer"

// OutboxRelease is the outbox kind that asks a conversation's workflow to
// return it to the queue from an operator who went away (a Release).
const OutboxRelease = "dispatch.release"

// Release asks a conversation's workflow to send it back to the queue if
// OperatorID still has it.
type Release struct {
	OperatorID uuid.UUID `json:"operator_id"`
	Reason     string    `json:"reason"`
	// ActorID is the supervisor who asked (a release by hand); nil when
	// presence did (the operator went away).
	ActorID *uuid.UUID `json:"actor_id,omitempty"`
}

// releaseAway writes, for each of an operator's open assigned
// conversations in a department whose away policy is requeue, an outbox
// row asking its workflow to return it to the queue. It returns how many.
func releaseAway(ctx context.Context, q *dbsqlc.Queries, workspaceID, operatorID uuid.UUID) (int, error) {
	ids, err := q.AwayReleases(ctx, dbsqlc.AwayReleasesParams{WorkspaceID: workspaceID, OperatorID: uuid.NullUUID{UUID: operatorID, Valid: true}})
	if err != nil {
		return 0, fmt.Errorf("reading the conversations of an operator gone away: %w", err)
	}
	return len(ids), queueReleases(ctx, q, workspaceID, ids, Release{OperatorID: operatorID, Reason: conversation.ReasonOperatorAway})
}

// queueReleases writes rel to the workflow of each conversation in ids
// (an outbox row each).
func queueReleases(ctx context.Context, q *dbsqlc.Queries, workspaceID uuid.UUID, ids []uuid.UUID, rel Release) error {
	payload, err := json.Marshal(rel)
	if err != nil {
		return fmt.Errorf("encoding a release: %w", err)
	}
	for _, id := range ids {
		if err := q.OutboxInsert(ctx, dbsqlc.OutboxInsertParams{
			WorkspaceID: workspaceID, ConversationID: id, Kind: OutboxRelease, Payload: payload,
		}); err != nil {
			return fmt.Errorf("queueing a release: %w", err)
		}
	}
	return nil
}

// queueOffer takes a dispatch decision to its conversation's workflow (an
// outbox row).
func queueOffer(ctx context.Context, q *dbsqlc.Queries, o Offer) error {
	payload, err := json.Marshal(o)
	if err != nil {
		return fmt.Errorf("encoding a dispatch offer: %w", err)
	}
	if err := q.OutboxInsert(ctx, dbsqlc.OutboxInsertParams{
		WorkspaceID: o.WorkspaceID, ConversationID: o.ConversationID, Kind: OutboxDispatch, Payload: payload,
	}); err != nil {
		return fmt.Errorf("queueing a dispatch offer: %w", err)
	}
	return nil
}

// Offer is one dispatch decision: the conversation is to go to the
// operator. Its conversation's workflow makes the assignment (or turns the
// offer down when the conversation has moved on) and the row goes.
type Offer struct {
	ID             uuid.UUID `json:"id"`
	WorkspaceID    uuid.UUID `json:"workspace_id"`
	ConversationID uuid.UUID `json:"conversation_id"`
	DepartmentID   uuid.UUID `json:"department_id"`
	OperatorID     uuid.UUID `json:"operator_id"`
	Mode           string    `json:"mode"`
	// Timeout is how long the operator has to accept (mode offer).
	Timeout   time.Duration `json:"timeout,omitempty"`
	CreatedAt time.Time     `json:"created_at"`
}

// ErrOfferGone: the offer an assignment was to take is no longer there:
// its operator went away, or the conversation moved on. The assignment is
// not made; whoever took the offer back dispatched again.
var ErrOfferGone = errors.New("dispatch offer is gone")

// dispatchIn runs dispatch for departments within q's transaction: it
// locks them and their online operators, pairs each department's queue
// with its roster (package dispatch) and writes the decisions, each with an
// outbox row for its conversation's workflow, except the decision for own
// (a workflow that is persisting its own change takes it from the result).
// It returns that decision, if any, and how many decisions it wrote.
func dispatchIn(ctx context.Context, q *dbsqlc.Queries, workspaceID uuid.UUID, departments []uuid.UUID, own uuid.UUID, now time.Time) (*Offer, int, error) {
	departments = slices.Compact(slices.SortedFunc(slices.Values(departments), func(a, b uuid.UUID) int {
		return slices.Compare(a[:], b[:])
	}))
	if len(departments) == 0 {
		return nil, 0, nil
	}
	auto, err := q.DispatchLockDepartments(ctx, dbsqlc.DispatchLockDepartmentsParams{WorkspaceID: workspaceID, DepartmentIDs: departments})
	if err != nil {
		return nil, 0, fmt.Errorf("locking departments for dispatch: %w", err)
	}
	if len(auto) == 0 {
		return nil, 0, nil
	}
	ids := make([]uuid.UUID, len(auto))
	for i, d := range auto {
		ids[i] = d.ID
	}
	if _, err := q.DispatchLockOperators(ctx, dbsqlc.DispatchLockOperatorsParams{WorkspaceID: workspaceID, DepartmentIDs: ids}); err != nil {
		return nil, 0, fmt.Errorf("locking operators for dispatch: %w", err)
	}
	var mine *Offer
	n := 0
	for _, d := range auto {
		offers, err := dispatchDepartment(ctx, q, workspaceID, d.ID, d.DispatchMode, now)
		if err != nil {
			return nil, 0, err
		}
		for _, o := range offers {
			n++
			if o.Mode == dispatch.Offer {
				o.Timeout = time.Duration(d.OfferTimeoutSeconds) * time.Second
			}
			if o.ConversationID == own {
				mine = &o
				continue
			}
			if err := queueOffer(ctx, q, o); err != nil {
				return nil, 0, err
			}
		}
	}
	return mine, n, nil
}

// dispatchDepartment pairs one locked department's queue with its roster
// and writes the offers.
func dispatchDepartment(ctx context.Context, q *dbsqlc.Queries, workspaceID, departmentID uuid.UUID, mode string, now time.Time) ([]Offer, error) {
	rows, err := q.DispatchRoster(ctx, dbsqlc.DispatchRosterParams{WorkspaceID: workspaceID, DepartmentID: departmentID})
	if err != nil {
		return nil, fmt.Errorf("reading the roster of department %s: %w", departmentID, err)
	}
	roster := make([]dispatch.Operator, len(rows))
	free := 0
	for i, r := range rows {
		roster[i] = dispatch.Operator{ID: r.ID, Load: int(r.Load), Capacity: int(r.Capacity)}
		if r.LastDispatchedAt != nil {
			roster[i].LastDispatched = *r.LastDispatchedAt
		}
		free += roster[i].Free()
	}
	if free == 0 {
		return nil, nil
	}
	// Some of the first may be passed on by everyone (offer mode): a few
	// more are read than there is room for.
	waiting, err := q.DispatchQueue(ctx, dbsqlc.DispatchQueueParams{WorkspaceID: workspaceID, DepartmentID: uuid.NullUUID{UUID: departmentID, Valid: true}, RowLimit: int32(2*free + 20)})
	if err != nil {
		return nil, fmt.Errorf("reading the queue of department %s: %w", departmentID, err)
	}
	queue := make([]dispatch.Waiting, len(waiting))
	for i, w := range waiting {
		queue[i] = dispatch.Waiting{ID: w.ID, Priority: conversation.PriorityRank(w.Priority), Declined: w.Declined}
		if w.QueuedAt != nil {
			queue[i].QueuedAt = *w.QueuedAt
		}
	}
	dispatch.Sort(queue)
	pairs, after := dispatch.Plan(mode, queue, roster, now)
	offers := make([]Offer, len(pairs))
	for i, p := range pairs {
		offers[i] = Offer{
			ID: newID(), WorkspaceID: workspaceID, ConversationID: p.ConversationID, DepartmentID: departmentID,
			OperatorID: p.OperatorID, Mode: mode, CreatedAt: now,
		}
		if err := q.DispatchOfferInsert(ctx, dbsqlc.DispatchOfferInsertParams{
			ID: offers[i].ID, WorkspaceID: workspaceID, ConversationID: p.ConversationID, DepartmentID: departmentID,
			OperatorID: p.OperatorID, Mode: mode, CreatedAt: now,
		}); err != nil {
			return nil, fmt.Errorf("writing a dispatch offer: %w", interpretError(err))
		}
	}
	for i, o := range after {
		if o.LastDispatched.Equal(roster[i].LastDispatched) {
			continue // no turn taken
		}
		at := o.LastDispatched
		if err := q.DispatchTurnTaken(ctx, dbsqlc.DispatchTurnTakenParams{
			WorkspaceID: workspaceID, DepartmentID: departmentID, OperatorID: o.ID, At: &at,
		}); err != nil {
			return nil, fmt.Errorf("recording a dispatch turn: %w", err)
		}
	}
	return offers, nil
}

// operatorDepartments lists the departments of the operators, for
// dispatch when they gain room.
func operatorDepartments(ctx context.Context, q *dbsqlc.Queries, workspaceID uuid.UUID, operators ...uuid.UUID) ([]uuid.UUID, error) {
	var out []uuid.UUID
	for _, id := range operators {
		depts, err := q.OperatorDepartmentIDs(ctx, dbsqlc.OperatorDepartmentIDsParams{WorkspaceID: workspaceID, OperatorID: id})
		if err != nil {
			return nil, fmt.Errorf("reading the departments of operator %s: %w", id, err)
		}
		out = append(out, depts...)
	}
	return out, nil
}

// Dispatch runs dispatch for departments now and says how many decisions
// it made: after a change of the departments' settings or members. Their
// outbox rows wait for the relay.
func (s *Store) Dispatch(ctx context.Context, workspaceID uuid.UUID, departments ...uuid.UUID) (int, error) {
	var n int
	err := s.tx(ctx, func(q *dbsqlc.Queries) error {
		var err error
		_, n, err = dispatchIn(ctx, q, workspaceID, departments, uuid.Nil, time.Now())
		return err
	})
	return n, err
}

// ReleaseOffer takes back a decision its workflow turned down (the
// conversation had moved on) and dispatches its department again: the
// operator has room for another. It says how many new decisions that made.
func (s *Store) ReleaseOffer(ctx context.Context, workspaceID, offerID uuid.UUID) (int, error) {
	var n int
	err := s.tx(ctx, func(q *dbsqlc.Queries) error {
		r, err := q.DispatchOfferRelease(ctx, dbsqlc.DispatchOfferReleaseParams{WorkspaceID: workspaceID, ID: offerID})
		if errors.Is(interpretError(err), ErrNotFound) {
			return nil // released before (a retry), or taken back
		}
		if err != nil {
			return err
		}
		depts, err := operatorDepartments(ctx, q, workspaceID, r.OperatorID)
		if err != nil {
			return err
		}
		_, n, err = dispatchIn(ctx, q, workspaceID, append(depts, r.DepartmentID), uuid.Nil, time.Now())
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("releasing dispatch offer %s: %w", offerID, err)
	}
	return n, nil
}

// OperatorOnline says whether an operator is online and active.
func (s *Store) OperatorOnline(ctx context.Context, workspaceID, id uuid.UUID) (bool, error) {
	online, err := s.q.OperatorOnline(ctx, dbsqlc.OperatorOnlineParams{WorkspaceID: workspaceID, ID: id})
	if err != nil {
		return false, fmt.Errorf("reading the status of operator %s: %w", id, err)
	}
	return online, nil
}
