package api

import (
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/switchboardhq/switchboard/access"
	"github.com/switchboardhq/switchboard/auth"
	"github.com/switchboardhq/switchboard/store"
)

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
	if !bind(c, &req) {
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

// Widget identity.
