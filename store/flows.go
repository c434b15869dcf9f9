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

// ErrFlowInUse: conversations are still with the bot in one of the flow's
// versions; the flow cannot go before they leave it.
var ErrFlowInUse = errors.New("conversations are still in this flow")

// Flow is a bot flow: the draft being edited and, once published, the
// version new conversations start in.
type Flow struct {
	ID          uuid.UUID       `json:"id"`
	Name        string          `json:"name"`
	Draft       json.RawMessage `json:"draft"`
	LiveVersion *int            `json:"live_version"`
	CreatedAt   time.Time       `json:"created_at"`
	UpdatedAt   time.Time       `json:"updated_at"`
}

func flowFromRow(r dbsqlc.Flow) Flow {
	return Flow{ID: r.ID, Name: r.Name, Draft: r.Draft, LiveVersion: intPtr(r.LiveVersion), CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

// FlowVersion is one published, immutable version of a flow.
type FlowVersion struct {
	FlowID   uuid.UUID       `json:"flow_id"`
	Version  int             `json:"version"`
	Document json.RawMessage `json:"document,omitempty"`
	// CopiedFrom is the version a rollback published again.
	CopiedFrom  *int       `json:"copied_from"`
	PublishedBy *uuid.UUID `json:"published_by"`
	PublishedAt time.Time  `json:"published_at"`
}

func flowVersionFromRow(r dbsqlc.FlowVersion) FlowVersion {
	return FlowVersion{
		FlowID: r.FlowID, Version: int(r.Version), Document: r.Document, CopiedFrom: intPtr(r.CopiedFrom),
		PublishedBy: uuidPtr(r.PublishedBy), PublishedAt: r.PublishedAt,
	}
}

func intPtr(v *int32) *int {
	if v == nil {
		return nil
	}
	n := int(*v)
	return &n
}

// CreateFlow saves a new flow with its first draft; ErrDuplicate when the
// workspace has a flow of that name.
func (s *Store) CreateFlow(ctx context.Context, workspaceID uuid.UUID, name string, draft []byte) (Flow, error) {
	r, err := s.q.FlowInsert(ctx, dbsqlc.FlowInsertParams{ID: newID(), WorkspaceID: workspaceID, Name: name, Draft: draft})
	if err != nil {
		return Flow{}, fmt.Errorf("creating flow: %w", interpretError(err))
	}
	return flowFromRow(r), nil
}

// Flow returns one flow of a workspace.
func (s *Store) Flow(ctx context.Context, workspaceID, id uuid.UUID) (Flow, error) {
	r, err := s.q.FlowGet(ctx, dbsqlc.FlowGetParams{WorkspaceID: workspaceID, ID: id})
	if err != nil {
		return Flow{}, interpretError(err)
	}
	return flowFromRow(r), nil
}

// Flows lists a workspace's flows by name.
func (s *Store) Flows(ctx context.Context, workspaceID uuid.UUID) ([]Flow, error) {
	rows, err := s.q.FlowList(ctx, workspaceID)
	if err != nil {
		return nil, fmt.Errorf("listing flows: %w", err)
	}
	out := make([]Flow, len(rows))
	for i, r := range rows {
		out[i] = flowFromRow(r)
	}
	return out, nil
}

// UpdateFlow replaces a flow's name and draft.
func (s *Store) UpdateFlow(ctx context.Context, workspaceID, id uuid.UUID, name string, draft []byte) (Flow, error) {
	r, err := s.q.FlowUpdateDraft(ctx, dbsqlc.FlowUpdateDraftParams{WorkspaceID: workspaceID, ID: id, Name: name, Draft: draft})
	if err != nil {
		return Flow{}, fmt.Errorf("updating flow %s: %w", id, interpretError(err))
	}
	return flowFromRow(r), nil
}

// PublishFlow makes document the flow's next version and the one new
// conversations start in. copiedFrom names the version a rollback
// publishes again (nil: the draft). Concurrent publishes of a flow take
// turns on its row.
func (s *Store) PublishFlow(ctx context.Context, workspaceID, id uuid.UUID, document []byte, copiedFrom *int, by *uuid.UUID) (FlowVersion, error) {
	var out FlowVersion
	err := s.tx(ctx, func(q *dbsqlc.Queries) error {
		if _, err := q.FlowGetForUpdate(ctx, dbsqlc.FlowGetForUpdateParams{WorkspaceID: workspaceID, ID: id}); err != nil {
			return interpretError(err)
		}
		var from *int32
		if copiedFrom != nil {
			v := int32(*copiedFrom)
			from = &v
		}
		v, err := q.FlowVersionInsert(ctx, dbsqlc.FlowVersionInsertParams{
			WorkspaceID: workspaceID, FlowID: id, Document: document, CopiedFrom: from, PublishedBy: nullUUID(by),
		})
		if err != nil {
			return interpretError(err)
		}
		if _, err := q.FlowSetLive(ctx, dbsqlc.FlowSetLiveParams{WorkspaceID: workspaceID, ID: id, LiveVersion: &v.Version}); err != nil {
			return interpretError(err)
		}
		out = flowVersionFromRow(v)
		return nil
	})
	if err != nil {
		return FlowVersion{}, fmt.Errorf("publishing flow %s: %w", id, err)
	}
	return out, nil
}

// UnpublishFlow stops new conversations starting in the flow; those in it
// go on.
func (s *Store) UnpublishFlow(ctx context.Context, workspaceID, id uuid.UUID) (Flow, error) {
	r, err := s.q.FlowSetLive(ctx, dbsqlc.FlowSetLiveParams{WorkspaceID: workspaceID, ID: id})
	if err != nil {
		return Flow{}, fmt.Errorf("unpublishing flow %s: %w", id, interpretError(err))
	}
	return flowFromRow(r), nil
}

// FlowVersions lists a flow's versions, newest first, without documents.
func (s *Store) FlowVersions(ctx context.Context, workspaceID, id uuid.UUID) ([]FlowVersion, error) {
	rows, err := s.q.FlowVersionList(ctx, dbsqlc.FlowVersionListParams{WorkspaceID: workspaceID, FlowID: id})
	if err != nil {
		return nil, fmt.Errorf("listing versions of flow %s: %w", id, err)
	}
	out := make([]FlowVersion, len(rows))
	for i, r := range rows {
		out[i] = FlowVersion{
			FlowID: r.FlowID, Version: int(r.Version), CopiedFrom: intPtr(r.CopiedFrom),
			PublishedBy: uuidPtr(r.PublishedBy), PublishedAt: r.PublishedAt,
		}
	}
	return out, nil
}

// FlowVersion returns one version of a flow with its document.
func (s *Store) FlowVersion(ctx context.Context, workspaceID, id uuid.UUID, version int) (FlowVersion, error) {
	r, err := s.q.FlowVersionGet(ctx, dbsqlc.FlowVersionGetParams{WorkspaceID: workspaceID, FlowID: id, Version: int32(version)})
	if err != nil {
		return FlowVersion{}, interpretError(err)
	}
	return flowVersionFromRow(r), nil
}

// DeleteFlow deletes a flow and its versions; inboxes that started
// conversations in it start them with people. ErrFlowInUse while the bot
// still has conversations in it.
func (s *Store) DeleteFlow(ctx context.Context, workspaceID, id uuid.UUID) error {
	return s.tx(ctx, func(q *dbsqlc.Queries) error {
		if _, err := q.FlowGetForUpdate(ctx, dbsqlc.FlowGetForUpdateParams{WorkspaceID: workspaceID, ID: id}); err != nil {
			return interpretError(err)
		}
		n, err := q.FlowCountRunning(ctx, dbsqlc.FlowCountRunningParams{WorkspaceID: workspaceID, FlowID: nullUUID(&id)})
		if err != nil {
			return err
		}
		if n > 0 {
			return ErrFlowInUse
		}
		_, err = q.FlowDelete(ctx, dbsqlc.FlowDeleteParams{WorkspaceID: workspaceID, ID: id})
		return err
	})
}

// FlowHops are a flow's funnel over a date range: per version, node and
// edge, how many times the node was left that way.
type FlowHops struct {
	Version int    `json:"version"`
	Node    string `json:"node"`
	Edge    string `json:"edge"`
	N       int64  `json:"n"`
}

// FlowFunnel reads a flow's hop counters between two days (inclusive).
func (s *Store) FlowFunnel(ctx context.Context, workspaceID, id uuid.UUID, from, to time.Time) ([]FlowHops, error) {
	rows, err := s.q.FlowHopsReport(ctx, dbsqlc.FlowHopsReportParams{WorkspaceID: workspaceID, FlowID: id, FromDay: from, ToDay: to})
	if err != nil {
		return nil, fmt.Errorf("reading the funnel of flow %s: %w", id, err)
	}
	out := make([]FlowHops, len(rows))
	for i, r := range rows {
		out[i] = FlowHops{Version: int(r.Version), Node: r.Node, Edge: r.Edge, N: r.N}
	}
	return out, nil
}

// FlowStarted is the outcome counted when a conversation starts in a flow.
const FlowStarted = "started"

// FlowOutcome is how many conversations of a flow version and department
// had one outcome: started, ended, or a handoff's reason.
type FlowOutcome struct {
	FlowID       uuid.UUID  `json:"flow_id"`
	Version      int        `json:"version"`
	DepartmentID *uuid.UUID `json:"department_id"`
	Outcome      string     `json:"outcome"`
	N            int64      `json:"n"`
}

// FlowOutcomes reads a workspace's flow outcome counters between two days.
func (s *Store) FlowOutcomes(ctx context.Context, workspaceID uuid.UUID, from, to time.Time) ([]FlowOutcome, error) {
	rows, err := s.q.FlowOutcomeReport(ctx, dbsqlc.FlowOutcomeReportParams{WorkspaceID: workspaceID, FromDay: from, ToDay: to})
	if err != nil {
		return nil, fmt.Errorf("reading flow outcomes: %w", err)
	}
	out := make([]FlowOutcome, len(rows))
	for i, r := range rows {
		out[i] = FlowOutcome{FlowID: r.FlowID, Version: int(r.Version), DepartmentID: optionalID(r.DepartmentID), Outcome: r.Outcome, N: r.N}
	}
	return out, nil
}
