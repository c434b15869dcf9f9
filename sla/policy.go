// Package sla is the service-level model: policies (which conversations
// they cover, the targets per metric and priority, what pauses a clock,
// the escalation ladder) and the clocks that measure a conversation
// against them. Pure: no I/O, the time is an argument, business time comes
// from package calendar. The conversation's workflow runs the clocks
// (docs/SLA.md).
package sla

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/switchboardhq/switchboard/conversation"
)

// Metrics a policy sets targets for.
const (
	// FirstResponse: from the conversation reaching people (created
	// without a bot, or handed off) to the first operator reply.
	FirstResponse = "first_response"
	// NextResponse: from each customer message that follows an operator
	// reply to the next operator reply.
	NextResponse = "next_response"
	// Resolution: from reaching people to resolved.
	Resolution = "resolution"
	// PeriodicUpdate: while the customer waits, an operator writes at
	// least this often.
	PeriodicUpdate = "periodic_update"
)

// Metrics lists every metric.
var Metrics = []string{FirstResponse, NextResponse, Resolution, PeriodicUpdate}

// Ladder moments and actions.
const (
	AtWarning = "warning"
	AtBreach  = "breach"

	ActionRaisePriority     = "raise_priority"
	ActionNotifyAssignee    = "notify_assignee"
	ActionNotifySupervisors = "notify_supervisors"
	ActionReassign          = "reassign"
	ActionMoveDepartment    = "move_department"
)

var actions = []string{ActionRaisePriority, ActionNotifyAssignee, ActionNotifySupervisors, ActionReassign, ActionMoveDepartment}

// Limits of a policy.
const (
	MaxTargets    = 40
	MaxSteps      = 20
	MaxConditions = 50
	MaxTarget     = 365 * 24 * 3600 // seconds
)

// Policy is one of a workspace's ordered SLA policies: the first enabled
// one whose conditions match a conversation applies to it.
type Policy struct {
	ID         uuid.UUID  `json:"id"`
	Name       string     `json:"name"`
	Enabled    bool       `json:"enabled"`
	Conditions Conditions `json:"conditions"`
	Targets    []Target   `json:"targets"`
	// WarnAtPercent: a clock warns when this share of its target has
	// passed (1 to 99); 0: no warning.
	WarnAtPercent int    `json:"warn_at_percent"`
	Pauses        Pauses `json:"pauses"`
	Ladder        []Step `json:"ladder"`
	// Version counts the policy's edits: a running clock measured against
	// an older one is re-evaluated when it next matters.
	Version int64 `json:"version"`
}

// Conditions: every condition given must match (an empty list matches
// everything); within a list, any entry.
type Conditions struct {
	DepartmentIDs    []uuid.UUID     `json:"department_ids,omitempty"`
	Priorities       []string        `json:"priorities,omitempty"`
	InboxIDs         []uuid.UUID     `json:"inbox_ids,omitempty"`
	TagIDs           []uuid.UUID     `json:"tag_ids,omitempty"`
	ContactAttribute *AttributeMatch `json:"contact_attribute,omitempty"`
}

// AttributeMatch matches a contact attribute's value, as text.
type AttributeMatch struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Target is a metric's limit, for one priority or (Priority empty) for
// every priority without a target of its own.
type Target struct {
	Metric   string `json:"metric"`
	Priority string `json:"priority,omitempty"`
	Seconds  int64  `json:"seconds"`
	// BusinessHours: counted in the department's (or the workspace's)
	// business hours; otherwise in calendar time.
	BusinessHours bool `json:"business_hours"`
}

// Pauses say what stops a policy's clocks besides closed hours (which
// stop business-hours targets by themselves).
type Pauses struct {
	// Snoozed: every clock stops while the conversation is snoozed.
	Snoozed bool `json:"snoozed"`
	// WaitingOnCustomer: the resolution clock stops while the last word is
	// the team's (an operator's or the bot's).
	WaitingOnCustomer bool `json:"waiting_on_customer"`
}

// Step is a rung of the escalation ladder: at a metric's warning, at its
// breach, or AfterSeconds past the breach, the actions run, each once.
type Step struct {
	Metric       string   `json:"metric"`
	At           string   `json:"at"`
	AfterSeconds int64    `json:"after_seconds,omitempty"`
	Actions      []Action `json:"actions"`
}

// Action is what a step does.
type Action struct {
	Kind string `json:"kind"`
	// Priority: raise_priority's (never lowers one).
	Priority string `json:"priority,omitempty"`
	// DepartmentID: move_department's.
	DepartmentID *uuid.UUID `json:"department_id,omitempty"`
}

// Facts are what a policy's conditions are judged on: the conversation as
// it is now.
type Facts struct {
	DepartmentID      *uuid.UUID
	Priority          string
	InboxID           *uuid.UUID
	TagIDs            []uuid.UUID
	ContactAttributes map[string]string
}

// Match reports whether every condition holds for f.
func (c Conditions) Match(f Facts) bool {
	if len(c.DepartmentIDs) > 0 && (f.DepartmentID == nil || !slices.Contains(c.DepartmentIDs, *f.DepartmentID)) {
		return false
	}
	if len(c.Priorities) > 0 && !slices.Contains(c.Priorities, f.Priority) {
		return false
	}
	if len(c.InboxIDs) > 0 && (f.InboxID == nil || !slices.Contains(c.InboxIDs, *f.InboxID)) {
		return false
	}
	if len(c.TagIDs) > 0 && !slices.ContainsFunc(c.TagIDs, func(id uuid.UUID) bool { return slices.Contains(f.TagIDs, id) }) {
		return false
	}
	if a := c.ContactAttribute; a != nil {
		v, ok := f.ContactAttributes[a.Key]
		if !ok || !strings.EqualFold(v, a.Value) {
			return false
		}
	}
	return true
}

// Select is the policy that applies: the first enabled one, in order,
// whose conditions match; nil when none does.
func Select(policies []Policy, f Facts) *Policy {
	for i := range policies {
		if policies[i].Enabled && policies[i].Conditions.Match(f) {
			return &policies[i]
		}
	}
	return nil
}

// Target is the policy's limit for a metric at a priority: the
// priority's own, else the one for every priority.
func (p *Policy) Target(metric, priority string) (Target, bool) {
	var general *Target
	for i := range p.Targets {
		t := &p.Targets[i]
		if t.Metric != metric {
			continue
		}
		if t.Priority == priority {
			return *t, true
		}
		if t.Priority == "" {
			general = t
		}
	}
	if general != nil {
		return *general, true
	}
	return Target{}, false
}

// Problem is what is wrong with a policy, with the field at fault.
type Problem struct {
	Field   string
	Message string
}

func (p *Problem) Error() string { return p.Field + ": " + p.Message }

func problem(field, format string, args ...any) *Problem {
	return &Problem{Field: field, Message: fmt.Sprintf(format, args...)}
}

// Validate checks a policy's shape (not whether its ids exist: the store
// does); the error is a *Problem naming the field.
func (p *Policy) Validate() error {
	p.Name = strings.TrimSpace(p.Name)
	if p.Name == "" || utf8.RuneCountInString(p.Name) > 100 {
		return problem("name", "name must be 1 to 100 characters")
	}
	c := p.Conditions
	if n := len(c.DepartmentIDs) + len(c.Priorities) + len(c.InboxIDs) + len(c.TagIDs); n > MaxConditions {
		return problem("conditions", "at most %d conditions", MaxConditions)
	}
	for i, pr := range c.Priorities {
		if conversation.PriorityRank(pr) < 0 {
			return problem(fmt.Sprintf("conditions.priorities[%d]", i), "%q is not one of %v", pr, conversation.Priorities)
		}
	}
	if a := c.ContactAttribute; a != nil && (a.Key == "" || len(a.Key) > 64) {
		return problem("conditions.contact_attribute.key", "key must be 1 to 64 characters")
	}
	if len(p.Targets) == 0 || len(p.Targets) > MaxTargets {
		return problem("targets", "give 1 to %d targets", MaxTargets)
	}
	seen := map[string]bool{}
	for i, t := range p.Targets {
		field := fmt.Sprintf("targets[%d]", i)
		if !slices.Contains(Metrics, t.Metric) {
			return problem(field+".metric", "%q is not one of %v", t.Metric, Metrics)
		}
		if t.Priority != "" && conversation.PriorityRank(t.Priority) < 0 {
			return problem(field+".priority", "%q is not one of %v (or empty: every priority)", t.Priority, conversation.Priorities)
		}
		if t.Seconds < 1 || t.Seconds > MaxTarget {
			return problem(field+".seconds", "seconds must be 1 to %d", MaxTarget)
		}
		key := t.Metric + "/" + t.Priority
		if seen[key] {
			return problem(field, "a second %s target for %s", t.Metric, orEvery(t.Priority))
		}
		seen[key] = true
	}
	if p.WarnAtPercent < 0 || p.WarnAtPercent > 99 {
		return problem("warn_at_percent", "warn_at_percent must be 1 to 99, or 0 for no warning")
	}
	if len(p.Ladder) > MaxSteps {
		return problem("ladder", "at most %d steps", MaxSteps)
	}
	for i, s := range p.Ladder {
		field := fmt.Sprintf("ladder[%d]", i)
		if !slices.Contains(Metrics, s.Metric) {
			return problem(field+".metric", "%q is not one of %v", s.Metric, Metrics)
		}
		if s.At != AtWarning && s.At != AtBreach {
			return problem(field+".at", `at must be "warning" or "breach"`)
		}
		if s.At == AtWarning && p.WarnAtPercent == 0 {
			return problem(field+".at", "the policy has no warning (warn_at_percent is 0)")
		}
		if s.AfterSeconds < 0 || s.AfterSeconds > MaxTarget || (s.AfterSeconds > 0 && s.At != AtBreach) {
			return problem(field+".after_seconds", "after_seconds counts from the breach: 0 to %d", MaxTarget)
		}
		if len(s.Actions) == 0 || len(s.Actions) > 5 {
			return problem(field+".actions", "give 1 to 5 actions")
		}
		for j, a := range s.Actions {
			af := fmt.Sprintf("%s.actions[%d]", field, j)
			if !slices.Contains(actions, a.Kind) {
				return problem(af+".kind", "%q is not one of %v", a.Kind, actions)
			}
			if a.Kind == ActionRaisePriority && conversation.PriorityRank(a.Priority) < 0 {
				return problem(af+".priority", "raise_priority needs a priority, one of %v", conversation.Priorities)
			}
			if a.Kind == ActionMoveDepartment && a.DepartmentID == nil {
				return problem(af+".department_id", "move_department needs a department_id")
			}
		}
	}
	return nil
}

func orEvery(priority string) string {
	if priority == "" {
		return "every priority"
	}
	return priority
}
