package api

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/switchboardhq/switchboard/store"
)

// listDeadLetters lists the workspace's dead outbox rows, newest first,
// keyset-paged: next_cursor is the cursor of the following page.
func (s *Server) listDeadLetters(c *gin.Context) {
	limit, err := queryInt(c, "limit", 50, 1, 200)
	if err != nil {
		fail(c, err)
		return
	}
	var before int64
	if v := c.Query("cursor"); v != "" {
		if before, err = strconv.ParseInt(v, 10, 64); err != nil || before <= 0 {
			fail(c, badRequest("cursor", "cursor is not one this endpoint returned"))
			return
		}
	}
	dead, next, err := s.Store.OutboxDeadLetters(c, principalOf(c).WorkspaceID, before, int(limit))
	if err != nil {
		fail(c, err)
		return
	}
	cursor := ""
	if next > 0 {
		cursor = strconv.FormatInt(next, 10)
	}
	c.JSON(http.StatusOK, gin.H{"dead_letters": dead, "next_cursor": cursor})
}

// retryDeadLetter sends a dead row back to the relay with fresh attempts.
func (s *Server) retryDeadLetter(c *gin.Context) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		fail(c, badRequest("id", "id must be a positive integer"))
		return
	}
	d, err := s.Store.OutboxDeadRetry(c, principalOf(c).WorkspaceID, id)
	if errors.Is(err, store.ErrNotFound) {
		fail(c, errNotFound)
		return
	}
	if err != nil {
		fail(c, err)
		return
	}
	s.audit(c, "outbox.dead_letter_retried", "conversation", &d.ConversationID, gin.H{"outbox_id": d.ID, "kind": d.Kind})
	if s.Kick != nil {
		s.Kick()
	}
	c.JSON(http.StatusOK, gin.H{"dead_letter": d})
}
