package api

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/switchboardhq/switchboard/keywords"
	"github.com/switchboardhq/switchboard/routing"
	"github.com/switchboardhq/switchboard/store"
)

const (
	maxRoutingRules   = 50
	maxRoutingPhrases = 50
)

type routingRuleInput struct {
	Name         string     `json:"name"`
	Kind         string     `json:"kind"`
	Phrases      []string   `json:"phrases"`
	Field        string     `json:"field"`
	Value        string     `json:"value"`
	DepartmentID *uuid.UUID `json:"department_id"`
}

type routingRulesRequest struct {
	Rules []routingRuleInput `json:"rules"`
}

// check turns the request into rules, naming the field at fault
// (rules[2].phrases).
func (r routingRulesRequest) check() ([]store.RoutingRule, error) {
	if len(r.Rules) > maxRoutingRules {
		return nil, badRequest("rules", "at most %d rules", maxRoutingRules)
	}
	out := make([]store.RoutingRule, len(r.Rules))
	for i, in := range r.Rules {
		at := func(f string) string { return fmt.Sprintf("rules[%d].%s", i, f) }
		name := strings.TrimSpace(in.Name)
		if name == "" || utf8.RuneCountInString(name) > 200 {
			return nil, badRequest(at("name"), "a rule needs a name of 1 to 200 characters")
		}
		if !slices.Contains(routing.Kinds, in.Kind) {
			return nil, badRequest(at("kind"), "pick when the rule applies (kind: one of %s)", strings.Join(routing.Kinds, ", "))
		}
		rule := store.RoutingRule{Name: name, Kind: in.Kind, DepartmentID: in.DepartmentID, Phrases: []string{}}
		switch in.Kind {
		case routing.Keywords:
			if len(in.Phrases) == 0 || len(in.Phrases) > maxRoutingPhrases {
				return nil, badRequest(at("phrases"), "give 1 to %d words or phrases to look for in the first message", maxRoutingPhrases)
			}
			for _, p := range in.Phrases {
				n := keywords.Normalize(p)
				if n == "" || utf8.RuneCountInString(p) > maxRulePhraseLen {
					return nil, badRequest(at("phrases"), "each word or phrase needs a letter or digit and at most %d characters", maxRulePhraseLen)
				}
				if !slices.Contains(rule.Phrases, n) {
					rule.Phrases = append(rule.Phrases, n)
				}
			}
		case routing.Field:
			rule.Field, rule.Value = strings.TrimSpace(in.Field), strings.TrimSpace(in.Value)
			if rule.Field == "" || utf8.RuneCountInString(rule.Field) > 100 {
				return nil, badRequest(at("field"), "give the name of the form answer or flow variable, 1 to 100 characters")
			}
			if utf8.RuneCountInString(rule.Value) > 200 {
				return nil, badRequest(at("value"), "the value it equals is at most 200 characters")
			}
		case routing.VisitorChoice:
			rule.DepartmentID = nil // the visitor's pick
		}
		if in.Kind != routing.VisitorChoice && (in.DepartmentID == nil || *in.DepartmentID == uuid.Nil) {
			return nil, badRequest(at("department_id"), "pick the department the rule goes to")
		}
		out[i] = rule
	}
	return out, nil
}

// routingRules lists an inbox's routing rules, in order.
func (s *Server) routingRules(c *gin.Context) {
	id, err := pathID(c)
	if err != nil {
		fail(c, err)
		return
	}
	rules, err := s.Store.RoutingRules(c, viewerOf(c).WorkspaceID, id)
	if err != nil {
		fail(c, notFoundOr(err))
		return
	}
	c.JSON(http.StatusOK, gin.H{"rules": rules})
}

// setRoutingRules replaces an inbox's routing rules (admins): evaluated in
// this order, the first match wins.
func (s *Server) setRoutingRules(c *gin.Context) {
	id, err := pathID(c)
	if err != nil {
		fail(c, err)
		return
	}
	var req routingRulesRequest
	if !bind(c, &req) {
		return
	}
	rules, err := req.check()
	if err != nil {
		fail(c, err)
		return
	}
	saved, err := s.Store.SetRoutingRules(c, viewerOf(c).WorkspaceID, id, rules)
	var bad *store.ErrRuleDepartment
	if errors.As(err, &bad) {
		fail(c, unprocessable(fmt.Sprintf("rules[%d].department_id", bad.Index), "the department must be one that works this inbox (tick it under the inbox's Departments)"))
		return
	}
	if err != nil {
		fail(c, notFoundOr(err))
		return
	}
	// The frame offers a department picker while a rule is the visitor's
	// choice: this node serves the new rules' frame at once.
	s.forgetInbox(id)
	s.audit(c, "inbox.routing_rules_set", "inbox", &id, gin.H{"rules": saved})
	c.JSON(http.StatusOK, gin.H{"rules": saved})
}
