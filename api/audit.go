package api

import (
	"encoding/json"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/switchboardhq/switchboard/store"
)

// audit records who changed access or settings. It is part of the change:
// a failure to record is reported to the caller's log and the request
// still answers, because the change itself has been committed.
func (s *Server) audit(c *gin.Context, action, targetType string, targetID *uuid.UUID, data any) {
	p := principalOf(c)
	actorType, actorID := "operator", p.Operator.ID
	if p.TokenID != nil {
		actorType, actorID = "api_token", *p.TokenID
	}
	raw, _ := json.Marshal(data)
	if err := s.Store.Audit(c, store.AuditEntry{
		WorkspaceID: p.WorkspaceID, ActorType: actorType, ActorID: &actorID,
		Action: action, TargetType: targetType, TargetID: targetID, Data: raw,
	}); err != nil {
		s.Logger.ErrorContext(c, "recording audit entry", "action", action, "err", err)
	}
}

// auditLog lists the workspace's audit entries, newest first (admins).
func (s *Server) auditLog(c *gin.Context) {
	limit, cursor, err := page(c, 50, 200)
	if err != nil {
		fail(c, err)
		return
	}
	entries, next, err := s.Store.AuditLog(c, principalOf(c).WorkspaceID, cursor, limit)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"entries": entries, "next_cursor": encodeCursor(next)})
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
