// Package widget serves Switchboard's site widget: the loader a site adds
// with one script tag (/widget.js), the chat frame the loader opens
// (/widget/frame?inbox=<id>), the frame's assets, and a sample site that
// shows it (/demo). The files are plain ES modules in app/, embedded and
// served through a web.Bundle like the inbox: content-hashed asset URLs
// cached for a year, gzip, and a Content-Security-Policy without inline
// script or eval.
//
// The frame runs on Switchboard's origin, isolated from the host page's
// CSS and scripts, and the browser decides who may embed it: its
// frame-ancestors are the inbox's allowed origins. The frame's calls to
// the API are same-origin; see api/widgetapp.go for how they pass the
// visitor routes' origin check.
package widget

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/switchboardhq/switchboard/web"
)

//go:embed app
var appFiles embed.FS

// Inbox is what the frame needs of the inbox a snippet names.
type Inbox struct {
	ID            uuid.UUID
	WorkspaceID   uuid.UUID
	WorkspaceName string
	// AllowedOrigins are the pages that may embed the widget; empty
	// allows any page.
	AllowedOrigins []string
	// Departments are offered to the visitor to pick from before their
	// first message (the inbox routes by the visitor's choice); empty:
	// no picker.
	Departments []Department
}

// Department is one the visitor may pick: the pick goes with the first
// message as department_id.
type Department struct {
	ID   uuid.UUID `json:"id"`
	Name string    `json:"name"`
}

// ErrUnknownInbox is what a Lookup answers for an id that names no inbox.
var ErrUnknownInbox = errors.New("no such inbox")

// Lookup finds an inbox by its id alone (the id is public: it is in the
// site's snippet); ErrUnknownInbox when there is none.
type Lookup func(ctx context.Context, id uuid.UUID) (Inbox, error)

// LoaderCacheControl is the loader's: sites link to /widget.js for
// years, so its URL cannot change with a deploy; five minutes bounds how
// long an old loader lives in browsers and CDNs.
const LoaderCacheControl = "public, max-age=300"

// inboxTTL is how long a node keeps an inbox it looked up: every page
// view of every site loads the frame, and an allowlist change reaches
// the frame within this.
const inboxTTL = 30 * time.Second

// Handler serves the widget's routes.
type Handler struct {
	bundle  *web.Bundle
	lookup  Lookup
	logger  *slog.Logger
	inboxes sync.Map // uuid.UUID -> cachedInbox
	demo    atomic.Pointer[uuid.UUID]
}

type cachedInbox struct {
	inbox Inbox
	at    time.Time
}

// New loads the embedded widget, its assets under /widget/assets/<hash>/.
func New(lookup Lookup, logger *slog.Logger) (*Handler, error) {
	sub, err := fs.Sub(appFiles, "app")
	if err != nil {
		return nil, err
	}
	b, err := web.NewBundle(sub, "/widget/assets")
	if err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Handler{bundle: b, lookup: lookup, logger: logger}, nil
}

// Must is New for the embedded files, which are read at build time: it
// fails only on a broken build.
func Must(lookup Lookup, logger *slog.Logger) *Handler {
	h, err := New(lookup, logger)
	if err != nil {
		panic("widget: embedded files: " + err.Error())
	}
	return h
}

// AssetPrefix is where the frame's assets are served.
func (h *Handler) AssetPrefix() string { return h.bundle.Prefix() }

// SetDemoInbox makes /demo, without ?inbox=, show inbox id (dev seeds
// one that allows the server's own origin).
func (h *Handler) SetDemoInbox(id uuid.UUID) { h.demo.Store(&id) }

// ServeLoader serves /widget.js.
func (h *Handler) ServeLoader(w http.ResponseWriter, r *http.Request) {
	h.bundle.ServeFile(w, r, "widget.js", LoaderCacheControl)
}

// ServeAsset serves one of the frame's files under AssetPrefix.
func (h *Handler) ServeAsset(w http.ResponseWriter, r *http.Request) { h.bundle.ServeAsset(w, r) }

// ServeFrame serves the chat frame of the inbox named by ?inbox=. Only the
// inbox's allowed origins may embed it (frame-ancestors; any page when the
// list is empty), and a browser that says it is opening it as a page of
// its own (Sec-Fetch-Dest: document) gets an explanation instead: the
// frame is only ever a frame, so no site can send its visitors to a
// working chat of an inbox that does not allow it.
func (h *Handler) ServeFrame(w http.ResponseWriter, r *http.Request) {
	if dest := r.Header.Get("Sec-Fetch-Dest"); dest != "" && dest != "iframe" && dest != "frame" {
		h.problem(w, r, http.StatusForbidden, "This chat opens inside a website",
			"This is the chat window of a site's Switchboard widget. Open the site that shows it.")
		return
	}
	inbox, ok := h.inboxOf(w, r, r.URL.Query().Get("inbox"))
	if !ok {
		return
	}
	ancestors := inbox.AllowedOrigins
	if len(ancestors) == 0 {
		ancestors = []string{"*"}
	}
	departments := inbox.Departments
	if departments == nil {
		departments = []Department{}
	}
	// JSON in a meta tag's attribute, escaped as every template value is
	// (the page may hold no inline script). Ids and names: it cannot fail.
	offered, _ := json.Marshal(departments)
	h.bundle.ServeTemplate(w, r, "frame.html", http.StatusOK, web.Policy{FrameAncestors: ancestors}, map[string]string{
		"inbox": inbox.ID.String(), "workspace": inbox.WorkspaceID.String(), "name": inbox.WorkspaceName,
		"departments": string(offered),
	})
}

// ServeDemo serves /demo: a sample site with the widget of ?inbox=, or of
// the demo inbox when the URL names none.
func (h *Handler) ServeDemo(w http.ResponseWriter, r *http.Request) {
	raw := r.URL.Query().Get("inbox")
	if raw == "" {
		if id := h.demo.Load(); id != nil {
			raw = id.String()
		}
	}
	if raw == "" {
		h.problem(w, r, http.StatusNotFound, "No demo inbox",
			"This server has no demo inbox. Open /demo?inbox=<inbox id> with an inbox whose allowed origins include this server's.")
		return
	}
	inbox, ok := h.inboxOf(w, r, raw)
	if !ok {
		return
	}
	h.bundle.ServeTemplate(w, r, "demo.html", http.StatusOK, web.Policy{FrameSrc: []string{"'self'"}}, map[string]string{
		"inbox": inbox.ID.String(),
	})
}

// inboxOf looks up the inbox named by raw, answering the request with a
// page that says what is wrong when it cannot.
func (h *Handler) inboxOf(w http.ResponseWriter, r *http.Request, raw string) (Inbox, bool) {
	id, err := uuid.Parse(raw)
	if err != nil {
		h.problem(w, r, http.StatusNotFound, "Chat not found",
			"This chat is not available: the page's widget names no inbox (data-inbox must be an inbox id).")
		return Inbox{}, false
	}
	inbox, err := h.inbox(r.Context(), id)
	if errors.Is(err, ErrUnknownInbox) {
		h.problem(w, r, http.StatusNotFound, "Chat not found",
			"This chat is not available: the page's widget names an inbox that does not exist.")
		return Inbox{}, false
	}
	if err != nil {
		h.logger.ErrorContext(r.Context(), "looking up the widget's inbox", "inbox", id, "err", err)
		h.problem(w, r, http.StatusServiceUnavailable, "Chat unavailable", "The chat is unavailable right now. Please try again in a moment.")
		return Inbox{}, false
	}
	return inbox, true
}

// Forget drops an inbox from this node's cache: its allowed origins
// changed, or it is gone. Other nodes see the change within inboxTTL.
func (h *Handler) Forget(id uuid.UUID) { h.inboxes.Delete(id) }

func (h *Handler) inbox(ctx context.Context, id uuid.UUID) (Inbox, error) {
	if v, ok := h.inboxes.Load(id); ok {
		if c := v.(cachedInbox); time.Since(c.at) < inboxTTL {
			return c.inbox, nil
		}
	}
	inbox, err := h.lookup(ctx, id)
	if err != nil {
		if errors.Is(err, ErrUnknownInbox) {
			h.inboxes.Delete(id)
		}
		return Inbox{}, err
	}
	h.inboxes.Store(id, cachedInbox{inbox: inbox, at: time.Now()})
	return inbox, nil
}

// problem answers with a small page that says what is wrong. It may be
// framed anywhere, so a site owner sees it where the widget would be.
func (h *Handler) problem(w http.ResponseWriter, r *http.Request, status int, title, message string) {
	h.bundle.ServeTemplate(w, r, "problem.html", status, web.Policy{FrameAncestors: []string{"*"}}, map[string]string{
		"title": title, "message": message,
	})
}
