package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/switchboardhq/switchboard/conversation"
	"github.com/switchboardhq/switchboard/db/sqlc"
)

// LifecycleChange is one change, with its log entry.
type LifecycleChange struct {
	WorkspaceID    uuid.UUID
	ConversationID uuid.UUID
	Lifecycle      conversation.Lifecycle
	EventType      string
	ActorType      string
	ActorID        *uuid.UUID
	Reason         string
	Data           json.RawMessage
	At             time.Time
}

// Applied is what persisting a change produced.
type Applied struct {
	Conversation Conversation
	Event        Event
	// Fresh is false when the change had already been applied (a retried
	// activity); Conversation then holds the current row and Event is zero.
	Fresh bool
	// PreviousDepartmentID and PreviousAssigneeID are the routing before a
	// fresh change: who could see the conversation until now.
	PreviousDepartmentID *uuid.UUID
	PreviousAssigneeID   *uuid.UUID
}

// ApplyLifecycle writes a workflow's change and appends it to the event log
// in one transaction, once: a change whose version is not newer than the
// row's is a retry and changes nothing.
func (s *Store) ApplyLifecycle(ctx context.Context, c LifecycleChange) (Applied, error) {
	var out Applied
	data := c.Data
	if len(data) == 0 {
		data = json.RawMessage(`{}`)
	}
	err := s.tx(ctx, func(q *dbsqlc.Queries) error {
		l := c.Lifecycle
		r, err := q.ConversationApplyLifecycle(ctx, dbsqlc.ConversationApplyLifecycleParams{
			Status: l.Status, Phase: l.Phase, AssigneeID: nullUUID(l.AssigneeID), DepartmentID: nullUUID(l.DepartmentID),
			Priority: l.Priority, SnoozedUntil: l.SnoozedUntil, SnoozeUntilReply: l.SnoozeUntilReply,
			Resolution: strPtr(l.Resolution), ResolutionNotes: strPtr(l.ResolutionNotes), ResolvedAt: l.ResolvedAt,
			Version: l.Version, WorkflowMessageSeq: l.LastMessageSeq, At: c.At, WorkspaceID: c.WorkspaceID, ID: c.ConversationID,
		})
		if errors.Is(interpretError(err), ErrNotFound) {
			return nil // already applied, or no such conversation: told apart below
		}
		if err != nil {
			return interpretError(err)
		}
		conv := conversationFromRow(appliedRow(r))
		prevDept, prevAssignee := uuidPtr(r.PrevDepartmentID), uuidPtr(r.PrevAssigneeID)
		if len(c.Data) == 0 && !sameID(prevDept, conv.DepartmentID) {
			// Where a conversation came from is part of its history.
			data, _ = json.Marshal(map[string]*uuid.UUID{"from_department_id": prevDept, "to_department_id": conv.DepartmentID})
		}
		ev, err := q.ConversationEventInsert(ctx, dbsqlc.ConversationEventInsertParams{
			ID: newID(), WorkspaceID: c.WorkspaceID, ConversationID: c.ConversationID, Seq: r.LastSeq,
			Version: l.Version, Type: c.EventType, ActorType: c.ActorType, ActorID: nullUUID(c.ActorID),
			Reason: c.Reason, Data: data, CreatedAt: c.At,
		})
		if err != nil {
			return interpretError(err)
		}
		out = Applied{
			Conversation: conv, Event: eventFromRow(ev), Fresh: true,
			PreviousDepartmentID: prevDept, PreviousAssigneeID: prevAssignee,
		}
		return nil
	})
	if err != nil {
		return Applied{}, fmt.Errorf("applying %s to conversation %s: %w", c.EventType, c.ConversationID, err)
	}
	if !out.Fresh {
		conv, err := s.Conversation(ctx, c.WorkspaceID, c.ConversationID)
		if err != nil {
			return Applied{}, fmt.Errorf("reading conversation %s after a replayed change: %w", c.ConversationID, err)
		}
		out.Conversation = conv
	}
	return out, nil
}

func appliedRow(r dbsqlc.ConversationApplyLifecycleRow) dbsqlc.Conversation {
	return dbsqlc.Conversation{
		ID: r.ID, WorkspaceID: r.WorkspaceID, VisitorID: r.VisitorID, ContactID: r.ContactID, Subject: r.Subject,
		Status: r.Status, Phase: r.Phase, AssigneeID: r.AssigneeID, DepartmentID: r.DepartmentID, Priority: r.Priority,
		SnoozedUntil: r.SnoozedUntil, SnoozeUntilReply: r.SnoozeUntilReply, Resolution: r.Resolution,
		ResolutionNotes: r.ResolutionNotes, ResolvedAt: r.ResolvedAt, LifecycleVersion: r.LifecycleVersion,
		WorkflowMessageSeq: r.WorkflowMessageSeq, LastSeq: r.LastSeq, MessageCount: r.MessageCount,
		LastMessageAt: r.LastMessageAt, LastMessagePreview: r.LastMessagePreview, LastActivityAt: r.LastActivityAt,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, InboxID: r.InboxID,
	}
}

func sameID(a, b *uuid.UUID) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}

// OutboxItem is one undelivered workflow notification.
type OutboxItem struct {
	ID             int64
	WorkspaceID    uuid.UUID
	ConversationID uuid.UUID
	Kind           string
	Payload        json.RawMessage
	Attempts       int32
	CreatedAt      time.Time
}

// OutboxDue returns up to limit deliverable rows in commit order.
func (s *Store) OutboxDue(ctx context.Context, limit int) ([]OutboxItem, error) {
	rows, err := s.q.OutboxListDue(ctx, int32(limit))
	if err != nil {
		return nil, fmt.Errorf("reading outbox: %w", err)
	}
	out := make([]OutboxItem, len(rows))
	for i, r := range rows {
		out[i] = OutboxItem{ID: r.ID, WorkspaceID: r.WorkspaceID, ConversationID: r.ConversationID, Kind: r.Kind, Payload: r.Payload, Attempts: r.Attempts, CreatedAt: r.CreatedAt}
	}
	return out, nil
}

// ErrDeposed: a fenced outbox statement found that another relay has taken
// the lease since this one did; it changed nothing.
var ErrDeposed = errors.New("outbox relay lease taken by another relay")

// OutboxDelete removes delivered rows, if epoch still holds the lease.
func (s *Store) OutboxDelete(ctx context.Context, epoch int64, ids []int64) error {
	r, err := s.q.OutboxDelete(ctx, dbsqlc.OutboxDeleteParams{Epoch: epoch, IDs: ids})
	if err != nil {
		return fmt.Errorf("deleting delivered outbox rows: %w", err)
	}
	if !r.Fenced {
		return fmt.Errorf("deleting delivered outbox rows at epoch %d: %w", epoch, ErrDeposed)
	}
	return nil
}

// OutboxRetryLater records a failed delivery and when to try again, if
// epoch still holds the lease. countAttempt is false when the failure says
// nothing about the row (Temporal was unavailable).
func (s *Store) OutboxRetryLater(ctx context.Context, epoch, id int64, countAttempt bool, cause string, at time.Time) error {
	r, err := s.q.OutboxRetryLater(ctx, dbsqlc.OutboxRetryLaterParams{
		Epoch: epoch, ID: id, CountAttempt: countAttempt, LastError: cause, NextAttemptAt: at,
	})
	if err != nil {
		return fmt.Errorf("deferring outbox row %d: %w", id, err)
	}
	if !r.Fenced {
		return fmt.Errorf("deferring outbox row %d at epoch %d: %w", id, epoch, ErrDeposed)
	}
	return nil
}

// OutboxDeadLetter marks a row dead, if epoch still holds the lease. It
// says whether the row changed (false: it was already dead or gone).
func (s *Store) OutboxDeadLetter(ctx context.Context, epoch, id int64, cause string) (bool, error) {
	r, err := s.q.OutboxDeadLetter(ctx, dbsqlc.OutboxDeadLetterParams{Epoch: epoch, ID: id, LastError: cause})
	if err != nil {
		return false, fmt.Errorf("dead-lettering outbox row %d: %w", id, err)
	}
	if !r.Fenced {
		return false, fmt.Errorf("dead-lettering outbox row %d at epoch %d: %w", id, epoch, ErrDeposed)
	}
	return r.Changed, nil
}

// OutboxStats is the backlog (dead rows aside), the age of its oldest row,
// and the number of dead rows.
func (s *Store) OutboxStats(ctx context.Context) (backlog int64, oldest time.Duration, dead int64, err error) {
	r, err := s.q.OutboxStats(ctx)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("reading outbox stats: %w", err)
	}
	return r.Backlog, time.Duration(r.OldestAgeSeconds * float64(time.Second)), r.Dead, nil
}
