// Package routing decides which department a new conversation (or one the
// bot hands to people without naming a department) goes to: an inbox's
// rules, in order, the first that matches wins; none: the inbox's default.
// Pure: the conversation's workflow gathers the input and records the
// rule that matched.
package routing

import (
	"strings"

	"github.com/google/uuid"

	"github.com/switchboardhq/switchboard/keywords"
)

// Kinds of rules.
const (
	// Keywords: the customer's first message holds one of Phrases.
	Keywords = "keywords"
	// Field: a form answer or flow variable named Field equals Value
	// (ignoring case and surrounding space).
	Field = "field"
	// VisitorChoice: the visitor picked a department in the widget; the
	// conversation goes there.
	VisitorChoice = "visitor_choice"
	// Always: every conversation of the inbox (a catch-all, or an inbox
	// that belongs to one department).
	Always = "always"
)

// Kinds lists the kinds of rules.
var Kinds = []string{Keywords, Field, VisitorChoice, Always}

// Rule is one routing rule of an inbox.
type Rule struct {
	ID   uuid.UUID
	Name string
	Kind string
	// Phrases (Keywords) are normalized as keywords.Normalize does.
	Phrases []string
	// Field and Value (Field).
	Field, Value string
	// DepartmentID is where a match goes; unused for VisitorChoice.
	DepartmentID *uuid.UUID
}

// Input is what rules are judged on.
type Input struct {
	FirstMessage string
	// Fields are the conversation's form answers and flow variables.
	Fields map[string]string
	// Choice is the department the visitor picked, if any.
	Choice *uuid.UUID
}

// Evaluate returns the first rule that matches and the department it
// routes to; nil when none does (the inbox's default applies).
func Evaluate(rules []Rule, in Input) (*Rule, *uuid.UUID) {
	var text keywords.Text
	textReady := false
	for i := range rules {
		r := &rules[i]
		switch r.Kind {
		case Keywords:
			if !textReady {
				text, textReady = keywords.NewText(in.FirstMessage), true
			}
			if text.ContainsAny(r.Phrases) && r.DepartmentID != nil {
				return r, r.DepartmentID
			}
		case Field:
			v, ok := in.Fields[r.Field]
			if ok && r.DepartmentID != nil && strings.EqualFold(strings.TrimSpace(v), strings.TrimSpace(r.Value)) {
				return r, r.DepartmentID
			}
		case VisitorChoice:
			if in.Choice != nil {
				return r, in.Choice
			}
		case Always:
			if r.DepartmentID != nil {
				return r, r.DepartmentID
			}
		}
	}
	return nil, nil
}
