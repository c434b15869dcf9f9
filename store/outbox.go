package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	dbsqlc "github.com/switchboardhq/switchboard/db/sqlc"
)

// OutboxRelayLeaseTake gives the relay that just became leader the next
// epoch. From then on the previous leader's fenced statements change
// nothing.
func (s *Store) OutboxRelayLeaseTake(ctx context.Context, holder string) (int64, error) {
	epoch, err := s.q.OutboxRelayLeaseTake(ctx, holder)
	if err != nil {
		return 0, fmt.Errorf("taking the outbox relay lease: %w", err)
	}
	return epoch, nil
}

// DeadLetter is an outbox row the relay gave up on. It blocks nothing; an
// admin may send it back (OutboxDeadRetry).
type DeadLetter struct {
	ID             int64     `json:"id"`
	ConversationID uuid.UUID `json:"conversation_id"`
	Kind           string    `json:"kind"`
	Attempts       int32     `json:"attempts"`
	LastError      string    `json:"last_error"`
	DeadAt         time.Time `json:"dead_at"`
	CreatedAt      time.Time `json:"created_at"`
}

// OutboxDeadLetters lists a workspace's dead rows, newest first, those
// with an id below before when it is not 0. next is the cursor of the
// following page, 0 when this is the last.
func (s *Store) OutboxDeadLetters(ctx context.Context, workspaceID uuid.UUID, before int64, limit int) (out []DeadLetter, next int64, err error) {
	p := dbsqlc.OutboxDeadListParams{WorkspaceID: workspaceID, RowLimit: int32(limit + 1)}
	if before > 0 {
		p.BeforeID = &before
	}
	rows, err := s.q.OutboxDeadList(ctx, p)
	if err != nil {
		return nil, 0, fmt.Errorf("reading dead letters: %w", err)
	}
	if len(rows) > limit {
		rows = rows[:limit]
		next = rows[len(rows)-1].ID
	}
	out = make([]DeadLetter, len(rows))
	for i, r := range rows {
		out[i] = DeadLetter{
			ID: r.ID, ConversationID: r.ConversationID, Kind: r.Kind, Attempts: r.Attempts,
			LastError: r.LastError, CreatedAt: r.CreatedAt,
		}
		if r.DeadAt != nil {
			out[i].DeadAt = *r.DeadAt
		}
	}
	return out, next, nil
}

// OutboxDeadRetry sends a workspace's dead row back to the relay with
// fresh attempts. ErrNotFound: no such dead row in this workspace.
func (s *Store) OutboxDeadRetry(ctx context.Context, workspaceID uuid.UUID, id int64) (DeadLetter, error) {
	r, err := s.q.OutboxDeadRetry(ctx, dbsqlc.OutboxDeadRetryParams{WorkspaceID: workspaceID, ID: id})
	if err != nil {
		return DeadLetter{}, fmt.Errorf("retrying dead letter %d: %w", id, interpretError(err))
	}
	return DeadLetter{
		ID: r.ID, ConversationID: r.ConversationID, Kind: r.Kind, Attempts: r.Attempts,
		LastError: r.LastError, CreatedAt: r.CreatedAt,
	}, nil
}

// Outbox kinds.
const (
	OutboxConversationStarted = "conversation.started"
	OutboxMessageCreated      = "message.created"
)

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
