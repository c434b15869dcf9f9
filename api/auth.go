package api

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/switchboardhq/switchboard/auth"
	"github.com/switchboardhq/switchboard/store"
)

const sessionCookie = "sb_session"

func operatorOf(c *gin.Context) store.Operator { return c.MustGet("operator").(store.Operator) }
func visitorOf(c *gin.Context) auth.VisitorClaims {
	return c.MustGet("visitor").(auth.VisitorClaims)
}

// requireOperator authenticates the session cookie. State-changing requests
// must also be JSON: a cross-site form cannot send that content type
// without a CORS preflight, which this server never grants.
func (s *Server) requireOperator(c *gin.Context) {
	token, err := c.Cookie(sessionCookie)
	if err != nil || token == "" {
		fail(c, errUnauthenticated)
		return
	}
	op, err := s.Store.SessionOperator(c, auth.HashToken(token))
	if errors.Is(err, store.ErrNotFound) {
		fail(c, errUnauthenticated)
		return
	}
	if err != nil {
		fail(c, err)
		return
	}
	c.Set("operator", op)
	c.Next()
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
	op, err := s.Store.OperatorByEmail(c, email)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		fail(c, err)
		return
	}
	if !auth.CheckPassword(op.PasswordHash, req.Password) || !op.Active {
		fail(c, &apiError{Status: http.StatusUnauthorized, Code: "invalid_credentials", Message: "wrong email or password"})
		return
	}
	token, hash := auth.NewToken()
	expires := time.Now().Add(s.SessionTTL)
	if err := s.Store.CreateSession(c, hash, op, expires); err != nil {
		fail(c, err)
		return
	}
	http.SetCookie(c.Writer, &http.Cookie{
		Name: sessionCookie, Value: token, Path: "/", Expires: expires, MaxAge: int(s.SessionTTL.Seconds()),
		HttpOnly: true, Secure: s.SecureCookies || c.Request.TLS != nil, SameSite: http.SameSiteLaxMode,
	})
	c.JSON(http.StatusOK, gin.H{"operator": op})
}

func (s *Server) logout(c *gin.Context) {
	token, _ := c.Cookie(sessionCookie)
	if err := s.Store.DeleteSession(c, auth.HashToken(token)); err != nil {
		fail(c, err)
		return
	}
	http.SetCookie(c.Writer, &http.Cookie{
		Name: sessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.SecureCookies || c.Request.TLS != nil, SameSite: http.SameSiteLaxMode,
	})
	c.Status(http.StatusNoContent)
}

func (s *Server) me(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"operator": operatorOf(c)})
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
		fail(c, &apiError{Status: http.StatusUnauthorized, Code: "invalid_visitor_token", Message: "visitor token missing, invalid or expired"})
		return
	}
	c.Set("visitor", claims)
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
	expires := time.Now().Add(s.VisitorTokenTTL)
	token := auth.SignVisitorToken(key, auth.VisitorClaims{WorkspaceID: wsID, VisitorID: visitor.ID, ExpiresAt: expires.Unix()})
	c.JSON(status, gin.H{"visitor_id": visitor.ID, "workspace_id": wsID, "token": token, "expires_at": time.Unix(expires.Unix(), 0).UTC()})
}
