package store

import (
	"context"

	"github.com/google/uuid"
)

// WidgetInbox is what the widget's frame needs of its inbox.
type WidgetInbox struct {
	ID            uuid.UUID
	WorkspaceID   uuid.UUID
	WorkspaceName string
	// AllowedOrigins are the pages that may embed the widget; empty allows
	// any.
	AllowedOrigins []string
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
	return WidgetInbox{ID: r.ID, WorkspaceID: r.WorkspaceID, WorkspaceName: r.WorkspaceName, AllowedOrigins: origins}, nil
}
