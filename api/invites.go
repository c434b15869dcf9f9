package api

import (
	"cmp"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/switchboardhq/switchboard/access"
	"github.com/switchboardhq/switchboard/auth"
	"github.com/switchboardhq/switchboard/store"
)

type createInviteRequest struct {
	Email         string   `json:"email"`
	Role          string   `json:"role"`
	DepartmentIDs []string `json:"department_ids"`
	Name          *string  `json:"name"`

	name        string
	departments []uuid.UUID
}

func (s *Server) createInvite(c *gin.Context) {
	var req createInviteRequest
	if !bind(c, &req) {
		return
	}
	v := viewerOf(c)
	if err := v.MayInvite(req.Role); err != nil {
		fail(c, err)
		return
	}
	// Only this workspace's operators: other workspaces' are none of the
	// admin's business, and the same person may work here too.
	if _, err := s.Store.OperatorByEmail(c, v.WorkspaceID, req.Email); !errors.Is(err, store.ErrNotFound) {
		fail(c, cmp.Or(err, error(errEmailTaken)))
		return
	}
	token, hash := auth.NewToken()
	inv, err := s.Store.CreateInvite(c, store.NewInvite{
		WorkspaceID: v.WorkspaceID, Email: req.Email, Name: req.name, Role: req.Role, DepartmentIDs: req.departments,
		CreatedBy: v.OperatorID, TokenHash: hash, ExpiresAt: time.Now().Add(inviteTTL),
	})
	if errors.Is(err, store.ErrUnknownDepartment) {
		err = &apiError{Status: http.StatusUnprocessableEntity, Code: "unknown_department", Field: "department_ids", Message: "a department is not one of this workspace's"}
	}
	if err != nil {
		fail(c, err)
		return
	}
	s.audit(c, "invite.created", "invite", &inv.ID, gin.H{"email": inv.Email, "role": inv.Role, "department_ids": inv.DepartmentIDs})
	c.JSON(http.StatusCreated, gin.H{"invite": inv, "token": token, "invite_url": "/invite#token=" + token})
}

var errEmailTaken = &apiError{Status: http.StatusConflict, Code: "email_taken", Field: "email", Message: "an operator of this workspace already uses this email"}

func (r *createInviteRequest) validate() (err error) {
	if r.Email, err = normalizeEmail(r.Email); err != nil {
		return err
	}
	if r.Role != access.RoleAdmin && r.Role != access.RoleSupervisor && r.Role != access.RoleOperator {
		return badRequest("role", "role must be admin, supervisor or operator")
	}
	if r.Name != nil {
		if r.name, err = checkName(*r.Name); err != nil {
			return err
		}
	}
	r.departments, err = parseIDs("department_ids", r.DepartmentIDs, maxInviteDepts)
	return err
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
	if !bind(c, &req) {
		return
	}
	hash := auth.HashToken(req.Token)
	// Looked up first so a wrong token costs no bcrypt; using it is
	// atomic below.
	inv, err := s.Store.InviteByToken(c, hash)
	if err != nil {
		fail(c, invalidTokenOr(err))
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
	if errors.Is(err, store.ErrDuplicate) {
		err = &apiError{Status: http.StatusConflict, Code: "email_taken", Field: "email", Message: "an operator of this workspace already uses this invite's email"}
	}
	if err != nil {
		fail(c, invalidTokenOr(err))
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

func (r *acceptInviteRequest) validate() error {
	if err := checkOneTimeToken(r.Token); err != nil {
		return err
	}
	return checkPassword(r.Password)
}
