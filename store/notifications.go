package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	dbsqlc "github.com/switchboardhq/switchboard/db/sqlc"
)

// Kinds of notification: what needs the operator.
const (
	NotificationMention  = "mention"   // a note mentions them
	NotificationAssigned = "assigned"  // someone else gave them a conversation
	NotificationOffered  = "offered"   // dispatch offers them a conversation
	NotificationFollowUp = "follow_up" // a conversation of theirs woke from its snooze
	// An SLA ladder's step tells them a clock warned or breached.
	NotificationSLAWarning = "sla_warning"
	NotificationSLABreach  = "sla_breach"
)

// Filters of the notification inbox.
const (
	NotificationsAll      = "all" // not archived
	NotificationsUnread   = "unread"
	NotificationsArchived = "archived"
)

// Notification is one item of an operator's notification inbox, linked to
// what it is about.
type Notification struct {
	ID             uuid.UUID  `json:"id"`
	WorkspaceID    uuid.UUID  `json:"-"`
	OperatorID     uuid.UUID  `json:"operator_id"`
	Kind           string     `json:"kind"`
	ActorID        *uuid.UUID `json:"actor_id"`
	ConversationID *uuid.UUID `json:"conversation_id"`
	ContactID      *uuid.UUID `json:"contact_id"`
	NoteID         *uuid.UUID `json:"note_id"`
	Preview        string     `json:"preview"`
	ReadAt         *time.Time `json:"read_at"`
	ArchivedAt     *time.Time `json:"archived_at"`
	CreatedAt      time.Time  `json:"created_at"`
}

func notificationFromRow(r dbsqlc.Notification) Notification {
	return Notification{
		ID: r.ID, WorkspaceID: r.WorkspaceID, OperatorID: r.OperatorID, Kind: r.Kind, ActorID: uuidPtr(r.ActorID),
		ConversationID: uuidPtr(r.ConversationID), ContactID: uuidPtr(r.ContactID), NoteID: uuidPtr(r.NoteID),
		Preview: r.Preview, ReadAt: r.ReadAt, ArchivedAt: r.ArchivedAt, CreatedAt: r.CreatedAt,
	}
}

// NewNotification is an item to put in an operator's inbox. DedupeKey
// names its cause: the same cause never makes a second item.
type NewNotification struct {
	WorkspaceID    uuid.UUID
	OperatorID     uuid.UUID
	Kind           string
	DedupeKey      string
	ActorID        *uuid.UUID
	ConversationID *uuid.UUID
	ContactID      *uuid.UUID
	NoteID         *uuid.UUID
	Preview        string
	At             time.Time
}

// insertNotification inserts an item inside the caller's transaction, the
// one that makes the change it announces. It returns nil when the item
// exists already (a retry) or the operator is not an active one of the
// workspace.
func insertNotification(ctx context.Context, q *dbsqlc.Queries, n NewNotification) (*Notification, error) {
	r, err := q.NotificationInsert(ctx, dbsqlc.NotificationInsertParams{
		ID: newID(), WorkspaceID: n.WorkspaceID, OperatorID: n.OperatorID, Kind: n.Kind, DedupeKey: n.DedupeKey,
		ActorID: nullUUID(n.ActorID), ConversationID: nullUUID(n.ConversationID), ContactID: nullUUID(n.ContactID),
		NoteID: nullUUID(n.NoteID), Preview: n.Preview, CreatedAt: n.At,
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("notifying operator %s (%s): %w", n.OperatorID, n.Kind, interpretError(err))
	}
	item := notificationFromRow(r)
	return &item, nil
}

// Notifications returns a page of an operator's items, newest first, and
// the cursor of the next page (nil at the end).
func (s *Store) Notifications(ctx context.Context, workspaceID, operatorID uuid.UUID, filter string, after *Cursor, limit int) ([]Notification, *Cursor, error) {
	p := dbsqlc.NotificationListParams{WorkspaceID: workspaceID, OperatorID: operatorID, Filter: filter, RowLimit: int32(limit + 1)}
	if after != nil {
		p.CursorAt = &after.At
		p.CursorID = uuid.NullUUID{UUID: after.ID, Valid: true}
	}
	rows, err := s.q.NotificationList(ctx, p)
	if err != nil {
		return nil, nil, fmt.Errorf("listing notifications: %w", err)
	}
	var next *Cursor
	if len(rows) > limit {
		rows = rows[:limit]
		last := rows[len(rows)-1]
		next = &Cursor{At: last.CreatedAt, ID: last.ID}
	}
	out := make([]Notification, len(rows))
	for i, r := range rows {
		out[i] = notificationFromRow(r)
	}
	return out, next, nil
}

// UnreadNotifications counts an operator's unread items (archived ones
// never count).
func (s *Store) UnreadNotifications(ctx context.Context, workspaceID, operatorID uuid.UUID) (int64, error) {
	n, err := s.q.NotificationUnreadCount(ctx, dbsqlc.NotificationUnreadCountParams{WorkspaceID: workspaceID, OperatorID: operatorID})
	if err != nil {
		return 0, fmt.Errorf("counting unread notifications: %w", err)
	}
	return n, nil
}

// MarkNotification marks one of the operator's items read or unread.
func (s *Store) MarkNotification(ctx context.Context, workspaceID, operatorID, id uuid.UUID, read bool) (Notification, error) {
	r, err := s.q.NotificationSetRead(ctx, dbsqlc.NotificationSetReadParams{
		WorkspaceID: workspaceID, OperatorID: operatorID, ID: id, Read: read, At: time.Now(),
	})
	if err != nil {
		return Notification{}, interpretError(err)
	}
	return notificationFromRow(r), nil
}

// ArchiveNotification archives one of the operator's items (which reads
// it) or brings it back.
func (s *Store) ArchiveNotification(ctx context.Context, workspaceID, operatorID, id uuid.UUID, archived bool) (Notification, error) {
	r, err := s.q.NotificationSetArchived(ctx, dbsqlc.NotificationSetArchivedParams{
		WorkspaceID: workspaceID, OperatorID: operatorID, ID: id, Archived: archived, At: time.Now(),
	})
	if err != nil {
		return Notification{}, interpretError(err)
	}
	return notificationFromRow(r), nil
}

// ReadAllNotifications marks every unread item of the operator read and
// says how many there were.
func (s *Store) ReadAllNotifications(ctx context.Context, workspaceID, operatorID uuid.UUID) (int64, error) {
	n, err := s.q.NotificationReadAll(ctx, dbsqlc.NotificationReadAllParams{WorkspaceID: workspaceID, OperatorID: operatorID, At: time.Now()})
	if err != nil {
		return 0, fmt.Errorf("reading all notifications: %w", err)
	}
	return n, nil
}
