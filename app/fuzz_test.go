package app_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboardhq/switchboard/systest"
)

// FuzzConversationInputs posts arbitrary bodies to every JSON input of a
// conversation, from the widget and from the inbox, against the real
// server: no input may produce a 5xx, and a rejected one changes nothing.
func FuzzConversationInputs(f *testing.F) {
	ws := env.NewWorkspace(f)
	op := env.Login(f, env.NewOperator(f, ws, "owner"))
	visitor := env.Visitor(f, ws)
	conv := visitor.StartConversation("fuzz me")
	inbox := "/api/v1/conversations/" + conv
	widget := "/api/v1/widget/conversations/" + conv
	targets := []struct {
		client *systest.Client
		path   string
	}{
		{visitor, "/api/v1/widget/conversations"},
		{visitor, widget + "/messages"},
		{op, inbox + "/messages"},
		{op, inbox + "/assign"},
		{op, inbox + "/snooze"},
		{op, inbox + "/resolve"},
		{op, inbox + "/transfer"},
	}
	for _, seed := range []string{
		`{"body":"hello","idempotency_key":"k1"}`,
		`{"message":"hi","subject":"s"}`,
		`{"until":"2999-01-01T00:00:00Z"}`, `{"until_reply":true}`, `{"until":"yesterday"}`,
		`{"resolution":"answered_question","notes":"n"}`, `{"resolution":"answered_question","notes":` + `"` + strings.Repeat("n", 6000) + `"}`,
		`{"assignee_id":null}`, `{"assignee_id":"00000000-0000-0000-0000-000000000000"}`,
		`{"department_id":"x"}`, `{"body":"\ud800"}`, `{"body":"` + strings.Repeat("é", 10001) + `"}`,
		`{}`, `[]`, `null`, `{`, `{"body":1e999}`,
	} {
		for i := range targets {
			f.Add(i, seed)
		}
	}
	f.Fuzz(func(t *testing.T, target int, body string) {
		if target < 0 || target >= len(targets) {
			t.Skip()
		}
		tg := targets[target]
		r := tg.client.For(t).Do("POST", tg.path, body)
		require.Less(t, r.Status, 500, "%s %q: %s", tg.path, body, r.Raw)
		if r.Status >= 400 {
			require.NotEmpty(t, r.ErrorCode(), "error body for %s: %s", tg.path, r.Raw)
		}
	})
	// Whatever was accepted, the conversation still answers.
	op.Must(http.StatusOK, "GET", inbox, nil)
}
