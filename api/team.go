package api

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"
)

// The supervisor's view (team) and its two actions: distribute a
// department's queue to its online people, and give an operator's
// conversations back to the queue.

// team answers the departments the viewer manages, each queue (waiting,
// longest wait, online people, free places), and their people with what
// they hold. The inbox reads it again when the socket says something
// changed.
func (s *Server) team(c *gin.Context) {
	t, err := s.Store.Team(c, viewerOf(c))
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"team": t})
}

// distribute hands a department's waiting conversations to its online
// members with room, the least loaded first, whatever its dispatch mode.
func (s *Server) distribute(c *gin.Context) {
	id, err := pathID(c)
	if err != nil {
		fail(c, err)
		return
	}
	v := viewerOf(c)
	if _, err := s.Store.Department(c, v.WorkspaceID, id); err != nil {
		fail(c, notFoundOr(err))
		return
	}
	if err := v.MayManageDepartment(id); err != nil {
		fail(c, err)
		return
	}
	n, err := s.Store.Distribute(c, v.WorkspaceID, id)
	if err != nil {
		fail(c, notFoundOr(err))
		return
	}
	s.audit(c, "department.distributed", "department", &id, gin.H{"assigned": n})
	c.JSON(http.StatusOK, gin.H{"assigned": n})
}

// releaseOperator gives an operator's open assigned conversations back to
// their departments' queues (a supervisor: in their own departments);
// each conversation's workflow unassigns it if the operator still has it,
// and dispatch, or a claim, finds it someone.
func (s *Server) releaseOperator(c *gin.Context) {
	p, ok := s.person(c)
	if !ok {
		return
	}
	v := viewerOf(c)
	if err := v.MayRelease(p.DepartmentIDs); err != nil {
		fail(c, err)
		return
	}
	all, depts := v.ReleaseScope()
	var by *uuid.UUID // nil: an API token asked
	if v.OperatorID != uuid.Nil {
		by = &v.OperatorID
	}
	n, err := s.Store.ReleaseOperator(c, v.WorkspaceID, p.ID, all, depts, by)
	if err != nil {
		fail(c, err)
		return
	}
	s.audit(c, "operator.released", "operator", &p.ID, gin.H{"conversations": n})
	c.JSON(http.StatusOK, gin.H{"released": n})
}
