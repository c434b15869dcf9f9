package api

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/switchboardhq/switchboard/auth"
	"github.com/switchboardhq/switchboard/store"
)

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
	if !bind(c, &req) {
		return
	}
	hash := auth.HashToken(req.Token)
	// Checked first so a wrong token costs no bcrypt.
	err := s.Store.PasswordResetPending(c, hash)
	var pwHash string
	if err == nil {
		pwHash, err = auth.HashPassword(req.Password)
	}
	var op store.Operator
	if err == nil {
		op, err = s.Store.CompletePasswordReset(c, hash, pwHash)
	}
	if err != nil {
		fail(c, invalidTokenOr(err))
		return
	}
	// The sessions' sockets close on every node through the revocations
	// the store recorded with them.
	s.auditAs(c, op, "operator.password_reset", nil)
	c.Status(http.StatusNoContent)
}

func (r *completePasswordResetRequest) validate() error {
	if err := checkOneTimeToken(r.Token); err != nil {
		return err
	}
	return checkPassword(r.Password)
}
