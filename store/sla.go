package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/switchboardhq/switchboard/calendar"
	dbsqlc "github.com/switchboardhq/switchboard/db/sqlc"
	"github.com/switchboardhq/switchboard/sla"
)

// policyDocument is what sla_policies.document holds: a policy but for
// its id, name, switch and version, which have columns.
type policyDocument struct {
	Conditions    sla.Conditions `json:"conditions"`
	Targets       []sla.Target   `json:"targets"`
	WarnAtPercent int            `json:"warn_at_percent"`
	Pauses        sla.Pauses     `json:"pauses"`
	Ladder        []sla.Step     `json:"ladder"`
}

func policyFromRow(r dbsqlc.SlaPolicy) (sla.Policy, error) {
	var doc policyDocument
	if err := json.Unmarshal(r.Document, &doc); err != nil {
		return sla.Policy{}, fmt.Errorf("reading SLA policy %s: %w", r.ID, err)
	}
	if doc.Ladder == nil {
		doc.Ladder = []sla.Step{}
	}
	return sla.Policy{
		ID: r.ID, Name: r.Name, Enabled: r.Enabled, Version: r.Version,
		Conditions: doc.Conditions, Targets: doc.Targets, WarnAtPercent: doc.WarnAtPercent, Pauses: doc.Pauses, Ladder: doc.Ladder,
	}, nil
}

// SLAPolicies returns the workspace's SLA policies in order.
func (s *Store) SLAPolicies(ctx context.Context, workspaceID uuid.UUID) ([]sla.Policy, error) {
	rows, err := s.q.SLAPolicyList(ctx, workspaceID)
	if err != nil {
		return nil, fmt.Errorf("listing SLA policies: %w", err)
	}
	out := make([]sla.Policy, 0, len(rows))
	for _, r := range rows {
		p, err := policyFromRow(r)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// UnknownPolicyError: the policy at Index names an id the workspace has
// no policy with.
type UnknownPolicyError struct{ Index int }

func (e *UnknownPolicyError) Error() string {
	return fmt.Sprintf("policies[%d].id is not a policy of this workspace", e.Index)
}

// SetSLAPolicies replaces the workspace's ordered list: a policy with the
// id of one of the workspace's keeps it (and counts a version when it
// changed), one without gets a new id, and those left out are deleted.
// The workspace's SLA version moves, so running clocks re-read the list.
func (s *Store) SetSLAPolicies(ctx context.Context, workspaceID uuid.UUID, policies []sla.Policy) ([]sla.Policy, error) {
	err := s.tx(ctx, func(q *dbsqlc.Queries) error {
		if _, err := q.SLAPoliciesLock(ctx, workspaceID); err != nil {
			return interpretError(err)
		}
		current, err := q.SLAPolicyList(ctx, workspaceID)
		if err != nil {
			return err
		}
		keep := make([]uuid.UUID, 0, len(policies))
		for i := range policies {
			p := &policies[i]
			if p.ID == uuid.Nil {
				p.ID = newID()
			} else if !slices.ContainsFunc(current, func(r dbsqlc.SlaPolicy) bool { return r.ID == p.ID }) || slices.Contains(keep, p.ID) {
				return &UnknownPolicyError{Index: i}
			}
			keep = append(keep, p.ID)
		}
		if err := q.SLAPolicyDeleteExcept(ctx, dbsqlc.SLAPolicyDeleteExceptParams{WorkspaceID: workspaceID, Keep: keep}); err != nil {
			return err
		}
		for i, p := range policies {
			doc, err := json.Marshal(policyDocument{
				Conditions: p.Conditions, Targets: p.Targets, WarnAtPercent: p.WarnAtPercent, Pauses: p.Pauses, Ladder: p.Ladder,
			})
			if err != nil {
				return err
			}
			_, err = q.SLAPolicyUpsert(ctx, dbsqlc.SLAPolicyUpsertParams{
				ID: p.ID, WorkspaceID: workspaceID, Position: int32(i), Name: p.Name, Enabled: p.Enabled, Document: doc,
			})
			if errors.Is(err, pgx.ErrNoRows) {
				return &UnknownPolicyError{Index: i}
			}
			if err != nil {
				return interpretError(err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("setting SLA policies: %w", err)
	}
	return s.SLAPolicies(ctx, workspaceID)
}

// WorkspaceHours returns the workspace's business hours: the calendar of
// its conversations whose department has none (nil: always open).
func (s *Store) WorkspaceHours(ctx context.Context, workspaceID uuid.UUID) (*calendar.Calendar, error) {
	raw, err := s.q.WorkspaceHoursGet(ctx, workspaceID)
	if err != nil {
		return nil, interpretError(err)
	}
	return calendarOf(raw)
}

// SetWorkspaceHours sets the workspace's business hours (nil: always
// open) and moves its SLA version.
func (s *Store) SetWorkspaceHours(ctx context.Context, workspaceID uuid.UUID, cal *calendar.Calendar) (*calendar.Calendar, error) {
	var raw []byte
	if cal != nil {
		var err error
		if raw, err = json.Marshal(cal); err != nil {
			return nil, err
		}
	}
	saved, err := s.q.WorkspaceHoursSet(ctx, dbsqlc.WorkspaceHoursSetParams{ID: workspaceID, BusinessHours: raw})
	if err != nil {
		return nil, fmt.Errorf("setting the business hours of workspace %s: %w", workspaceID, interpretError(err))
	}
	return calendarOf(saved)
}

func calendarOf(raw []byte) (*calendar.Calendar, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	var cal calendar.Calendar
	if err := json.Unmarshal(raw, &cal); err != nil {
		return nil, fmt.Errorf("reading business hours: %w", err)
	}
	return &cal, nil
}
