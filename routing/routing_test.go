package routing

import (
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
)

func TestFirstMatchWins(t *testing.T) {
	billing, sales, support, picked := uuid.New(), uuid.New(), uuid.New(), uuid.New()
	rules := []Rule{
		{Name: "refunds", Kind: Keywords, Phrases: []string{"refund", "money back"}, DepartmentID: &billing},
		{Name: "plan", Kind: Field, Field: "plan", Value: "Enterprise", DepartmentID: &sales},
		{Name: "choice", Kind: VisitorChoice},
		{Name: "rest", Kind: Always, DepartmentID: &support},
	}
	for _, tc := range []struct {
		name string
		in   Input
		rule string
		dept uuid.UUID
	}{
		{"keyword", Input{FirstMessage: "I want my MONEY back!", Fields: map[string]string{"plan": "enterprise"}}, "refunds", billing},
		{"field, any case", Input{FirstMessage: "hello", Fields: map[string]string{"plan": " enterprise "}}, "plan", sales},
		{"visitor's choice", Input{FirstMessage: "hello", Choice: &picked}, "choice", picked},
		{"catch-all", Input{FirstMessage: "refunded?"}, "rest", support},
	} {
		r, d := Evaluate(rules, tc.in)
		if assert.NotNil(t, r, tc.name) {
			assert.Equal(t, tc.rule, r.Name, tc.name)
			assert.Equal(t, tc.dept, *d, tc.name)
		}
	}
	r, d := Evaluate(rules[:3], Input{FirstMessage: "hi"})
	assert.Nil(t, r)
	assert.Nil(t, d)
}
