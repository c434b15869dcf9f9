package api

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/switchboardhq/switchboard/conversation"
	"github.com/switchboardhq/switchboard/keywords"
	"github.com/switchboardhq/switchboard/store"
)

// Keyword rules: a workspace's phrases that raise a conversation's
// priority and take it from the bot to people (docs/SIGNALS.md). Admins
// write them; every customer message is matched against the cached set.

const (
	maxRulePhrases    = 50
	maxRulePhraseLen  = 100
	keywordRulesCache = 10 * time.Second
)

// rulePriorities are the priorities a rule may give: a rule only raises.
var rulePriorities = []string{conversation.PriorityNormal, conversation.PriorityHigh, conversation.PriorityUrgent}

type keywordRuleRequest struct {
	Name         string   `json:"name"`
	Phrases      []string `json:"phrases"`
	Priority     string   `json:"priority"`
	DepartmentID *string  `json:"department_id"`
	Position     *int     `json:"position"`
	Enabled      *bool    `json:"enabled"`
}

// input checks the request and returns the rule as stored: phrases
// normalized (lowercase, no accents or punctuation) and deduplicated.
func (r keywordRuleRequest) input() (store.KeywordRuleInput, error) {
	name, err := checkName(r.Name)
	if err != nil {
		return store.KeywordRuleInput{}, err
	}
	in := store.KeywordRuleInput{Name: name, Priority: r.Priority, Position: r.Position, Enabled: r.Enabled == nil || *r.Enabled}
	if len(r.Phrases) == 0 || len(r.Phrases) > maxRulePhrases {
		return in, badRequest("phrases", "phrases must hold 1 to %d phrases", maxRulePhrases)
	}
	for _, p := range r.Phrases {
		if !utf8.ValidString(p) || utf8.RuneCountInString(p) > maxRulePhraseLen {
			return in, badRequest("phrases", "each phrase must be text of at most %d characters", maxRulePhraseLen)
		}
		n := keywords.Normalize(p)
		if n == "" {
			return in, badRequest("phrases", "phrase %q has no letters or digits", strings.TrimSpace(p))
		}
		if !slices.Contains(in.Phrases, n) {
			in.Phrases = append(in.Phrases, n)
		}
	}
	if !slices.Contains(rulePriorities, r.Priority) {
		return in, badRequest("priority", "priority must be one of %v", rulePriorities)
	}
	if r.DepartmentID != nil {
		id, err := uuid.Parse(*r.DepartmentID)
		if err != nil {
			return in, badRequest("department_id", "department_id must be a department id or null")
		}
		in.DepartmentID = &id
	}
	if r.Position != nil && (*r.Position < 0 || *r.Position > 100_000) {
		return in, badRequest("position", "position must be between 0 and 100000")
	}
	return in, nil
}

// ruleError names the field a store error is about.
func ruleError(err error) error {
	switch {
	case errors.Is(err, store.ErrTooManyKeywordRules):
		return &apiError{Status: http.StatusUnprocessableEntity, Code: "too_many_rules", Message: store.ErrTooManyKeywordRules.Error()}
	case errors.Is(err, store.ErrUnknownDepartment):
		return &apiError{Status: http.StatusUnprocessableEntity, Code: "unknown_department", Field: "department_id", Message: "no such department in this workspace"}
	}
	return notFoundOr(err)
}

func (s *Server) listKeywordRules(c *gin.Context) {
	rules, err := s.Store.KeywordRules(c, viewerOf(c).WorkspaceID)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"keyword_rules": rules})
}

func (s *Server) getKeywordRule(c *gin.Context) {
	respondOne(c, "keyword_rule", s.Store.KeywordRule)
}

func (s *Server) createKeywordRule(c *gin.Context) { s.saveKeywordRule(c, nil) }

// updateKeywordRule replaces a rule (PUT semantics on PATCH's route: every
// field but position and enabled is required, as on create).
func (s *Server) updateKeywordRule(c *gin.Context) {
	id, err := pathID(c)
	if err != nil {
		fail(c, err)
		return
	}
	s.saveKeywordRule(c, &id)
}

// saveKeywordRule creates a rule (id nil) or replaces one, and makes this
// node forget the workspace's cached rules.
func (s *Server) saveKeywordRule(c *gin.Context, id *uuid.UUID) {
	var req keywordRuleRequest
	if !bind(c, &req) {
		return
	}
	in, err := req.input()
	if err != nil {
		fail(c, err)
		return
	}
	ws := viewerOf(c).WorkspaceID
	var rule store.KeywordRule
	if id == nil {
		rule, err = s.Store.CreateKeywordRule(c, ws, in)
	} else {
		rule, err = s.Store.UpdateKeywordRule(c, ws, *id, in)
	}
	if err != nil {
		fail(c, ruleError(err))
		return
	}
	s.rules.Forget(ws)
	if id == nil {
		s.audit(c, "keyword_rule.created", "keyword_rule", &rule.ID, gin.H{"name": rule.Name})
		c.JSON(http.StatusCreated, gin.H{"keyword_rule": rule})
		return
	}
	s.audit(c, "keyword_rule.updated", "keyword_rule", &rule.ID, gin.H{"name": rule.Name})
	c.JSON(http.StatusOK, gin.H{"keyword_rule": rule})
}

func (s *Server) deleteKeywordRule(c *gin.Context) {
	id, err := pathID(c)
	if err != nil {
		fail(c, err)
		return
	}
	ws := viewerOf(c).WorkspaceID
	if err := s.Store.DeleteKeywordRule(c, ws, id); err != nil {
		fail(c, notFoundOr(err))
		return
	}
	s.rules.Forget(ws)
	s.audit(c, "keyword_rule.deleted", "keyword_rule", &id, nil)
	c.Status(http.StatusNoContent)
}

// keywordMatch matches a customer's message against the workspace's
// cached rules. A failure to load them costs the match, never the
// message: the send goes on without it (and the error is logged).
func (s *Server) keywordMatch(ctx context.Context, workspaceID uuid.UUID, body string) *conversation.KeywordMatch {
	if body == "" {
		return nil
	}
	rules, err := s.rules.Rules(ctx, workspaceID)
	if err != nil {
		s.Logger.WarnContext(ctx, "loading keyword rules; message not matched", "workspace", workspaceID, "err", err)
		return nil
	}
	r := keywords.Match(rules, body)
	if r == nil {
		return nil
	}
	return &conversation.KeywordMatch{RuleID: r.ID, Priority: r.Priority, DepartmentID: r.DepartmentID}
}

// loadKeywordRules is the rule cache's loader.
func (s *Server) loadKeywordRules(ctx context.Context, workspaceID uuid.UUID) ([]keywords.Rule, error) {
	rows, err := s.Store.EnabledKeywordRules(ctx, workspaceID)
	if err != nil {
		return nil, err
	}
	out := make([]keywords.Rule, len(rows))
	for i, r := range rows {
		out[i] = keywords.Rule{ID: r.ID, Phrases: r.Phrases, Priority: r.Priority, DepartmentID: r.DepartmentID}
	}
	return out, nil
}
