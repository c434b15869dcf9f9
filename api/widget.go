package api

import (
	"errors"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/switchboardhq/switchboard/api/ws"
	"github.com/switchboardhq/switchboard/auth"
	"github.com/switchboardhq/switchboard/bus"
	"github.com/switchboardhq/switchboard/conversation"
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
	// other devices (store/contacts.go).
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
	c.JSON(http.StatusOK, gin.H{"conversation": conv.ForVisitor(), "queue": s.queueSpot(c, conv)})
}

// queueSpot is where a waiting conversation stands (nil when it does not
// wait): best effort, the conversation is the answer's point.
func (s *Server) queueSpot(c *gin.Context, conv store.Conversation) *store.QueueSpot {
	spot, err := s.Store.QueueSpot(c, conv)
	if err != nil {
		s.Logger.WarnContext(c, "reading a queue spot", "conversation", conv.ID, "err", err)
		return nil
	}
	return spot
}

type startConversationRequest struct {
	Subject        string `json:"subject"`
	Message        string `json:"message"`
	IdempotencyKey string `json:"idempotency_key"`
	// DepartmentID is the department the visitor picked (one of their
	// inbox's), for the inbox's visitor_choice routing rule.
	DepartmentID *uuid.UUID `json:"department_id"`
}

func (s *Server) widgetStartConversation(c *gin.Context) {
	var req startConversationRequest
	if !bind(c, &req) {
		return
	}
	v := visitorOf(c)
	if req.DepartmentID != nil {
		ok, err := s.Store.VisitorMayChoose(c, v.WorkspaceID, v.VisitorID, *req.DepartmentID)
		if err != nil {
			fail(c, err)
			return
		}
		if !ok {
			fail(c, unprocessable("department_id", "department_id must be one of the departments of the widget's inbox"))
			return
		}
	}
	st, err := s.Store.StartConversation(c, store.NewConversation{
		WorkspaceID: v.WorkspaceID, VisitorID: v.VisitorID, Subject: req.Subject,
		FirstMessage: req.Message, IdempotencyKey: req.IdempotencyKey,
		FirstMessageKeyword: s.keywordMatch(c, v.WorkspaceID, req.Message), ChosenDepartmentID: req.DepartmentID,
	})
	if errors.Is(err, store.ErrIdempotencyKeyReused) {
		err = errIdempotencyKeyReused
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
		s.Metrics.MessagesSent.WithLabelValues(conversation.SenderVisitor).Inc()
		s.publishMessage(c, conv.VisitorID, conv.ContactID, *st.FirstMessage, bus.VisibilityState{Department: conv.DepartmentID, Assignee: conv.AssigneeID})
	}
	c.JSON(http.StatusCreated, gin.H{"conversation": conv.ForVisitor(), "message": st.FirstMessage, "queue": s.queueSpot(c, conv)})
}

func (r *startConversationRequest) validate() error {
	if utf8.RuneCountInString(r.Subject) > 200 || !utf8.ValidString(r.Subject) {
		return badRequest("subject", "subject must be UTF-8 text of at most 200 characters")
	}
	if r.Message == "" && r.IdempotencyKey == "" {
		return nil
	}
	// The first message is checked as any message, named as this field.
	err := (sendMessageRequest{Body: r.Message, IdempotencyKey: r.IdempotencyKey}).validate()
	if ae, ok := err.(*apiError); ok && ae.Field == "body" {
		ae.Field = "message"
		ae.Message = strings.Replace(ae.Message, "body", "message", 1)
	}
	return err
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
	if !bind(c, &req) {
		return
	}
	v := visitorOf(c)
	s.send(c, store.NewMessage{
		WorkspaceID: v.WorkspaceID, ConversationID: id, SenderType: conversation.SenderVisitor, SenderID: &v.VisitorID,
		Body: req.Body, IdempotencyKey: req.IdempotencyKey, VisitorID: &v.VisitorID,
		Keyword: s.keywordMatch(c, v.WorkspaceID, req.Body),
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
// visitor's inbox (inboxes.go); the visitor token is what authenticates.
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

type identifyRequest struct {
	ExternalID string `json:"external_id"`
	UserHash   string `json:"user_hash"`
	Name       string `json:"name"`
	Email      string `json:"email"`
}

// widgetContact is what a verified visitor sees of its own contact.
type widgetContact struct {
	ID         uuid.UUID `json:"id"`
	ExternalID string    `json:"external_id"`
	Name       string    `json:"name"`
	Email      string    `json:"email"`
}

var errIdentityInvalid = &apiError{Status: http.StatusForbidden, Code: "identity_invalid", Field: "user_hash",
	Message: "this workspace requires user_hash = hex(HMAC-SHA256(identity secret, external_id))"}

// widgetIdentify tells who the visitor is.
//
// With a valid user_hash the visitor is verified: the contact with that
// external_id is created or updated (non-empty name and email replace the
// stored ones), the visitor is linked to it, its new conversations carry
// the contact, and it reads the contact's conversations from its other
// devices.
//
// Without a valid hash, when the workspace requires identity, the answer
// is 403 identity_invalid and nothing changes. When it does not, the
// external id, name and email are stored on the visitor alone as an
// unverified claim; no contact is created or linked, any earlier verified
// link of this visitor is cut, and the visitor reads only its own
// conversations. The answer is then 200 with verified false.
func (s *Server) widgetIdentify(c *gin.Context) {
	var req identifyRequest
	if !bind(c, &req) {
		return
	}
	v := visitorOf(c)
	ws, err := s.Store.WorkspaceSettings(c, v.WorkspaceID)
	if err != nil {
		fail(c, notFoundOr(err))
		return
	}
	claim := store.ClaimedIdentity{ExternalID: req.ExternalID, Name: req.Name, Email: req.Email}
	verified := auth.VerifyIdentity(ws.IdentitySecret, req.ExternalID, req.UserHash)
	if !verified && ws.RequireIdentity {
		fail(c, errIdentityInvalid)
		return
	}
	var ct store.Contact
	if verified {
		ct, err = s.Store.VerifyVisitorIdentity(c, v.WorkspaceID, v.VisitorID, claim)
	} else {
		err = s.Store.ClaimVisitorIdentity(c, v.WorkspaceID, v.VisitorID, claim)
	}
	if err != nil {
		fail(c, notFoundOr(err))
		return
	}
	// The visitor's open sockets, on every node, join the contact's
	// audience (they hear its conversations from every device) or, for an
	// unverified claim, leave any they were in.
	ev := bus.Event{Type: bus.TypeVisitorIdentified, WorkspaceID: v.WorkspaceID, VisitorID: v.VisitorID}
	if !verified {
		s.publishControl(c, ev)
		c.JSON(http.StatusOK, gin.H{"verified": false, "contact": nil})
		return
	}
	ev.ContactID = &ct.ID
	s.publishControl(c, ev)
	c.JSON(http.StatusOK, gin.H{"verified": true, "contact": widgetContact{ID: ct.ID, ExternalID: req.ExternalID, Name: ct.Name, Email: ct.Email}})
}

func (r *identifyRequest) validate() error {
	// The external id is taken exactly as sent: it is what the site signed.
	if r.ExternalID == "" || utf8.RuneCountInString(r.ExternalID) > 200 || !utf8.ValidString(r.ExternalID) {
		return badRequest("external_id", "external_id must be 1 to 200 characters")
	}
	r.Name = strings.TrimSpace(r.Name)
	if utf8.RuneCountInString(r.Name) > 200 || !utf8.ValidString(r.Name) {
		return badRequest("name", "name must be at most 200 characters")
	}
	r.Email = strings.TrimSpace(r.Email)
	if !validContactEmail(r.Email) {
		return badRequest("email", "email must be an address of at most 320 characters, or empty")
	}
	return nil
}
