package api

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/switchboardhq/switchboard/access"
	"github.com/switchboardhq/switchboard/activities"
	"github.com/switchboardhq/switchboard/bus"
	"github.com/switchboardhq/switchboard/store"
)

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
	Role         *string `json:"role"`
	Name         *string `json:"name"`
	FlowDesigner *bool   `json:"flow_designer"`
	// MaxConcurrent is the operator's own capacity (1–1000); 0 goes back
	// to their departments' default.
	MaxConcurrent *int `json:"max_concurrent"`
}

// updateOperator renames (yourself, or anyone as an admin) and changes
// roles (admins; only owners handle owner and admin roles).
func (s *Server) updateOperator(c *gin.Context) {
	v := viewerOf(c)
	// Who may touch whom, and whether they exist, before what the body
	// says: the same 403 or 404 whatever is sent.
	id, err := pathID(c)
	if err == nil {
		err = v.MayEditOperator(id)
	}
	if err != nil {
		fail(c, err)
		return
	}
	var req updateOperatorRequest
	if _, ok := s.person(c); !ok || !bind(c, &req) {
		return
	}
	change := store.OperatorChange{Name: req.Name, Role: req.Role, FlowDesigner: req.FlowDesigner, MaxConcurrent: req.MaxConcurrent}
	before, after, err := s.Store.ChangeOperator(c, v.WorkspaceID, id, change, func(cur store.Operator) error {
		if change.FlowDesigner != nil {
			if err := v.MaySetFlowDesigner(); err != nil {
				return err
			}
		}
		if change.MaxConcurrent != nil {
			if err := v.MaySetCapacity(); err != nil {
				return err
			}
		}
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
	if before.FlowDesigner != after.FlowDesigner {
		s.audit(c, "operator.flow_designer_changed", "operator", &id, gin.H{"flow_designer": after.FlowDesigner})
		s.publishAccessChanged(c, v.WorkspaceID, id)
	}
	if !sameCapacity(before.MaxConcurrent, after.MaxConcurrent) {
		s.audit(c, "operator.capacity_changed", "operator", &id, gin.H{"max_concurrent": after.MaxConcurrent})
		s.kickIf(1) // more room may have dispatched
	}
	c.JSON(http.StatusOK, gin.H{"operator": after})
}

func sameCapacity(a, b *int) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}

func (r *updateOperatorRequest) validate() error {
	if r.Name != nil {
		name, err := checkName(*r.Name)
		if err != nil {
			return err
		}
		r.Name = &name
	}
	if r.Role != nil && !access.ValidRole(*r.Role) {
		return badRequest("role", "role must be owner, admin, supervisor or operator")
	}
	if r.MaxConcurrent != nil && (*r.MaxConcurrent < 0 || *r.MaxConcurrent > maxConcurrentLimit) {
		return badRequest("max_concurrent", "max_concurrent must be between 1 and %d, or 0 for the departments' default", maxConcurrentLimit)
	}
	if r.Name == nil && r.Role == nil && r.FlowDesigner == nil && r.MaxConcurrent == nil {
		return badRequest("", "nothing to change: give name, role, flow_designer or max_concurrent")
	}
	return nil
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

// Status.

type setStatusRequest struct {
	Status string `json:"status"`
}

// setStatus sets the caller's own status; supervisors and above see it
// live, and routing reads it.
func (s *Server) setStatus(c *gin.Context) {
	var req setStatusRequest
	if !bind(c, &req) {
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
		s.kickIf(1) // coming online dispatched waiting conversations; leaving, passed its offers on
	}
	c.JSON(http.StatusOK, gin.H{"operator": p})
}

// publishStatus tells supervisors and above, live, that an operator's
// status changed; dispatch reacts to it too.
func (s *Server) publishStatus(c *gin.Context, p store.Person) {
	if err := s.Bus.Publish(c, activities.OperatorStatusEvent(p)); err != nil {
		s.Logger.WarnContext(c, "publishing operator.status", "operator", p.ID, "err", err)
	}
}
