package api

import (
	"errors"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/switchboardhq/switchboard/api/ws"
	"github.com/switchboardhq/switchboard/bus"
	"github.com/switchboardhq/switchboard/store"
)

func (s *Server) widgetConversation(c *gin.Context) (store.Conversation, bool) {
	id, err := pathID(c)
	if err != nil {
		fail(c, err)
		return store.Conversation{}, false
	}
	v := visitorOf(c)
	// A verified visitor also reads its contact's conversations from
	// other devices (integration.go).
	conv, err := s.Store.ContactVisibleConversation(c, v.WorkspaceID, v.VisitorID, id)
	if err != nil {
		fail(c, notFoundOr(err))
		return store.Conversation{}, false
	}
	return conv, true
}

func (s *Server) widgetListConversations(c *gin.Context) {
	v := visitorOf(c)
	convs, err := s.Store.ContactVisibleConversations(c, v.WorkspaceID, v.VisitorID, 50)
	if err != nil {
		fail(c, err)
		return
	}
	out := make([]store.VisitorConversation, len(convs))
	for i, conv := range convs {
		out[i] = conv.ForVisitor()
	}
	c.JSON(http.StatusOK, gin.H{"conversations": out})
}

func (s *Server) widgetGetConversation(c *gin.Context) {
	conv, ok := s.widgetConversation(c)
	if !ok {
		return
	}
	c.JSON(http.StatusOK, gin.H{"conversation": conv.ForVisitor()})
}

type startConversationRequest struct {
	Subject        string `json:"subject"`
	Message        string `json:"message"`
	IdempotencyKey string `json:"idempotency_key"`
}

func (s *Server) widgetStartConversation(c *gin.Context) {
	var req startConversationRequest
	if err := bindJSON(c, &req); err != nil {
		fail(c, err)
		return
	}
	if utf8.RuneCountInString(req.Subject) > 200 || !utf8.ValidString(req.Subject) {
		fail(c, badRequest("subject", "subject must be UTF-8 text of at most 200 characters"))
		return
	}
	if req.Message != "" || req.IdempotencyKey != "" {
		if err := (sendMessageRequest{Body: req.Message, IdempotencyKey: req.IdempotencyKey}).validate(); err != nil {
			if ae, ok := err.(*apiError); ok && ae.Field == "body" {
				ae.Field = "message"
				ae.Message = strings.Replace(ae.Message, "body", "message", 1)
			}
			fail(c, err)
			return
		}
	}
	v := visitorOf(c)
	st, err := s.Store.StartConversation(c, store.NewConversation{
		WorkspaceID: v.WorkspaceID, VisitorID: v.VisitorID, Subject: req.Subject,
		FirstMessage: req.Message, IdempotencyKey: req.IdempotencyKey,
	})
	if errors.Is(err, store.ErrIdempotencyKeyReused) {
		fail(c, errIdempotencyKeyReused)
		return
	}
	if err != nil {
		fail(c, notFoundOr(err))
		return
	}
	conv := st.Conversation
	if !st.Created {
		// A retry: the first attempt's conversation, its workflow started
		// (or about to be) by the first attempt's outbox row.
		c.Header("Idempotent-Replayed", "true")
		c.JSON(http.StatusOK, gin.H{"conversation": conv.ForVisitor(), "message": st.FirstMessage})
		return
	}
	if s.Kick != nil {
		s.Kick()
	}
	if st.FirstMessage != nil {
		s.Metrics.MessagesSent.WithLabelValues("visitor").Inc()
		s.publishMessage(c, conv.VisitorID, conv.ContactID, *st.FirstMessage, bus.VisibilityState{Department: conv.DepartmentID, Assignee: conv.AssigneeID})
	}
	c.JSON(http.StatusCreated, gin.H{"conversation": conv.ForVisitor(), "message": st.FirstMessage})
}

var errIdempotencyKeyReused = &apiError{Status: http.StatusUnprocessableEntity, Code: "idempotency_key_reused", Field: "idempotency_key",
	Message: "this idempotency_key started a conversation with another subject or message"}

func (s *Server) widgetListMessages(c *gin.Context) {
	conv, ok := s.widgetConversation(c)
	if !ok {
		return
	}
	s.respondMessages(c, conv)
}

func (s *Server) widgetSendMessage(c *gin.Context) {
	id, err := pathID(c)
	if err != nil {
		fail(c, err)
		return
	}
	var req sendMessageRequest
	if err := bindJSON(c, &req); err != nil {
		fail(c, err)
		return
	}
	if err := req.validate(); err != nil {
		fail(c, err)
		return
	}
	v := visitorOf(c)
	s.send(c, store.NewMessage{
		WorkspaceID: v.WorkspaceID, ConversationID: id, SenderType: "visitor", SenderID: &v.VisitorID,
		Body: req.Body, IdempotencyKey: req.IdempotencyKey, VisitorID: &v.VisitorID,
	})
}

// operatorSocket serves the inbox's socket with the principal's access:
// it receives only events of conversations the viewer may see, until the
// session or API token that opened it is revoked.
func (s *Server) operatorSocket(c *gin.Context) {
	p := principalOf(c)
	cred := ws.Credential{CheckedAt: p.CheckedAt}
	if p.SessionID != nil {
		cred.SessionID = *p.SessionID
	}
	if p.TokenID != nil {
		cred.TokenID = *p.TokenID
	}
	s.Hub.ServeOperator(c.Writer, c.Request, p.Viewer, cred)
}

// widgetSocket checks the page's origin against the allowlist of the
// visitor's inbox (structure.go); the visitor token is what authenticates.
// A verified visitor's socket receives its contact's events from every
// device.
func (s *Server) widgetSocket(c *gin.Context) {
	v := visitorOf(c)
	allowed, err := s.visitorOriginPolicy(c, v.WorkspaceID, v.VisitorID)
	if err != nil {
		fail(c, err)
		return
	}
	who := ws.Visitor{WorkspaceID: v.WorkspaceID, VisitorID: v.VisitorID}
	if id := identityOf(c); id.ContactID != nil {
		who.ContactID = *id.ContactID
	}
	s.Hub.ServeVisitor(c.Writer, c.Request, who, allowed)
}
