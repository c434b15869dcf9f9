package flow

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

var testCtx = ValidationContext{Departments: func(id string) bool { return id == supportDept || id == billingDept }}

// allKindsJSON is a valid flow that uses every kind of node.
const allKindsJSON = `{"start": "hello", "fallback_limit": 3, "fallback_handoff": {"note": "stuck at {{last_input}}"}, "nodes": [
  {"id": "hello", "kind": "message", "name": "Greeting", "text": "Hi {{visitor.name}}", "next": "online"},
  {"id": "online", "kind": "department_online", "department_id": "` + supportDept + `", "yes": "hours", "no": "bye"},
  {"id": "hours", "kind": "business_hours", "department_id": "` + supportDept + `", "yes": "ask", "no": "bye"},
  {"id": "ask", "kind": "question", "text": "Order number?", "answer": "number", "save_as": "order", "store": "conversation",
   "retry_text": "{{last_input}} is not a number", "max_retries": 2, "next": "lookup", "fallback": "bye"},
  {"id": "lookup", "kind": "http", "method": "POST", "url": "https://api.example.com/orders/{{order}}", "headers": {"Authorization": "Bearer t"},
   "body": "{\"order\": {{order}}, \"who\": \"{{visitor.name}}\"}", "timeout_ms": 2000, "retries": 1,
   "map": [{"variable": "status", "path": "order.status"}], "next": "check", "failure": "sorry"},
  {"id": "check", "kind": "branch", "conditions": [
    {"variable": "status", "op": "equals", "value": "shipped", "next": "shipped"},
    {"variable": "status", "op": "matches", "value": "^pend", "next": "pause"}], "else": "sorry"},
  {"id": "shipped", "kind": "set", "variable": "outcome", "value": "shipped {{status}}", "next": "bye"},
  {"id": "pause", "kind": "wait", "duration_ms": 60000, "next": "topic", "timeout": "bye"},
  {"id": "topic", "kind": "keywords", "routes": [{"phrases": ["agent"], "next": "human"}], "fallback": "again"},
  {"id": "again", "kind": "jump", "to": "ask"},
  {"id": "sorry", "kind": "message", "text": "Sorry", "next": "human"},
  {"id": "human", "kind": "handoff", "department_id": "` + supportDept + `", "priority": "urgent", "note": "order {{order}}"},
  {"id": "bye", "kind": "end"}
]}`

func TestValidateAcceptsValidFlows(t *testing.T) {
	require.Empty(t, demoFlow(t).Validate(testCtx))
	require.Empty(t, mustParse(t, allKindsJSON).Validate(testCtx))
	require.Empty(t, mustParse(t, allKindsJSON).Validate(ValidationContext{}))
}

// nodes builds a flow document starting at the first node.
func nodes(ns ...string) string {
	start := ""
	if len(ns) > 0 {
		start = strings.SplitN(strings.SplitN(ns[0], `"id": "`, 2)[1], `"`, 2)[0]
	}
	return `{"start": "` + start + `", "nodes": [` + strings.Join(ns, ",") + `]}`
}

const endNode = `{"id": "z", "kind": "end"}`

func TestValidateProblems(t *testing.T) {
	type p = [3]string // node, field, code
	for _, tc := range []struct {
		name string
		doc  string
		want []p
	}{
		{"no start", `{"nodes": [` + endNode + `]}`, []p{{"", "start", CodeMissingStart}}},
		{"start names no node", `{"start": "nope", "nodes": [` + endNode + `]}`, []p{{"", "start", CodeMissingStart}}},
		{"empty flow", `{}`, []p{{"", "start", CodeMissingStart}}},
		{"unknown kind", nodes(`{"id": "a", "kind": "gif"}`), []p{{"a", "kind", CodeUnknownKind}}},
		{"missing kind", nodes(`{"id": "a"}`), []p{{"a", "kind", CodeMissingField}}},
		{"missing id", nodes(endNode, `{"kind": "end"}`), []p{{"", "", CodeUnreachableNode}, {"", "id", CodeMissingField}}},
		{"bad id", nodes(`{"id": "a b", "kind": "end"}`), []p{{"a b", "id", CodeInvalidField}}},
		{"long id", nodes(`{"id": "` + strings.Repeat("a", 65) + `", "kind": "end"}`), []p{{strings.Repeat("a", 65), "id", CodeInvalidField}}},
		{"duplicate id", nodes(`{"id": "a", "kind": "message", "text": "1"}`, `{"id": "a", "kind": "end"}`), []p{{"a", "id", CodeDuplicateID}}},
		{"long name", nodes(`{"id": "a", "kind": "end", "name": "` + strings.Repeat("n", 101) + `"}`), []p{{"a", "name", CodeInvalidField}}},
		{"field of another kind", nodes(`{"id": "a", "kind": "message", "text": "hi", "yes": "z", "answer": "text"}`, endNode),
			[]p{{"a", "answer", CodeInvalidField}, {"a", "yes", CodeInvalidField}, {"z", "", CodeUnreachableNode}}},

		{"message without text", nodes(`{"id": "a", "kind": "message"}`), []p{{"a", "text", CodeMissingField}}},
		{"message quick replies", nodes(`{"id": "a", "kind": "message", "text": "t", "quick_replies": ["1","2","3","4","5","6","7","8","9","10","11"]}`),
			[]p{{"a", "quick_replies", CodeInvalidField}}},
		{"message quick reply too long", nodes(`{"id": "a", "kind": "message", "text": "t", "quick_replies": ["ok", "` + strings.Repeat("x", 41) + `", " "]}`),
			[]p{{"a", "quick_replies[1]", CodeInvalidField}, {"a", "quick_replies[2]", CodeInvalidField}}},
		{"message with a bad placeholder", nodes(`{"id": "a", "kind": "message", "text": "Hi {{Name}}"}`), []p{{"a", "text", CodeInvalidField}}},

		{"question without anything", nodes(`{"id": "a", "kind": "question"}`),
			[]p{{"a", "answer", CodeMissingField}, {"a", "next", CodeNoWayOut}, {"a", "save_as", CodeMissingField}, {"a", "text", CodeMissingField}}},
		{"question with bad fields", nodes(`{"id": "a", "kind": "question", "text": "t", "answer": "colour", "save_as": "Email", "store": "crm", "max_retries": 11, "next": "z"}`, endNode),
			[]p{{"a", "answer", CodeInvalidField}, {"a", "max_retries", CodeInvalidField}, {"a", "save_as", CodeInvalidField}, {"a", "store", CodeInvalidField}}},
		{"choice question without choices", nodes(`{"id": "a", "kind": "question", "text": "t", "answer": "choice", "save_as": "c", "next": "z"}`, endNode),
			[]p{{"a", "choices", CodeMissingField}}},
		{"choice question with one choice", nodes(`{"id": "a", "kind": "question", "text": "t", "answer": "choice", "choices": ["x"], "save_as": "c", "next": "z"}`, endNode),
			[]p{{"a", "choices", CodeInvalidField}}},
		{"choice question with bad choices", nodes(`{"id": "a", "kind": "question", "text": "t", "answer": "choice", "choices": ["Yes", "yes!", "2", ""], "save_as": "c", "next": "z"}`, endNode),
			[]p{{"a", "choices[1]", CodeInvalidField}, {"a", "choices[2]", CodeInvalidField}, {"a", "choices[3]", CodeInvalidField}}},
		{"choices on a text question", nodes(`{"id": "a", "kind": "question", "text": "t", "answer": "text", "choices": ["a", "b"], "save_as": "c", "next": "z"}`, endNode),
			[]p{{"a", "choices", CodeInvalidField}}},

		{"set without variable", nodes(`{"id": "a", "kind": "set", "value": "1", "next": "z"}`, endNode), []p{{"a", "variable", CodeMissingField}}},
		{"set with a bad variable", nodes(`{"id": "a", "kind": "set", "variable": "1x", "next": "z"}`, endNode), []p{{"a", "variable", CodeInvalidField}}},
		{"set without next", nodes(`{"id": "a", "kind": "set", "variable": "x"}`), []p{{"a", "next", CodeNoWayOut}}},

		{"branch without conditions", nodes(`{"id": "a", "kind": "branch", "else": "z"}`, endNode), []p{{"a", "conditions", CodeMissingField}}},
		{"branch with bad conditions", nodes(`{"id": "a", "kind": "branch", "conditions": [
			{"variable": "visitor.name", "op": "like", "value": "x", "next": "z"},
			{"variable": "visitor.name", "op": "matches", "value": "(", "next": "z"},
			{"variable": "visitor.name", "op": "greater", "value": "ten", "next": "z"},
			{"variable": "visitor.name", "op": "is_set", "value": "x", "next": "z"},
			{"variable": "visitor.name", "next": "z"},
			{"variable": "visitor.name", "op": "equals", "value": "x"}]}`, endNode),
			[]p{{"a", "conditions[0].op", CodeInvalidField}, {"a", "conditions[1].value", CodeInvalidField}, {"a", "conditions[2].value", CodeInvalidField},
				{"a", "conditions[3].value", CodeInvalidField}, {"a", "conditions[4].op", CodeMissingField}, {"a", "conditions[5].next", CodeNoWayOut}, {"a", "else", CodeNoWayOut}}},

		{"keywords without routes", nodes(`{"id": "a", "kind": "keywords", "fallback": "z"}`, endNode), []p{{"a", "routes", CodeMissingField}}},
		{"keywords with bad routes", nodes(`{"id": "a", "kind": "keywords", "routes": [{"next": "z"}, {"phrases": ["ok", "?!"], "next": "nowhere"}]}`, endNode),
			[]p{{"a", "fallback", CodeNoWayOut}, {"a", "routes[0].phrases", CodeMissingField}, {"a", "routes[1].next", CodeEdgeToMissingNode}, {"a", "routes[1].phrases[1]", CodeInvalidField}}},

		{"http without anything", nodes(`{"id": "a", "kind": "http"}`),
			[]p{{"a", "failure", CodeNoWayOut}, {"a", "method", CodeMissingField}, {"a", "next", CodeNoWayOut}, {"a", "url", CodeMissingField}}},
		{"http with bad fields", nodes(`{"id": "a", "kind": "http", "method": "get", "url": "ftp://x.test", "headers": {"Bad Name": "1", "X-Ok": "a\nb"},
			"body": "{\"a\": }", "timeout_ms": 30001, "retries": 6, "map": [{"variable": "X", "path": "a..b"}, {"variable": "y"}], "next": "z", "failure": "z"}`, endNode),
			[]p{{"a", "body", CodeInvalidField}, {"a", "headers.Bad Name", CodeInvalidField}, {"a", "headers.X-Ok", CodeInvalidField},
				{"a", "map[0].path", CodeInvalidField}, {"a", "map[0].variable", CodeInvalidField}, {"a", "map[1].path", CodeMissingField},
				{"a", "method", CodeInvalidField}, {"a", "retries", CodeInvalidField}, {"a", "timeout_ms", CodeInvalidField}, {"a", "url", CodeInvalidField}}},
		{"http url template without a host", nodes(`{"id": "a", "kind": "set", "variable": "base", "value": "https://x.test", "next": "b"}`,
			`{"id": "b", "kind": "http", "method": "GET", "url": "{{base}}/orders", "next": "z", "failure": "z"}`, endNode),
			[]p{{"b", "url", CodeInvalidField}}},

		{"department check without department", nodes(`{"id": "a", "kind": "department_online", "yes": "z", "no": "z"}`, endNode),
			[]p{{"a", "department_id", CodeMissingField}}},
		{"department check with a bad id", nodes(`{"id": "a", "kind": "business_hours", "department_id": "sales", "yes": "z", "no": "z"}`, endNode),
			[]p{{"a", "department_id", CodeInvalidField}}},
		{"department check with a non-canonical id", nodes(`{"id": "a", "kind": "business_hours", "department_id": "{`+supportDept+`}", "yes": "z", "no": "z"}`, endNode),
			[]p{{"a", "department_id", CodeInvalidField}}},
		{"department check with an unknown department", nodes(`{"id": "a", "kind": "department_online", "department_id": "33333333-3333-4333-8333-333333333333", "yes": "z"}`, endNode),
			[]p{{"a", "department_id", CodeMissingDepartment}, {"a", "no", CodeNoWayOut}}},
		{"business hours without yes", nodes(`{"id": "a", "kind": "business_hours", "department_id": "`+supportDept+`", "no": "z"}`, endNode),
			[]p{{"a", "yes", CodeNoWayOut}}},

		{"wait without duration", nodes(`{"id": "a", "kind": "wait", "next": "z", "timeout": "z"}`, endNode), []p{{"a", "duration_ms", CodeMissingField}}},
		{"wait too short", nodes(`{"id": "a", "kind": "wait", "duration_ms": 999, "next": "z", "timeout": "z"}`, endNode), []p{{"a", "duration_ms", CodeInvalidField}}},
		{"wait too long", nodes(`{"id": "a", "kind": "wait", "duration_ms": 604800001, "next": "z", "timeout": "z"}`, endNode), []p{{"a", "duration_ms", CodeInvalidField}}},
		{"wait without edges", nodes(`{"id": "a", "kind": "wait", "duration_ms": 604800000}`), []p{{"a", "next", CodeNoWayOut}, {"a", "timeout", CodeNoWayOut}}},

		{"handoff with bad fields", nodes(`{"id": "a", "kind": "handoff", "department_id": "nope", "priority": "asap", "note": "{{ }}"}`),
			[]p{{"a", "department_id", CodeInvalidField}, {"a", "note", CodeInvalidField}, {"a", "priority", CodeInvalidField}}},
		{"handoff to an unknown department", nodes(`{"id": "a", "kind": "handoff", "department_id": "33333333-3333-4333-8333-333333333333"}`),
			[]p{{"a", "department_id", CodeMissingDepartment}}},

		{"jump without to", nodes(`{"id": "a", "kind": "jump"}`), []p{{"a", "to", CodeMissingField}}},
		{"jump to a missing node", nodes(`{"id": "a", "kind": "jump", "to": "b"}`), []p{{"a", "to", CodeEdgeToMissingNode}}},
		{"message to a missing node", nodes(`{"id": "a", "kind": "message", "text": "t", "next": "b"}`), []p{{"a", "next", CodeEdgeToMissingNode}}},

		{"unreachable nodes", nodes(`{"id": "a", "kind": "message", "text": "t"}`, `{"id": "b", "kind": "message", "text": "t", "next": "c"}`, `{"id": "c", "kind": "end"}`),
			[]p{{"b", "", CodeUnreachableNode}, {"c", "", CodeUnreachableNode}}},

		{"loop of messages", nodes(`{"id": "a", "kind": "message", "text": "t", "next": "b"}`, `{"id": "b", "kind": "set", "variable": "x", "next": "c"}`,
			`{"id": "c", "kind": "jump", "to": "b"}`),
			[]p{{"b", "", CodeLoopWithoutInput}}},
		{"jump to itself", nodes(`{"id": "a", "kind": "jump", "to": "a"}`), []p{{"a", "", CodeLoopWithoutInput}}},
		{"loop through http", nodes(`{"id": "a", "kind": "http", "method": "GET", "url": "https://x.test", "next": "z", "failure": "a"}`, endNode),
			[]p{{"a", "", CodeLoopWithoutInput}}},
		{"loop broken by a question", nodes(`{"id": "a", "kind": "question", "text": "t", "answer": "text", "save_as": "x", "next": "b"}`,
			`{"id": "b", "kind": "message", "text": "t", "next": "a"}`), nil},
		{"loop broken by a wait", nodes(`{"id": "a", "kind": "wait", "duration_ms": 1000, "next": "z", "timeout": "b"}`,
			`{"id": "b", "kind": "message", "text": "t", "next": "a"}`, endNode), nil},

		{"variable never set", nodes(`{"id": "a", "kind": "message", "text": "Order {{order}}"}`), []p{{"a", "text", CodeVariableNotSet}}},
		{"last_input before any input", nodes(`{"id": "a", "kind": "message", "text": "You said {{ last_input }}"}`), []p{{"a", "text", CodeVariableNotSet}}},
		{"variable set on one branch only", nodes(
			`{"id": "a", "kind": "branch", "conditions": [{"variable": "visitor.name", "op": "equals", "value": "x", "next": "b"}], "else": "c"}`,
			`{"id": "b", "kind": "set", "variable": "greeting", "value": "hi", "next": "c"}`,
			`{"id": "c", "kind": "handoff", "note": "{{greeting}} {{visitor.email}}"}`),
			[]p{{"c", "note", CodeVariableNotSet}}},
		{"variable set on every branch", nodes(
			`{"id": "a", "kind": "branch", "conditions": [{"variable": "visitor.name", "op": "equals", "value": "x", "next": "b"}], "else": "d"}`,
			`{"id": "b", "kind": "set", "variable": "greeting", "value": "hi", "next": "c"}`,
			`{"id": "d", "kind": "set", "variable": "greeting", "value": "hello", "next": "c"}`,
			`{"id": "c", "kind": "handoff", "note": "{{greeting}}"}`), nil},
		{"is_set proves the variable on its edge", nodes(
			`{"id": "a", "kind": "branch", "conditions": [{"variable": "order", "op": "is_set", "next": "b"}], "else": "z"}`,
			`{"id": "b", "kind": "message", "text": "Order {{order}}"}`, endNode), nil},
		{"not_set proves the variable on later edges", nodes(
			`{"id": "a", "kind": "branch", "conditions": [{"variable": "order", "op": "not_set", "next": "z"}, {"variable": "order", "op": "equals", "value": "1", "next": "b"}], "else": "b"}`,
			`{"id": "b", "kind": "message", "text": "Order {{order}}"}`, endNode), nil},
		{"condition reads an unset variable", nodes(
			`{"id": "a", "kind": "branch", "conditions": [{"variable": "order", "op": "equals", "value": "{{code}}", "next": "z"}], "else": "z"}`, endNode),
			[]p{{"a", "conditions[0].value", CodeVariableNotSet}, {"a", "conditions[0].variable", CodeVariableNotSet}}},
		{"http map sets variables on next only", nodes(
			`{"id": "a", "kind": "http", "method": "GET", "url": "https://x.test/{{visitor.email}}", "map": [{"variable": "plan", "path": "plan"}], "next": "b", "failure": "c"}`,
			`{"id": "b", "kind": "message", "text": "Plan {{plan}}"}`,
			`{"id": "c", "kind": "message", "text": "Plan {{plan}}"}`),
			[]p{{"c", "text", CodeVariableNotSet}}},
		{"http fields read unset variables", nodes(
			`{"id": "a", "kind": "http", "method": "POST", "url": "https://x.test/{{a}}", "headers": {"X-Key": "{{b}}"}, "body": "{\"c\": \"{{c}}\"}", "next": "z", "failure": "z"}`, endNode),
			[]p{{"a", "body", CodeVariableNotSet}, {"a", "headers.X-Key", CodeVariableNotSet}, {"a", "url", CodeVariableNotSet}}},
		{"question answer is set on next only", nodes(
			`{"id": "a", "kind": "question", "text": "t", "answer": "email", "save_as": "email", "max_retries": 1, "next": "b", "fallback": "c"}`,
			`{"id": "b", "kind": "message", "text": "{{email}} {{last_input}}"}`,
			`{"id": "c", "kind": "message", "text": "{{email}} {{last_input}}"}`),
			[]p{{"c", "text", CodeVariableNotSet}}},
		{"question text reads its own answer", nodes(`{"id": "a", "kind": "question", "text": "{{x}}?", "retry_text": "{{x}} {{last_input}}", "answer": "text", "save_as": "x", "next": "z"}`, endNode),
			[]p{{"a", "retry_text", CodeVariableNotSet}, {"a", "text", CodeVariableNotSet}}},
		{"keywords set last_input", nodes(`{"id": "a", "kind": "keywords", "routes": [{"phrases": ["x"], "next": "b"}], "fallback": "b"}`,
			`{"id": "b", "kind": "handoff", "note": "{{last_input}}"}`), nil},

		{"flow-level problems", `{"start": "z", "fallback_limit": 11, "fallback_handoff": {"department_id": "x", "priority": "p", "note": "{{nope}}"}, "nodes": [` + endNode + `]}`,
			[]p{{"", "fallback_handoff.department_id", CodeInvalidField}, {"", "fallback_handoff.priority", CodeInvalidField}, {"", "fallback_limit", CodeInvalidField}}},
		{"negative fallback limit", `{"start": "z", "fallback_limit": -1, "nodes": [` + endNode + `]}`, []p{{"", "fallback_limit", CodeInvalidField}}},
		{"fallback to an unknown department", `{"start": "z", "fallback_handoff": {"department_id": "33333333-3333-4333-8333-333333333333"}, "nodes": [` + endNode + `]}`,
			[]p{{"", "fallback_handoff.department_id", CodeMissingDepartment}}},
		{"fallback note reads what is not set where it fires", `{"start": "a", "fallback_handoff": {"note": "{{last_input}} {{x}} {{y}}"}, "nodes": [
			{"id": "a", "kind": "set", "variable": "x", "value": "1", "next": "b"},
			{"id": "b", "kind": "keywords", "routes": [{"phrases": ["x"], "next": "c"}], "fallback": "c"},
			{"id": "c", "kind": "set", "variable": "y", "value": "1", "next": "d"},
			{"id": "d", "kind": "keywords", "routes": [{"phrases": ["x"], "next": "z"}], "fallback": "z"},` + endNode + `]}`,
			[]p{{"", "fallback_handoff.note", CodeVariableNotSet}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := mustParse(t, tc.doc)
			var got []p
			for _, pr := range f.Validate(testCtx) {
				require.NotEmpty(t, pr.Message)
				got = append(got, p{pr.Node, pr.Field, pr.Code})
			}
			require.Equal(t, tc.want, got)
		})
	}
}

func TestValidateTooManyNodes(t *testing.T) {
	var ns []string
	for i := range MaxNodes + 1 {
		next := fmt.Sprintf(`, "next": "n%d"`, i+1)
		if i == MaxNodes {
			next = ""
		}
		ns = append(ns, fmt.Sprintf(`{"id": "n%d", "kind": "message", "text": "t"%s}`, i, next))
	}
	f := mustParse(t, nodes(ns...))
	require.Equal(t, []Problem{{Field: "nodes", Code: CodeTooManyNodes, Message: "a flow has at most 500 nodes, this one has 501"}}, f.Validate(testCtx))
	f.Nodes = f.Nodes[1:]
	f.Start = "n1"
	require.Empty(t, f.Validate(testCtx))
}

func TestValidateNilFlow(t *testing.T) {
	var f *Flow
	require.Equal(t, []Problem{{Field: "start", Code: CodeMissingStart, Message: "start must name a node"}}, f.Validate(ValidationContext{}))
}

func TestValidateProblemMessages(t *testing.T) {
	f := mustParse(t, nodes(`{"id": "a", "kind": "message", "text": "Order {{order}}", "next": "b"}`))
	require.Equal(t, []Problem{
		{Node: "a", Field: "next", Code: CodeEdgeToMissingNode, Message: `no node has the id "b"`},
		{Node: "a", Field: "text", Code: CodeVariableNotSet, Message: "order may not be set when the flow gets here"},
	}, f.Validate(testCtx))
}
