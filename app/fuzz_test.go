package app_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboardhq/switchboard/systest"
)

// FuzzConversationInputs posts arbitrary bodies to every JSON input of a
// conversation, from the widget and from the inbox, and to those of notes,
// tags, contacts and service levels, against the real server: no input
// may produce a 5xx, and a rejected one changes nothing.
func FuzzConversationInputs(f *testing.F) {
	ws := env.NewWorkspace(f)
	op := env.Login(f, env.NewOperator(f, ws, "owner"))
	visitor := env.Visitor(f, ws)
	conv := visitor.StartConversation("fuzz me")
	inbox := "/api/v1/conversations/" + conv
	widget := "/api/v1/widget/conversations/" + conv
	note := op.Must(http.StatusCreated, "POST", inbox+"/notes", map[string]string{"body": "a note"}).Body["note"].(map[string]any)["id"].(string)
	tag := op.Must(http.StatusCreated, "POST", "/api/v1/tags", map[string]string{"name": "fuzzed"}).Body["tag"].(map[string]any)["id"].(string)
	contact := op.Must(http.StatusCreated, "POST", "/api/v1/contacts", map[string]string{"name": "Fuzzy"}).Body["contact"].(map[string]any)["id"].(string)
	targets := []struct {
		client       *systest.Client
		method, path string
	}{
		{visitor, "POST", "/api/v1/widget/conversations"},
		{visitor, "POST", widget + "/messages"},
		{op, "POST", inbox + "/messages"},
		{op, "POST", inbox + "/assign"},
		{op, "POST", inbox + "/snooze"},
		{op, "POST", inbox + "/resolve"},
		{op, "POST", inbox + "/transfer"},
		{op, "POST", inbox + "/notes"},
		{op, "PATCH", inbox + "/notes/" + note},
		{op, "POST", "/api/v1/tags"},
		{op, "PATCH", "/api/v1/tags/" + tag},
		{op, "POST", "/api/v1/tags/" + tag + "/merge"},
		{op, "POST", "/api/v1/contacts"},
		{op, "POST", "/api/v1/contacts/" + contact + "/comments"},
		{op, "PATCH", "/api/v1/contacts/" + contact},
		{op, "POST", "/api/v1/contacts/" + contact + "/merge"},
		{op, "PUT", "/api/v1/contact-attributes"},
		{op, "PUT", "/api/v1/sla-policies"},
		{op, "PUT", "/api/v1/business-hours"},
		{op, "POST", "/api/v1/sla/what-if"},
	}
	for _, seed := range []string{
		`{"body":"hello","idempotency_key":"k1"}`,
		`{"message":"hi","subject":"s"}`,
		`{"until":"2999-01-01T00:00:00Z"}`, `{"until_reply":true}`, `{"until":"yesterday"}`,
		`{"resolution":"answered_question","notes":"n"}`, `{"resolution":"answered_question","notes":` + `"` + strings.Repeat("n", 6000) + `"}`,
		`{"assignee_id":null}`, `{"assignee_id":"00000000-0000-0000-0000-000000000000"}`,
		`{"department_id":"x"}`, `{"body":"\ud800"}`, `{"body":"` + strings.Repeat("é", 10001) + `"}`,
		`{}`, `[]`, `null`, `{`, `{"body":1e999}`,
		`{"body":"@Op owner look","mentions":["00000000-0000-0000-0000-000000000000"]}`, `{"body":"x","mentions":[1]}`,
		`{"name":"VIP","color":"#ABCDEF"}`, `{"name":"` + strings.Repeat("t", 51) + `"}`, `{"into_id":"` + "00000000-0000-0000-0000-000000000000" + `"}`,
		`{"name":"Ada","email":"ada@example.com","phone":"+44 1","attributes":{"plan":"x"}}`, `{"external_id":""}`, `{"from_id":"00000000-0000-0000-0000-000000000000"}`,
		`{"attributes":[{"key":"plan","name":"Plan","type":"text"}]}`, `{"attributes":[{"key":"Plan!","name":"","type":"colour"}]}`,
		`{"policies":[{"name":"p","enabled":true,"targets":[{"metric":"first_response","seconds":60}]}]}`, `{"policies":[{"targets":[{"seconds":-1}]}]}`,
		`{"business_hours":{"time_zone":"UTC","hours":[{"days":["mon"],"from":"09:00","to":"17:00"}]}}`, `{"business_hours":{"time_zone":"Nowhere/Else","hours":[]}}`, `{"business_hours":null}`,
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
		r := tg.client.For(t).Do(tg.method, tg.path, body)
		require.Less(t, r.Status, 500, "%s %q: %s", tg.path, body, r.Raw)
		if r.Status >= 400 {
			require.NotEmpty(t, r.ErrorCode(), "error body for %s: %s", tg.path, r.Raw)
		}
	})
	// Whatever was accepted, the conversation still answers.
	op.Must(http.StatusOK, "GET", inbox, nil)
}
