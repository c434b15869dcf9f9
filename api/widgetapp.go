package api

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

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
	return widget.Inbox{ID: in.ID, WorkspaceID: in.WorkspaceID, WorkspaceName: in.WorkspaceName, AllowedOrigins: in.AllowedOrigins}, nil
}

// widgetFrameOrigin lets the widget's frame through the visitor routes'
// origin check (POST /widget/sessions with an inbox_id, the widget
// socket), which compares the page's Origin with the inbox's allowed
// origins.
//
// The frame runs on Switchboard's own origin, so its requests carry
// Switchboard's Origin, never the host site's. The check that matters, on
// which pages the widget may run, has been made by the browser before the
// frame's first script ran: the frame is served with frame-ancestors set
// to the same allowed origins, and refused when a browser opens it as a
// page of its own (widget.Handler.ServeFrame). A request whose Origin is
// this server's own therefore comes from one of Switchboard's own pages,
// the widget's frame or the demo; it is passed on without its Origin
// header, which the check reads as "not a page of another site" (as it
// reads curl), and the inbox's allowlist still refuses every other site's
// page that calls the API directly.
//
// Browsers set Origin themselves and no page can forge it, so a foreign
// page cannot pass itself off as the frame; a non-browser client could
// always omit the header, so nothing is opened to it either.
func widgetFrameOrigin(c *gin.Context) {
	origin := c.GetHeader("Origin")
	site := c.GetHeader("Sec-Fetch-Site")
	if origin != "" && sameHost(origin, c.Request.Host) && (site == "" || site == "same-origin") {
		c.Request.Header.Del("Origin")
	}
	c.Next()
}

// sameHost reports whether origin names host (host[:port] as the request
// reached this server, like the operator socket's same-origin check).
func sameHost(origin, host string) bool {
	u, err := url.Parse(origin)
	return err == nil && u.Host != "" && (u.Scheme == "http" || u.Scheme == "https") && strings.EqualFold(u.Host, host)
}
