package api

import (
	"encoding/hex"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/switchboardhq/switchboard/access"
	"github.com/switchboardhq/switchboard/auth"
	"github.com/switchboardhq/switchboard/bus"
	"github.com/switchboardhq/switchboard/store"
)

// integrationRoutes registers API tokens, workspace settings, widget
// identity and contacts.
func (s *Server) integrationRoutes(public, op, visitor *gin.RouterGroup) {
	// An API token reaches these only with the admin role, like a person.
	tokens := op.Group("/api-tokens", requireRole(access.RoleAdmin))
	tokens.POST("", s.createAPIToken)
	tokens.GET("", s.listAPITokens)
	tokens.DELETE("/:id", s.revokeAPIToken)

	op.GET("/workspace", s.getWorkspace)
	op.PATCH("/workspace", requireRole(access.RoleAdmin), s.updateWorkspace)
	op.POST("/workspace/identity-secret/rotate", requireRole(access.RoleAdmin), s.rotateIdentitySecret)

	op.GET("/contacts/:id", s.getContact)
	op.PATCH("/contacts/:id", requireRole(access.RoleSupervisor), s.updateContact)

	visitor.POST("/identify", s.limitWidgetSends(), s.widgetIdentify)
}

// API tokens.

type createAPITokenRequest struct {
	Name string `json:"name"`
	Role string `json:"role"`
}

// apiTokenPrefixLen is how much of a token its list entry shows: "sbt_"
// and six characters, enough to tell tokens apart, far too few to guess
// the other 37.
const apiTokenPrefixLen = len(apiTokenPrefix) + 6

func (s *Server) createAPIToken(c *gin.Context) {
	var req createAPITokenRequest
	if err := bindJSON(c, &req); err != nil {
		fail(c, err)
		return
	}
	name := strings.TrimSpace(req.Name)
	if name == "" || utf8.RuneCountInString(name) > 200 || !utf8.ValidString(name) {
		fail(c, badRequest("name", "name must be 1 to 200 characters"))
		return
	}
	switch req.Role {
	case access.RoleAdmin, access.RoleSupervisor, access.RoleOperator:
	default:
		fail(c, badRequest("role", "role must be admin, supervisor or operator"))
		return
	}
	p := principalOf(c)
	if err := viewerOf(c).MayCreateToken(req.Role); err != nil {
		fail(c, err)
		return
	}
	raw, _ := auth.NewToken()
	token := apiTokenPrefix + raw
	tok, err := s.Store.CreateAPIToken(c, store.NewAPIToken{
		WorkspaceID: p.WorkspaceID, Name: name, TokenHash: auth.HashToken(token),
		Prefix: token[:apiTokenPrefixLen], Role: req.Role, CreatedBy: p.Operator.ID,
	})
	if err != nil {
		fail(c, err)
		return
	}
	s.audit(c, "api_token.created", "api_token", &tok.ID, gin.H{"name": tok.Name, "role": tok.Role, "prefix": tok.Prefix})
	// The only time the token is ever shown.
	c.JSON(http.StatusCreated, gin.H{"api_token": tok, "token": token})
}

func (s *Server) listAPITokens(c *gin.Context) {
	toks, err := s.Store.APITokens(c, principalOf(c).WorkspaceID)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"api_tokens": toks})
}

// revokeAPIToken ends a token at once: the next request with it is a 401.
// Revoking a revoked token is a 204 that changes nothing.
func (s *Server) revokeAPIToken(c *gin.Context) {
	id, err := pathID(c)
	if err != nil {
		fail(c, err)
		return
	}
	tok, revoked, err := s.Store.RevokeAPIToken(c, principalOf(c).WorkspaceID, id)
	if err != nil {
		fail(c, notFoundOr(err))
		return
	}
	if revoked {
		s.audit(c, "api_token.revoked", "api_token", &tok.ID, gin.H{"name": tok.Name, "prefix": tok.Prefix})
	}
	c.Status(http.StatusNoContent)
}

// Workspace settings.

type workspaceView struct {
	ID              uuid.UUID `json:"id"`
	Name            string    `json:"name"`
	RequireIdentity bool      `json:"require_identity"`
	// IdentitySecret (hex) is for admins, who give it to their site's
	// server; it is absent for everyone else.
	IdentitySecret string `json:"identity_secret,omitempty"`
}

func viewWorkspace(w store.WorkspaceSettings, v access.Viewer) workspaceView {
	view := workspaceView{ID: w.ID, Name: w.Name, RequireIdentity: w.RequireIdentity}
	if v.SeesSecrets() {
		view.IdentitySecret = hex.EncodeToString(w.IdentitySecret)
	}
	return view
}

// getWorkspace is readable by every operator (the inbox shows the name);
// only admins get the identity secret.
func (s *Server) getWorkspace(c *gin.Context) {
	p := principalOf(c)
	w, err := s.Store.WorkspaceSettings(c, p.WorkspaceID)
	if err != nil {
		fail(c, notFoundOr(err))
		return
	}
	c.JSON(http.StatusOK, gin.H{"workspace": viewWorkspace(w, viewerOf(c))})
}

type updateWorkspaceRequest struct {
	Name            *string `json:"name"`
	RequireIdentity *bool   `json:"require_identity"`
}

func (s *Server) updateWorkspace(c *gin.Context) {
	var req updateWorkspaceRequest
	if err := bindJSON(c, &req); err != nil {
		fail(c, err)
		return
	}
	if req.Name != nil {
		name := strings.TrimSpace(*req.Name)
		if name == "" || utf8.RuneCountInString(name) > 200 || !utf8.ValidString(name) {
			fail(c, badRequest("name", "name must be 1 to 200 characters"))
			return
		}
		req.Name = &name
	}
	p := principalOf(c)
	before, after, err := s.Store.UpdateWorkspaceSettings(c, p.WorkspaceID, store.SettingsChange{Name: req.Name, RequireIdentity: req.RequireIdentity})
	if err != nil {
		fail(c, notFoundOr(err))
		return
	}
	if before.Name != after.Name {
		s.audit(c, "workspace.renamed", "workspace", &after.ID, gin.H{"from": before.Name, "to": after.Name})
	}
	if before.RequireIdentity != after.RequireIdentity {
		s.audit(c, "workspace.require_identity_changed", "workspace", &after.ID, gin.H{"require_identity": after.RequireIdentity})
	}
	if after.RequireIdentity && !before.RequireIdentity {
		// Every node closes its anonymous widget sockets of the workspace;
		// their reconnects are refused until they identify.
		s.publishControl(c, bus.Event{Type: bus.TypeIdentityRequired, WorkspaceID: after.ID})
	}
	c.JSON(http.StatusOK, gin.H{"workspace": viewWorkspace(after, viewerOf(c))})
}

// rotateIdentitySecret answers with the new secret. Hashes made with the
// old one stop verifying at once; visitors verified before stay verified.
func (s *Server) rotateIdentitySecret(c *gin.Context) {
	p := principalOf(c)
	w, err := s.Store.RotateIdentitySecret(c, p.WorkspaceID)
	if err != nil {
		fail(c, notFoundOr(err))
		return
	}
	s.audit(c, "workspace.identity_secret_rotated", "workspace", &w.ID, gin.H{})
	c.JSON(http.StatusOK, gin.H{"workspace": viewWorkspace(w, viewerOf(c))})
}

// publishControl publishes an event that tells every node's hub to
// change its sockets. The change is committed; a node that misses the
// event keeps a socket as it was until it reconnects, and every request
// checks the database anyway.
func (s *Server) publishControl(c *gin.Context, ev bus.Event) {
	if err := s.Bus.Publish(c, ev); err != nil {
		s.Logger.WarnContext(c, "publishing "+ev.Type, "workspace", ev.WorkspaceID, "err", err)
	}
}

// Contacts.

// contactView is a contact as an operator sees it; CS notes only for
// admins (absent, not empty, for others).
type contactView struct {
	store.Contact
	CSNotes *string `json:"cs_notes,omitempty"`
}

func viewContact(ct store.Contact, v access.Viewer) contactView {
	view := contactView{Contact: ct}
	if v.SeesSecrets() {
		notes := ct.CSNotes
		view.CSNotes = &notes
	}
	return view
}

func (s *Server) getContact(c *gin.Context) {
	id, err := pathID(c)
	if err != nil {
		fail(c, err)
		return
	}
	p := principalOf(c)
	ct, err := s.Store.Contact(c, p.WorkspaceID, id)
	if err != nil {
		fail(c, notFoundOr(err))
		return
	}
	c.JSON(http.StatusOK, gin.H{"contact": viewContact(ct, viewerOf(c))})
}

type updateContactRequest struct {
	Name    *string `json:"name"`
	Email   *string `json:"email"`
	CSNotes *string `json:"cs_notes"`
}

const maxCSNotes = 10000

// updateContact: supervisors and admins edit name and email; CS notes are
// admins' alone, and a request carrying them from anyone else is refused
// whole.
func (s *Server) updateContact(c *gin.Context) {
	id, err := pathID(c)
	if err != nil {
		fail(c, err)
		return
	}
	var req updateContactRequest
	if err := bindJSON(c, &req); err != nil {
		fail(c, err)
		return
	}
	v := viewerOf(c)
	if req.CSNotes != nil {
		if err := v.MayWriteCSNotes(); err != nil {
			fail(c, err)
			return
		}
	}
	if req.Name != nil {
		name := strings.TrimSpace(*req.Name)
		if utf8.RuneCountInString(name) > 200 || !utf8.ValidString(name) {
			fail(c, badRequest("name", "name must be at most 200 characters"))
			return
		}
		req.Name = &name
	}
	if req.Email != nil {
		email := strings.TrimSpace(*req.Email)
		if !validContactEmail(email) {
			fail(c, badRequest("email", "email must be an address of at most 320 characters, or empty"))
			return
		}
		req.Email = &email
	}
	if req.CSNotes != nil && (utf8.RuneCountInString(*req.CSNotes) > maxCSNotes || !utf8.ValidString(*req.CSNotes)) {
		fail(c, badRequest("cs_notes", "cs_notes must be text of at most %d characters", maxCSNotes))
		return
	}
	before, after, err := s.Store.UpdateContact(c, v.WorkspaceID, id, store.ContactChange{Name: req.Name, Email: req.Email, CSNotes: req.CSNotes})
	if err != nil {
		fail(c, notFoundOr(err))
		return
	}
	if before.CSNotes != after.CSNotes {
		// What the notes say stays out of the audit log, which more
		// eyes read over the years than the notes themselves.
		s.audit(c, "contact.cs_notes_changed", "contact", &after.ID, gin.H{})
	}
	c.JSON(http.StatusOK, gin.H{"contact": viewContact(after, v)})
}

func validContactEmail(e string) bool {
	if e == "" {
		return true
	}
	at := strings.IndexByte(e, '@')
	return len(e) <= 320 && utf8.ValidString(e) && at > 0 && at < len(e)-1 && !strings.ContainsAny(e, " \t\r\n")
}

// Widget identity.

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
	if err := bindJSON(c, &req); err != nil {
		fail(c, err)
		return
	}
	// The external id is taken exactly as sent: it is what the site signed.
	if req.ExternalID == "" || utf8.RuneCountInString(req.ExternalID) > 200 || !utf8.ValidString(req.ExternalID) {
		fail(c, badRequest("external_id", "external_id must be 1 to 200 characters"))
		return
	}
	name := strings.TrimSpace(req.Name)
	if utf8.RuneCountInString(name) > 200 || !utf8.ValidString(name) {
		fail(c, badRequest("name", "name must be at most 200 characters"))
		return
	}
	email := strings.TrimSpace(req.Email)
	if !validContactEmail(email) {
		fail(c, badRequest("email", "email must be an address of at most 320 characters, or empty"))
		return
	}
	v := visitorOf(c)
	ws, err := s.Store.WorkspaceSettings(c, v.WorkspaceID)
	if err != nil {
		fail(c, notFoundOr(err))
		return
	}
	claim := store.ClaimedIdentity{ExternalID: req.ExternalID, Name: name, Email: email}
	if auth.VerifyIdentity(ws.IdentitySecret, req.ExternalID, req.UserHash) {
		ct, err := s.Store.VerifyVisitorIdentity(c, v.WorkspaceID, v.VisitorID, claim)
		if err != nil {
			fail(c, notFoundOr(err))
			return
		}
		// The visitor's open sockets, on every node, join the contact's
		// audience: they hear its conversations from every device.
		s.publishControl(c, bus.Event{Type: bus.TypeVisitorIdentified, WorkspaceID: v.WorkspaceID, VisitorID: v.VisitorID, ContactID: &ct.ID})
		c.JSON(http.StatusOK, gin.H{"verified": true, "contact": widgetContact{ID: ct.ID, ExternalID: req.ExternalID, Name: ct.Name, Email: ct.Email}})
		return
	}
	if ws.RequireIdentity {
		fail(c, errIdentityInvalid)
		return
	}
	if err := s.Store.ClaimVisitorIdentity(c, v.WorkspaceID, v.VisitorID, claim); err != nil {
		fail(c, notFoundOr(err))
		return
	}
	// Any verified link is cut: the sockets leave the contact's audience.
	s.publishControl(c, bus.Event{Type: bus.TypeVisitorIdentified, WorkspaceID: v.WorkspaceID, VisitorID: v.VisitorID})
	c.JSON(http.StatusOK, gin.H{"verified": false, "contact": nil})
}
