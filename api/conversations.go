package api

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/switchboardhq/switchboard/bus"
	"github.com/switchboardhq/switchboard/conversation"
	"github.com/switchboardhq/switchboard/store"
)

const (
	maxBodyChars   = 10000
	maxKeyLen      = 200
	defaultLimit   = 25
	maxLimit       = 100
	maxMessagePage = 500
)

func pathID(c *gin.Context) (uuid.UUID, error) {
	id, err := uuid.Parse(c.Param("id"))
	if err != nil {
		// A malformed id names nothing: the same 404 as an absent one.
		return uuid.Nil, errNotFound
	}
	return id, nil
}

func notFoundOr(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return errNotFound
	}
	return err
}

func queryInt(c *gin.Context, name string, def, lo, hi int64) (int64, error) {
	v := c.Query(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < lo || n > hi {
		return 0, badRequest(name, "%s must be an integer from %d to %d", name, lo, hi)
	}
	return n, nil
}

// seqPage reads a catch-up page: what comes after seq after_seq, at most
// limit items.
func seqPage(c *gin.Context) (after int64, limit int, err error) {
	if after, err = queryInt(c, "after_seq", 0, 0, 1<<62); err != nil {
		return 0, 0, err
	}
	l, err := queryInt(c, "limit", maxMessagePage, 1, maxMessagePage)
	return after, int(l), err
}

func encodeCursor(cur *store.Cursor) string {
	if cur == nil {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "%d|%s", cur.At.UnixMicro(), cur.ID))
}

func decodeCursor(s string) (*store.Cursor, error) {
	if s == "" {
		return nil, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		if at, id, ok := strings.Cut(string(raw), "|"); ok {
			us, err1 := strconv.ParseInt(at, 10, 64)
			uid, err2 := uuid.Parse(id)
			if err1 == nil && err2 == nil {
				return &store.Cursor{At: time.UnixMicro(us), ID: uid}, nil
			}
		}
	}
	return nil, badRequest("cursor", "cursor is not one this API returned")
}

var statuses = map[string]bool{conversation.StatusOpen: true, conversation.StatusSnoozed: true, conversation.StatusResolved: true}
var phases = map[string]bool{conversation.PhaseBot: true, conversation.PhaseQueued: true, conversation.PhaseAssigned: true}

// listConversations is the inbox: filters by status, phase, department and
// assignee ("me", "none" or an operator id), keyset-paged.
func (s *Server) listConversations(c *gin.Context) {
	op := operatorOf(c)
	var f store.ConversationFilter
	if v := c.Query("status"); v != "" {
		if !statuses[v] {
			fail(c, badRequest("status", "status must be open, snoozed or resolved"))
			return
		}
		f.Status = v
	}
	if v := c.Query("phase"); v != "" {
		if !phases[v] {
			fail(c, badRequest("phase", "phase must be bot, queued or assigned"))
			return
		}
		f.Phase = v
	}
	if v := c.Query("department_id"); v != "" {
		id, err := uuid.Parse(v)
		if err != nil {
			fail(c, badRequest("department_id", "department_id must be a UUID"))
			return
		}
		f.DepartmentID = &id
	}
	switch v := c.Query("assignee_id"); v {
	case "":
	case "me":
		f.AssigneeID = &op.ID
	case "none":
		t := true
		f.Unassigned = &t
	default:
		id, err := uuid.Parse(v)
		if err != nil {
			fail(c, badRequest("assignee_id", `assignee_id must be a UUID, "me" or "none"`))
			return
		}
		f.AssigneeID = &id
	}
	limit, err := queryInt(c, "limit", defaultLimit, 1, maxLimit)
	if err != nil {
		fail(c, err)
		return
	}
	cursor, err := decodeCursor(c.Query("cursor"))
	if err != nil {
		fail(c, err)
		return
	}
	// Pages hold only what the viewer may see (access.Viewer.CanSee).
	convs, next, err := s.Store.ListConversations(c, viewerOf(c), f, cursor, int(limit))
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"conversations": convs, "next_cursor": encodeCursor(next)})
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
	if strings.TrimSpace(r.Body) == "" {
		return badRequest("body", "body is required")
	}
	if !utf8.ValidString(r.Body) {
		return badRequest("body", "body must be UTF-8 text")
	}
	if utf8.RuneCountInString(r.Body) > maxBodyChars {
		return badRequest("body", "body is longer than %d characters", maxBodyChars)
	}
	if len(r.IdempotencyKey) > maxKeyLen {
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
	if err := bindJSON(c, &req); err != nil {
		fail(c, err)
		return
	}
	if err := req.validate(); err != nil {
		fail(c, err)
		return
	}
	op := operatorOf(c)
	s.send(c, store.NewMessage{
		WorkspaceID: op.WorkspaceID, ConversationID: id, SenderType: "operator", SenderID: &op.ID,
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
	if s.Kick != nil {
		s.Kick()
	}
	s.publishMessage(c, sent.VisitorID, sent.ContactID, sent.Message, bus.VisibilityState{Department: sent.DepartmentID, Assignee: sent.AssigneeID})
	c.JSON(http.StatusCreated, gin.H{"message": sent.Message})
}

// publishMessage announces a stored message to the widgets of the
// conversation's visitor and of every device of its contact (when it has
// one), and to the operators who may see the conversation routed as route.
func (s *Server) publishMessage(c *gin.Context, visitorID uuid.UUID, contactID *uuid.UUID, m store.Message, route bus.VisibilityState) {
	data, err := json.Marshal(m)
	if err != nil {
		s.Logger.ErrorContext(c, "encoding message event", "err", err)
		return
	}
	ev := bus.Event{
		Type: bus.TypeMessageCreated, WorkspaceID: m.WorkspaceID, ConversationID: m.ConversationID,
		VisitorID: visitorID, ContactID: contactID, Seq: m.Seq, Data: data, Visitor: data,
		Audience: bus.Audience{States: []bus.VisibilityState{route}},
	}
	if err := s.Bus.Publish(c, ev); err != nil {
		// The message is committed; screens catch up over REST.
		s.Logger.WarnContext(c, "publishing message.created", "conversation", m.ConversationID, "err", err)
	}
}
