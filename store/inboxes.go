package store

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	dbsqlc "github.com/switchboardhq/switchboard/db/sqlc"
)

// Inbox is a channel into the workspace (a website widget) with the
// departments that work it.
type Inbox struct {
	ID          uuid.UUID `json:"id"`
	WorkspaceID uuid.UUID `json:"-"`
	Name        string    `json:"name"`
	Channel     string    `json:"channel"`
	// AllowedOrigins are the page origins that may open the widget socket;
	// empty allows any.
	AllowedOrigins      []string    `json:"allowed_origins"`
	DepartmentIDs       []uuid.UUID `json:"department_ids"`
	DefaultDepartmentID *uuid.UUID  `json:"default_department_id"`
	// FlowID is the bot flow new conversations start in (its live
	// version); null: they start with people.
	FlowID    *uuid.UUID `json:"flow_id"`
	CreatedAt time.Time  `json:"created_at"`
}

func inboxFromRow(r dbsqlc.Inbox, departments []uuid.UUID) Inbox {
	if departments == nil {
		departments = []uuid.UUID{}
	}
	origins := r.AllowedOrigins
	if origins == nil {
		origins = []string{}
	}
	return Inbox{
		ID: r.ID, WorkspaceID: r.WorkspaceID, Name: r.Name, Channel: r.Channel, AllowedOrigins: origins,
		DepartmentIDs: departments, DefaultDepartmentID: uuidPtr(r.DefaultDepartmentID), FlowID: uuidPtr(r.FlowID), CreatedAt: r.CreatedAt,
	}
}

// InboxFields are an inbox's settings, as created or replaced.
type InboxFields struct {
	Name                string
	AllowedOrigins      []string
	DepartmentIDs       []uuid.UUID
	DefaultDepartmentID *uuid.UUID
	FlowID              *uuid.UUID
}

func (f InboxFields) origins() []string {
	if f.AllowedOrigins == nil {
		return []string{}
	}
	return f.AllowedOrigins
}

// CreateInbox creates a widget inbox with its departments. ErrDuplicate:
// the name is taken; ErrNotFound: a department is not the workspace's.
func (s *Store) CreateInbox(ctx context.Context, workspaceID uuid.UUID, f InboxFields) (Inbox, error) {
	var out Inbox
	err := s.tx(ctx, func(q *dbsqlc.Queries) error {
		r, err := q.InboxInsert(ctx, dbsqlc.InboxInsertParams{
			ID: newID(), WorkspaceID: workspaceID, Name: f.Name, AllowedOrigins: f.origins(),
			DefaultDepartmentID: nullUUID(f.DefaultDepartmentID), FlowID: nullUUID(f.FlowID),
		})
		if err != nil {
			return interpretError(err)
		}
		if err := setInboxDepartments(ctx, q, workspaceID, r.ID, f.DepartmentIDs, false); err != nil {
			return err
		}
		out = inboxFromRow(r, f.DepartmentIDs)
		return nil
	})
	if err != nil {
		return Inbox{}, fmt.Errorf("creating inbox %q: %w", f.Name, err)
	}
	return out, nil
}

func setInboxDepartments(ctx context.Context, q *dbsqlc.Queries, workspaceID, inboxID uuid.UUID, ids []uuid.UUID, clear bool) error {
	if clear {
		if err := q.InboxDepartmentsClear(ctx, dbsqlc.InboxDepartmentsClearParams{WorkspaceID: workspaceID, InboxID: inboxID}); err != nil {
			return err
		}
	}
	if len(ids) == 0 {
		return nil
	}
	err := q.InboxDepartmentsAdd(ctx, dbsqlc.InboxDepartmentsAddParams{WorkspaceID: workspaceID, InboxID: inboxID, DepartmentIDs: ids})
	return interpretError(err)
}

// Inbox returns one inbox of a workspace.
func (s *Store) Inbox(ctx context.Context, workspaceID, id uuid.UUID) (Inbox, error) {
	r, err := s.q.InboxGet(ctx, dbsqlc.InboxGetParams{WorkspaceID: workspaceID, ID: id})
	if err != nil {
		return Inbox{}, interpretError(err)
	}
	return inboxFromRow(r.Inbox, r.DepartmentIDs), nil
}

// Inboxes lists a workspace's inboxes by name.
func (s *Store) Inboxes(ctx context.Context, workspaceID uuid.UUID) ([]Inbox, error) {
	rows, err := s.q.InboxList(ctx, workspaceID)
	if err != nil {
		return nil, fmt.Errorf("listing inboxes: %w", err)
	}
	out := make([]Inbox, len(rows))
	for i, r := range rows {
		out[i] = inboxFromRow(r.Inbox, r.DepartmentIDs)
	}
	return out, nil
}

// UpdateInbox replaces an inbox's settings. Conversations already started
// keep their department.
func (s *Store) UpdateInbox(ctx context.Context, workspaceID, id uuid.UUID, f InboxFields) (Inbox, error) {
	var out Inbox
	err := s.tx(ctx, func(q *dbsqlc.Queries) error {
		r, err := q.InboxUpdate(ctx, dbsqlc.InboxUpdateParams{
			WorkspaceID: workspaceID, ID: id, Name: f.Name, AllowedOrigins: f.origins(),
			DefaultDepartmentID: nullUUID(f.DefaultDepartmentID), FlowID: nullUUID(f.FlowID),
		})
		if err != nil {
			return interpretError(err)
		}
		if err := setInboxDepartments(ctx, q, workspaceID, id, f.DepartmentIDs, true); err != nil {
			return err
		}
		stray, err := q.RoutingRulesOutsideInbox(ctx, dbsqlc.RoutingRulesOutsideInboxParams{WorkspaceID: workspaceID, InboxID: id})
		if err != nil {
			return err
		}
		if len(stray) > 0 {
			return &ErrRuleOutsideInbox{Rule: stray[0]}
		}
		out = inboxFromRow(r, f.DepartmentIDs)
		return nil
	})
	if err != nil {
		return Inbox{}, fmt.Errorf("updating inbox %s: %w", id, err)
	}
	return out, nil
}

// ErrRuleOutsideInbox: an inbox update would take away a department one
// of its routing rules sends conversations to; nothing changed.
type ErrRuleOutsideInbox struct{ Rule string }

func (e *ErrRuleOutsideInbox) Error() string {
	return fmt.Sprintf("routing rule %q sends conversations to a department the inbox would no longer have", e.Rule)
}

// DeleteInbox deletes an inbox; its conversations and visitors keep their
// history and lose the reference.
func (s *Store) DeleteInbox(ctx context.Context, workspaceID, id uuid.UUID) error {
	n, err := s.q.InboxDelete(ctx, dbsqlc.InboxDeleteParams{WorkspaceID: workspaceID, ID: id})
	if err != nil {
		return fmt.Errorf("deleting inbox %s: %w", id, interpretError(err))
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}

// WidgetInbox is what the widget's frame needs of its inbox.
type WidgetInbox struct {
	ID            uuid.UUID
	WorkspaceID   uuid.UUID
	WorkspaceName string
	// AllowedOrigins are the pages that may embed the widget; empty allows
	// any.
	AllowedOrigins []string
	// Departments are what the widget offers its visitor to pick from
	// (the inbox's own, by name) when the inbox routes by the visitor's
	// choice; empty otherwise.
	Departments []DepartmentChoice
}

// DepartmentChoice is a department as a visitor picks it in the widget.
type DepartmentChoice struct {
	ID   uuid.UUID `json:"id"`
	Name string    `json:"name"`
}

// WidgetInbox finds an inbox by its id alone, which the site's snippet
// makes public; ErrNotFound when there is none.
func (s *Store) WidgetInbox(ctx context.Context, id uuid.UUID) (WidgetInbox, error) {
	r, err := s.q.InboxGetForWidget(ctx, id)
	if err != nil {
		return WidgetInbox{}, interpretError(err)
	}
	origins := r.AllowedOrigins
	if origins == nil {
		origins = []string{}
	}
	rows, err := s.q.InboxDepartmentChoices(ctx, dbsqlc.InboxDepartmentChoicesParams{WorkspaceID: r.WorkspaceID, InboxID: r.ID})
	if err != nil {
		return WidgetInbox{}, fmt.Errorf("listing the departments inbox %s offers: %w", id, err)
	}
	choices := make([]DepartmentChoice, len(rows))
	for i, d := range rows {
		choices[i] = DepartmentChoice{ID: d.ID, Name: d.Name}
	}
	return WidgetInbox{ID: r.ID, WorkspaceID: r.WorkspaceID, WorkspaceName: r.WorkspaceName, AllowedOrigins: origins, Departments: choices}, nil
}
