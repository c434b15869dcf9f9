package store

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/switchboardhq/switchboard/db/sqlc"
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
