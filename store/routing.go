package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/google/uuid"

	dbsqlc "github.com/switchboardhq/switchboard/db/sqlc"
	"github.com/switchboardhq/switchboard/routing"
)

// RoutingRule is one of an inbox's routing rules, as the API shows it.
type RoutingRule struct {
	ID           uuid.UUID  `json:"id"`
	Name         string     `json:"name"`
	Kind         string     `json:"kind"`
	Phrases      []string   `json:"phrases"`
	Field        string     `json:"field"`
	Value        string     `json:"value"`
	DepartmentID *uuid.UUID `json:"department_id"`
}

func routingRuleFromRow(r dbsqlc.RoutingRule) RoutingRule {
	return RoutingRule{
		ID: r.ID, Name: r.Name, Kind: r.Kind, Phrases: nonNilStrings(r.Phrases), Field: r.Field, Value: r.Value,
		DepartmentID: uuidPtr(r.DepartmentID),
	}
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// RoutingRules lists an inbox's rules in order. ErrNotFound: no such inbox
// in the workspace.
func (s *Store) RoutingRules(ctx context.Context, workspaceID, inboxID uuid.UUID) ([]RoutingRule, error) {
	if _, err := s.q.InboxGet(ctx, dbsqlc.InboxGetParams{WorkspaceID: workspaceID, ID: inboxID}); err != nil {
		return nil, interpretError(err)
	}
	return s.inboxRules(ctx, workspaceID, inboxID)
}

func (s *Store) inboxRules(ctx context.Context, workspaceID, inboxID uuid.UUID) ([]RoutingRule, error) {
	rows, err := s.q.RoutingRulesForInbox(ctx, dbsqlc.RoutingRulesForInboxParams{WorkspaceID: workspaceID, InboxID: inboxID})
	if err != nil {
		return nil, fmt.Errorf("listing routing rules: %w", err)
	}
	out := make([]RoutingRule, len(rows))
	for i, r := range rows {
		out[i] = routingRuleFromRow(r)
	}
	return out, nil
}

// ErrRuleDepartment: a rule names a department that is not one of the
// inbox's (index: the rule).
type ErrRuleDepartment struct{ Index int }

func (e *ErrRuleDepartment) Error() string {
	return fmt.Sprintf("rule %d: the department is not one of the inbox's", e.Index)
}

// SetRoutingRules replaces an inbox's rules with rules, in that order
// (already checked but for their departments, which must be the inbox's:
// *ErrRuleDepartment). New conversations of an inbox with rules are routed
// by their workflow.
func (s *Store) SetRoutingRules(ctx context.Context, workspaceID, inboxID uuid.UUID, rules []RoutingRule) ([]RoutingRule, error) {
	err := s.tx(ctx, func(q *dbsqlc.Queries) error {
		if _, err := q.InboxGet(ctx, dbsqlc.InboxGetParams{WorkspaceID: workspaceID, ID: inboxID}); err != nil {
			return interpretError(err)
		}
		depts, err := q.InboxDepartmentIDs(ctx, dbsqlc.InboxDepartmentIDsParams{WorkspaceID: workspaceID, InboxID: inboxID})
		if err != nil {
			return err
		}
		if err := q.RoutingRulesDelete(ctx, dbsqlc.RoutingRulesDeleteParams{WorkspaceID: workspaceID, InboxID: inboxID}); err != nil {
			return err
		}
		for i := range rules {
			r := &rules[i]
			if r.DepartmentID != nil && !slices.Contains(depts, *r.DepartmentID) {
				return &ErrRuleDepartment{Index: i}
			}
			r.ID = newID()
			if err := q.RoutingRuleInsert(ctx, dbsqlc.RoutingRuleInsertParams{
				ID: r.ID, WorkspaceID: workspaceID, InboxID: inboxID, Position: int32(i), Name: r.Name, Kind: r.Kind,
				Phrases: nonNilStrings(r.Phrases), Field: r.Field, Value: r.Value, DepartmentID: nullUUID(r.DepartmentID),
			}); err != nil {
				return interpretError(err)
			}
		}
		return nil
	})
	if err != nil {
		var bad *ErrRuleDepartment
		if errors.As(err, &bad) {
			return nil, err
		}
		return nil, fmt.Errorf("setting routing rules: %w", err)
	}
	return rules, nil
}

// Routed is what routing decided for a conversation.
type Routed struct {
	// Rule is the rule that matched (nil: none; the inbox's default).
	Rule         *RoutingRule
	DepartmentID *uuid.UUID
}

// Route evaluates a conversation's inbox rules on its first customer
// message, its fields, the bot's variables and the visitor's pick.
func (s *Store) Route(ctx context.Context, workspaceID, conversationID uuid.UUID) (Routed, error) {
	in, err := s.q.RoutingInput(ctx, dbsqlc.RoutingInputParams{WorkspaceID: workspaceID, ID: conversationID})
	if err != nil {
		return Routed{}, fmt.Errorf("reading conversation %s to route it: %w", conversationID, interpretError(err))
	}
	if !in.InboxID.Valid {
		return Routed{}, nil
	}
	stored, err := s.inboxRules(ctx, workspaceID, in.InboxID.UUID)
	if err != nil {
		return Routed{}, err
	}
	rules := make([]routing.Rule, len(stored))
	for i, r := range stored {
		rules[i] = routing.Rule{
			ID: r.ID, Name: r.Name, Kind: r.Kind, Phrases: r.Phrases, Field: r.Field, Value: r.Value, DepartmentID: r.DepartmentID,
		}
	}
	input := routing.Input{FirstMessage: in.FirstMessage, Fields: map[string]string{}, Choice: uuidPtr(in.ChosenDepartmentID)}
	var fields map[string]any
	if len(in.Fields) > 0 && json.Unmarshal(in.Fields, &fields) == nil {
		for k, v := range fields {
			input.Fields[k] = fmt.Sprint(v)
		}
	}
	var bot BotState
	if len(in.BotState) > 0 && json.Unmarshal(in.BotState, &bot) == nil {
		for k, v := range bot.Flow.Variables {
			input.Fields[k] = v
		}
	}
	rule, dept := routing.Evaluate(rules, input)
	if rule == nil {
		return Routed{}, nil
	}
	i := slices.IndexFunc(stored, func(r RoutingRule) bool { return r.ID == rule.ID })
	return Routed{Rule: &stored[i], DepartmentID: dept}, nil
}

// VisitorMayChoose says whether department works the inbox the visitor
// came through: the departments the widget offers to pick from.
func (s *Store) VisitorMayChoose(ctx context.Context, workspaceID, visitorID, departmentID uuid.UUID) (bool, error) {
	ok, err := s.q.VisitorInboxHasDepartment(ctx, dbsqlc.VisitorInboxHasDepartmentParams{
		WorkspaceID: workspaceID, VisitorID: visitorID, DepartmentID: departmentID,
	})
	if err != nil {
		return false, fmt.Errorf("checking the visitor's department: %w", err)
	}
	return ok, nil
}
