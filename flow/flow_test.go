package flow

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const (
	supportDept = "11111111-1111-4111-8111-111111111111"
	billingDept = "22222222-2222-4222-8222-222222222222"
)

// demoJSON is the flow the product demo uses: greet, ask an email for the
// contact, route billing and refund questions, and hand off to support
// when the visitor is not understood twice in a row.
const demoJSON = `{
  "start": "greet",
  "fallback_handoff": {"department_id": "` + supportDept + `", "priority": "high", "note": "The bot did not understand: {{last_input}}"},
  "nodes": [
    {"id": "greet", "kind": "message", "text": "Hi {{ visitor.name }}! I'm the Switchboard bot.", "next": "ask_email"},
    {"id": "ask_email", "kind": "question", "text": "What's your email?", "answer": "email", "save_as": "email", "store": "contact", "next": "topic_prompt"},
    {"id": "topic_prompt", "kind": "message", "text": "Thanks {{email}}! Is it about billing or a refund?", "quick_replies": ["Billing", "Refund"], "next": "topic"},
    {"id": "topic", "kind": "keywords", "routes": [
      {"phrases": ["billing", "invoice"], "next": "billing"},
      {"phrases": ["refund", "money back"], "next": "refund"}
    ], "fallback": "topic_help"},
    {"id": "topic_help", "kind": "message", "text": "Sorry, I can help with billing or refunds.", "next": "topic"},
    {"id": "billing", "kind": "handoff", "department_id": "` + billingDept + `", "priority": "normal", "note": "Billing question from {{email}}"},
    {"id": "refund", "kind": "message", "text": "Refunds take 5 days.", "next": "done"},
    {"id": "done", "kind": "end"}
  ]
}`

func demoFlow(t testing.TB) *Flow {
	t.Helper()
	f, err := Parse([]byte(demoJSON))
	require.NoError(t, err)
	return f
}

func mustParse(t testing.TB, doc string) *Flow {
	t.Helper()
	f, err := Parse([]byte(doc))
	require.NoError(t, err)
	return f
}

// roundTrip encodes v and decodes it into a new value of the same type.
func roundTrip[T any](t testing.TB, v T) T {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	var back T
	require.NoError(t, json.Unmarshal(b, &back))
	return back
}

func TestParse(t *testing.T) {
	f := demoFlow(t)
	require.Equal(t, "greet", f.Start)
	require.Len(t, f.Nodes, 8)
	require.Equal(t, []Route{{Phrases: []string{"billing", "invoice"}, Next: "billing"}, {Phrases: []string{"refund", "money back"}, Next: "refund"}}, f.Nodes[3].Routes)
	require.Equal(t, &Handoff{DepartmentID: supportDept, Priority: "high", Note: "The bot did not understand: {{last_input}}"}, f.Fallback)
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name, doc, code, path, msg string
	}{
		{"syntax", `{"start": `, CodeInvalidJSON, "", "unexpected EOF"},
		{"unknown top-level field", `{"start": "a", "nodez": []}`, CodeInvalidJSON, "", `unknown field "nodez"`},
		{"unknown node field", `{"start": "a", "nodes": [{"id": "a", "kind": "end"}, {"id": "b", "kind": "message", "txt": "hi"}]}`, CodeInvalidJSON, "nodes[1]", `unknown field "txt"`},
		{"unknown fallback field", `{"fallback_handoff": {"dept": "x"}}`, CodeInvalidJSON, "", `unknown field "dept"`},
		{"wrong type in a node", `{"nodes": [{"id": "a", "kind": "question", "max_retries": "two"}]}`, CodeInvalidJSON, "nodes[0].max_retries", "expected int"},
		{"wrong type deep in a node", `{"nodes": [{"id": "a", "routes": [{"phrases": [1]}]}]}`, CodeInvalidJSON, "nodes[0].routes.phrases", "expected string"},
		{"wrong top-level type", `{"fallback_limit": "2"}`, CodeInvalidJSON, "fallback_limit", "expected int"},
		{"not an object", `[1, 2]`, CodeInvalidJSON, "", "cannot unmarshal"},
		{"trailing data", `{"start": "a"} {"start": "b"}`, CodeInvalidJSON, "", "after the document"},
		{"too large", `{"start": "` + strings.Repeat("a", MaxDocumentSize) + `"}`, CodeTooLarge, "", "more than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.doc))
			var pe *ParseError
			require.ErrorAs(t, err, &pe)
			require.Equal(t, tc.code, pe.Code)
			require.Equal(t, tc.path, pe.Path)
			require.Contains(t, pe.Message, tc.msg)
			require.Equal(t, Problem{Field: tc.path, Code: tc.code, Message: pe.Message}, pe.Problem())
		})
	}
}

func TestParseAcceptsNull(t *testing.T) {
	f, err := Parse([]byte(`null`))
	require.NoError(t, err)
	require.Equal(t, &Flow{}, f)
}

// A parsed flow re-encodes to a document that parses to the same flow,
// even when the original spelled out empty lists.
func TestFlowRoundTrip(t *testing.T) {
	for _, doc := range []string{
		demoJSON,
		`{"start": "a", "nodes": [{"id": "a", "kind": "message", "text": "x", "quick_replies": [], "headers": {}, "routes": [{"phrases": [], "next": "b"}]}]}`,
	} {
		f := mustParse(t, doc)
		require.Equal(t, f, roundTrip(t, f))
		b, err := json.Marshal(f)
		require.NoError(t, err)
		again, err := Parse(b)
		require.NoError(t, err)
		require.Equal(t, f, again)
	}
}
