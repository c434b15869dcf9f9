package api

import (
	"context"
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/switchboardhq/switchboard/store"
	"github.com/switchboardhq/switchboard/widget"
)

// widgetRoutes serves the site widget (package widget): the loader at
// /widget.js, the chat frame, its assets, and the demo site at /demo.
func (s *Server) widgetRoutes(r *gin.Engine) {
	if s.Widget == nil {
		s.Widget = widget.Must(s.widgetInbox, s.Logger)
	}
	w := s.Widget
	for _, route := range []struct {
		path string
		h    http.HandlerFunc
	}{
		{"/widget.js", w.ServeLoader},
		{"/widget/frame", w.ServeFrame},
		{"/widget/assets/*file", w.ServeAsset},
		{"/demo", w.ServeDemo},
	} {
		r.GET(route.path, gin.WrapF(route.h))
		r.HEAD(route.path, gin.WrapF(route.h))
	}
}

// widgetInbox finds the inbox a snippet names, by its id alone.
func (s *Server) widgetInbox(ctx context.Context, id uuid.UUID) (widget.Inbox, error) {
	in, err := s.Store.WidgetInbox(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return widget.Inbox{}, widget.ErrUnknownInbox
	}
	if err != nil {
		return widget.Inbox{}, err
	}
	departments := make([]widget.Department, len(in.Departments))
	for i, d := range in.Departments {
		departments[i] = widget.Department{ID: d.ID, Name: d.Name}
	}
	return widget.Inbox{
		ID: in.ID, WorkspaceID: in.WorkspaceID, WorkspaceName: in.WorkspaceName, AllowedOrigins: in.AllowedOrigins,
		Departments: departments,
	}, nil
}
