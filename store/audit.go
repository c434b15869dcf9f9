package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"

	dbsqlc "github.com/switchboardhq/switchboard/db/sqlc"
)

// AuditEntry is one recorded change of access or settings.
type AuditEntry struct {
	ID          uuid.UUID       `json:"id"`
	WorkspaceID uuid.UUID       `json:"-"`
	ActorType   string          `json:"actor_type"` // operator, api_token, system
	ActorID     *uuid.UUID      `json:"actor_id"`
	Action      string          `json:"action"` // e.g. operator.role_changed
	TargetType  string          `json:"target_type"`
	TargetID    *uuid.UUID      `json:"target_id"`
	Data        json.RawMessage `json:"data"`
	CreatedAt   time.Time       `json:"created_at"`
}

// Audit records an entry.
func (s *Store) Audit(ctx context.Context, e AuditEntry) error {
	data := e.Data
	if len(data) == 0 {
		data = json.RawMessage(`{}`)
	}
	err := s.q.AuditInsert(ctx, dbsqlc.AuditInsertParams{
		ID: newID(), WorkspaceID: e.WorkspaceID, ActorType: e.ActorType, ActorID: nullUUID(e.ActorID),
		Action: e.Action, TargetType: e.TargetType, TargetID: nullUUID(e.TargetID), Data: data,
	})
	if err != nil {
		return fmt.Errorf("recording audit entry %s: %w", e.Action, interpretError(err))
	}
	return nil
}

// AuditLog returns a page of entries, newest first, and the next cursor.
func (s *Store) AuditLog(ctx context.Context, workspaceID uuid.UUID, after *Cursor, limit int) ([]AuditEntry, *Cursor, error) {
	p := dbsqlc.AuditListParams{WorkspaceID: workspaceID, RowLimit: int32(limit + 1)}
	if after != nil {
		p.CursorAt = &after.At
		p.CursorID = uuid.NullUUID{UUID: after.ID, Valid: true}
	}
	rows, err := s.q.AuditList(ctx, p)
	if err != nil {
		return nil, nil, fmt.Errorf("reading audit log: %w", err)
	}
	var next *Cursor
	if len(rows) > limit {
		rows = rows[:limit]
		next = &Cursor{At: rows[len(rows)-1].CreatedAt, ID: rows[len(rows)-1].ID}
	}
	out := make([]AuditEntry, len(rows))
	for i, r := range rows {
		out[i] = AuditEntry{
			ID: r.ID, WorkspaceID: r.WorkspaceID, ActorType: r.ActorType, ActorID: uuidPtr(r.ActorID), Action: r.Action,
			TargetType: r.TargetType, TargetID: uuidPtr(r.TargetID), Data: r.Data, CreatedAt: r.CreatedAt,
		}
	}
	return out, next, nil
}
