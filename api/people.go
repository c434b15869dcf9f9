package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/switchboardhq/switchboard/access"
	"github.com/switchboardhq/switchboard/auth"
	"github.com/switchboardhq/switchboard/bus"
	"github.com/switchboardhq/switchboard/store"
)

const (
	inviteTTL        = 7 * 24 * time.Hour
	passwordResetTTL = time.Hour
	minPassword      = 10
	maxPassword      = 200
	// bcrypt reads at most 72 bytes and x/crypto refuses longer input
	// rather than silently ignoring the rest.
	maxPasswordBytes   = 72
	maxEmail           = 320
	maxName            = 200
	maxInviteDepts     = 100
	maxOneTimeTokenLen = 128
)

var errInvalidToken = &apiError{Status: http.StatusNotFound, Code: "invalid_token", Message: "this link is unknown, used or expired"}

// peopleRoutes registers invites, operators, roles, status and password
// resets.
func (s *Server) peopleRoutes(public, op *gin.RouterGroup) {
	admin := requireRole(access.RoleAdmin)
	public.POST("/invites/accept", s.limitTokenRedeem(), s.acceptInvite)
	public.POST("/password-resets/complete", s.limitTokenRedeem(), s.completePasswordReset)

	op.POST("/invites", admin, s.createInvite)
	op.GET("/invites", admin, s.listInvites)
	op.DELETE("/invites/:id", admin, s.revokeInvite)

	op.GET("/operators", s.listOperators)
	op.GET("/operators/:id", s.getOperator)
	op.PATCH("/operators/:id", s.updateOperator)
	op.POST("/operators/:id/deactivate", admin, s.deactivateOperator)
	op.POST("/operators/:id/reactivate", admin, s.reactivateOperator)
	op.POST("/operators/:id/password-reset", admin, s.issuePasswordReset)

	op.PUT("/me/status", s.setStatus)
}

// Input checks shared by the people endpoints.

func normalizeEmail(raw string) (string, error) {
	email := strings.ToLower(strings.TrimSpace(raw))
	if email == "" {
		return "", badRequest("email", "email is required")
	}
	if len(email) > maxEmail {
		return "", badRequest("email", "email is longer than %d bytes", maxEmail)
	}
	local, domain, ok := strings.Cut(email, "@")
	if !ok || local == "" || domain == "" || strings.Contains(domain, "@") ||
		strings.ContainsFunc(email, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
		return "", badRequest("email", "email must be an address like name@example.com")
	}
	return email, nil
}

// checkName trims a person's name; it must be 1 to 200 characters with no
// control characters (PostgreSQL text cannot hold NUL, and names are
// shown in lists).
func checkName(raw string) (string, error) {
	name := strings.TrimSpace(raw)
	if name == "" {
		return "", badRequest("name", "name is required")
	}
	if utf8.RuneCountInString(name) > maxName {
		return "", badRequest("name", "name is longer than %d characters", maxName)
	}
	if strings.ContainsFunc(name, unicode.IsControl) {
		return "", badRequest("name", "name must not contain control characters")
	}
	return name, nil
}

func checkPassword(pw string) error {
	n := utf8.RuneCountInString(pw)
	if n < minPassword || n > maxPassword {
		return badRequest("password", "password must be %d to %d characters", minPassword, maxPassword)
	}
	if len(pw) > maxPasswordBytes {
		return badRequest("password", "password must be at most %d bytes", maxPasswordBytes)
	}
	return nil
}

func checkOneTimeToken(token string) error {
	if token == "" {
		return badRequest("token", "token is required")
	}
	if len(token) > maxOneTimeTokenLen {
		return errInvalidToken
	}
	return nil
}

func conflict(code, msg string) *apiError {
	return &apiError{Status: http.StatusConflict, Code: code, Message: msg}
}

// auditAs records an entry for a request with no principal yet: someone
// accepting an invite or completing a password reset acts as themselves.
func (s *Server) auditAs(c *gin.Context, op store.Operator, action string, data any) {
	raw, _ := json.Marshal(data)
	id := op.ID
	if err := s.Store.Audit(c, store.AuditEntry{
		WorkspaceID: op.WorkspaceID, ActorType: "operator", ActorID: &id,
		Action: action, TargetType: "operator", TargetID: &id, Data: raw,
	}); err != nil {
		s.Logger.ErrorContext(c, "recording audit entry", "action", action, "err", err)
	}
}

// publishAccessChanged asks every node to close the operator's sockets, so
// they reconnect with their new access or fail to.
func (s *Server) publishAccessChanged(c *gin.Context, workspaceID, operatorID uuid.UUID) {
	id := operatorID
	ev := bus.Event{Type: bus.TypeOperatorAccessChanged, WorkspaceID: workspaceID, Audience: bus.Audience{Operator: &id}}
	if err := s.Bus.Publish(c, ev); err != nil {
		// Sockets re-check access on their next reconnect; the change is committed.
		s.Logger.WarnContext(c, "publishing operator.access_changed", "operator", operatorID, "err", err)
	}
}

// Invites.

type createInviteRequest struct {
	Email         string   `json:"email"`
	Role          string   `json:"role"`
	DepartmentIDs []string `json:"department_ids"`
	Name          *string  `json:"name"`
}

func (s *Server) createInvite(c *gin.Context) {
	var req createInviteRequest
	if err := bindJSON(c, &req); err != nil {
		fail(c, err)
		return
	}
	email, err := normalizeEmail(req.Email)
	if err != nil {
		fail(c, err)
		return
	}
	if req.Role != access.RoleAdmin && req.Role != access.RoleSupervisor && req.Role != access.RoleOperator {
		fail(c, badRequest("role", "role must be admin, supervisor or operator"))
		return
	}
	var name string
	if req.Name != nil {
		if name, err = checkName(*req.Name); err != nil {
			fail(c, err)
			return
		}
	}
	if len(req.DepartmentIDs) > maxInviteDepts {
		fail(c, badRequest("department_ids", "at most %d departments", maxInviteDepts))
		return
	}
	deps := make([]uuid.UUID, 0, len(req.DepartmentIDs))
	for _, raw := range req.DepartmentIDs {
		id, err := uuid.Parse(raw)
		if err != nil {
			fail(c, badRequest("department_ids", "department_ids must be UUIDs"))
			return
		}
		if !slices.Contains(deps, id) {
			deps = append(deps, id)
		}
	}
	p := principalOf(c)
	if err := viewerOf(c).MayInvite(req.Role); err != nil {
		fail(c, err)
		return
	}
	// Only this workspace's operators: other workspaces' are none of the
	// admin's business, and the same person may work here too.
	if _, err := s.Store.OperatorByEmail(c, p.WorkspaceID, email); err == nil {
		fail(c, &apiError{Status: http.StatusConflict, Code: "email_taken", Field: "email", Message: "an operator of this workspace already uses this email"})
		return
	} else if !errors.Is(err, store.ErrNotFound) {
		fail(c, err)
		return
	}
	token, hash := auth.NewToken()
	inv, err := s.Store.CreateInvite(c, store.NewInvite{
		WorkspaceID: p.WorkspaceID, Email: email, Name: name, Role: req.Role, DepartmentIDs: deps,
		CreatedBy: p.Operator.ID, TokenHash: hash, ExpiresAt: time.Now().Add(inviteTTL),
	})
	if errors.Is(err, store.ErrUnknownDepartment) {
		fail(c, &apiError{Status: http.StatusUnprocessableEntity, Code: "unknown_department", Field: "department_ids", Message: "a department is not one of this workspace's"})
		return
	}
	if err != nil {
		fail(c, err)
		return
	}
	s.audit(c, "invite.created", "invite", &inv.ID, gin.H{"email": inv.Email, "role": inv.Role, "department_ids": inv.DepartmentIDs})
	c.JSON(http.StatusCreated, gin.H{"invite": inv, "token": token, "invite_url": "/invite#token=" + token})
}

func (s *Server) listInvites(c *gin.Context) {
	invites, err := s.Store.PendingInvites(c, principalOf(c).WorkspaceID)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"invites": invites})
}

func (s *Server) revokeInvite(c *gin.Context) {
	id, err := pathID(c)
	if err != nil {
		fail(c, err)
		return
	}
	if err := s.Store.RevokeInvite(c, principalOf(c).WorkspaceID, id); err != nil {
		fail(c, notFoundOr(err))
		return
	}
	s.audit(c, "invite.revoked", "invite", &id, nil)
	c.Status(http.StatusNoContent)
}

type acceptInviteRequest struct {
	Token    string `json:"token"`
	Name     string `json:"name"`
	Password string `json:"password"`
}

// acceptInvite creates the invited operator and logs them in, as login
// does.
func (s *Server) acceptInvite(c *gin.Context) {
	var req acceptInviteRequest
	if err := bindJSON(c, &req); err != nil {
		fail(c, err)
		return
	}
	if err := checkOneTimeToken(req.Token); err != nil {
		fail(c, err)
		return
	}
	if err := checkPassword(req.Password); err != nil {
		fail(c, err)
		return
	}
	hash := auth.HashToken(req.Token)
	// Looked up first so a wrong token costs no bcrypt; using it is
	// atomic below.
	inv, err := s.Store.InviteByToken(c, hash)
	if errors.Is(err, store.ErrNotFound) {
		fail(c, errInvalidToken)
		return
	}
	if err != nil {
		fail(c, err)
		return
	}
	name := inv.Name
	if strings.TrimSpace(req.Name) != "" || name == "" {
		if name, err = checkName(req.Name); err != nil {
			fail(c, err)
			return
		}
	}
	pwHash, err := auth.HashPassword(req.Password)
	if err != nil {
		fail(c, err)
		return
	}
	p, inv, err := s.Store.AcceptInvite(c, hash, name, pwHash)
	switch {
	case errors.Is(err, store.ErrDuplicate):
		fail(c, &apiError{Status: http.StatusConflict, Code: "email_taken", Field: "email", Message: "an operator of this workspace already uses this invite's email"})
		return
	case errors.Is(err, store.ErrNotFound):
		fail(c, errInvalidToken)
		return
	case err != nil:
		fail(c, err)
		return
	}
	s.auditAs(c, p.Operator, "invite.accepted", gin.H{"invite_id": inv.ID, "role": p.Role, "department_ids": p.DepartmentIDs, "invited_by": inv.CreatedBy})
	csrf, err := s.startSession(c, p.Operator)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, gin.H{"operator": p, "csrf_token": csrf})
}

// Operators.

func (s *Server) listOperators(c *gin.Context) {
	v := viewerOf(c)
	people, err := s.Store.People(c, v.WorkspaceID, v.SeesAll())
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"operators": people})
}

// person returns the operator named in the path, as the principal may see
// them: another workspace's, or a deactivated one for a non-admin, is 404.
func (s *Server) person(c *gin.Context) (store.Person, bool) {
	id, err := pathID(c)
	if err != nil {
		fail(c, err)
		return store.Person{}, false
	}
	v := viewerOf(c)
	p, err := s.Store.Person(c, v.WorkspaceID, id)
	if err == nil && !p.Active && !v.SeesAll() {
		err = store.ErrNotFound
	}
	if err != nil {
		fail(c, notFoundOr(err))
		return store.Person{}, false
	}
	return p, true
}

func (s *Server) getOperator(c *gin.Context) {
	if p, ok := s.person(c); ok {
		c.JSON(http.StatusOK, gin.H{"operator": p})
	}
}

type updateOperatorRequest struct {
	Role *string `json:"role"`
	Name *string `json:"name"`
}

// updateOperator renames (yourself, or anyone as an admin) and changes
// roles (admins; only owners handle owner and admin roles).
func (s *Server) updateOperator(c *gin.Context) {
	id, err := pathID(c)
	if err != nil {
		fail(c, err)
		return
	}
	v := viewerOf(c)
	// Who may touch whom, and whether they exist, before what the body
	// says: the same 403 or 404 whatever is sent.
	if err := v.MayEditOperator(id); err != nil {
		fail(c, err)
		return
	}
	if _, ok := s.person(c); !ok {
		return
	}
	var req updateOperatorRequest
	if err := bindJSON(c, &req); err != nil {
		fail(c, err)
		return
	}
	var change store.OperatorChange
	if req.Name != nil {
		name, err := checkName(*req.Name)
		if err != nil {
			fail(c, err)
			return
		}
		change.Name = &name
	}
	if req.Role != nil {
		if !access.ValidRole(*req.Role) {
			fail(c, badRequest("role", "role must be owner, admin, supervisor or operator"))
			return
		}
		change.Role = req.Role
	}
	if change.Name == nil && change.Role == nil {
		fail(c, badRequest("", "nothing to change: give name or role"))
		return
	}
	before, after, err := s.Store.ChangeOperator(c, v.WorkspaceID, id, change, func(cur store.Operator) error {
		if change.Role == nil {
			return nil
		}
		return v.MayChangeRole(id, cur.Role, *change.Role)
	})
	if err != nil {
		fail(c, operatorChangeError(err))
		return
	}
	if before.Role != after.Role {
		s.audit(c, "operator.role_changed", "operator", &id, gin.H{"from": before.Role, "to": after.Role})
		s.publishAccessChanged(c, v.WorkspaceID, id)
	}
	if before.Name != after.Name {
		s.audit(c, "operator.renamed", "operator", &id, gin.H{"from": before.Name, "to": after.Name})
	}
	c.JSON(http.StatusOK, gin.H{"operator": after})
}

func operatorChangeError(err error) error {
	if errors.Is(err, store.ErrLastOwner) {
		return conflict("last_owner", "the workspace must keep at least one active owner")
	}
	return notFoundOr(err)
}

func (s *Server) deactivateOperator(c *gin.Context) { s.setActive(c, false) }
func (s *Server) reactivateOperator(c *gin.Context) { s.setActive(c, true) }

// setActive deactivates (ending every session at once; API tokens stop
// working because authentication requires an active operator) or
// reactivates an operator.
func (s *Server) setActive(c *gin.Context, active bool) {
	id, err := pathID(c)
	if err != nil {
		fail(c, err)
		return
	}
	v := viewerOf(c)
	before, after, err := s.Store.ChangeOperator(c, v.WorkspaceID, id, store.OperatorChange{Active: &active}, func(cur store.Operator) error {
		return v.MaySetActive(cur.ID, cur.Role)
	})
	if err != nil {
		fail(c, operatorChangeError(err))
		return
	}
	// A deactivation closes the operator's sockets on every node through
	// the revocation the store recorded with it.
	if before.Status != after.Status {
		s.publishStatus(c, after) // a deactivated operator is offline
	}
	if before.Active != after.Active {
		action := "operator.reactivated"
		if !active {
			action = "operator.deactivated"
		}
		s.audit(c, action, "operator", &id, nil)
	}
	c.JSON(http.StatusOK, gin.H{"operator": after})
}

// issuePasswordReset returns a one-time link for another operator to set
// a new password; the admin hands it over.
func (s *Server) issuePasswordReset(c *gin.Context) {
	id, err := pathID(c)
	if err != nil {
		fail(c, err)
		return
	}
	p := principalOf(c)
	target, err := s.Store.Operator(c, p.WorkspaceID, id)
	if err != nil {
		fail(c, notFoundOr(err))
		return
	}
	if err := viewerOf(c).MayResetPassword(target.ID, target.Role); err != nil {
		fail(c, err)
		return
	}
	token, hash := auth.NewToken()
	expires := time.Now().Add(passwordResetTTL)
	if err := s.Store.CreatePasswordReset(c, target, p.Operator.ID, hash, expires); err != nil {
		fail(c, err)
		return
	}
	s.audit(c, "operator.password_reset_issued", "operator", &id, gin.H{"expires_at": expires.UTC()})
	c.JSON(http.StatusCreated, gin.H{"token": token, "reset_url": "/reset-password#token=" + token, "expires_at": expires.UTC()})
}

type completePasswordResetRequest struct {
	Token    string `json:"token"`
	Password string `json:"password"`
}

func (s *Server) completePasswordReset(c *gin.Context) {
	var req completePasswordResetRequest
	if err := bindJSON(c, &req); err != nil {
		fail(c, err)
		return
	}
	if err := checkOneTimeToken(req.Token); err != nil {
		fail(c, err)
		return
	}
	if err := checkPassword(req.Password); err != nil {
		fail(c, err)
		return
	}
	hash := auth.HashToken(req.Token)
	err := s.Store.PasswordResetPending(c, hash)
	if errors.Is(err, store.ErrNotFound) {
		fail(c, errInvalidToken)
		return
	}
	if err != nil {
		fail(c, err)
		return
	}
	pwHash, err := auth.HashPassword(req.Password)
	if err != nil {
		fail(c, err)
		return
	}
	op, err := s.Store.CompletePasswordReset(c, hash, pwHash)
	if errors.Is(err, store.ErrNotFound) {
		fail(c, errInvalidToken)
		return
	}
	if err != nil {
		fail(c, err)
		return
	}
	// The sessions' sockets close on every node through the revocations
	// the store recorded with them.
	s.auditAs(c, op, "operator.password_reset", nil)
	c.Status(http.StatusNoContent)
}

// Status.

type setStatusRequest struct {
	Status string `json:"status"`
}

// setStatus sets the caller's own status; supervisors and above see it
// live, and routing reads it.
func (s *Server) setStatus(c *gin.Context) {
	var req setStatusRequest
	if err := bindJSON(c, &req); err != nil {
		fail(c, err)
		return
	}
	switch req.Status {
	case "online", "away", "offline":
	default:
		fail(c, badRequest("status", "status must be online, away or offline"))
		return
	}
	me := operatorOf(c)
	p, changed, err := s.Store.SetStatus(c, me.WorkspaceID, me.ID, req.Status)
	if err != nil {
		fail(c, notFoundOr(err))
		return
	}
	if changed {
		s.publishStatus(c, p)
	}
	c.JSON(http.StatusOK, gin.H{"operator": p})
}

// publishStatus tells supervisors and above, live, that an operator's
// status changed; dispatch reacts to it too.
func (s *Server) publishStatus(c *gin.Context, p store.Person) {
	data, _ := json.Marshal(gin.H{"operator_id": p.ID, "status": p.Status, "changed_at": p.StatusChangedAt})
	ev := bus.Event{
		Type: bus.TypeOperatorStatus, WorkspaceID: p.WorkspaceID, Data: data,
		Audience: bus.Audience{MinRole: access.RoleSupervisor},
	}
	if err := s.Bus.Publish(c, ev); err != nil {
		s.Logger.WarnContext(c, "publishing operator.status", "operator", p.ID, "err", err)
	}
}
