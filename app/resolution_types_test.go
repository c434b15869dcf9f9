package app_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func resolutionTypes(t *testing.T, r map[string]any) (offered, archived []string) {
	t.Helper()
	for _, x := range r["resolution_types"].([]any) {
		rt := x.(map[string]any)
		if rt["archived"].(bool) {
			archived = append(archived, rt["key"].(string)+"="+rt["name"].(string))
		} else {
			offered = append(offered, rt["key"].(string)+"="+rt["name"].(string))
		}
	}
	return offered, archived
}

// TestResolutionTypes: a workspace starts with the default types; an admin
// renames, reorders, adds and removes them; a conversation is resolved
// only with an offered type (400 naming the field otherwise), and one
// resolved with a type since removed still names it.
func TestResolutionTypes(t *testing.T) {
	t.Parallel()
	ws := env.NewWorkspace(t)
	admin := env.Login(t, env.NewOperator(t, ws, "admin"))
	v := env.Visitor(t, ws)
	b := bundle{op: env.Login(t, env.NewOperator(t, ws, "operator")), visitor: v, convID: v.StartConversation("hello")}
	offered, archived := resolutionTypes(t, b.op.Must(http.StatusOK, "GET", "/api/v1/resolution-types", nil).Body)
	require.Equal(t, []string{"answered_question=Answered question", "action_taken=Action taken", "not_a_problem=Not a problem",
		"spam=Spam", "duplicate=Duplicate"}, offered)
	require.Empty(t, archived)

	b.op.Must(http.StatusOK, "POST", b.path("/claim"), nil)
	bad := b.op.Must(http.StatusBadRequest, "POST", b.path("/resolve"), map[string]string{"resolution": "solved"})
	require.Equal(t, "resolution", bad.ErrorField())
	require.Contains(t, string(bad.Raw), "answered_question")
	r := b.op.Must(http.StatusOK, "POST", b.path("/resolve"), map[string]string{"resolution": "action_taken", "notes": "refunded"})
	require.Equal(t, "action_taken", convBody(r)["resolution"])

	// Non-admins do not change the list.
	list := map[string]any{"resolution_types": []map[string]string{
		{"key": "spam", "name": "Junk"}, {"name": "Refund issued"}, {"key": "answered_question", "name": "Answered"},
	}}
	b.op.Must(http.StatusForbidden, "PUT", "/api/v1/resolution-types", list)
	got := admin.Must(http.StatusOK, "PUT", "/api/v1/resolution-types", list).Body
	offered, archived = resolutionTypes(t, got)
	require.Equal(t, []string{"spam=Junk", "refund_issued=Refund issued", "answered_question=Answered"}, offered)
	require.ElementsMatch(t, []string{"action_taken=Action taken", "not_a_problem=Not a problem", "duplicate=Duplicate"}, archived)

	// The conversation resolved with a removed type keeps it; reopened, it
	// can no longer be resolved with it, only with an offered one.
	require.Equal(t, "action_taken", convBody(b.op.Must(http.StatusOK, "GET", b.path(""), nil))["resolution"])
	b.op.Must(http.StatusOK, "POST", b.path("/reopen"), nil)
	require.Eventually(t, func() bool {
		return convBody(b.op.Must(http.StatusOK, "GET", b.path(""), nil))["status"] == "open"
	}, 5*time.Second, 20*time.Millisecond)
	b.op.Must(http.StatusBadRequest, "POST", b.path("/resolve"), map[string]string{"resolution": "action_taken"})
	b.op.Must(http.StatusOK, "POST", b.path("/resolve"), map[string]string{"resolution": "refund_issued"})

	// Offering a removed type again brings it back under its key.
	got = admin.Must(http.StatusOK, "PUT", "/api/v1/resolution-types", map[string]any{"resolution_types": []map[string]string{
		{"name": "Action taken"}, {"key": "spam", "name": "Spam"},
	}}).Body
	offered, _ = resolutionTypes(t, got)
	require.Equal(t, []string{"action_taken=Action taken", "spam=Spam"}, offered)

	// Bad lists are 400s naming the field and change nothing.
	for _, c := range []struct {
		body  any
		field string
	}{
		{map[string]any{"resolution_types": []map[string]string{}}, "resolution_types"},
		{map[string]any{"resolution_types": []map[string]string{{"name": "  "}}}, "resolution_types[0].name"},
		{map[string]any{"resolution_types": []map[string]string{{"name": "A"}, {"name": "a"}}}, "resolution_types[1].name"},
		{map[string]any{"resolution_types": []map[string]string{{"key": "Bad Key", "name": "B"}}}, "resolution_types[0].key"},
		{map[string]any{"resolution_types": []map[string]string{{"key": "x", "name": "B"}, {"key": "x", "name": "C"}}}, "resolution_types[1].key"},
	} {
		r := admin.Must(http.StatusBadRequest, "PUT", "/api/v1/resolution-types", c.body)
		require.Equal(t, c.field, r.ErrorField(), string(r.Raw))
	}
	offered, _ = resolutionTypes(t, admin.Must(http.StatusOK, "GET", "/api/v1/resolution-types", nil).Body)
	require.Equal(t, []string{"action_taken=Action taken", "spam=Spam"}, offered)
}

// TestConversationTimes: a conversation records when people got it, when
// it was first assigned and first answered, and how long each took; a
// later assignment or reply changes none of them.
func TestConversationTimes(t *testing.T) {
	t.Parallel()
	b := setup(t)
	times := func() map[string]any {
		return convBody(b.op.Must(http.StatusOK, "GET", b.path(""), nil))["times"].(map[string]any)
	}
	tm := times()
	require.NotNil(t, tm["handed_off_at"], "a conversation without a bot is people's from the start")
	require.Nil(t, tm["first_assigned_at"])
	require.Nil(t, tm["wait_seconds"])

	time.Sleep(300 * time.Millisecond)
	b.op.Must(http.StatusOK, "POST", b.path("/claim"), nil)
	tm = times()
	require.NotNil(t, tm["first_assigned_at"])
	require.GreaterOrEqual(t, tm["wait_seconds"].(float64), 0.3)
	require.Nil(t, tm["first_response_seconds"], "no operator has written yet")

	b.visitor.Must(http.StatusCreated, "POST", "/api/v1/widget/conversations/"+b.convID+"/messages", map[string]string{"body": "still there?"})
	require.Nil(t, times()["first_response_at"], "the customer's message is no response")
	b.op.Must(http.StatusCreated, "POST", b.path("/messages"), map[string]string{"body": "Yes, looking now."})
	tm = times()
	first := tm["first_response_at"]
	require.NotNil(t, first)
	require.GreaterOrEqual(t, tm["first_response_seconds"].(float64), tm["wait_seconds"].(float64))
	b.op.Must(http.StatusCreated, "POST", b.path("/messages"), map[string]string{"body": "Found it."})
	require.Equal(t, first, times()["first_response_at"], "the first reply stays the first")

	b.op.Must(http.StatusOK, "POST", b.path("/resolve"), map[string]string{"resolution": "answered_question"})
	tm = times()
	require.NotNil(t, tm["handle_seconds"])
	require.GreaterOrEqual(t, tm["handle_seconds"].(float64), 0.0)
}
