package api

import (
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/switchboardhq/switchboard/access"
	"github.com/switchboardhq/switchboard/conversation"
	"github.com/switchboardhq/switchboard/store"
	"github.com/switchboardhq/switchboard/workflows"
)

// structureRoutes registers departments, their members, inboxes and
// conversation transfer. Everyone in the workspace reads departments and
// inboxes (supervisors pick transfer targets, operators see where work comes
// from); only admins change them.
func (s *Server) structureRoutes(public, op *gin.RouterGroup) {
	admin := requireRole(access.RoleAdmin)

	op.GET("/departments", s.listDepartments)
	op.POST("/departments", admin, s.createDepartment)
	op.GET("/departments/:id", s.getDepartment)
	op.PATCH("/departments/:id", admin, s.renameDepartment)
	op.DELETE("/departments/:id", admin, s.deleteDepartment)
	op.GET("/departments/:id/members", s.listDepartmentMembers)
	op.PUT("/departments/:id/members/:operator_id", admin, s.addDepartmentMember)
	op.DELETE("/departments/:id/members/:operator_id", admin, s.removeDepartmentMember)

	op.GET("/inboxes", s.listInboxes)
	op.POST("/inboxes", admin, s.createInbox)
	op.GET("/inboxes/:id", s.getInbox)
	op.PATCH("/inboxes/:id", admin, s.updateInbox)
	op.DELETE("/inboxes/:id", admin, s.deleteInbox)

	op.POST("/conversations/:id/transfer", s.transfer)
}

// Departments.

const maxNameChars = 200

func checkStructureName(raw string) (string, error) {
	name := strings.TrimSpace(raw)
	if name == "" || !utf8.ValidString(name) || utf8.RuneCountInString(name) > maxNameChars {
		return "", badRequest("name", "name must be 1 to %d characters", maxNameChars)
	}
	return name, nil
}

func nameTaken(what string) *apiError {
	return &apiError{Status: http.StatusConflict, Code: "name_taken", Field: "name", Message: "another " + what + " has that name"}
}

type departmentRequest struct {
	Name string `json:"name"`
}

func (s *Server) listDepartments(c *gin.Context) {
	deps, err := s.Store.Departments(c, viewerOf(c).WorkspaceID)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"departments": deps})
}

func (s *Server) createDepartment(c *gin.Context) {
	var req departmentRequest
	if err := bindJSON(c, &req); err != nil {
		fail(c, err)
		return
	}
	name, err := checkStructureName(req.Name)
	if err != nil {
		fail(c, err)
		return
	}
	ws := viewerOf(c).WorkspaceID
	id, err := s.Store.CreateDepartment(c, ws, name)
	if errors.Is(err, store.ErrDuplicate) {
		fail(c, nameTaken("department"))
		return
	}
	if err != nil {
		fail(c, err)
		return
	}
	dep, err := s.Store.Department(c, ws, id)
	if err != nil {
		fail(c, err)
		return
	}
	s.audit(c, "department.created", "department", &dep.ID, gin.H{"name": dep.Name})
	c.JSON(http.StatusCreated, gin.H{"department": dep})
}

func (s *Server) getDepartment(c *gin.Context) {
	id, err := pathID(c)
	if err != nil {
		fail(c, err)
		return
	}
	dep, err := s.Store.Department(c, viewerOf(c).WorkspaceID, id)
	if err != nil {
		fail(c, notFoundOr(err))
		return
	}
	c.JSON(http.StatusOK, gin.H{"department": dep})
}

func (s *Server) renameDepartment(c *gin.Context) {
	id, err := pathID(c)
	if err != nil {
		fail(c, err)
		return
	}
	var req departmentRequest
	if err := bindJSON(c, &req); err != nil {
		fail(c, err)
		return
	}
	name, err := checkStructureName(req.Name)
	if err != nil {
		fail(c, err)
		return
	}
	before, after, err := s.Store.RenameDepartment(c, viewerOf(c).WorkspaceID, id, name)
	if errors.Is(err, store.ErrDuplicate) {
		fail(c, nameTaken("department"))
		return
	}
	if err != nil {
		fail(c, notFoundOr(err))
		return
	}
	if before.Name != after.Name {
		s.audit(c, "department.renamed", "department", &id, gin.H{"from": before.Name, "to": after.Name})
	}
	c.JSON(http.StatusOK, gin.H{"department": after})
}

// deleteDepartment deletes a department with no open or snoozed
// conversation (409 department_in_use otherwise: transfer or resolve them
// first, nothing is moved silently). Its resolved conversations keep their
// messages and event log and become unrouted; inboxes lose it from their
// departments and, if it was their default, have none. Its members' sockets
// are closed so they reconnect without it.
func (s *Server) deleteDepartment(c *gin.Context) {
	id, err := pathID(c)
	if err != nil {
		fail(c, err)
		return
	}
	ws := viewerOf(c).WorkspaceID
	gone, err := s.Store.DeleteDepartment(c, ws, id)
	if errors.Is(err, store.ErrDepartmentInUse) {
		fail(c, &apiError{Status: http.StatusConflict, Code: "department_in_use",
			Message: "the department has open or snoozed conversations; transfer or resolve them first"})
		return
	}
	if err != nil {
		fail(c, notFoundOr(err))
		return
	}
	s.audit(c, "department.deleted", "department", &id, gin.H{"name": gone.Name, "members": gone.Members})
	for _, m := range gone.Members {
		s.publishAccessChanged(c, ws, m)
	}
	c.Status(http.StatusNoContent)
}

func (s *Server) listDepartmentMembers(c *gin.Context) {
	id, err := pathID(c)
	if err != nil {
		fail(c, err)
		return
	}
	members, err := s.Store.DepartmentMembers(c, viewerOf(c).WorkspaceID, id)
	if err != nil {
		fail(c, notFoundOr(err))
		return
	}
	c.JSON(http.StatusOK, gin.H{"members": members})
}

// memberPath reads /departments/:id/members/:operator_id; a malformed id
// names nothing (404).
func memberPath(c *gin.Context) (dept, operator uuid.UUID, err error) {
	if dept, err = pathID(c); err != nil {
		return uuid.Nil, uuid.Nil, err
	}
	if operator, err = uuid.Parse(c.Param("operator_id")); err != nil {
		return uuid.Nil, uuid.Nil, errNotFound
	}
	return dept, operator, nil
}

// addDepartmentMember is idempotent: 204 whether or not the operator was a
// member already; only a new membership is audited and reconnects the
// operator's sockets.
func (s *Server) addDepartmentMember(c *gin.Context) {
	dept, opID, err := memberPath(c)
	if err != nil {
		fail(c, err)
		return
	}
	ws := viewerOf(c).WorkspaceID
	added, err := s.Store.AddDepartmentMember(c, ws, dept, opID)
	if err != nil {
		// The department or the operator is not this workspace's.
		fail(c, notFoundOr(err))
		return
	}
	if added {
		s.audit(c, "department.member_added", "department", &dept, gin.H{"operator_id": opID})
		s.publishAccessChanged(c, ws, opID)
	}
	c.Status(http.StatusNoContent)
}

func (s *Server) removeDepartmentMember(c *gin.Context) {
	dept, opID, err := memberPath(c)
	if err != nil {
		fail(c, err)
		return
	}
	ws := viewerOf(c).WorkspaceID
	if err := s.Store.RemoveDepartmentMember(c, ws, dept, opID); err != nil {
		fail(c, notFoundOr(err))
		return
	}
	s.audit(c, "department.member_removed", "department", &dept, gin.H{"operator_id": opID})
	s.publishAccessChanged(c, ws, opID)
	c.Status(http.StatusNoContent)
}

// Inboxes.

const (
	maxInboxDepartments = 100
	maxAllowedOrigins   = 50
)

// nullableString is a JSON field that may be absent (Set false), null
// (Value nil) or a string: PATCH tells "leave it" from "clear it".
type nullableString struct {
	Set   bool
	Value *string
}

func (n *nullableString) UnmarshalJSON(b []byte) error {
	n.Set = true
	if string(b) == "null" {
		n.Value = nil
		return nil
	}
	var v string
	if err := json.Unmarshal(b, &v); err != nil {
		// The decoder names the field on a type error.
		return &json.UnmarshalTypeError{Value: "non-string", Type: reflect.TypeFor[string]()}
	}
	n.Value = &v
	return nil
}

type inboxRequest struct {
	Name                *string        `json:"name"`
	DepartmentIDs       *[]string      `json:"department_ids"`
	DefaultDepartmentID nullableString `json:"default_department_id"`
	AllowedOrigins      *[]string      `json:"allowed_origins"`
}

// apply merges the request into f (the current settings, or zero for a new
// inbox) and checks what it can without the database.
func (r inboxRequest) apply(f *store.InboxFields) error {
	if r.Name != nil {
		name, err := checkStructureName(*r.Name)
		if err != nil {
			return err
		}
		f.Name = name
	}
	if r.DepartmentIDs != nil {
		if len(*r.DepartmentIDs) > maxInboxDepartments {
			return badRequest("department_ids", "at most %d departments", maxInboxDepartments)
		}
		ids := make([]uuid.UUID, 0, len(*r.DepartmentIDs))
		for _, raw := range *r.DepartmentIDs {
			id, err := uuid.Parse(raw)
			if err != nil {
				return badRequest("department_ids", "department_ids must be department ids")
			}
			if !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
		f.DepartmentIDs = ids
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
	if r.AllowedOrigins != nil {
		if len(*r.AllowedOrigins) > maxAllowedOrigins {
			return badRequest("allowed_origins", "at most %d origins", maxAllowedOrigins)
		}
		origins := make([]string, 0, len(*r.AllowedOrigins))
		for _, raw := range *r.AllowedOrigins {
			o, ok := normalizeOrigin(raw)
			if !ok {
				return badRequest("allowed_origins", "%q is not an origin: give scheme://host[:port], http or https, no path", truncate(raw, 100))
			}
			if !slices.Contains(origins, o) {
				origins = append(origins, o)
			}
		}
		f.AllowedOrigins = origins
	}
	if f.DefaultDepartmentID != nil && !slices.Contains(f.DepartmentIDs, *f.DefaultDepartmentID) {
		return &apiError{Status: http.StatusUnprocessableEntity, Code: "invalid_input", Field: "default_department_id",
			Message: "default_department_id must be one of the inbox's department_ids"}
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
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
			Message: "department_ids names a department this workspace does not have"}
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
	if err := bindJSON(c, &req); err != nil {
		fail(c, err)
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
	if err := s.checkInboxDepartments(c, ws, f.DepartmentIDs); err != nil {
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
func inboxWriteError(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return &apiError{Status: http.StatusUnprocessableEntity, Code: "invalid_input", Field: "department_ids",
			Message: "department_ids names a department this workspace does not have"}
	}
	return err
}

func (s *Server) getInbox(c *gin.Context) {
	id, err := pathID(c)
	if err != nil {
		fail(c, err)
		return
	}
	inbox, err := s.Store.Inbox(c, viewerOf(c).WorkspaceID, id)
	if err != nil {
		fail(c, notFoundOr(err))
		return
	}
	c.JSON(http.StatusOK, gin.H{"inbox": inbox})
}

// updateInbox changes the fields given; department_ids replaces the set.
func (s *Server) updateInbox(c *gin.Context) {
	id, err := pathID(c)
	if err != nil {
		fail(c, err)
		return
	}
	var req inboxRequest
	if err := bindJSON(c, &req); err != nil {
		fail(c, err)
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
	}
	if err := req.apply(&f); err != nil {
		fail(c, err)
		return
	}
	if err := s.checkInboxDepartments(c, ws, f.DepartmentIDs); err != nil {
		fail(c, err)
		return
	}
	inbox, err := s.Store.UpdateInbox(c, ws, id, f)
	switch {
	case errors.Is(err, store.ErrDuplicate):
		fail(c, nameTaken("inbox"))
		return
	case errors.Is(err, store.ErrNotFound):
		// The inbox was deleted meanwhile (404) or a department was (422).
		if _, gerr := s.Store.Inbox(c, ws, id); gerr != nil {
			fail(c, notFoundOr(gerr))
			return
		}
		fail(c, inboxWriteError(err))
		return
	case err != nil:
		fail(c, err)
		return
	}
	inboxOrigins.forget(id)
	s.audit(c, "inbox.updated", "inbox", &id, gin.H{"before": cur, "after": inbox})
	c.JSON(http.StatusOK, gin.H{"inbox": inbox})
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
	inboxOrigins.forget(id)
	s.audit(c, "inbox.deleted", "inbox", &id, gin.H{"name": cur.Name})
	c.Status(http.StatusNoContent)
}

// Widget origins.

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
	return func(origin string) bool { return originAllowed(allowlist, origin) }, nil
}

// Transfer.

type transferRequest struct {
	DepartmentID string  `json:"department_id"`
	AssigneeID   *string `json:"assignee_id"`
}

// transfer moves a conversation to another department, to its queue or to
// an operator there. Supervisors of the conversation's department and
// admins may; the target must be a department of the workspace and the
// assignee someone who can work it (422 otherwise).
func (s *Server) transfer(c *gin.Context) {
	conv, ok := s.operatorConversation(c)
	if !ok {
		return
	}
	var req transferRequest
	if err := bindJSON(c, &req); err != nil {
		fail(c, err)
		return
	}
	dept, err := uuid.Parse(req.DepartmentID)
	if err != nil {
		fail(c, badRequest("department_id", "department_id must be a department id"))
		return
	}
	var assignee *uuid.UUID
	if req.AssigneeID != nil {
		id, err := uuid.Parse(*req.AssigneeID)
		if err != nil {
			fail(c, badRequest("assignee_id", "assignee_id must be an operator id or null"))
			return
		}
		assignee = &id
	}
	if err := viewerOf(c).MayTransfer(conv.DepartmentID); err != nil {
		fail(c, err)
		return
	}
	if _, err := s.Store.Department(c, conv.WorkspaceID, dept); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			err = &apiError{Status: http.StatusUnprocessableEntity, Code: "invalid_input", Field: "department_id", Message: "no such department in this workspace"}
		}
		fail(c, err)
		return
	}
	if assignee != nil {
		if err := s.checkCanWork(c, conv.WorkspaceID, *assignee, &dept); err != nil {
			fail(c, err)
			return
		}
	}
	s.command(c, conv, workflows.UpdateTransfer, conversation.TransferRequest{Actor: actorOf(c), DepartmentID: dept, AssigneeID: assignee})
}

// checkCanWork answers 422 unless the operator is active in the workspace
// and may hold a conversation of department (see store.OperatorCanWork).
func (s *Server) checkCanWork(c *gin.Context, workspaceID, operatorID uuid.UUID, department *uuid.UUID) error {
	ok, err := s.Store.OperatorCanWork(c, workspaceID, operatorID, department)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if !ok {
		return &apiError{Status: http.StatusUnprocessableEntity, Code: "invalid_input", Field: "assignee_id",
			Message: "no active operator with that id who works the conversation's department"}
	}
	return nil
}
