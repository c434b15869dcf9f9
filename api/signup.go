package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/switchboardhq/switchboard/auth"
	"github.com/switchboardhq/switchboard/store"
)

var errSignupDisabled = &apiError{Status: http.StatusNotFound, Code: "signup_disabled", Message: "this installation does not create workspaces on request"}

// requireSignup lets signups through only where they are enabled, before
// any other check: a disabled signup answers the same whatever is sent.
func (s *Server) requireSignup(c *gin.Context) {
	if !s.Signup {
		fail(c, errSignupDisabled)
		return
	}
	c.Next()
}

type signupRequest struct {
	WorkspaceName string `json:"workspace_name"`
	Name          string `json:"name"`
	Email         string `json:"email"`
	Password      string `json:"password"`
}

// checkWorkspaceName trims a workspace's name: 1 to 200 characters, no
// control characters.
func checkWorkspaceName(raw string) (string, error) { return checkLabel("workspace_name", raw) }

// signup creates a workspace, its owner and the owner's session, as login
// does. The address may already work in other workspaces: an operator is
// an identity within one workspace, so nothing here says whether it does.
func (s *Server) signup(c *gin.Context) {
	var req signupRequest
	if !bind(c, &req) || !s.allowSignupEmail(c, req.Email) {
		return
	}
	hash, err := auth.HashPassword(req.Password)
	if err != nil {
		fail(c, err)
		return
	}
	ws, op, err := s.Store.CreateWorkspaceWithOwner(c, req.WorkspaceName, store.NewOperator{Email: req.Email, Name: req.Name, PasswordHash: hash})
	if err != nil {
		fail(c, err)
		return
	}
	s.auditAs(c, op, "workspace.created", gin.H{"name": ws.Name})
	csrf, err := s.startSession(c, op)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, gin.H{"workspace": ws, "operator": op, "csrf_token": csrf})
}

func (r *signupRequest) validate() (err error) {
	if r.WorkspaceName, err = checkWorkspaceName(r.WorkspaceName); err != nil {
		return err
	}
	if r.Name, err = checkName(r.Name); err != nil {
		return err
	}
	if r.Email, err = normalizeEmail(r.Email); err != nil {
		return err
	}
	return checkPassword(r.Password)
}
