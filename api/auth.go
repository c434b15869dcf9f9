package api

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/switchboardhq/switchboard/access"
	"github.com/switchboardhq/switchboard/auth"
	"github.com/switchboardhq/switchboard/store"
)

const (
	sessionCookie = "sb_session"
	// csrfCookie holds the session's CSRF token where the inbox app's
	// script can read it after a reload; the server compares the
	// X-CSRF-Token header with the session's own copy, not with this cookie.
	csrfCookie = "sb_csrf"
	csrfHeader = "X-CSRF-Token"
	// apiTokenPrefix starts every API token, so a leaked one is easy to
	// recognise and scanners can find it.
	apiTokenPrefix = "sbt_"
)

// principal is who makes an operator-side request: an operator with a
// session, or an API token acting for the admin who created it, with the
// token's role.
type principal struct {
	access.Viewer
	Operator store.Operator
	// TokenID is set when an API token authenticated the request.
	TokenID *uuid.UUID
}

func principalOf(c *gin.Context) principal     { return c.MustGet("principal").(principal) }
func operatorOf(c *gin.Context) store.Operator { return principalOf(c).Operator }
func viewerOf(c *gin.Context) access.Viewer    { return principalOf(c).Viewer }
func visitorOf(c *gin.Context) auth.VisitorClaims {
	return c.MustGet("visitor").(auth.VisitorClaims)
}

// identityOf is the visitor's identity as requireIdentity read it.
func identityOf(c *gin.Context) store.VisitorIdentity {
	return c.MustGet("identity").(store.VisitorIdentity)
}

// safeMethod: requests that change nothing need no CSRF token.
func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

var errInvalidVisitorToken = &apiError{Status: http.StatusUnauthorized, Code: "invalid_visitor_token", Message: "visitor token missing, invalid or expired"}

var errIdentityRequired = &apiError{Status: http.StatusForbidden, Code: "identity_required",
	Message: "this workspace requires a verified identity: call /api/v1/widget/identify first"}

var errCSRF = &apiError{Status: http.StatusForbidden, Code: "csrf_failed", Message: "missing or wrong " + csrfHeader + " header"}

// requireOperator authenticates an API token (Authorization: Bearer sbt_…)
// or the session cookie. A cookie-authenticated request that changes
// something must carry the session's CSRF token in X-CSRF-Token.
func (s *Server) requireOperator(c *gin.Context) {
	if bearer, ok := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer "); ok && strings.HasPrefix(bearer, apiTokenPrefix) {
		s.authenticateToken(c, bearer)
		return
	}
	token, err := c.Cookie(sessionCookie)
	if err != nil || token == "" {
		fail(c, errUnauthenticated)
		return
	}
	sess, err := s.Store.Session(c, auth.HashToken(token))
	if errors.Is(err, store.ErrNotFound) {
		fail(c, errUnauthenticated)
		return
	}
	if err != nil {
		fail(c, err)
		return
	}
	if !safeMethod(c.Request.Method) && !auth.EqualTokens(c.GetHeader(csrfHeader), sess.CSRFToken) {
		fail(c, errCSRF)
		return
	}
	op := sess.Operator
	c.Set("principal", principal{
		Viewer:   access.Viewer{WorkspaceID: op.WorkspaceID, OperatorID: op.ID, Role: op.Role, Departments: sess.Departments},
		Operator: op,
	})
	c.Set("csrf", sess.CSRFToken)
	c.Next()
}

// tokenTouchEvery limits last-used writes to one per token per minute.
const tokenTouchEvery = time.Minute

func (s *Server) authenticateToken(c *gin.Context, token string) {
	p, err := s.Store.AuthenticateAPIToken(c, auth.HashToken(token))
	if errors.Is(err, store.ErrNotFound) {
		fail(c, &apiError{Status: http.StatusUnauthorized, Code: "invalid_token", Message: "API token unknown or revoked"})
		return
	}
	if err != nil {
		fail(c, err)
		return
	}
	if p.LastUsedAt == nil || time.Since(*p.LastUsedAt) > tokenTouchEvery {
		if err := s.Store.TouchAPIToken(c, p.Operator.WorkspaceID, p.TokenID); err != nil {
			s.Logger.WarnContext(c, "recording API token use", "err", err)
		}
	}
	// A token never has more power than the operator it acts for.
	role := p.Role
	if !access.AtLeast(p.Operator.Role, role) {
		role = p.Operator.Role
	}
	id := p.TokenID
	c.Set("principal", principal{
		Viewer:   access.Viewer{WorkspaceID: p.Operator.WorkspaceID, OperatorID: p.Operator.ID, Role: role, Departments: p.Departments},
		Operator: p.Operator,
		TokenID:  &id,
	})
	c.Next()
}

// requireRole lets the request through only for the role or above (403).
func requireRole(min string) gin.HandlerFunc {
	return func(c *gin.Context) {
		if !access.AtLeast(principalOf(c).Role, min) {
			fail(c, &apiError{Status: http.StatusForbidden, Code: "forbidden", Message: "this needs the " + min + " role or above"})
			return
		}
		c.Next()
	}
}

type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

func (s *Server) login(c *gin.Context) {
	var req loginRequest
	if err := bindJSON(c, &req); err != nil {
		fail(c, err)
		return
	}
	email := strings.ToLower(strings.TrimSpace(req.Email))
	if email == "" || len(email) > 320 {
		fail(c, badRequest("email", "email is required"))
		return
	}
	if req.Password == "" || len(req.Password) > 200 {
		fail(c, badRequest("password", "password is required"))
		return
	}
	if !s.allowLoginEmail(c, email) {
		return
	}
	op, err := s.Store.OperatorByEmail(c, email)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		fail(c, err)
		return
	}
	if !auth.CheckPassword(op.PasswordHash, req.Password) || !op.Active {
		fail(c, &apiError{Status: http.StatusUnauthorized, Code: "invalid_credentials", Message: "wrong email or password"})
		return
	}
	csrf, err := s.startSession(c, op)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"operator": op, "csrf_token": csrf})
}

// startSession logs op in: a new session, its cookie and the CSRF token's
// cookie. It returns the CSRF token for the response body.
func (s *Server) startSession(c *gin.Context, op store.Operator) (string, error) {
	token, hash := auth.NewToken()
	csrf, _ := auth.NewToken()
	expires := time.Now().Add(s.SessionTTL)
	if err := s.Store.CreateSession(c, hash, op, expires, csrf); err != nil {
		return "", err
	}
	secure := s.SecureCookies || c.Request.TLS != nil
	http.SetCookie(c.Writer, &http.Cookie{
		Name: sessionCookie, Value: token, Path: "/", Expires: expires, MaxAge: int(s.SessionTTL.Seconds()),
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode,
	})
	http.SetCookie(c.Writer, &http.Cookie{
		Name: csrfCookie, Value: csrf, Path: "/", Expires: expires, MaxAge: int(s.SessionTTL.Seconds()),
		Secure: secure, SameSite: http.SameSiteStrictMode,
	})
	return csrf, nil
}

func (s *Server) logout(c *gin.Context) {
	token, err := c.Cookie(sessionCookie)
	if err != nil {
		fail(c, &apiError{Status: http.StatusBadRequest, Code: "no_session", Message: "an API token has no session to end; revoke it instead"})
		return
	}
	if err := s.Store.DeleteSession(c, auth.HashToken(token)); err != nil {
		fail(c, err)
		return
	}
	secure := s.SecureCookies || c.Request.TLS != nil
	for _, name := range []string{sessionCookie, csrfCookie} {
		http.SetCookie(c.Writer, &http.Cookie{
			Name: name, Value: "", Path: "/", MaxAge: -1, HttpOnly: name == sessionCookie, Secure: secure, SameSite: http.SameSiteLaxMode,
		})
	}
	c.Status(http.StatusNoContent)
}

func (s *Server) me(c *gin.Context) {
	p := principalOf(c)
	c.JSON(http.StatusOK, gin.H{"operator": p.Operator, "role": p.Role, "department_ids": p.Departments, "csrf_token": c.GetString("csrf")})
}

// requireVisitor authenticates a visitor token from the Authorization
// header (Bearer) or, for the WebSocket where browsers cannot set headers,
// the token query parameter.
func (s *Server) requireVisitor(c *gin.Context) {
	token := strings.TrimPrefix(c.GetHeader("Authorization"), "Bearer ")
	if token == "" {
		token = c.Query("token")
	}
	claims, err := s.verifyVisitor(c, token)
	if err != nil {
		fail(c, errInvalidVisitorToken)
		return
	}
	c.Set("visitor", claims)
	c.Next()
}

// requireIdentity reads the visitor's identity (one query, so that an
// admin turning require_identity on, or the visitor identifying, counts
// from the next request on, on every node) and refuses with 403
// identity_required a visitor without a verified identity when its
// workspace requires one. On the socket route it answers before the
// upgrade.
func (s *Server) requireIdentity(c *gin.Context) {
	v := visitorOf(c)
	id, err := s.Store.VisitorIdentity(c, v.WorkspaceID, v.VisitorID)
	if errors.Is(err, store.ErrNotFound) {
		// A validly signed token of a visitor that no longer exists.
		fail(c, errInvalidVisitorToken)
		return
	}
	if err != nil {
		fail(c, err)
		return
	}
	if id.RequireIdentity && !id.Verified() {
		fail(c, errIdentityRequired)
		return
	}
	c.Set("identity", id)
	c.Next()
}

func (s *Server) verifyVisitor(c *gin.Context, token string) (auth.VisitorClaims, error) {
	ws, err := auth.VisitorTokenWorkspace(token)
	if err != nil {
		return auth.VisitorClaims{}, err
	}
	key, err := s.workspaceKey(c, ws)
	if err != nil {
		return auth.VisitorClaims{}, err
	}
	return auth.VerifyVisitorToken(key, token, time.Now())
}

type widgetSessionRequest struct {
	WorkspaceID  string `json:"workspace_id"`
	VisitorToken string `json:"visitor_token"`
	// InboxID, optional, binds the visitor to the inbox whose widget this
	// is: its conversations are routed to the inbox's department and its
	// page origin is checked against the inbox's allowlist.
	InboxID string `json:"inbox_id"`
}

// widgetSession starts (or resumes, given a valid token) a visitor session
// and returns a fresh signed token.
func (s *Server) widgetSession(c *gin.Context) {
	var req widgetSessionRequest
	if err := bindJSON(c, &req); err != nil {
		fail(c, err)
		return
	}
	wsID, err := uuid.Parse(req.WorkspaceID)
	if err != nil {
		fail(c, badRequest("workspace_id", "workspace_id must be a UUID"))
		return
	}
	key, err := s.workspaceKey(c, wsID)
	if errors.Is(err, store.ErrNotFound) {
		fail(c, errNotFound)
		return
	}
	if err != nil {
		fail(c, err)
		return
	}
	var inboxID *uuid.UUID
	if req.InboxID != "" {
		id, err := uuid.Parse(req.InboxID)
		if err != nil {
			fail(c, badRequest("inbox_id", "inbox_id must be a UUID"))
			return
		}
		allowlist, err := s.inboxAllowedOrigins(c, wsID, id)
		if err != nil {
			fail(c, notFoundOr(err))
			return
		}
		if !originAllowed(allowlist, c.GetHeader("Origin")) {
			fail(c, errOriginNotAllowed)
			return
		}
		inboxID = &id
	}
	var visitor store.Visitor
	status := http.StatusCreated
	if req.VisitorToken != "" {
		if claims, err := auth.VerifyVisitorToken(key, req.VisitorToken, time.Now()); err == nil && claims.WorkspaceID == wsID {
			if visitor, err = s.Store.TouchVisitor(c, wsID, claims.VisitorID); err == nil {
				status = http.StatusOK
			}
		}
	}
	if status != http.StatusOK {
		if visitor, err = s.Store.CreateVisitor(c, wsID); err != nil {
			fail(c, err)
			return
		}
	}
	if inboxID != nil {
		// Without inbox_id a resumed visitor keeps the inbox it has.
		if err := s.Store.BindVisitorInbox(c, wsID, visitor.ID, *inboxID); err != nil {
			fail(c, notFoundOr(err))
			return
		}
	}
	expires := time.Now().Add(s.VisitorTokenTTL)
	token := auth.SignVisitorToken(key, auth.VisitorClaims{WorkspaceID: wsID, VisitorID: visitor.ID, ExpiresAt: expires.Unix()})
	c.JSON(status, gin.H{"visitor_id": visitor.ID, "workspace_id": wsID, "inbox_id": inboxID, "token": token, "expires_at": time.Unix(expires.Unix(), 0).UTC()})
}
