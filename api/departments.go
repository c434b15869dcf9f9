package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/switchboardhq/switchboard/calendar"
	"github.com/switchboardhq/switchboard/dispatch"
	"github.com/switchboardhq/switchboard/store"
)

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
	if !bind(c, &req) {
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
	respondOne(c, "department", s.Store.Department)
}

type departmentPatch struct {
	Name *string `json:"name"`
	// DispatchMode: manual, round_robin or least_loaded.
	DispatchMode *string `json:"dispatch_mode"`
	// MaxConcurrent: conversations an operator carries at once, 1–1000.
	MaxConcurrent *int `json:"max_concurrent"`
	// OfferTimeoutSeconds: in the offer mode, how long an operator has to
	// accept, 5–600.
	OfferTimeoutSeconds *int `json:"offer_timeout_seconds"`
	// UnclaimedLadder replaces the ladder (absent keeps it; each step's
	// seconds 10–604800 or null for none).
	UnclaimedLadder *store.Ladder `json:"unclaimed_ladder"`
	// ReplyWithinSeconds: the assignee's time for a first reply before the
	// conversation goes back to the queue, 30–86400; 0 removes it.
	ReplyWithinSeconds *int `json:"reply_within_seconds"`
	// AwayPolicy: keep, or requeue an operator's conversations when they
	// go away.
	AwayPolicy *string `json:"away_policy"`
	// BusinessHours: a calendar, or null for always open; absent keeps it.
	BusinessHours json.RawMessage `json:"business_hours"`
}

// change checks the patch: a name as on create, business hours that
// validate (the field at fault named).
func (r departmentPatch) change() (store.DepartmentChange, error) {
	var ch store.DepartmentChange
	if r.Name != nil {
		name, err := checkStructureName(*r.Name)
		if err != nil {
			return ch, err
		}
		ch.Name = &name
	}
	if r.DispatchMode != nil {
		if !slices.Contains(dispatch.Modes, *r.DispatchMode) {
			return ch, badRequest("dispatch_mode", "dispatch_mode must be one of %s", strings.Join(dispatch.Modes, ", "))
		}
		ch.DispatchMode = r.DispatchMode
	}
	if r.MaxConcurrent != nil {
		if *r.MaxConcurrent < 1 || *r.MaxConcurrent > maxConcurrentLimit {
			return ch, badRequest("max_concurrent", "max_concurrent must be between 1 and %d", maxConcurrentLimit)
		}
		ch.MaxConcurrent = r.MaxConcurrent
	}
	if r.OfferTimeoutSeconds != nil {
		if *r.OfferTimeoutSeconds < 5 || *r.OfferTimeoutSeconds > 600 {
			return ch, badRequest("offer_timeout_seconds", "offer_timeout_seconds must be between 5 and 600")
		}
		d := time.Duration(*r.OfferTimeoutSeconds) * time.Second
		ch.OfferTimeout = &d
	}
	if r.AwayPolicy != nil {
		if *r.AwayPolicy != "keep" && *r.AwayPolicy != "requeue" {
			return ch, badRequest("away_policy", "away_policy must be keep or requeue")
		}
		ch.AwayPolicy = r.AwayPolicy
	}
	if r.ReplyWithinSeconds != nil {
		n := *r.ReplyWithinSeconds
		if n != 0 && (n < 30 || n > 86400) {
			return ch, badRequest("reply_within_seconds", "reply_within_seconds must be between 30 and 86400, or 0 for no limit")
		}
		d := time.Duration(n) * time.Second
		ch.ReplyWithin = &d
	}
	if l := r.UnclaimedLadder; l != nil {
		for _, f := range []struct {
			name string
			v    *int
		}{{"notify_after_seconds", l.NotifyAfterSeconds}, {"widen_after_seconds", l.WidenAfterSeconds}, {"raise_after_seconds", l.RaiseAfterSeconds}} {
			if f.v != nil && (*f.v < 10 || *f.v > 604800) {
				return ch, badRequest("unclaimed_ladder."+f.name, "%s must be between 10 and 604800 seconds, or null", f.name)
			}
		}
		if (l.WidenAfterSeconds == nil) != (l.FallbackDepartmentID == nil) {
			return ch, badRequest("unclaimed_ladder.fallback_department_id", "widening needs both widen_after_seconds and fallback_department_id")
		}
		ch.Ladder = l
	}
	if len(r.BusinessHours) > 0 {
		ch.SetHours = true
		cal, err := parseCalendar(r.BusinessHours)
		if err != nil {
			return ch, err
		}
		ch.Hours = cal
	}
	return ch, nil
}

// updateDepartment renames a department and sets its business hours.
func (s *Server) updateDepartment(c *gin.Context) {
	id, err := pathID(c)
	if err != nil {
		fail(c, err)
		return
	}
	var req departmentPatch
	if !bind(c, &req) {
		return
	}
	ch, err := req.change()
	if err != nil {
		fail(c, err)
		return
	}
	if l := ch.Ladder; l != nil && l.FallbackDepartmentID != nil {
		if _, err := s.Store.Department(c, viewerOf(c).WorkspaceID, *l.FallbackDepartmentID); err != nil || *l.FallbackDepartmentID == id {
			fail(c, unprocessable("unclaimed_ladder.fallback_department_id", "the fallback must be another department of this workspace"))
			return
		}
	}
	before, after, dispatched, err := s.Store.UpdateDepartment(c, viewerOf(c).WorkspaceID, id, ch)
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
	if ch.SetHours {
		s.audit(c, "department.hours_changed", "department", &id, gin.H{"business_hours": after.BusinessHours})
	}
	if before.DispatchMode != after.DispatchMode || before.MaxConcurrent != after.MaxConcurrent {
		s.audit(c, "department.dispatch_changed", "department", &id, gin.H{
			"from": gin.H{"dispatch_mode": before.DispatchMode, "max_concurrent": before.MaxConcurrent},
			"to":   gin.H{"dispatch_mode": after.DispatchMode, "max_concurrent": after.MaxConcurrent},
		})
	}
	if ch.Ladder != nil {
		s.audit(c, "department.ladder_changed", "department", &id, gin.H{"unclaimed_ladder": after.UnclaimedLadder})
	}
	s.kickIf(dispatched)
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
	respondOne(c, "members", s.Store.DepartmentMembers)
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
	added, dispatched, err := s.Store.AddDepartmentMember(c, ws, dept, opID)
	if err != nil {
		// The department or the operator is not this workspace's.
		fail(c, notFoundOr(err))
		return
	}
	if added {
		s.audit(c, "department.member_added", "department", &dept, gin.H{"operator_id": opID})
		s.publishAccessChanged(c, ws, opID)
	}
	s.kickIf(dispatched)
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

// Widget origins.

// Transfer.

// maxConcurrentLimit bounds a department's or an operator's capacity.
const maxConcurrentLimit = 1000

// kickIf wakes the outbox relay when dispatch left n decisions there.
func (s *Server) kickIf(n int) {
	if n > 0 && s.Kick != nil {
		s.Kick()
	}
}

// parseCalendar reads business hours: a calendar, checked, or nil for
// JSON null (always open). A fault is a 400 naming its field under
// business_hours.
func parseCalendar(raw json.RawMessage) (*calendar.Calendar, error) {
	if string(raw) == "null" {
		return nil, nil
	}
	var cal calendar.Calendar
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cal); err != nil {
		return nil, badRequest("business_hours", "business_hours must be {time_zone, hours: [{days, from, to}], holidays, closures: [{date, from, to}]} or null")
	}
	if err := cal.Validate(); err != nil {
		var p *calendar.Problem
		if errors.As(err, &p) {
			return nil, badRequest("business_hours."+p.Field, "%s", p.Message)
		}
		return nil, err
	}
	return &cal, nil
}
