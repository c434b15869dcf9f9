package app_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboardhq/switchboard/systest"
)

// TestKeywordRuleRaisesPriority: an admin's rule, matched on the hot path,
// raises the priority of the conversation whose customer wrote the phrase
// (the first message of a new conversation, or a later one), and the event
// log says which rule did it. A rule never lowers a priority.
func TestKeywordRuleRaisesPriority(t *testing.T) {
	t.Parallel()
	ws := env.NewWorkspace(t)
	admin := env.Login(t, env.NewOperator(t, ws, "admin"))
	urgent := admin.Must(http.StatusCreated, "POST", "/api/v1/keyword-rules", map[string]any{
		"name": "Cancellations", "phrases": []string{"Cancel my subscription", "RÉSILIER"}, "priority": "urgent",
	}).Body["keyword_rule"].(map[string]any)
	require.Equal(t, []any{"cancel my subscription", "resilier"}, urgent["phrases"], "phrases are stored as they are matched")
	require.EqualValues(t, 0, urgent["position"])
	admin.Must(http.StatusCreated, "POST", "/api/v1/keyword-rules", map[string]any{
		"name": "Refunds", "phrases": []string{"refund"}, "priority": "high",
	})
	sock := admin.Dial()

	v := env.Visitor(t, ws)
	first := v.StartConversation("Hi! I want to cancel my subscription, now.")
	sock.WaitFor(5*time.Second, "priority raised", systest.Updated(first, "open", "priority_changed"))
	got := admin.Must(http.StatusOK, "GET", "/api/v1/conversations/"+first, nil)
	require.Equal(t, "urgent", convBody(got)["priority"])
	events := got.Body["events"].([]any)
	last := events[len(events)-1].(map[string]any)
	require.Equal(t, "keyword_rule", last["reason"])
	require.Equal(t, urgent["id"], last["data"].(map[string]any)["keyword_rule_id"])

	// A later message matching a lower rule changes nothing; a plain one
	// is no keyword signal at all.
	v.Must(http.StatusCreated, "POST", "/api/v1/widget/conversations/"+first+"/messages", map[string]string{"body": "and a refund"})
	second := v.StartConversation("hello")
	v.Must(http.StatusCreated, "POST", "/api/v1/widget/conversations/"+second+"/messages", map[string]string{"body": "I'd like a REFUND."})
	sock.WaitFor(5*time.Second, "second raised", systest.Updated(second, "open", "priority_changed"))
	require.Equal(t, "high", convBody(admin.Must(http.StatusOK, "GET", "/api/v1/conversations/"+second, nil))["priority"])
	require.Equal(t, "urgent", convBody(admin.Must(http.StatusOK, "GET", "/api/v1/conversations/"+first, nil))["priority"])

	// Disabled, a rule matches nothing (the node that disabled it forgets
	// its cached set at once).
	admin.Must(http.StatusOK, "PATCH", "/api/v1/keyword-rules/"+urgent["id"].(string), map[string]any{
		"name": "Cancellations", "phrases": []string{"cancel my subscription"}, "priority": "urgent", "enabled": false,
	})
	third := v.StartConversation("please cancel my subscription")
	v.Must(http.StatusCreated, "POST", "/api/v1/widget/conversations/"+third+"/messages", map[string]string{"body": "hello?"})
	require.Never(t, func() bool {
		return convBody(admin.Must(http.StatusOK, "GET", "/api/v1/conversations/"+third, nil))["priority"] != "normal"
	}, time.Second, 100*time.Millisecond)
}

// TestPriorityCommand: an operator sets a conversation's priority; the same
// priority again conflicts; a wrong one is a 400 naming the field.
func TestPriorityCommand(t *testing.T) {
	t.Parallel()
	b := setup(t)
	r := b.op.Must(http.StatusOK, "POST", b.path("/priority"), map[string]string{"priority": "high"})
	require.Equal(t, "high", convBody(r)["priority"])
	b.op.Must(http.StatusConflict, "POST", b.path("/priority"), map[string]string{"priority": "high"})
	bad := b.op.Must(http.StatusBadRequest, "POST", b.path("/priority"), map[string]string{"priority": "asap"})
	require.Equal(t, "priority", bad.ErrorField())
	events := b.op.Must(http.StatusOK, "GET", b.path("/events"), nil).Body["events"].([]any)
	require.Equal(t, "priority_changed", events[len(events)-1].(map[string]any)["type"])
}

// TestKeywordRulesInput: bad rules are 400s naming the field (422 for a
// department of another workspace), change nothing, and only admins
// write or read rules.
func TestKeywordRulesInput(t *testing.T) {
	t.Parallel()
	ws := env.NewWorkspace(t)
	admin := env.Login(t, env.NewOperator(t, ws, "admin"))
	other := env.NewWorkspace(t)
	otherAdmin := env.Login(t, env.NewOperator(t, other, "admin"))
	foreign := otherAdmin.Must(http.StatusCreated, "POST", "/api/v1/departments", map[string]string{"name": "Theirs"}).Body["department"].(map[string]any)["id"]
	ok := map[string]any{"name": "R", "phrases": []string{"refund"}, "priority": "high"}
	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for kk, vv := range ok {
			m[kk] = vv
		}
		m[k] = v
		return m
	}
	long := make([]string, 51)
	for i := range long {
		long[i] = "x"
	}
	for _, c := range []struct {
		body   map[string]any
		status int
		field  string
	}{
		{with("name", ""), http.StatusBadRequest, "name"},
		{with("phrases", []string{}), http.StatusBadRequest, "phrases"},
		{with("phrases", []string{"!!!"}), http.StatusBadRequest, "phrases"},
		{with("phrases", long), http.StatusBadRequest, "phrases"},
		{with("priority", "low"), http.StatusBadRequest, "priority"},
		{with("department_id", "nope"), http.StatusBadRequest, "department_id"},
		{with("department_id", foreign), http.StatusUnprocessableEntity, "department_id"},
		{with("position", -1), http.StatusBadRequest, "position"},
		{with("bogus", 1), http.StatusBadRequest, "bogus"},
	} {
		r := admin.Must(c.status, "POST", "/api/v1/keyword-rules", c.body)
		require.Equal(t, c.field, r.ErrorField(), "%v", c.body)
	}
	require.Empty(t, admin.Must(http.StatusOK, "GET", "/api/v1/keyword-rules", nil).Body["keyword_rules"])

	operator := env.Login(t, env.NewOperator(t, ws, "operator"))
	operator.Must(http.StatusForbidden, "POST", "/api/v1/keyword-rules", ok)
	operator.Must(http.StatusForbidden, "GET", "/api/v1/keyword-rules", nil)
	rule := admin.Must(http.StatusCreated, "POST", "/api/v1/keyword-rules", ok).Body["keyword_rule"].(map[string]any)
	otherAdmin.Must(http.StatusNotFound, "GET", "/api/v1/keyword-rules/"+rule["id"].(string), nil)
	otherAdmin.Must(http.StatusNotFound, "DELETE", "/api/v1/keyword-rules/"+rule["id"].(string), nil)
	admin.Must(http.StatusNoContent, "DELETE", "/api/v1/keyword-rules/"+rule["id"].(string), nil)
	admin.Must(http.StatusNotFound, "DELETE", "/api/v1/keyword-rules/"+rule["id"].(string), nil)
}
