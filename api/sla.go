package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/switchboardhq/switchboard/sla"
	"github.com/switchboardhq/switchboard/store"
)

const maxSLAPolicies = 50

// listSLAPolicies answers the workspace's SLA policies in the order they
// are tried (supervisors and admins).
func (s *Server) listSLAPolicies(c *gin.Context) {
	policies, err := s.Store.SLAPolicies(c, viewerOf(c).WorkspaceID)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"policies": policies})
}

type slaPoliciesRequest struct {
	Policies []sla.Policy `json:"policies"`
}

func (r *slaPoliciesRequest) validate() error {
	if r.Policies == nil {
		return badRequest("policies", "policies is required (an empty list removes every policy)")
	}
	if len(r.Policies) > maxSLAPolicies {
		return badRequest("policies", "at most %d policies", maxSLAPolicies)
	}
	for i := range r.Policies {
		if err := r.Policies[i].Validate(); err != nil {
			var p *sla.Problem
			if errors.As(err, &p) {
				return badRequest(fmt.Sprintf("policies[%d].%s", i, p.Field), "%s", p.Message)
			}
			return err
		}
	}
	return nil
}

// setSLAPolicies replaces the workspace's ordered list (admins): a policy
// with an id edits that policy, one without adds one, one left out is
// removed. Departments, inboxes and tags named must be the workspace's
// (422 naming the field).
func (s *Server) setSLAPolicies(c *gin.Context) {
	var req slaPoliciesRequest
	if !bind(c, &req) {
		return
	}
	ws := viewerOf(c).WorkspaceID
	if err := s.checkPolicyRefs(c, ws, req.Policies); err != nil {
		fail(c, err)
		return
	}
	saved, err := s.Store.SetSLAPolicies(c, ws, req.Policies)
	var unknown *store.UnknownPolicyError
	if errors.As(err, &unknown) {
		fail(c, unprocessable(fmt.Sprintf("policies[%d].id", unknown.Index), "not a policy of this workspace (leave id out to add one)"))
		return
	}
	if err != nil {
		fail(c, err)
		return
	}
	names := make([]string, len(saved))
	for i, p := range saved {
		names[i] = p.Name
	}
	s.audit(c, "workspace.sla_policies_set", "workspace", nil, gin.H{"policies": names})
	c.JSON(http.StatusOK, gin.H{"policies": saved})
}

// checkPolicyRefs: every department, inbox and tag a policy names is the
// workspace's.
func (s *Server) checkPolicyRefs(c *gin.Context, ws uuid.UUID, policies []sla.Policy) error {
	depts, err := s.Store.Departments(c, ws)
	if err != nil {
		return err
	}
	inboxes, err := s.Store.Inboxes(c, ws)
	if err != nil {
		return err
	}
	tags, err := s.Store.Tags(c, ws)
	if err != nil {
		return err
	}
	isDept := func(id uuid.UUID) bool {
		return slices.ContainsFunc(depts, func(d store.Department) bool { return d.ID == id })
	}
	isInbox := func(id uuid.UUID) bool {
		return slices.ContainsFunc(inboxes, func(b store.Inbox) bool { return b.ID == id })
	}
	isTag := func(id uuid.UUID) bool {
		return slices.ContainsFunc(tags, func(t store.Tag) bool { return t.ID == id })
	}
	for i, p := range policies {
		field := fmt.Sprintf("policies[%d]", i)
		for j, id := range p.Conditions.DepartmentIDs {
			if !isDept(id) {
				return unprocessable(fmt.Sprintf("%s.conditions.department_ids[%d]", field, j), "not a department of this workspace")
			}
		}
		for j, id := range p.Conditions.InboxIDs {
			if !isInbox(id) {
				return unprocessable(fmt.Sprintf("%s.conditions.inbox_ids[%d]", field, j), "not an inbox of this workspace")
			}
		}
		for j, id := range p.Conditions.TagIDs {
			if !isTag(id) {
				return unprocessable(fmt.Sprintf("%s.conditions.tag_ids[%d]", field, j), "not a tag of this workspace")
			}
		}
		for j, step := range p.Ladder {
			for k, a := range step.Actions {
				if a.DepartmentID != nil && !isDept(*a.DepartmentID) {
					return unprocessable(fmt.Sprintf("%s.ladder[%d].actions[%d].department_id", field, j, k), "not a department of this workspace")
				}
			}
		}
	}
	return nil
}

// getBusinessHours answers the workspace's business hours: the calendar
// of conversations whose department has none (null: always open).
func (s *Server) getBusinessHours(c *gin.Context) {
	cal, err := s.Store.WorkspaceHours(c, viewerOf(c).WorkspaceID)
	if err != nil {
		fail(c, notFoundOr(err))
		return
	}
	c.JSON(http.StatusOK, gin.H{"business_hours": cal})
}

type businessHoursRequest struct {
	BusinessHours json.RawMessage `json:"business_hours"`
}

// setBusinessHours sets the workspace's business hours (admins).
func (s *Server) setBusinessHours(c *gin.Context) {
	var req businessHoursRequest
	if !bind(c, &req) {
		return
	}
	if len(req.BusinessHours) == 0 {
		fail(c, badRequest("business_hours", "business_hours is required: a calendar, or null for always open"))
		return
	}
	cal, err := parseCalendar(req.BusinessHours)
	if err != nil {
		fail(c, err)
		return
	}
	saved, err := s.Store.SetWorkspaceHours(c, viewerOf(c).WorkspaceID, cal)
	if err != nil {
		fail(c, notFoundOr(err))
		return
	}
	s.audit(c, "workspace.hours_changed", "workspace", nil, gin.H{"business_hours": saved})
	c.JSON(http.StatusOK, gin.H{"business_hours": saved})
}
