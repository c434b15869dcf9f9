package api

import (
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/switchboardhq/switchboard/activities"
	"github.com/switchboardhq/switchboard/bus"
	"github.com/switchboardhq/switchboard/conversation"
	"github.com/switchboardhq/switchboard/store"
)

var statuses = map[string]bool{conversation.StatusOpen: true, conversation.StatusSnoozed: true, conversation.StatusResolved: true}
var phases = map[string]bool{conversation.PhaseBot: true, conversation.PhaseQueued: true, conversation.PhaseAssigned: true}

// listConversations is the inbox: filters by status, phase, priority,
// department, tag and assignee ("me", "none" or an operator id),
// keyset-paged.
func (s *Server) listConversations(c *gin.Context) {
	v := viewerOf(c)
	f, err := conversationFilter(c, v.OperatorID)
	var limit int
	var cursor *store.Cursor
	if err == nil {
		limit, cursor, err = page(c, defaultLimit, maxLimit)
	}
	var convs []store.Conversation
	var next *store.Cursor
	if err == nil {
		// Pages hold only what the viewer may see (access.Viewer.CanSee).
		convs, next, err = s.Store.ListConversations(c, v, f, cursor, limit)
	}
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"conversations": convs, "next_cursor": encodeCursor(next)})
}

// conversationFilter reads the list's filters from the query: status,
// phase, department_id and assignee_id (an id, "me" or "none").
func conversationFilter(c *gin.Context, me uuid.UUID) (store.ConversationFilter, error) {
	var f store.ConversationFilter
	if v := c.Query("status"); v != "" && !statuses[v] {
		return f, badRequest("status", "status must be open, snoozed or resolved")
	}
	if v := c.Query("phase"); v != "" && !phases[v] {
		return f, badRequest("phase", "phase must be bot, queued or assigned")
	}
	f.Status, f.Phase = c.Query("status"), c.Query("phase")
	if v := c.Query("priority"); v != "" {
		if conversation.PriorityRank(v) < 0 {
			return f, badRequest("priority", "priority must be one of %v", conversation.Priorities)
		}
		f.Priority = v
	}
	if v := c.Query("department_id"); v != "" {
		id, err := uuid.Parse(v)
		if err != nil {
			return f, badRequest("department_id", "department_id must be a UUID")
		}
		f.DepartmentID = &id
	}
	if v := c.Query("tag_id"); v != "" {
		id, err := uuid.Parse(v)
		if err != nil {
			return f, badRequest("tag_id", "tag_id must be a UUID")
		}
		f.TagID = &id
	}
	switch v := c.Query("assignee_id"); v {
	case "":
	case "me":
		f.AssigneeID = &me
	case "none":
		t := true
		f.Unassigned = &t
	default:
		id, err := uuid.Parse(v)
		if err != nil {
			return f, badRequest("assignee_id", `assignee_id must be a UUID, "me" or "none"`)
		}
		f.AssigneeID = &id
	}
	return f, nil
}

// conversationCounts answers the inbox's live queue counts as the viewer
// may see them (mine, unclaimed, all, per department), from counters the
// database keeps as conversations move.
func (s *Server) conversationCounts(c *gin.Context) {
	counts, err := s.Store.QueueCounts(c, viewerOf(c))
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"counts": counts})
}

func (s *Server) operatorConversation(c *gin.Context) (store.Conversation, bool) {
	id, err := pathID(c)
	if err != nil {
		fail(c, err)
		return store.Conversation{}, false
	}
	v := viewerOf(c)
	conv, err := s.Store.Conversation(c, v.WorkspaceID, id)
	if err != nil {
		fail(c, notFoundOr(err))
		return store.Conversation{}, false
	}
	// What the viewer may not see does not exist for them.
	if !v.CanSee(conv.DepartmentID, conv.AssigneeID) {
		fail(c, errNotFound)
		return store.Conversation{}, false
	}
	return conv, true
}

func (s *Server) getConversation(c *gin.Context) {
	conv, ok := s.operatorConversation(c)
	if !ok {
		return
	}
	events, err := s.Store.Events(c, conv.WorkspaceID, conv.ID, 0, 1000)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"conversation": conv, "events": events})
}

// customerHistory lists the other conversations of the conversation's
// customer (its contact's, or its anonymous visitor's), newest first: the
// inbox's Customer tab.
func (s *Server) customerHistory(c *gin.Context) {
	conv, ok := s.operatorConversation(c)
	if !ok {
		return
	}
	convs, err := s.Store.CustomerHistory(c, viewerOf(c), conv, 20)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"conversations": convs})
}

func (s *Server) listEvents(c *gin.Context) {
	conv, ok := s.operatorConversation(c)
	if !ok {
		return
	}
	after, limit, err := seqPage(c)
	if err != nil {
		fail(c, err)
		return
	}
	events, err := s.Store.Events(c, conv.WorkspaceID, conv.ID, after, limit)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"events": events})
}

func (s *Server) listMessages(c *gin.Context) {
	conv, ok := s.operatorConversation(c)
	if !ok {
		return
	}
	s.respondMessages(c, conv)
}

// respondMessages answers a page of messages: after after_seq, oldest
// first (catching up), or with before_seq the page just before it, also
// oldest first (scrolling back; opening a conversation asks for the page
// before last_seq+1).
func (s *Server) respondMessages(c *gin.Context, conv store.Conversation) {
	after, limit, err := seqPage(c)
	if err != nil {
		fail(c, err)
		return
	}
	var msgs []store.Message
	if c.Query("before_seq") != "" {
		if c.Query("after_seq") != "" {
			fail(c, badRequest("before_seq", "give after_seq or before_seq, not both"))
			return
		}
		before, berr := queryInt(c, "before_seq", 0, 1, 1<<62)
		if berr != nil {
			fail(c, berr)
			return
		}
		msgs, err = s.Store.MessagesBefore(c, conv.WorkspaceID, conv.ID, before, limit)
	} else {
		msgs, err = s.Store.Messages(c, conv.WorkspaceID, conv.ID, after, limit)
	}
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"messages": msgs, "last_seq": conv.LastSeq})
}

type sendMessageRequest struct {
	Body           string `json:"body"`
	IdempotencyKey string `json:"idempotency_key"`
}

func (r sendMessageRequest) validate() error {
	if err := checkBody(r.Body); err != nil {
		return err
	}
	return checkIdempotencyKey(r.IdempotencyKey)
}

// checkBody checks what a person writes (a message, a note): text, not
// blank, at most maxBodyChars.
func checkBody(body string) error {
	if strings.TrimSpace(body) == "" {
		return badRequest("body", "body is required")
	}
	if !utf8.ValidString(body) {
		return badRequest("body", "body must be UTF-8 text")
	}
	if utf8.RuneCountInString(body) > maxBodyChars {
		return badRequest("body", "body is longer than %d characters", maxBodyChars)
	}
	return nil
}

func checkIdempotencyKey(key string) error {
	if len(key) > maxKeyLen {
		return badRequest("idempotency_key", "idempotency_key is longer than %d bytes", maxKeyLen)
	}
	return nil
}

func (s *Server) sendMessage(c *gin.Context) {
	// What the operator may not see they may not write to either.
	conv, ok := s.operatorConversation(c)
	if !ok {
		return
	}
	id := conv.ID
	var req sendMessageRequest
	if !bind(c, &req) {
		return
	}
	op := operatorOf(c)
	s.send(c, store.NewMessage{
		WorkspaceID: op.WorkspaceID, ConversationID: id, SenderType: conversation.SenderOperator, SenderID: &op.ID,
		Body: req.Body, IdempotencyKey: req.IdempotencyKey,
	})
}

// send is the hot path: one transaction, a publish, a 201. Temporal hears
// of the message through the outbox, never in between.
func (s *Server) send(c *gin.Context, m store.NewMessage) {
	sent, err := s.Store.SendMessage(c, m)
	if err != nil {
		fail(c, notFoundOr(err))
		return
	}
	if !sent.Created {
		c.Header("Idempotent-Replayed", "true")
		c.JSON(http.StatusOK, gin.H{"message": sent.Message})
		return
	}
	s.Metrics.MessagesSent.WithLabelValues(m.SenderType).Inc()
	if s.Kick != nil && len(sent.Message.SignalReasons) > 0 {
		s.Kick() // an outbox row waits for the relay
	}
	s.publishMessage(c, sent.VisitorID, sent.ContactID, sent.Message, bus.VisibilityState{Department: sent.DepartmentID, Assignee: sent.AssigneeID})
	c.JSON(http.StatusCreated, gin.H{"message": sent.Message})
}

// publishMessage announces a stored message to the widgets of the
// conversation's visitor and of every device of its contact (when it has
// one), and to the operators who may see the conversation routed as route.
func (s *Server) publishMessage(c *gin.Context, visitorID uuid.UUID, contactID *uuid.UUID, m store.Message, route bus.VisibilityState) {
	ev, err := activities.MessageCreated(m, visitorID, contactID, route)
	if err == nil {
		err = s.Bus.Publish(c, ev)
	}
	if err != nil {
		// The message is committed; screens catch up over REST.
		s.Logger.WarnContext(c, "publishing message.created", "conversation", m.ConversationID, "err", err)
	}
}
