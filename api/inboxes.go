package api

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/switchboardhq/switchboard/api/ws"
	"github.com/switchboardhq/switchboard/store"
)

const (
	maxInboxDepartments = 100
	maxAllowedOrigins   = 50
)

type inboxRequest struct {
	Name                *string        `json:"name"`
	DepartmentIDs       *[]string      `json:"department_ids"`
	DefaultDepartmentID nullableString `json:"default_department_id"`
	AllowedOrigins      *[]string      `json:"allowed_origins"`
	FlowID              nullableString `json:"flow_id"`
}

// apply merges the request into f (the current settings, or zero for a new
// inbox) and checks what it can without the database.
func (r inboxRequest) apply(f *store.InboxFields) (err error) {
	if r.Name != nil {
		if f.Name, err = checkStructureName(*r.Name); err != nil {
			return err
		}
	}
	if r.DepartmentIDs != nil {
		if f.DepartmentIDs, err = parseIDs("department_ids", *r.DepartmentIDs, maxInboxDepartments); err != nil {
			return err
		}
	}
	if r.DefaultDepartmentID.Set {
		f.DefaultDepartmentID = nil
		if v := r.DefaultDepartmentID.Value; v != nil {
			id, err := uuid.Parse(*v)
			if err != nil {
				return badRequest("default_department_id", "default_department_id must be a department id or null")
			}
			f.DefaultDepartmentID = &id
		}
	}
	if r.FlowID.Set {
		f.FlowID = nil
		if v := r.FlowID.Value; v != nil {
			id, err := uuid.Parse(*v)
			if err != nil {
				return badRequest("flow_id", "flow_id must be a flow id or null")
			}
			f.FlowID = &id
		}
	}
	if r.AllowedOrigins != nil {
		if f.AllowedOrigins, err = parseOrigins(*r.AllowedOrigins); err != nil {
			return err
		}
	}
	if f.DefaultDepartmentID != nil && !slices.Contains(f.DepartmentIDs, *f.DefaultDepartmentID) {
		return &apiError{Status: http.StatusUnprocessableEntity, Code: "invalid_input", Field: "default_department_id",
			Message: "the default department must be one of the inbox's departments (department_ids)"}
	}
	return nil
}

// parseOrigins normalises an inbox's allowed origins, without duplicates.
func parseOrigins(raw []string) ([]string, error) {
	if len(raw) > maxAllowedOrigins {
		return nil, badRequest("allowed_origins", "at most %d origins", maxAllowedOrigins)
	}
	origins := make([]string, 0, len(raw))
	for _, r := range raw {
		o, ok := normalizeOrigin(r)
		if !ok {
			return nil, badRequest("allowed_origins", "%q is not an origin: give scheme://host[:port], http or https, no path", truncate(r, 100))
		}
		if !slices.Contains(origins, o) {
			origins = append(origins, o)
		}
	}
	return origins, nil
}

// normalizeOrigin returns raw as a browser sends it in Origin: lower-case
// scheme and host, the port only when it is not the scheme's default. Only
// http and https origins without path, query, fragment or credentials.
func normalizeOrigin(raw string) (string, bool) {
	if len(raw) > 300 {
		return "", false
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Opaque != "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.ForceQuery ||
		(u.Path != "" && u.Path != "/") || u.Hostname() == "" {
		return "", false
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "http" && scheme != "https" {
		return "", false
	}
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if strings.ContainsAny(host, "*/ ") {
		return "", false
	}
	if strings.HasSuffix(u.Host, ":") {
		return "", false // an empty port
	}
	if (scheme == "http" && port == "80") || (scheme == "https" && port == "443") {
		port = ""
	}
	if port != "" {
		return scheme + "://" + net.JoinHostPort(host, port), true
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]" // IPv6
	}
	return scheme + "://" + host, true
}

// checkInboxDepartments answers 422 when a department id is not the
// workspace's: the inbox itself exists, the body names something absent.
func (s *Server) checkInboxDepartments(c *gin.Context, ws uuid.UUID, ids []uuid.UUID) error {
	ok, err := s.Store.AllDepartmentsExist(c, ws, ids)
	if err != nil {
		return err
	}
	if !ok {
		return &apiError{Status: http.StatusUnprocessableEntity, Code: "invalid_input", Field: "department_ids",
			Message: "one of the departments (department_ids) is not this workspace's; it may have been deleted"}
	}
	return nil
}

func (s *Server) listInboxes(c *gin.Context) {
	inboxes, err := s.Store.Inboxes(c, viewerOf(c).WorkspaceID)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"inboxes": inboxes})
}

func (s *Server) createInbox(c *gin.Context) {
	var req inboxRequest
	if !bind(c, &req) {
		return
	}
	if req.Name == nil {
		fail(c, badRequest("name", "name is required"))
		return
	}
	var f store.InboxFields
	if err := req.apply(&f); err != nil {
		fail(c, err)
		return
	}
	ws := viewerOf(c).WorkspaceID
	err := s.checkInboxDepartments(c, ws, f.DepartmentIDs)
	if err == nil {
		err = s.checkInboxFlow(c, ws, f.FlowID)
	}
	if err != nil {
		fail(c, err)
		return
	}
	inbox, err := s.Store.CreateInbox(c, ws, f)
	if errors.Is(err, store.ErrDuplicate) {
		fail(c, nameTaken("inbox"))
		return
	}
	if err != nil {
		fail(c, inboxWriteError(err))
		return
	}
	s.audit(c, "inbox.created", "inbox", &inbox.ID, inbox)
	c.JSON(http.StatusCreated, gin.H{"inbox": inbox})
}

// inboxWriteError: a department deleted between the check and the write
// is the same 422 as one that never existed.
// checkInboxFlow answers 422 when the inbox's flow is not one of the
// workspace's.
func (s *Server) checkInboxFlow(c *gin.Context, ws uuid.UUID, id *uuid.UUID) error {
	if id == nil {
		return nil
	}
	if _, err := s.Store.Flow(c, ws, *id); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return &apiError{Status: http.StatusUnprocessableEntity, Code: "invalid_input", Field: "flow_id", Message: "no such flow in this workspace"}
		}
		return err
	}
	return nil
}

func inboxWriteError(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return &apiError{Status: http.StatusUnprocessableEntity, Code: "invalid_input", Field: "department_ids",
			Message: "one of the departments (department_ids) is not this workspace's; it may have been deleted"}
	}
	return err
}

func (s *Server) getInbox(c *gin.Context) {
	respondOne(c, "inbox", s.Store.Inbox)
}

// updateInbox changes the fields given; department_ids replaces the set.
func (s *Server) updateInbox(c *gin.Context) {
	id, err := pathID(c)
	if err != nil {
		fail(c, err)
		return
	}
	var req inboxRequest
	if !bind(c, &req) {
		return
	}
	ws := viewerOf(c).WorkspaceID
	cur, err := s.Store.Inbox(c, ws, id)
	if err != nil {
		fail(c, notFoundOr(err))
		return
	}
	f := store.InboxFields{
		Name: cur.Name, AllowedOrigins: cur.AllowedOrigins, DepartmentIDs: cur.DepartmentIDs, DefaultDepartmentID: cur.DefaultDepartmentID,
		FlowID: cur.FlowID,
	}
	err = req.apply(&f)
	if err == nil {
		err = s.checkInboxDepartments(c, ws, f.DepartmentIDs)
	}
	if err == nil {
		err = s.checkInboxFlow(c, ws, f.FlowID)
	}
	var inbox store.Inbox
	if err == nil {
		inbox, err = s.Store.UpdateInbox(c, ws, id, f)
		err = s.inboxUpdateError(c, ws, id, err)
	}
	if err != nil {
		fail(c, err)
		return
	}
	s.forgetInbox(id)
	s.audit(c, "inbox.updated", "inbox", &id, gin.H{"before": cur, "after": inbox})
	c.JSON(http.StatusOK, gin.H{"inbox": inbox})
}

// inboxUpdateError tells apart what a failed update ran into: another
// inbox's name (409), the inbox deleted meanwhile (404), or one of its
// departments deleted meanwhile (422).
func (s *Server) inboxUpdateError(c *gin.Context, ws, id uuid.UUID, err error) error {
	var stray *store.ErrRuleOutsideInbox
	switch {
	case errors.As(err, &stray):
		return unprocessable("department_ids", fmt.Sprintf("the routing rule %q sends conversations to a department you are taking off this inbox: point the rule elsewhere first", stray.Rule))
	case errors.Is(err, store.ErrDuplicate):
		return nameTaken("inbox")
	case errors.Is(err, store.ErrNotFound):
		if _, gerr := s.Store.Inbox(c, ws, id); gerr != nil {
			return notFoundOr(gerr)
		}
		return inboxWriteError(err)
	}
	return err
}

// deleteInbox deletes an inbox. Its conversations keep their department
// and history; its visitors are no longer bound to an inbox (their next
// conversations are unrouted until their widget names an inbox again).
func (s *Server) deleteInbox(c *gin.Context) {
	id, err := pathID(c)
	if err != nil {
		fail(c, err)
		return
	}
	ws := viewerOf(c).WorkspaceID
	cur, err := s.Store.Inbox(c, ws, id)
	if err != nil {
		fail(c, notFoundOr(err))
		return
	}
	if err := s.Store.DeleteInbox(c, ws, id); err != nil {
		fail(c, notFoundOr(err))
		return
	}
	s.forgetInbox(id)
	s.audit(c, "inbox.deleted", "inbox", &id, gin.H{"name": cur.Name})
	c.Status(http.StatusNoContent)
}

// originCache keeps inboxes' origin allowlists briefly, so the widget's
// session and socket endpoints cost no query for them on every request.
// A change on this node is seen at once; other nodes see it within
// originCacheTTL. It is keyed by inbox id, which is unique across
// workspaces and servers, so one cache serves the process.
type originCache struct {
	m sync.Map // uuid.UUID -> cachedOrigins
}

type cachedOrigins struct {
	workspaceID uuid.UUID
	origins     []string
	at          time.Time
}

const originCacheTTL = 30 * time.Second

var inboxOrigins originCache

func (oc *originCache) forget(inboxID uuid.UUID) { oc.m.Delete(inboxID) }

// forgetInbox drops an inbox this node cached, for the API's origin check
// and for the widget's frame-ancestors, once it changed or went.
func (s *Server) forgetInbox(id uuid.UUID) {
	inboxOrigins.forget(id)
	if s.Widget != nil {
		s.Widget.Forget(id)
	}
}

// inboxAllowedOrigins returns the allowlist of a workspace's inbox;
// ErrNotFound when the workspace has no such inbox.
func (s *Server) inboxAllowedOrigins(c *gin.Context, workspaceID, inboxID uuid.UUID) ([]string, error) {
	if v, ok := inboxOrigins.m.Load(inboxID); ok {
		if co := v.(cachedOrigins); time.Since(co.at) < originCacheTTL {
			if co.workspaceID != workspaceID {
				return nil, store.ErrNotFound
			}
			return co.origins, nil
		}
	}
	inbox, err := s.Store.Inbox(c, workspaceID, inboxID)
	if err != nil {
		return nil, err
	}
	inboxOrigins.m.Store(inboxID, cachedOrigins{workspaceID: workspaceID, origins: inbox.AllowedOrigins, at: time.Now()})
	return inbox.AllowedOrigins, nil
}

// pageAllowed says whether the page behind a visitor request may use an
// inbox with this allowlist: a request that is no browser page's (no
// Origin: curl, a server), one of this server's own pages, or a page of an
// allowed site.
//
// This server's own pages are the widget's frame and /demo. The frame runs
// on Switchboard's origin, so its calls carry Switchboard's Origin, never
// the host site's; which sites may show it the browser has checked before
// its first script ran, against the frame's frame-ancestors (the same
// allowlist; the frame also refuses to be opened as a page of its own).
// Browsers set Origin and Sec-Fetch-Site themselves, so no other site's
// page can pass for the frame.
func pageAllowed(allowlist []string, r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if site := r.Header.Get("Sec-Fetch-Site"); ws.SameOrigin(r) && (site == "" || site == "same-origin") {
		return true
	}
	return originAllowed(allowlist, origin)
}

// originAllowed: an empty allowlist allows any page; a request without
// Origin is not from a browser page and an allowlist cannot constrain it.
func originAllowed(allowlist []string, origin string) bool {
	if len(allowlist) == 0 || origin == "" {
		return true
	}
	o, ok := normalizeOrigin(origin)
	return ok && slices.Contains(allowlist, o)
}

var errOriginNotAllowed = &apiError{Status: http.StatusForbidden, Code: "origin_not_allowed", Message: "this page's origin may not use the inbox's widget"}

// visitorOriginPolicy is the widget socket's origin check for a visitor:
// its inbox's allowlist, or any origin for a visitor bound to no inbox.
func (s *Server) visitorOriginPolicy(c *gin.Context, workspaceID, visitorID uuid.UUID) (func(string) bool, error) {
	inboxID, err := s.Store.VisitorInbox(c, workspaceID, visitorID)
	if err != nil {
		return nil, notFoundOr(err)
	}
	if inboxID == nil {
		return func(string) bool { return true }, nil
	}
	allowlist, err := s.inboxAllowedOrigins(c, workspaceID, *inboxID)
	if errors.Is(err, store.ErrNotFound) {
		// Deleted since: the visitor is unbound by now.
		return func(string) bool { return true }, nil
	}
	if err != nil {
		return nil, err
	}
	return func(string) bool { return pageAllowed(allowlist, c.Request) }, nil
}
