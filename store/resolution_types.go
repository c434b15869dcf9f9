package store

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	dbsqlc "github.com/switchboardhq/switchboard/db/sqlc"
)

// ResolutionType is one of a workspace's resolution types: what the
// operator who resolves a conversation picks. Archived types are no longer
// offered; the conversations resolved with them still name them.
type ResolutionType struct {
	Key      string `json:"key"`
	Name     string `json:"name"`
	Archived bool   `json:"archived"`
}

// ResolutionTypes lists a workspace's resolution types: those offered, in
// their order, then the archived ones.
func (s *Store) ResolutionTypes(ctx context.Context, workspaceID uuid.UUID) ([]ResolutionType, error) {
	rows, err := s.q.ResolutionTypes(ctx, workspaceID)
	if err != nil {
		return nil, fmt.Errorf("listing resolution types: %w", err)
	}
	out := make([]ResolutionType, len(rows))
	for i, r := range rows {
		out[i] = ResolutionType{Key: r.Key, Name: r.Name, Archived: r.Archived}
	}
	return out, nil
}

// SetResolutionTypes makes types, in this order, the ones a workspace
// offers (each with its key); every other type is archived. The caller
// checks names and keys.
func (s *Store) SetResolutionTypes(ctx context.Context, workspaceID uuid.UUID, types []ResolutionType) ([]ResolutionType, error) {
	err := s.tx(ctx, func(q *dbsqlc.Queries) error {
		if err := q.WorkspaceLock(ctx, workspaceID); err != nil {
			return err
		}
		if err := q.ResolutionTypesArchiveAll(ctx, workspaceID); err != nil {
			return err
		}
		for i, t := range types {
			err := q.ResolutionTypeUpsert(ctx, dbsqlc.ResolutionTypeUpsertParams{
				WorkspaceID: workspaceID, Key: t.Key, Name: t.Name, Position: int32(i),
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("setting resolution types: %w", interpretError(err))
	}
	return s.ResolutionTypes(ctx, workspaceID)
}

// ResolutionTypeOffered reports whether key is a type the workspace offers.
func (s *Store) ResolutionTypeOffered(ctx context.Context, workspaceID uuid.UUID, key string) (bool, error) {
	ok, err := s.q.ResolutionTypeOffered(ctx, dbsqlc.ResolutionTypeOfferedParams{WorkspaceID: workspaceID, Key: key})
	if err != nil {
		return false, fmt.Errorf("checking resolution type: %w", err)
	}
	return ok, nil
}
