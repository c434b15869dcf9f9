package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	dbsqlc "github.com/switchboardhq/switchboard/db/sqlc"
)

// MaxKeywordRules bounds a workspace's keyword rules: every customer
// message is matched against all of them on the hot path.
const MaxKeywordRules = 200

// KeywordRule is a workspace's rule: a customer message containing one of
// Phrases raises the conversation's priority to Priority and, while a bot
// has the conversation, hands it to people (in DepartmentID when set).
type KeywordRule struct {
	ID           uuid.UUID  `json:"id"`
	Name         string     `json:"name"`
	Phrases      []string   `json:"phrases"`
	Priority     string     `json:"priority"`
	DepartmentID *uuid.UUID `json:"department_id"`
	Position     int        `json:"position"`
	Enabled      bool       `json:"enabled"`
	CreatedAt    time.Time  `json:"created_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
}

func keywordRuleFromRow(r dbsqlc.KeywordRule) KeywordRule {
	return KeywordRule{
		ID: r.ID, Name: r.Name, Phrases: r.Phrases, Priority: r.Priority, DepartmentID: uuidPtr(r.DepartmentID),
		Position: int(r.Position), Enabled: r.Enabled, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
	}
}

// KeywordRuleInput is a rule as written: phrases already normalized.
// Position nil on create: after the last rule.
type KeywordRuleInput struct {
	Name         string
	Phrases      []string
	Priority     string
	DepartmentID *uuid.UUID
	Position     *int
	Enabled      bool
}

// KeywordRules lists a workspace's rules in the order they are tried.
func (s *Store) KeywordRules(ctx context.Context, workspaceID uuid.UUID) ([]KeywordRule, error) {
	rows, err := s.q.KeywordRuleList(ctx, workspaceID)
	if err != nil {
		return nil, fmt.Errorf("listing keyword rules: %w", err)
	}
	out := make([]KeywordRule, len(rows))
	for i, r := range rows {
		out[i] = keywordRuleFromRow(r)
	}
	return out, nil
}

// EnabledKeywordRules is the rule set the hot path matches, in order.
func (s *Store) EnabledKeywordRules(ctx context.Context, workspaceID uuid.UUID) ([]KeywordRule, error) {
	rows, err := s.q.KeywordRuleListEnabled(ctx, workspaceID)
	if err != nil {
		return nil, fmt.Errorf("loading keyword rules: %w", err)
	}
	out := make([]KeywordRule, len(rows))
	for i, r := range rows {
		out[i] = KeywordRule{ID: r.ID, Phrases: r.Phrases, Priority: r.Priority, DepartmentID: uuidPtr(r.DepartmentID), Enabled: true}
	}
	return out, nil
}

// KeywordRule returns one rule of a workspace.
func (s *Store) KeywordRule(ctx context.Context, workspaceID, id uuid.UUID) (KeywordRule, error) {
	r, err := s.q.KeywordRuleGet(ctx, dbsqlc.KeywordRuleGetParams{WorkspaceID: workspaceID, ID: id})
	if err != nil {
		return KeywordRule{}, interpretError(err)
	}
	return keywordRuleFromRow(r), nil
}

// ErrTooManyKeywordRules: the workspace has MaxKeywordRules already.
var ErrTooManyKeywordRules = fmt.Errorf("a workspace has at most %d keyword rules", MaxKeywordRules)

// departmentRefError: the rule's one reference is its department, so a
// write that finds no referenced row names a department not the
// workspace's.
func departmentRefError(err error) error {
	if err = interpretError(err); errors.Is(err, ErrNotFound) {
		return ErrUnknownDepartment
	}
	return err
}

// CreateKeywordRule adds a rule; ErrUnknownDepartment when its department
// is not the workspace's.
func (s *Store) CreateKeywordRule(ctx context.Context, workspaceID uuid.UUID, in KeywordRuleInput) (KeywordRule, error) {
	var out KeywordRule
	err := s.tx(ctx, func(q *dbsqlc.Queries) error {
		// Serialises creates of one workspace, so the cap holds.
		if _, err := q.WorkspaceGetForUpdate(ctx, workspaceID); err != nil {
			return interpretError(err)
		}
		n, err := q.KeywordRuleCount(ctx, workspaceID)
		if err != nil {
			return err
		}
		if n >= MaxKeywordRules {
			return ErrTooManyKeywordRules
		}
		var pos *int32
		if in.Position != nil {
			p := int32(*in.Position)
			pos = &p
		}
		r, err := q.KeywordRuleInsert(ctx, dbsqlc.KeywordRuleInsertParams{
			ID: newID(), WorkspaceID: workspaceID, Name: in.Name, Phrases: in.Phrases, Priority: in.Priority,
			DepartmentID: nullUUID(in.DepartmentID), Position: pos, Enabled: in.Enabled,
		})
		if err != nil {
			return departmentRefError(err)
		}
		out = keywordRuleFromRow(r)
		return nil
	})
	if err != nil {
		return KeywordRule{}, fmt.Errorf("creating keyword rule: %w", err)
	}
	return out, nil
}

// UpdateKeywordRule replaces a rule's fields (Position nil keeps it).
func (s *Store) UpdateKeywordRule(ctx context.Context, workspaceID, id uuid.UUID, in KeywordRuleInput) (KeywordRule, error) {
	var out KeywordRule
	err := s.tx(ctx, func(q *dbsqlc.Queries) error {
		cur, err := q.KeywordRuleGet(ctx, dbsqlc.KeywordRuleGetParams{WorkspaceID: workspaceID, ID: id})
		if err != nil {
			return interpretError(err)
		}
		pos := cur.Position
		if in.Position != nil {
			pos = int32(*in.Position)
		}
		r, err := q.KeywordRuleUpdate(ctx, dbsqlc.KeywordRuleUpdateParams{
			WorkspaceID: workspaceID, ID: id, Name: in.Name, Phrases: in.Phrases, Priority: in.Priority,
			DepartmentID: nullUUID(in.DepartmentID), Position: pos, Enabled: in.Enabled,
		})
		if err != nil {
			return departmentRefError(err)
		}
		out = keywordRuleFromRow(r)
		return nil
	})
	if err != nil {
		return KeywordRule{}, fmt.Errorf("updating keyword rule %s: %w", id, err)
	}
	return out, nil
}

// DeleteKeywordRule deletes a rule; ErrNotFound when there is none.
func (s *Store) DeleteKeywordRule(ctx context.Context, workspaceID, id uuid.UUID) error {
	n, err := s.q.KeywordRuleDelete(ctx, dbsqlc.KeywordRuleDeleteParams{WorkspaceID: workspaceID, ID: id})
	if err != nil {
		return fmt.Errorf("deleting keyword rule %s: %w", id, err)
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}
