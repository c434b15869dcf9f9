package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/switchboardhq/switchboard/activities"
	"github.com/switchboardhq/switchboard/conversation"
	"github.com/switchboardhq/switchboard/store"
	"github.com/switchboardhq/switchboard/workflows"
)

// commandTimeout bounds a lifecycle command: the update round trip plus the
// activity that persists it.
const commandTimeout = 15 * time.Second

// update sends a lifecycle command to the conversation's workflow as a
// Temporal Update, starting the run if there is none (a conversation whose
// outbox row has not been relayed yet, or a resolved one whose run ended),
// and waits for the persisted result.
func (s *Server) update(ctx context.Context, conv store.Conversation, name string, req any) error {
	ctx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()
	s.Metrics.Updates.Inc()
	id := workflows.ConversationWorkflowID(conv.ID)
	start := s.Temporal.NewWithStartWorkflowOperation(client.StartWorkflowOptions{
		ID:                       id,
		TaskQueue:                workflows.TaskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
	}, workflows.ConversationWorkflow, workflows.ConversationInput{WorkspaceID: conv.WorkspaceID, ConversationID: conv.ID})
	h, err := s.Temporal.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: start,
		UpdateOptions: client.UpdateWorkflowOptions{
			WorkflowID:   id,
			UpdateName:   name,
			Args:         []any{req},
			WaitForStage: client.WorkflowUpdateStageCompleted,
		},
	})
	if err == nil {
		var st conversation.State
		err = h.Get(ctx, &st)
	}
	if err != nil && ctx.Err() != nil {
		// Out of time, however the client worded it (a gRPC
		// DeadlineExceeded is not context.DeadlineExceeded): the command
		// may still complete, and the client should retry, not see a 500.
		err = errors.Join(context.DeadlineExceeded, err)
	}
	return commandError(name, err)
}

// commandError maps a workflow's rejection to the API's statuses.
func commandError(name string, err error) error {
	if err == nil {
		return nil
	}
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		switch appErr.Type() {
		case workflows.ErrTypeConflict:
			return &apiError{Status: http.StatusConflict, Code: "conflict", Message: appErr.Message()}
		case workflows.ErrTypeInvalid:
			return &apiError{Status: http.StatusBadRequest, Code: "invalid_input", Message: appErr.Message()}
		case activities.ErrTypeOfferGone:
			return &apiError{Status: http.StatusConflict, Code: "conflict", Message: "the offer was taken back (it went to someone else)"}
		}
	}
	var unavailable *serviceerror.Unavailable
	var deadline *serviceerror.DeadlineExceeded
	if errors.As(err, &unavailable) || errors.As(err, &deadline) || errors.Is(err, context.DeadlineExceeded) {
		return &apiError{Status: http.StatusServiceUnavailable, Code: "unavailable", Message: "the workflow service did not answer in time; retry"}
	}
	return fmt.Errorf("%s update: %w", name, err)
}

// command runs a lifecycle command and answers with the conversation as
// persisted.
func (s *Server) command(c *gin.Context, conv store.Conversation, name string, req any) {
	if err := s.update(c, conv, name, req); err != nil {
		fail(c, err)
		return
	}
	fresh, err := s.Store.Conversation(c, conv.WorkspaceID, conv.ID)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"conversation": fresh})
}

func actorOf(c *gin.Context) conversation.Actor {
	id := operatorOf(c).ID
	return conversation.Actor{Type: conversation.ActorOperator, ID: &id}
}

// acceptOffer and declineOffer answer the offer of a waiting conversation
// (a department in the offer mode): only its operator may (409 for anyone
// else, or when no offer waits).
func (s *Server) acceptOffer(c *gin.Context) {
	if conv, ok := s.operatorConversation(c); ok {
		s.command(c, conv, workflows.UpdateAcceptOffer, conversation.OfferAnswer{Actor: actorOf(c)})
	}
}

func (s *Server) declineOffer(c *gin.Context) {
	if conv, ok := s.operatorConversation(c); ok {
		s.command(c, conv, workflows.UpdateDeclineOffer, conversation.OfferAnswer{Actor: actorOf(c)})
	}
}

// claim: whoever may see a conversation may take it (operatorConversation
// answers 404 otherwise).
func (s *Server) claim(c *gin.Context) {
	conv, ok := s.operatorConversation(c)
	if !ok {
		return
	}
	s.command(c, conv, workflows.UpdateClaim, conversation.ClaimRequest{Actor: actorOf(c), OperatorID: operatorOf(c).ID})
}

type assignRequest struct {
	// AssigneeID is an operator id, or null to send the conversation back
	// to the queue.
	AssigneeID *string `json:"assignee_id"`
}

// assign gives a conversation to an operator or (null) back to the queue.
// Who may give it to whom is access.Viewer.MayAssign (403). The assignee must be able to work the conversation's
// department (422), checked first as input.
func (s *Server) assign(c *gin.Context) {
	conv, ok := s.operatorConversation(c)
	if !ok {
		return
	}
	var req assignRequest
	if !bind(c, &req) {
		return
	}
	var target *uuid.UUID
	if req.AssigneeID != nil {
		id, err := uuid.Parse(*req.AssigneeID)
		if err != nil {
			fail(c, badRequest("assignee_id", "assignee_id must be an operator id or null"))
			return
		}
		if err := s.checkCanWork(c, conv.WorkspaceID, id, conv.DepartmentID); err != nil {
			fail(c, err)
			return
		}
		target = &id
	}
	if err := viewerOf(c).MayAssign(conv.DepartmentID, conv.AssigneeID, target); err != nil {
		fail(c, err)
		return
	}
	s.command(c, conv, workflows.UpdateAssign, conversation.AssignRequest{Actor: actorOf(c), OperatorID: target})
}

type snoozeRequest struct {
	Until      *time.Time `json:"until"`
	UntilReply bool       `json:"until_reply"`
}

func (s *Server) snooze(c *gin.Context) {
	conv, ok := s.operatorConversation(c)
	if !ok {
		return
	}
	var req snoozeRequest
	if !bind(c, &req) {
		return
	}
	if req.Until == nil && !req.UntilReply {
		fail(c, badRequest("until", "give until (a time) or until_reply: true"))
		return
	}
	if req.Until != nil {
		if !req.Until.After(time.Now()) {
			fail(c, badRequest("until", "until must be in the future"))
			return
		}
		if time.Until(*req.Until) > conversation.MaxSnooze {
			fail(c, badRequest("until", "until must be within a year"))
			return
		}
	}
	s.command(c, conv, workflows.UpdateSnooze, conversation.SnoozeRequest{Actor: actorOf(c), Until: req.Until, UntilReply: req.UntilReply})
}

func (s *Server) wake(c *gin.Context) {
	conv, ok := s.operatorConversation(c)
	if !ok {
		return
	}
	s.command(c, conv, workflows.UpdateWake, conversation.WakeRequest{Actor: actorOf(c)})
}

type resolveRequest struct {
	Resolution string `json:"resolution"`
	Notes      string `json:"notes"`
}

func (s *Server) resolve(c *gin.Context) {
	conv, ok := s.operatorConversation(c)
	if !ok {
		return
	}
	var req resolveRequest
	if !bind(c, &req) {
		return
	}
	if !s.resolutionOffered(c, conv.WorkspaceID, req.Resolution) {
		return
	}
	if utf8.RuneCountInString(req.Notes) > conversation.MaxResolutionNotes {
		fail(c, badRequest("notes", "notes are longer than %d characters", conversation.MaxResolutionNotes))
		return
	}
	s.command(c, conv, workflows.UpdateResolve, conversation.ResolveRequest{Actor: actorOf(c), Resolution: req.Resolution, Notes: req.Notes})
}

// resolutionOffered answers 400 unless key is one of the resolution types
// the workspace offers (the error lists them).
func (s *Server) resolutionOffered(c *gin.Context, workspaceID uuid.UUID, key string) bool {
	if conversation.ValidResolutionKey(key) {
		ok, err := s.Store.ResolutionTypeOffered(c, workspaceID, key)
		if err != nil {
			fail(c, err)
			return false
		}
		if ok {
			return true
		}
	}
	types, err := s.Store.ResolutionTypes(c, workspaceID)
	if err != nil {
		fail(c, err)
		return false
	}
	var keys []string
	for _, t := range types {
		if !t.Archived {
			keys = append(keys, t.Key)
		}
	}
	fail(c, badRequest("resolution", "resolution must be one of the workspace's resolution types: %s", strings.Join(keys, ", ")))
	return false
}

func (s *Server) reopen(c *gin.Context) {
	conv, ok := s.operatorConversation(c)
	if !ok {
		return
	}
	s.command(c, conv, workflows.UpdateReopen, conversation.ReopenRequest{Actor: actorOf(c)})
}

type transferRequest struct {
	DepartmentID string  `json:"department_id"`
	AssigneeID   *string `json:"assignee_id"`
	// Note is for whoever takes it over.
	Note string `json:"note"`

	departmentID uuid.UUID
	assigneeID   *uuid.UUID
}

// transfer moves a conversation to another department, to its queue or to
// an operator there. Supervisors of the conversation's department and
// admins may; the target must be a department of the workspace and the
// assignee someone who can work it (422 otherwise).
func (s *Server) transfer(c *gin.Context) {
	conv, ok := s.operatorConversation(c)
	var req transferRequest
	if !ok || !bind(c, &req) {
		return
	}
	err := viewerOf(c).MayTransfer(conv.DepartmentID)
	if err == nil {
		_, err = s.Store.Department(c, conv.WorkspaceID, req.departmentID)
		if errors.Is(err, store.ErrNotFound) {
			err = &apiError{Status: http.StatusUnprocessableEntity, Code: "invalid_input", Field: "department_id", Message: "no such department in this workspace"}
		}
	}
	if err == nil && req.assigneeID != nil {
		err = s.checkCanWork(c, conv.WorkspaceID, *req.assigneeID, &req.departmentID)
	}
	if err != nil {
		fail(c, err)
		return
	}
	s.command(c, conv, workflows.UpdateTransfer, conversation.TransferRequest{Actor: actorOf(c), DepartmentID: req.departmentID, AssigneeID: req.assigneeID, Note: req.Note})
}

func (r *transferRequest) validate() error {
	id, err := uuid.Parse(r.DepartmentID)
	if err != nil {
		return badRequest("department_id", "department_id must be a department id")
	}
	r.departmentID = id
	if r.AssigneeID != nil {
		id, err := uuid.Parse(*r.AssigneeID)
		if err != nil {
			return badRequest("assignee_id", "assignee_id must be an operator id or null")
		}
		r.assigneeID = &id
	}
	r.Note = strings.TrimSpace(r.Note)
	if !conversation.PlainText(r.Note, conversation.MaxTransferNote) {
		return badRequest("note", "note must be at most %d characters of text", conversation.MaxTransferNote)
	}
	return nil
}

// checkCanWork answers 422 unless the operator is active in the workspace
// and may hold a conversation of department (see store.OperatorCanWork).
func (s *Server) checkCanWork(c *gin.Context, workspaceID, operatorID uuid.UUID, department *uuid.UUID) error {
	ok, err := s.Store.OperatorCanWork(c, workspaceID, operatorID, department)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if !ok {
		return &apiError{Status: http.StatusUnprocessableEntity, Code: "invalid_input", Field: "assignee_id",
			Message: "no active operator with that id who works the conversation's department"}
	}
	return nil
}

type priorityRequest struct {
	Priority string `json:"priority"`
}

func (r priorityRequest) validate() error {
	if conversation.PriorityRank(r.Priority) < 0 {
		return badRequest("priority", "priority must be one of %v", conversation.Priorities)
	}
	return nil
}

// setPriority: whoever may see a conversation may set its priority.
func (s *Server) setPriority(c *gin.Context) {
	conv, ok := s.operatorConversation(c)
	if !ok {
		return
	}
	var req priorityRequest
	if !bind(c, &req) {
		return
	}
	s.command(c, conv, workflows.UpdatePriority, conversation.PriorityRequest{Actor: actorOf(c), Priority: req.Priority})
}
