package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/switchboardhq/switchboard/conversation"
	"github.com/switchboardhq/switchboard/flow"
	"github.com/switchboardhq/switchboard/store"
	"github.com/switchboardhq/switchboard/workflows"
)

// Bot flows (package flow): admins define them as JSON documents,
// validated on save, simulated, published as numbered versions, rolled
// back; an inbox names the flow its new conversations start in.

type flowRequest struct {
	Name     string          `json:"name"`
	Document json.RawMessage `json:"document"`
}

// errFlowProblems is a document that does not validate: 422 with every
// problem, each naming its node and field.
type flowProblems struct {
	problems []flow.Problem
}

func (e *flowProblems) Error() string { return "the flow has problems" }

// failFlow answers a flow that does not parse (400, the path) or does not
// validate (422, the problems).
func failFlow(c *gin.Context, err error) {
	var pe *flow.ParseError
	var fp *flowProblems
	switch {
	case errors.As(err, &pe):
		field := "document"
		if pe.Path != "" {
			field = "document." + pe.Path
		}
		fail(c, &apiError{Status: http.StatusBadRequest, Code: "invalid_flow", Field: field, Message: pe.Message})
	case errors.As(err, &fp):
		c.AbortWithStatusJSON(http.StatusUnprocessableEntity, gin.H{"error": gin.H{
			"code": "invalid_flow", "field": "document", "message": "the flow has problems; each names its node",
			"problems": fp.problems,
		}})
	default:
		fail(c, err)
	}
}

// checkFlow parses and validates a document against the workspace's
// departments.
func (s *Server) checkFlow(ctx context.Context, ws uuid.UUID, doc []byte) (*flow.Flow, error) {
	if len(doc) == 0 {
		return nil, badRequest("document", "document is required")
	}
	f, err := flow.Parse(doc)
	if err != nil {
		return nil, err
	}
	deps, err := s.Store.Departments(ctx, ws)
	if err != nil {
		return nil, err
	}
	known := map[string]bool{}
	for _, d := range deps {
		known[d.ID.String()] = true
	}
	if problems := f.Validate(flow.ValidationContext{Departments: func(id string) bool { return known[id] }}); len(problems) > 0 {
		return nil, &flowProblems{problems: problems}
	}
	return f, nil
}

// pathFlow reads the flow the path names, of the viewer's workspace; it
// has answered (400, 404) when ok is false.
func (s *Server) pathFlow(c *gin.Context) (f store.Flow, ok bool) {
	id, err := pathID(c)
	if err == nil {
		f, err = s.Store.Flow(c, viewerOf(c).WorkspaceID, id)
	}
	if err != nil {
		fail(c, notFoundOr(err))
		return f, false
	}
	return f, true
}

func (s *Server) listFlows(c *gin.Context) {
	flows, err := s.Store.Flows(c, viewerOf(c).WorkspaceID)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"flows": flows})
}

func (s *Server) getFlow(c *gin.Context) {
	respondOne(c, "flow", s.Store.Flow)
}

func (s *Server) createFlow(c *gin.Context) { s.saveFlow(c, nil) }

// updateFlow replaces the draft (and name); published versions and the
// conversations in them are untouched.
func (s *Server) updateFlow(c *gin.Context) {
	if cur, ok := s.pathFlow(c); ok {
		s.saveFlow(c, &cur.ID)
	}
}

// saveFlow validates the request's document and creates a flow (id nil)
// or replaces one's draft.
func (s *Server) saveFlow(c *gin.Context, id *uuid.UUID) {
	var req flowRequest
	if !bind(c, &req) {
		return
	}
	name, err := checkStructureName(req.Name)
	if err != nil {
		fail(c, err)
		return
	}
	ws := viewerOf(c).WorkspaceID
	f, err := s.checkFlow(c, ws, req.Document)
	if err != nil {
		failFlow(c, err)
		return
	}
	var saved store.Flow
	if id == nil {
		saved, err = s.Store.CreateFlow(c, ws, name, f.Document())
	} else {
		saved, err = s.Store.UpdateFlow(c, ws, *id, name, f.Document())
	}
	if errors.Is(err, store.ErrDuplicate) {
		fail(c, nameTaken("flow"))
		return
	}
	if err != nil {
		fail(c, notFoundOr(err))
		return
	}
	if id == nil {
		s.audit(c, "flow.created", "flow", &saved.ID, gin.H{"name": saved.Name})
		c.JSON(http.StatusCreated, gin.H{"flow": saved})
		return
	}
	s.audit(c, "flow.updated", "flow", id, gin.H{"name": saved.Name})
	c.JSON(http.StatusOK, gin.H{"flow": saved})
}

func (s *Server) deleteFlow(c *gin.Context) {
	id, err := pathID(c)
	if err != nil {
		fail(c, err)
		return
	}
	err = s.Store.DeleteFlow(c, viewerOf(c).WorkspaceID, id)
	if errors.Is(err, store.ErrFlowInUse) {
		fail(c, conflict("flow_in_use", "conversations are still with the bot in this flow"))
		return
	}
	if err != nil {
		fail(c, notFoundOr(err))
		return
	}
	s.audit(c, "flow.deleted", "flow", &id, nil)
	c.Status(http.StatusNoContent)
}

// publishFlow makes the draft the next version, the one new conversations
// start in. It is validated again: a department may have gone since the
// draft was saved.
func (s *Server) publishFlow(c *gin.Context) {
	if cur, ok := s.pathFlow(c); ok {
		s.publish(c, viewerOf(c).WorkspaceID, cur.ID, cur.Draft, nil)
	}
}

type rollbackRequest struct {
	Version int `json:"version"`
}

func (r rollbackRequest) validate() error {
	if r.Version < 1 {
		return badRequest("version", "version must be a published version number")
	}
	return nil
}

// rollbackFlow publishes an earlier version's document again, as a new
// version that says which it copies.
func (s *Server) rollbackFlow(c *gin.Context) {
	id, err := pathID(c)
	if err != nil {
		fail(c, err)
		return
	}
	var req rollbackRequest
	if !bind(c, &req) {
		return
	}
	ws := viewerOf(c).WorkspaceID
	old, err := s.Store.FlowVersion(c, ws, id, req.Version)
	if errors.Is(err, store.ErrNotFound) {
		if _, ferr := s.Store.Flow(c, ws, id); ferr != nil {
			fail(c, notFoundOr(ferr))
			return
		}
		fail(c, &apiError{Status: http.StatusUnprocessableEntity, Code: "invalid_input", Field: "version", Message: "the flow has no such version"})
		return
	}
	if err != nil {
		fail(c, err)
		return
	}
	from := req.Version
	s.publish(c, ws, id, old.Document, &from)
}

func (s *Server) publish(c *gin.Context, ws, id uuid.UUID, doc []byte, copiedFrom *int) {
	f, err := s.checkFlow(c, ws, doc)
	if err != nil {
		failFlow(c, err)
		return
	}
	by := operatorOf(c).ID
	v, err := s.Store.PublishFlow(c, ws, id, f.Document(), copiedFrom, &by)
	if err != nil {
		fail(c, notFoundOr(err))
		return
	}
	s.audit(c, "flow.published", "flow", &id, gin.H{"version": v.Version, "copied_from": v.CopiedFrom})
	c.JSON(http.StatusCreated, gin.H{"version": v})
}

func (s *Server) unpublishFlow(c *gin.Context) {
	id, err := pathID(c)
	if err != nil {
		fail(c, err)
		return
	}
	f, err := s.Store.UnpublishFlow(c, viewerOf(c).WorkspaceID, id)
	if err != nil {
		fail(c, notFoundOr(err))
		return
	}
	s.audit(c, "flow.unpublished", "flow", &id, nil)
	c.JSON(http.StatusOK, gin.H{"flow": f})
}

func (s *Server) listFlowVersions(c *gin.Context) {
	cur, ok := s.pathFlow(c)
	if !ok {
		return
	}
	vs, err := s.Store.FlowVersions(c, viewerOf(c).WorkspaceID, cur.ID)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"versions": vs})
}

// flowVersion reads the version in the path (or "draft").
func (s *Server) flowVersion(c *gin.Context, ws, id uuid.UUID, raw, field string) (json.RawMessage, error) {
	if raw == "draft" {
		f, err := s.Store.Flow(c, ws, id)
		if err != nil {
			return nil, notFoundOr(err)
		}
		return f.Draft, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 {
		return nil, badRequest(field, "%s must be a version number or draft", field)
	}
	v, err := s.Store.FlowVersion(c, ws, id, n)
	if err != nil {
		return nil, notFoundOr(err)
	}
	return v.Document, nil
}

func (s *Server) getFlowVersion(c *gin.Context) {
	id, err := pathID(c)
	if err != nil {
		fail(c, err)
		return
	}
	n, err := strconv.Atoi(c.Param("version"))
	if err != nil || n < 1 {
		fail(c, badRequest("version", "version must be a version number"))
		return
	}
	v, err := s.Store.FlowVersion(c, viewerOf(c).WorkspaceID, id, n)
	if err != nil {
		fail(c, notFoundOr(err))
		return
	}
	c.JSON(http.StatusOK, gin.H{"version": v})
}

// diffFlow compares two versions (or a version and the draft):
// ?from=1&to=draft; by default the live version and the draft.
func (s *Server) diffFlow(c *gin.Context) {
	cur, ok := s.pathFlow(c)
	if !ok {
		return
	}
	ws, id := viewerOf(c).WorkspaceID, cur.ID
	// By default: what publishing the draft would change.
	def := "draft"
	if cur.LiveVersion != nil {
		def = strconv.Itoa(*cur.LiveVersion)
	}
	from, err := s.flowVersion(c, ws, id, c.DefaultQuery("from", def), "from")
	if err != nil {
		fail(c, err)
		return
	}
	to, err := s.flowVersion(c, ws, id, c.DefaultQuery("to", "draft"), "to")
	if err != nil {
		fail(c, err)
		return
	}
	a, err := flow.Parse(from)
	if err == nil {
		var b *flow.Flow
		if b, err = flow.Parse(to); err == nil {
			c.JSON(http.StatusOK, gin.H{"diff": flow.Compare(a, b)})
			return
		}
	}
	fail(c, err)
}

type simulateRequest struct {
	// Document is a draft to try; or FlowID (and Version, default the
	// live one, or "draft").
	Document  json.RawMessage   `json:"document"`
	FlowID    *string           `json:"flow_id"`
	Version   *string           `json:"version"`
	Inputs    []flow.SimInput   `json:"inputs"`
	Stubs     flow.SimStubs     `json:"stubs"`
	Variables map[string]string `json:"variables"`
}

const maxSimInputs = 200

// simulateFlow runs a flow on the inputs given, with stubbed HTTP answers
// and department checks, and writes nothing: the path, the replies, the
// variables and how it ended. A draft with problems still runs (they
// come with the result): a designer tries what they are building.
func (s *Server) simulateFlow(c *gin.Context) {
	var req simulateRequest
	if !bind(c, &req) {
		return
	}
	if len(req.Inputs) > maxSimInputs {
		fail(c, badRequest("inputs", "at most %d inputs", maxSimInputs))
		return
	}
	ws := viewerOf(c).WorkspaceID
	doc := []byte(req.Document)
	switch {
	case len(doc) > 0 && req.FlowID != nil:
		fail(c, badRequest("flow_id", "give a document or a flow_id, not both"))
		return
	case req.FlowID != nil:
		id, err := uuid.Parse(*req.FlowID)
		if err != nil {
			fail(c, badRequest("flow_id", "flow_id must be a flow id"))
			return
		}
		version := "draft"
		if req.Version != nil {
			version = *req.Version
		} else if f, err := s.Store.Flow(c, ws, id); err == nil && f.LiveVersion != nil {
			version = strconv.Itoa(*f.LiveVersion)
		}
		if doc, err = s.flowVersion(c, ws, id, version, "version"); err != nil {
			fail(c, err)
			return
		}
	case len(doc) == 0:
		fail(c, badRequest("document", "give a document or a flow_id"))
		return
	}
	f, err := flow.Parse(doc)
	if err != nil {
		failFlow(c, err)
		return
	}
	var problems []flow.Problem
	if _, err := s.checkFlow(c, ws, doc); err != nil {
		var fp *flowProblems
		if !errors.As(err, &fp) {
			fail(c, err)
			return
		}
		problems = fp.problems
	}
	settings, err := s.Store.WorkspaceSettings(c, ws)
	if err != nil {
		fail(c, err)
		return
	}
	res := flow.Simulate(f, req.Variables, req.Inputs, req.Stubs, flow.Options{HumanPhrases: settings.HumanPhrases})
	if problems == nil {
		problems = []flow.Problem{}
	}
	c.JSON(http.StatusOK, gin.H{"result": res, "problems": problems})
}

// reportRange reads ?from=YYYY-MM-DD&to=YYYY-MM-DD (default: the last 30
// days, today included).
func reportRange(c *gin.Context) (from, to time.Time, err error) {
	to = time.Now().UTC().Truncate(24 * time.Hour)
	from = to.AddDate(0, 0, -29)
	if v := c.Query("from"); v != "" {
		if from, err = time.Parse(time.DateOnly, v); err != nil {
			return from, to, badRequest("from", "from must be a date (YYYY-MM-DD)")
		}
	}
	if v := c.Query("to"); v != "" {
		if to, err = time.Parse(time.DateOnly, v); err != nil {
			return from, to, badRequest("to", "to must be a date (YYYY-MM-DD)")
		}
	}
	if to.Before(from) || to.Sub(from) > 366*24*time.Hour {
		return from, to, badRequest("to", "to must be after from, within a year")
	}
	return from, to, nil
}

// flowFunnel: per version, node and edge, how many times the node was
// left that way, over a date range.
func (s *Server) flowFunnel(c *gin.Context) {
	cur, ok := s.pathFlow(c)
	if !ok {
		return
	}
	from, to, err := reportRange(c)
	if err != nil {
		fail(c, err)
		return
	}
	hops, err := s.Store.FlowFunnel(c, viewerOf(c).WorkspaceID, cur.ID, from, to)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"from": from.Format(time.DateOnly), "to": to.Format(time.DateOnly), "hops": hops})
}

// flowOutcomes: how conversations left their flows over a date range:
// per flow, version, department and outcome (started, ended, or a
// handoff's reason), with the handoff rate per flow.
func (s *Server) flowOutcomes(c *gin.Context) {
	from, to, err := reportRange(c)
	if err != nil {
		fail(c, err)
		return
	}
	rows, err := s.Store.FlowOutcomes(c, viewerOf(c).WorkspaceID, from, to)
	if err != nil {
		fail(c, err)
		return
	}
	type rate struct {
		FlowID      uuid.UUID        `json:"flow_id"`
		Started     int64            `json:"started"`
		HandedOff   int64            `json:"handed_off"`
		Ended       int64            `json:"ended"`
		HandoffRate float64          `json:"handoff_rate"`
		ByReason    map[string]int64 `json:"by_reason"`
	}
	byFlow := map[uuid.UUID]*rate{}
	var order []uuid.UUID
	for _, r := range rows {
		f := byFlow[r.FlowID]
		if f == nil {
			f = &rate{FlowID: r.FlowID, ByReason: map[string]int64{}}
			byFlow[r.FlowID] = f
			order = append(order, r.FlowID)
		}
		switch r.Outcome {
		case store.FlowStarted:
			f.Started += r.N
		case "ended":
			f.Ended += r.N
		default:
			f.HandedOff += r.N
			f.ByReason[r.Outcome] += r.N
		}
	}
	rates := make([]rate, 0, len(order))
	for _, id := range order {
		f := byFlow[id]
		if f.Started > 0 {
			f.HandoffRate = float64(f.HandedOff) / float64(f.Started)
		}
		rates = append(rates, *f)
	}
	if rows == nil {
		rows = []store.FlowOutcome{}
	}
	c.JSON(http.StatusOK, gin.H{"from": from.Format(time.DateOnly), "to": to.Format(time.DateOnly), "outcomes": rows, "flows": rates})
}

type handBackRequest struct {
	Node string `json:"node"`
}

func (r handBackRequest) validate() error {
	if r.Node == "" {
		return badRequest("node", "node is required: the node of the flow the bot goes on at")
	}
	return nil
}

// handBack gives a conversation back to its bot flow at a node of the
// version it started in (422 when the flow has no such node).
func (s *Server) handBack(c *gin.Context) {
	conv, ok := s.operatorConversation(c)
	if !ok {
		return
	}
	var req handBackRequest
	if !bind(c, &req) {
		return
	}
	if conv.FlowID == nil || conv.FlowVersion == nil {
		fail(c, conflict("conflict", "conversation has no bot flow"))
		return
	}
	v, err := s.Store.FlowVersion(c, conv.WorkspaceID, *conv.FlowID, *conv.FlowVersion)
	if err != nil {
		fail(c, err)
		return
	}
	f, err := flow.Parse(v.Document)
	if err != nil {
		fail(c, err)
		return
	}
	if !f.HasNode(req.Node) {
		fail(c, &apiError{Status: http.StatusUnprocessableEntity, Code: "invalid_input", Field: "node", Message: "the conversation's flow has no such node"})
		return
	}
	s.command(c, conv, workflows.UpdateHandBack, conversation.HandBackRequest{Actor: actorOf(c), Node: req.Node})
}
