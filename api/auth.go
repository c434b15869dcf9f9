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
	// SessionID is set when a session cookie authenticated it.
	SessionID *uuid.UUID
	// CheckedAt is when the credential's check began, before it was read.
	CheckedAt time.Time
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
	// Taken before the credential is read: a socket whose check began
	// after its node learnt of a revocation read the revoked state.
	checkedAt := time.Now()
	if bearer, ok := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer "); ok && strings.HasPrefix(bearer, apiTokenPrefix) {
		s.authenticateToken(c, bearer, checkedAt)
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
	sessionID := sess.ID
	c.Set("principal", principal{
		Viewer: access.Viewer{
			WorkspaceID: op.WorkspaceID, OperatorID: op.ID, Role: op.Role, Departments: sess.Departments, FlowDesigner: op.FlowDesigner,
		},
		Operator:  op,
		SessionID: &sessionID,
		CheckedAt: checkedAt,
	})
	c.Set("csrf", sess.CSRFToken)
	c.Next()
}

// tokenTouchEvery limits last-used writes to one per token per minute.
const tokenTouchEvery = time.Minute

func (s *Server) authenticateToken(c *gin.Context, token string, checkedAt time.Time) {
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
		Viewer: access.Viewer{
			WorkspaceID: p.Operator.WorkspaceID, OperatorID: p.Operator.ID, Role: role, Departments: p.Departments,
			FlowDesigner: p.Operator.FlowDesigner,
		},
		Operator:  p.Operator,
		TokenID:   &id,
		CheckedAt: checkedAt,
	})
	c.Next()
}

// requireRole lets the request through only for the role or above (403).
// requireFlowDesigner lets admins and flow designers through.
func requireFlowDesigner(c *gin.Context) { allowIf(c, viewerOf(c).MayDesignFlows()) }

// requireFlowReports lets supervisors and above, and flow designers,
// through.
func requireFlowReports(c *gin.Context) { allowIf(c, viewerOf(c).MayReadFlowReports()) }

func allowIf(c *gin.Context, err error) {
	if err != nil {
		fail(c, err)
		return
	}
	c.Next()
}

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
	// WorkspaceID, optional, picks the workspace when the address works in
	// several.
	WorkspaceID string `json:"workspace_id"`
	workspaceID *uuid.UUID
}

// maxLoginCandidates bounds the bcrypt comparisons of one login without a
// workspace_id (an address in more workspaces than this logs in to the
// newer ones by naming them).
const maxLoginCandidates = 10

var errInvalidCredentials = &apiError{Status: http.StatusUnauthorized, Code: "invalid_credentials", Message: "wrong email or password"}

// loginWorkspace is a workspace a login may open, as the workspace_required
// answer lists it.
type loginWorkspace struct {
	ID   uuid.UUID `json:"id"`
	Name string    `json:"name"`
}

// login opens a session for an address and password. An operator is an
// identity within one workspace, so an address may match several; then,
// without workspace_id, the answer is 409 workspace_required listing only
// the workspaces whose password matched: the caller has proven they are
// that operator there, and learns nothing of other workspaces. Whatever
// fails (unknown address, wrong password, a workspace the address is not
// in, a deactivated operator) answers the same 401 body.
func (s *Server) login(c *gin.Context) {
	var req loginRequest
	if !bind(c, &req) || !s.allowLoginEmail(c, req.Email) {
		return
	}
	matched, err := s.passwordMatches(c, req.Email, req.workspaceID, req.Password)
	switch {
	case err != nil:
		fail(c, err)
	case len(matched) == 0:
		fail(c, errInvalidCredentials)
	case len(matched) > 1:
		workspaceRequired(c, matched)
	default:
		op := matched[0].Operator
		csrf, err := s.startSession(c, op)
		if err != nil {
			fail(c, err)
			return
		}
		c.JSON(http.StatusOK, gin.H{"operator": op, "csrf_token": csrf})
	}
}

func (r *loginRequest) validate() error {
	r.Email = strings.ToLower(strings.TrimSpace(r.Email))
	if r.Email == "" || len(r.Email) > maxEmail {
		return badRequest("email", "email is required")
	}
	if r.Password == "" || len(r.Password) > maxPassword {
		return badRequest("password", "password is required")
	}
	if r.WorkspaceID != "" {
		id, err := uuid.Parse(r.WorkspaceID)
		if err != nil {
			return badRequest("workspace_id", "workspace_id must be a UUID")
		}
		r.workspaceID = &id
	}
	return nil
}

// passwordMatches returns the operators with this address (in workspace,
// when given) whose password is password. Every candidate costs a bcrypt
// comparison, and so does an unknown address.
func (s *Server) passwordMatches(c *gin.Context, email string, workspace *uuid.UUID, password string) ([]store.LoginCandidate, error) {
	candidates, err := s.Store.LoginCandidates(c, email, workspace, maxLoginCandidates)
	if err != nil {
		return nil, err
	}
	if len(candidates) == 0 {
		_ = auth.CheckPassword("", password)
	}
	var matched []store.LoginCandidate
	for _, cand := range candidates {
		if auth.CheckPassword(cand.PasswordHash, password) {
			matched = append(matched, cand)
		}
	}
	return matched, nil
}

// workspaceRequired answers a login whose address and password open
// several workspaces: 409, listing them.
func workspaceRequired(c *gin.Context, matched []store.LoginCandidate) {
	list := make([]loginWorkspace, len(matched))
	for i, m := range matched {
		list[i] = loginWorkspace{ID: m.WorkspaceID, Name: m.WorkspaceName}
	}
	c.AbortWithStatusJSON(http.StatusConflict, gin.H{
		"error": &apiError{
			Status: http.StatusConflict, Code: "workspace_required", Field: "workspace_id",
			Message: "this email and password open several workspaces: log in again with one of their ids as workspace_id",
		},
		"workspaces": list,
	})
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

	workspaceID uuid.UUID
	inboxID     *uuid.UUID
}

// widgetSession starts (or resumes, given a valid token) a visitor session
// and returns a fresh signed token.
func (s *Server) widgetSession(c *gin.Context) {
	var req widgetSessionRequest
	if !bind(c, &req) {
		return
	}
	key, err := s.workspaceKey(c, req.workspaceID)
	if err == nil && req.inboxID != nil {
		err = s.checkInboxOrigin(c, req.workspaceID, *req.inboxID)
	}
	if err != nil {
		fail(c, notFoundOr(err))
		return
	}
	visitor, resumed, err := s.resumeOrCreateVisitor(c, key, req.workspaceID, req.VisitorToken)
	if err == nil && req.inboxID != nil {
		// Without inbox_id a resumed visitor keeps the inbox it has.
		err = s.Store.BindVisitorInbox(c, req.workspaceID, visitor.ID, *req.inboxID)
	}
	if err != nil {
		fail(c, notFoundOr(err))
		return
	}
	status := http.StatusCreated
	if resumed {
		status = http.StatusOK
	}
	expires := time.Unix(time.Now().Add(s.VisitorTokenTTL).Unix(), 0).UTC()
	token := auth.SignVisitorToken(key, auth.VisitorClaims{WorkspaceID: req.workspaceID, VisitorID: visitor.ID, ExpiresAt: expires.Unix()})
	c.JSON(status, gin.H{"visitor_id": visitor.ID, "workspace_id": req.workspaceID, "inbox_id": req.inboxID, "token": token, "expires_at": expires})
}

func (r *widgetSessionRequest) validate() error {
	id, err := uuid.Parse(r.WorkspaceID)
	if err != nil {
		return badRequest("workspace_id", "workspace_id must be a UUID")
	}
	r.workspaceID = id
	if r.InboxID != "" {
		id, err := uuid.Parse(r.InboxID)
		if err != nil {
			return badRequest("inbox_id", "inbox_id must be a UUID")
		}
		r.inboxID = &id
	}
	return nil
}

// checkInboxOrigin answers errOriginNotAllowed unless the request comes
// from a page origin the inbox allows.
func (s *Server) checkInboxOrigin(c *gin.Context, workspaceID, inboxID uuid.UUID) error {
	allowlist, err := s.inboxAllowedOrigins(c, workspaceID, inboxID)
	if err != nil {
		return err
	}
	if !pageAllowed(allowlist, c.Request) {
		return errOriginNotAllowed
	}
	return nil
}

// resumeOrCreateVisitor resumes the visitor of a valid token of the
// workspace, or registers a new one (an expired, forged or foreign token
// starts afresh rather than failing: the widget just gets a new visitor).
func (s *Server) resumeOrCreateVisitor(c *gin.Context, key []byte, workspaceID uuid.UUID, token string) (v store.Visitor, resumed bool, err error) {
	if token != "" {
		if claims, err := auth.VerifyVisitorToken(key, token, time.Now()); err == nil && claims.WorkspaceID == workspaceID {
			if v, err := s.Store.TouchVisitor(c, workspaceID, claims.VisitorID); err == nil {
				return v, true, nil
			}
		}
	}
	v, err = s.Store.CreateVisitor(c, workspaceID)
	return v, false, err
}
