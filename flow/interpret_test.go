package flow

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func msg(text string) Input { return Input{Kind: InputMessage, Text: text} }

func reply(text string, quick ...string) Effect {
	if len(quick) == 0 {
		quick = nil
	}
	return Effect{Kind: EffectReply, Text: text, QuickReplies: quick}
}

func hops(pairs ...string) []Hop {
	var out []Hop
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, Hop{Node: pairs[i], Edge: pairs[i+1]})
	}
	return out
}

var endEffect = Effect{Kind: EffectEnd}

var ada = map[string]string{"visitor.name": "Ada", "visitor.email": "ada@example.com"}

// timerNow stands for the token of the timer the state awaits.
const timerNow = "<current>"

type step struct {
	in   Input // the zero Input means Start
	want Output
}

// play runs steps against a flow, checking every output, and returns the
// final state.
func play(t *testing.T, f *Flow, vars map[string]string, opt Options, steps []step) State {
	t.Helper()
	var st State
	for i, s := range steps {
		var out Output
		if i == 0 {
			require.Zero(t, s.in, "the first step is Start")
			st, out = Start(f, vars, opt)
		} else {
			if s.in.Kind == InputTimer && s.in.Token == timerNow {
				s.in.Token = st.Token
			}
			st, out = Step(f, st, s.in, opt)
		}
		require.Equal(t, s.want, out, "step %d", i)
		require.Equal(t, out.Await, st.Await, "step %d", i)
		require.Equal(t, st, roundTrip(t, st), "step %d", i)
		require.Equal(t, out, roundTrip(t, out), "step %d", i)
	}
	return st
}

func TestNodeKinds(t *testing.T) {
	for _, tc := range []struct {
		name  string
		doc   string
		steps []step
		vars  map[string]string // of the final state, when given
	}{
		{"message (unvalidated: it reads an unset variable)", nodes(`{"id": "a", "kind": "message", "text": "Hi {{visitor.name}}", "quick_replies": ["Yes", "No"], "next": "b"}`,
			`{"id": "b", "kind": "message", "text": "Bye{{nobody}}"}`),
			[]step{{want: Output{Effects: []Effect{reply("Hi Ada", "Yes", "No"), reply("Bye"), endEffect}, Hops: hops("a", "next", "b", "end"), Await: AwaitDone}}}, nil},
		{"question stores the answer", nodes(`{"id": "q", "kind": "question", "text": "Colour?", "answer": "text", "save_as": "colour", "store": "conversation", "next": "z"}`, endNode),
			[]step{
				{want: Output{Effects: []Effect{reply("Colour?")}, Await: AwaitInput}},
				{in: msg("  blue "), want: Output{Effects: []Effect{{Kind: EffectSetField, Scope: StoreConversation, Key: "colour", Value: "blue"}, endEffect},
					Hops: hops("q", "next", "z", "end"), Await: AwaitDone}},
			}, map[string]string{"visitor.name": "Ada", "visitor.email": "ada@example.com", "colour": "blue", "last_input": "blue"}},
		{"question re-asks, then takes fallback", `{"start": "q", "fallback_limit": 5, "nodes": [
			{"id": "q", "kind": "question", "text": "Age?", "answer": "number", "save_as": "age", "next": "z", "fallback": "f"},
			{"id": "f", "kind": "message", "text": "Never mind ({{last_input}})"}, ` + endNode + `]}`,
			[]step{
				{want: Output{Effects: []Effect{reply("Age?")}, Await: AwaitInput}},
				{in: msg("old"), want: Output{Effects: []Effect{reply("Sorry, I didn't get that. Age?")}, Await: AwaitInput}},
				{in: msg("very old"), want: Output{Effects: []Effect{reply("Never mind (very old)"), endEffect}, Hops: hops("q", "fallback", "f", "end"), Await: AwaitDone}},
			}, nil},
		{"question retry text and choices", nodes(`{"id": "q", "kind": "question", "text": "Size?", "answer": "choice", "choices": ["Small", "Large"], "save_as": "size",
			"retry_text": "{{last_input}}? Pick one.", "max_retries": 1, "next": "z"}`, endNode),
			[]step{
				{want: Output{Effects: []Effect{reply("Size?", "Small", "Large")}, Await: AwaitInput}},
				{in: msg("huge"), want: Output{Effects: []Effect{reply("huge? Pick one.", "Small", "Large")}, Await: AwaitInput}},
				{in: msg("2"), want: Output{Effects: []Effect{endEffect}, Hops: hops("q", "next", "z", "end"), Await: AwaitDone}},
			}, map[string]string{"visitor.name": "Ada", "visitor.email": "ada@example.com", "size": "Large", "last_input": "2"}},
		{"question without fallback re-asks until the fallback limit", `{"start": "q", "fallback_limit": 3, "nodes": [
			{"id": "q", "kind": "question", "text": "Date?", "answer": "date", "save_as": "d", "max_retries": 1, "next": "z"}, ` + endNode + `]}`,
			[]step{
				{want: Output{Effects: []Effect{reply("Date?")}, Await: AwaitInput}},
				{in: msg("soon"), want: Output{Effects: []Effect{reply("Sorry, I didn't get that. Date?")}, Await: AwaitInput}},
				{in: msg("later"), want: Output{Effects: []Effect{reply("Sorry, I didn't get that. Date?")}, Await: AwaitInput}},
				{in: msg("never"), want: Output{Effects: []Effect{{Kind: EffectHandoff, Reason: ReasonFallback,
					Variables: []Var{{"last_input", "never"}, {"visitor.email", "ada@example.com"}, {"visitor.name", "Ada"}}, Path: []string{"q"}}},
					Hops: hops("q", "handoff"), Await: AwaitHandedOff}},
			}, nil},
		{"set", nodes(`{"id": "s", "kind": "set", "variable": "greeting", "value": "Hello {{visitor.name}}", "next": "m"}`,
			`{"id": "m", "kind": "message", "text": "{{greeting}}!"}`),
			[]step{{want: Output{Effects: []Effect{reply("Hello Ada!"), endEffect}, Hops: hops("s", "next", "m", "end"), Await: AwaitDone}}},
			map[string]string{"visitor.name": "Ada", "visitor.email": "ada@example.com", "greeting": "Hello Ada"}},
		{"branch takes the first true condition", nodes(`{"id": "s", "kind": "set", "variable": "domain", "value": "example.c.m", "next": "b"}`,
			`{"id": "b", "kind": "branch", "conditions": [
			{"variable": "visitor.name", "op": "equals", "value": "bob", "next": "z"},
			{"variable": "visitor.email", "op": "matches", "value": "@{{domain}}$", "next": "z"},
			{"variable": "visitor.email", "op": "contains", "value": "EXAMPLE", "next": "z"},
			{"variable": "visitor.name", "op": "is_set", "next": "z"}], "else": "z"}`, endNode),
			[]step{{want: Output{Effects: []Effect{endEffect}, Hops: hops("s", "next", "b", "conditions[2]", "z", "end"), Await: AwaitDone}}}, nil},
		{"branch else", nodes(`{"id": "b", "kind": "branch", "conditions": [{"variable": "visitor.name", "op": "greater", "value": "3", "next": "z"}], "else": "m"}`,
			`{"id": "m", "kind": "message", "text": "else"}`, endNode),
			[]step{{want: Output{Effects: []Effect{reply("else"), endEffect}, Hops: hops("b", "else", "m", "end"), Await: AwaitDone}}}, nil},
		{"keywords route", nodes(`{"id": "k", "kind": "keywords", "routes": [{"phrases": ["sales"], "next": "z"}, {"phrases": ["support", "help me"], "next": "m"}], "fallback": "z"}`,
			`{"id": "m", "kind": "message", "text": "Support it is"}`, endNode),
			[]step{
				{want: Output{Await: AwaitInput}},
				{in: msg("Please HELP me!"), want: Output{Effects: []Effect{reply("Support it is"), endEffect}, Hops: hops("k", "routes[1]", "m", "end"), Await: AwaitDone}},
			}, map[string]string{"visitor.name": "Ada", "visitor.email": "ada@example.com", "last_input": "Please HELP me!"}},
		{"keywords fallback", nodes(`{"id": "k", "kind": "keywords", "routes": [{"phrases": ["sales"], "next": "z"}], "fallback": "m"}`,
			`{"id": "m", "kind": "message", "text": "Pardon?", "next": "k"}`, endNode),
			[]step{
				{want: Output{Await: AwaitInput}},
				{in: msg("salesman"), want: Output{Effects: []Effect{reply("Pardon?")}, Hops: hops("k", "fallback", "m", "next"), Await: AwaitInput}},
				{in: msg("sales"), want: Output{Effects: []Effect{endEffect}, Hops: hops("k", "routes[0]", "z", "end"), Await: AwaitDone}},
			}, nil},
		{"http", nodes(`{"id": "h", "kind": "http", "method": "GET", "url": "https://api.test/plan?email={{visitor.email}}", "map": [{"variable": "plan", "path": "plan"}], "next": "m", "failure": "z"}`,
			`{"id": "m", "kind": "message", "text": "Plan: {{plan}}"}`, endNode),
			[]step{
				{want: Output{Effects: []Effect{{Kind: EffectHTTP, Node: "h", Method: "GET", URL: "https://api.test/plan?email=ada%40example.com", TimeoutMS: 5000}}, Await: AwaitHTTP}},
				{in: Input{Kind: InputHTTP, Node: "h", Status: 200, Body: []byte(`{"plan": "pro"}`)}, want: Output{Effects: []Effect{reply("Plan: pro"), endEffect}, Hops: hops("h", "next", "m", "end"), Await: AwaitDone}},
			}, map[string]string{"visitor.name": "Ada", "visitor.email": "ada@example.com", "plan": "pro"}},
		{"department online", nodes(`{"id": "d", "kind": "department_online", "department_id": "`+supportDept+`", "yes": "y", "no": "z"}`,
			`{"id": "y", "kind": "message", "text": "Connecting"}`, endNode),
			[]step{
				{want: Output{Effects: []Effect{{Kind: EffectCheckDepartment, Node: "d", DepartmentID: supportDept, What: WhatOnline}}, Await: AwaitDepartment}},
				{in: Input{Kind: InputDepartment, Node: "other", Yes: true}, want: Output{Await: AwaitDepartment}},
				{in: Input{Kind: InputDepartment, Node: "d", Yes: true}, want: Output{Effects: []Effect{reply("Connecting"), endEffect}, Hops: hops("d", "yes", "y", "end"), Await: AwaitDone}},
			}, nil},
		{"business hours", nodes(`{"id": "d", "kind": "business_hours", "department_id": "`+supportDept+`", "yes": "z", "no": "n"}`,
			`{"id": "n", "kind": "message", "text": "We are closed"}`, endNode),
			[]step{
				{want: Output{Effects: []Effect{{Kind: EffectCheckDepartment, Node: "d", DepartmentID: supportDept, What: WhatBusinessHours}}, Await: AwaitDepartment}},
				{in: Input{Kind: InputDepartment, Node: "d"}, want: Output{Effects: []Effect{reply("We are closed"), endEffect}, Hops: hops("d", "no", "n", "end"), Await: AwaitDone}},
			}, nil},
		{"wait", nodes(`{"id": "w", "kind": "wait", "duration_ms": 60000, "next": "z", "timeout": "z"}`, endNode),
			[]step{
				{want: Output{Effects: []Effect{{Kind: EffectStartTimer, Token: "w#1", DurationMS: 60000}}, Await: AwaitTimer}},
				{in: Input{Kind: InputTimer, Token: timerNow}, want: Output{Effects: []Effect{endEffect}, Hops: hops("w", "timeout", "z", "end"), Await: AwaitDone}},
			}, nil},
		{"handoff", nodes(`{"id": "s", "kind": "set", "variable": "topic", "value": "billing", "next": "h"}`,
			`{"id": "h", "kind": "handoff", "department_id": "`+billingDept+`", "priority": "urgent", "note": "{{visitor.name}} asks about {{topic}}"}`),
			[]step{{want: Output{Effects: []Effect{{Kind: EffectHandoff, Reason: ReasonFlow, DepartmentID: billingDept, Priority: PriorityUrgent, Note: "Ada asks about billing",
				Variables: []Var{{"topic", "billing"}, {"visitor.email", "ada@example.com"}, {"visitor.name", "Ada"}}, Path: []string{"s", "h"}}},
				Hops: hops("s", "next", "h", "handoff"), Await: AwaitHandedOff}}}, nil},
		{"end", nodes(endNode), []step{{want: Output{Effects: []Effect{endEffect}, Hops: hops("z", "end"), Await: AwaitDone}}}, nil},
		{"jump", nodes(`{"id": "j", "kind": "jump", "to": "z"}`, endNode),
			[]step{{want: Output{Effects: []Effect{endEffect}, Hops: hops("j", "to", "z", "end"), Await: AwaitDone}}}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := mustParse(t, tc.doc)
			if !strings.Contains(tc.name, "unvalidated") {
				require.Empty(t, f.Validate(testCtx), "the test flows are valid")
			}
			st := play(t, f, ada, Options{}, tc.steps)
			if tc.vars != nil {
				require.Equal(t, tc.vars, st.Variables)
			}
		})
	}
}

// The product demo: greet, ask an email (re-asking an invalid one), route
// the topic, and hand off to support when the visitor is not understood
// twice in a row.
func TestDemoScenario(t *testing.T) {
	f := demoFlow(t)
	st := play(t, f, map[string]string{"visitor.name": "Ada"}, Options{}, []step{
		{want: Output{Effects: []Effect{reply("Hi Ada! I'm the Switchboard bot."), reply("What's your email?")}, Hops: hops("greet", "next"), Await: AwaitInput}},
		{in: msg("ada@"), want: Output{Effects: []Effect{reply("Sorry, I didn't get that. What's your email?")}, Await: AwaitInput}},
		{in: msg(" ada@example.com "), want: Output{Effects: []Effect{
			{Kind: EffectSetField, Scope: StoreContact, Key: "email", Value: "ada@example.com"},
			reply("Thanks ada@example.com! Is it about billing or a refund?", "Billing", "Refund"),
		}, Hops: hops("ask_email", "next", "topic_prompt", "next"), Await: AwaitInput}},
		{in: msg("what is this"), want: Output{Effects: []Effect{reply("Sorry, I can help with billing or refunds.")}, Hops: hops("topic", "fallback", "topic_help", "next"), Await: AwaitInput}},
		{in: msg("asdf"), want: Output{Effects: []Effect{{
			Kind: EffectHandoff, Reason: ReasonFallback, DepartmentID: supportDept, Priority: PriorityHigh, Note: "The bot did not understand: asdf",
			Variables: []Var{{"email", "ada@example.com"}, {"last_input", "asdf"}, {"visitor.email", ""}, {"visitor.name", "Ada"}},
			Path:      []string{"greet", "ask_email", "topic_prompt", "topic", "topic_help", "topic"},
		}}, Hops: hops("topic", "handoff"), Await: AwaitHandedOff}},
	})
	// A handed-off flow ignores everything.
	for _, in := range []Input{msg("billing"), {Kind: InputTimer, Token: "x"}, {Kind: InputHTTP, Node: "topic", Status: 200}} {
		again, out := Step(f, st, in, Options{})
		require.Equal(t, st, again)
		require.Equal(t, Output{Await: AwaitHandedOff}, out)
	}
}

func TestDemoRoutes(t *testing.T) {
	f := demoFlow(t)
	st, _ := Start(f, nil, Options{})
	st, _ = Step(f, st, msg("ada@example.com"), Options{})
	done, out := Step(f, st, msg("Can I get my money back?"), Options{})
	require.Equal(t, Output{Effects: []Effect{reply("Refunds take 5 days."), endEffect}, Hops: hops("topic", "routes[1]", "refund", "next", "done", "end"), Await: AwaitDone}, out)
	require.True(t, done.Finished())
	_, out = Step(f, st, msg("Une question sur ma FACTURE... invoice!"), Options{})
	require.Equal(t, ReasonFlow, out.Effects[0].Reason)
	require.Equal(t, "Billing question from ada@example.com", out.Effects[0].Note)
	require.Equal(t, billingDept, out.Effects[0].DepartmentID)
}

func TestHumanPhrase(t *testing.T) {
	opt := Options{HumanPhrases: []string{"human", "talk to an agent"}}
	wantHandoff := func(node string, path []string, vars []Var) Output {
		return Output{Effects: []Effect{{Kind: EffectHandoff, Reason: ReasonAskedForHuman, DepartmentID: supportDept, Priority: PriorityHigh,
			Variables: vars, Path: path}}, Hops: hops(node, "handoff"), Await: AwaitHandedOff}
	}
	// At a question: the phrase is not taken as an answer.
	f := demoFlow(t)
	st, _ := Start(f, ada, opt)
	_, out := Step(f, st, msg("Can I TALK to an agent?"), opt)
	require.Equal(t, wantHandoff("ask_email", []string{"greet", "ask_email"}, []Var{{"visitor.email", "ada@example.com"}, {"visitor.name", "Ada"}}), out)
	// Words, not substrings.
	_, out = Step(f, st, msg("inhuman"), opt)
	require.Equal(t, AwaitInput, out.Await)

	// While waiting for HTTP or a timer, too.
	f = mustParse(t, httpJSON)
	st, _ = Start(f, ada, opt)
	require.Equal(t, AwaitHTTP, st.Await)
	_, out = Step(f, st, msg("human please"), opt)
	require.Equal(t, ReasonAskedForHuman, out.Effects[0].Reason)
	require.Equal(t, hops("h", "handoff"), out.Hops)

	f = mustParse(t, waitJSON)
	st, _ = Start(f, ada, opt)
	require.Equal(t, AwaitTimer, st.Await)
	st, out = Step(f, st, msg("HUMAN"), opt)
	require.Equal(t, ReasonAskedForHuman, out.Effects[0].Reason)
	require.Empty(t, out.Effects[0].DepartmentID, "no fallback handoff: the inbox decides")
	require.Nil(t, st.Pending)
}

const waitJSON = `{"start": "w", "nodes": [
  {"id": "w", "kind": "wait", "duration_ms": 300000, "next": "q", "timeout": "t"},
  {"id": "q", "kind": "question", "text": "Your email?", "answer": "email", "save_as": "email", "next": "k"},
  {"id": "k", "kind": "keywords", "routes": [{"phrases": ["bye"], "next": "z"}], "fallback": "k2"},
  {"id": "k2", "kind": "message", "text": "Say bye", "next": "k"},
  {"id": "t", "kind": "message", "text": "Still there?"},
  {"id": "z", "kind": "end"}
]}`

func TestWait(t *testing.T) {
	f := mustParse(t, waitJSON)
	require.Empty(t, f.Validate(testCtx))
	start := Output{Effects: []Effect{{Kind: EffectStartTimer, Token: "w#1", DurationMS: 300000}}, Await: AwaitTimer}

	t.Run("a message before the timer answers the next question", func(t *testing.T) {
		st := play(t, f, ada, Options{}, []step{
			{want: start},
			{in: msg("ada@example.com"), want: Output{Effects: []Effect{reply("Your email?")}, Hops: hops("w", "next", "q", "next"), Await: AwaitInput}},
			// The timer fires later: it is stale now.
			{in: Input{Kind: InputTimer, Token: "w#1"}, want: Output{Await: AwaitInput}},
		})
		require.Equal(t, "ada@example.com", st.Variables["email"])
		require.Nil(t, st.Pending)
	})
	t.Run("the timeout edge", func(t *testing.T) {
		play(t, f, ada, Options{}, []step{
			{want: start},
			{in: Input{Kind: InputTimer, Token: "w#1"}, want: Output{Effects: []Effect{reply("Still there?"), endEffect}, Hops: hops("w", "timeout", "t", "end"), Await: AwaitDone}},
		})
	})
	t.Run("a stale token is ignored", func(t *testing.T) {
		st, _ := Start(f, ada, Options{})
		for _, token := range []string{"w#0", "", "w#2"} {
			again, out := Step(f, st, Input{Kind: InputTimer, Token: token}, Options{})
			require.Equal(t, st, again)
			require.Equal(t, Output{Await: AwaitTimer}, out)
		}
	})
	t.Run("an invalid pending answer is re-asked", func(t *testing.T) {
		play(t, f, ada, Options{}, []step{
			{want: start},
			{in: msg("hello?"), want: Output{Effects: []Effect{reply("Your email?"), reply("Sorry, I didn't get that. Your email?")}, Hops: hops("w", "next"), Await: AwaitInput}},
		})
	})
}

// A message queued during an HTTP call lets the first wait pass and is
// consumed by the next node that takes input; a second wait on the way
// starts its timer.
func TestPendingInput(t *testing.T) {
	f := mustParse(t, `{"start": "h", "nodes": [
	  {"id": "h", "kind": "http", "method": "GET", "url": "https://api.test/x", "next": "w1", "failure": "w1"},
	  {"id": "w1", "kind": "wait", "duration_ms": 1000, "next": "w2", "timeout": "z"},
	  {"id": "w2", "kind": "wait", "duration_ms": 2000, "next": "k", "timeout": "k"},
	  {"id": "k", "kind": "keywords", "routes": [{"phrases": ["refund"], "next": "z"}], "fallback": "z"},
	  {"id": "z", "kind": "end"}]}`)
	require.Empty(t, f.Validate(testCtx))
	httpCall := Effect{Kind: EffectHTTP, Node: "h", Method: "GET", URL: "https://api.test/x", TimeoutMS: 5000}
	st := play(t, f, ada, Options{}, []step{
		{want: Output{Effects: []Effect{httpCall}, Await: AwaitHTTP}},
		{in: msg("first"), want: Output{Await: AwaitHTTP}},
		{in: msg("refund"), want: Output{Await: AwaitHTTP}},
		{in: Input{Kind: InputHTTP, Node: "h", Status: 204}, want: Output{Effects: []Effect{{Kind: EffectStartTimer, Token: "w2#1", DurationMS: 2000}},
			Hops: hops("h", "next", "w1", "next"), Await: AwaitTimer}},
	})
	require.Equal(t, "refund", *st.Pending, "the newest message wins")
	// The timer goes off: the keywords node consumes the queued message.
	st, out := Step(f, st, Input{Kind: InputTimer, Token: "w2#1"}, Options{})
	require.Equal(t, Output{Effects: []Effect{endEffect}, Hops: hops("w2", "timeout", "k", "routes[0]", "z", "end"), Await: AwaitDone}, out)
	require.Equal(t, "refund", st.Variables["last_input"])
}

const httpJSON = `{"start": "h", "nodes": [
  {"id": "h", "kind": "http", "method": "POST", "url": "https://api.test/orders/{{order}}?by={{visitor.name}}",
   "headers": {"X-Email": "{{visitor.email}}", "Accept": "application/json"}, "body": "{\"note\": \"{{note}}\"}", "timeout_ms": 2000, "retries": 2,
   "map": [{"variable": "status", "path": "order.status"}, {"variable": "first", "path": "order.items.0.name"}], "next": "ok", "failure": "ko"},
  {"id": "ok", "kind": "message", "text": "Order {{status}}: {{first}}"},
  {"id": "ko", "kind": "message", "text": "Lookup failed"}
]}`

func TestHTTP(t *testing.T) {
	f := mustParse(t, httpJSON)
	vars := map[string]string{"visitor.name": "Ada L", "visitor.email": "ada@example.com", "order": "A/1", "note": `said "hi"`}
	call := Output{Effects: []Effect{{Kind: EffectHTTP, Node: "h", Method: "POST", URL: "https://api.test/orders/A%2F1?by=Ada%20L",
		Headers: map[string]string{"X-Email": "ada@example.com", "Accept": "application/json"}, Body: `{"note": "said \"hi\""}`, TimeoutMS: 2000, Retries: 2}}, Await: AwaitHTTP}
	failed := Output{Effects: []Effect{reply("Lookup failed"), endEffect}, Hops: hops("h", "failure", "ko", "end"), Await: AwaitDone}
	answer := func(status int, body, err string) Input {
		return Input{Kind: InputHTTP, Node: "h", Status: status, Body: []byte(body), Err: err}
	}
	good := `{"order": {"status": "shipped", "items": [{"name": "Tea"}]}}`

	st := play(t, f, vars, Options{}, []step{{want: call}})
	for _, tc := range []struct {
		name string
		in   Input
		want Output
	}{
		{"success maps variables", answer(200, good, ""), Output{Effects: []Effect{reply("Order shipped: Tea"), endEffect}, Hops: hops("h", "next", "ok", "end"), Await: AwaitDone}},
		{"any 2xx", answer(201, good, ""), Output{Effects: []Effect{reply("Order shipped: Tea"), endEffect}, Hops: hops("h", "next", "ok", "end"), Await: AwaitDone}},
		{"non-2xx", answer(404, good, ""), failed},
		{"3xx", answer(302, good, ""), failed},
		{"transport error", answer(0, "", "timeout"), failed},
		{"error despite a status", answer(200, good, "truncated"), failed},
		{"missing path", answer(200, `{"order": {"status": "shipped", "items": []}}`, ""), failed},
		{"not JSON", answer(200, `<html>`, ""), failed},
		{"two JSON values", answer(200, good+good, ""), failed},
		{"another node's result", Input{Kind: InputHTTP, Node: "ok", Status: 200, Body: []byte(good)}, Output{Await: AwaitHTTP}},
		{"a department answer", Input{Kind: InputDepartment, Node: "h", Yes: true}, Output{Await: AwaitHTTP}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			next, out := Step(f, st, tc.in, Options{})
			require.Equal(t, tc.want, out)
			if tc.want.Hops == nil {
				require.Equal(t, st, next)
			}
			if len(tc.want.Hops) > 0 && tc.want.Hops[0].Edge == "failure" {
				require.NotContains(t, next.Variables, "status", "a failed call sets nothing")
			}
		})
	}

	t.Run("a url that does not render to a URL fails without a call", func(t *testing.T) {
		f := mustParse(t, strings.Replace(httpJSON, `https://api.test/orders/{{order}}`, `{{order}}`, 1))
		_, out := Start(f, vars, Options{})
		require.Equal(t, failed, out)
	})
	t.Run("a body that does not render to JSON fails without a call", func(t *testing.T) {
		f := mustParse(t, strings.Replace(httpJSON, `\"{{note}}\"`, `{{note}}`, 1))
		_, out := Start(f, vars, Options{})
		require.Equal(t, failed, out)
		_, out = Start(f, map[string]string{"note": "12"}, Options{})
		require.Equal(t, `{"note": 12}`, out.Effects[0].Body)
	})
	t.Run("a map without a body fails", func(t *testing.T) {
		_, out := Step(f, st, answer(200, "", ""), Options{})
		require.Equal(t, failed, out)
	})
	t.Run("no map needs no body", func(t *testing.T) {
		f := mustParse(t, strings.Replace(httpJSON, `"map": [{"variable": "status", "path": "order.status"}, {"variable": "first", "path": "order.items.0.name"}], `, ``, 1))
		st, _ := Start(f, vars, Options{})
		_, out := Step(f, st, answer(204, "", ""), Options{})
		require.Equal(t, hops("h", "next", "ok", "end"), out.Hops)
	})
}

func TestIgnoredInputs(t *testing.T) {
	f := demoFlow(t)
	st, _ := Start(f, ada, Options{})
	for _, in := range []Input{
		{Kind: InputTimer, Token: "x"},
		{Kind: InputHTTP, Node: "ask_email", Status: 200},
		{Kind: InputDepartment, Node: "ask_email", Yes: true},
		{Kind: "bogus", Text: "hi"},
		{},
	} {
		again, out := Step(f, st, in, Options{})
		require.Equal(t, st, again, "%+v", in)
		require.Equal(t, Output{Await: AwaitInput}, out)
	}
	// A state that was never started ignores everything too.
	again, out := Step(f, State{}, msg("hi"), Options{})
	require.Equal(t, State{}, again)
	require.Equal(t, Output{}, out)
}

// Flows saved before validation (or without it) hand off with reason
// error instead of looping or getting stuck.
func TestDefenceInDepth(t *testing.T) {
	errorHandoff := func(t *testing.T, out Output) {
		t.Helper()
		require.Equal(t, AwaitHandedOff, out.Await)
		last := out.Effects[len(out.Effects)-1]
		require.Equal(t, EffectHandoff, last.Kind)
		require.Equal(t, ReasonError, last.Reason)
	}
	t.Run("the step cap", func(t *testing.T) {
		f := mustParse(t, nodes(`{"id": "a", "kind": "message", "text": "spam", "next": "b"}`, `{"id": "b", "kind": "jump", "to": "a"}`))
		st, out := Start(f, nil, Options{})
		errorHandoff(t, out)
		require.Len(t, out.Hops, MaxVisits)
		require.Len(t, out.Effects, MaxVisits/2+1)
		require.Len(t, st.Path, MaxPath)
		require.Equal(t, out.Effects[len(out.Effects)-1].Path, st.Path)
	})
	t.Run("an edge to a missing node", func(t *testing.T) {
		f := mustParse(t, nodes(`{"id": "a", "kind": "message", "text": "hi", "next": "gone"}`))
		st, out := Start(f, nil, Options{})
		errorHandoff(t, out)
		require.Equal(t, hops("a", "next"), out.Hops)
		require.Equal(t, "gone", st.Node)
	})
	t.Run("a missing start", func(t *testing.T) {
		_, out := Start(&Flow{Start: "x"}, nil, Options{})
		errorHandoff(t, out)
		_, out = Start(nil, nil, Options{})
		errorHandoff(t, out)
	})
	t.Run("an unknown kind", func(t *testing.T) {
		_, out := Start(mustParse(t, nodes(`{"id": "a", "kind": "gif"}`)), nil, Options{})
		errorHandoff(t, out)
	})
	t.Run("the flow changed under the conversation", func(t *testing.T) {
		f := demoFlow(t)
		st, _ := Start(f, nil, Options{})
		f.Nodes[1].Kind = KindMessage
		_, out := Step(f, st, msg("ada@example.com"), Options{})
		errorHandoff(t, out)
		require.Equal(t, hops("ask_email", "handoff"), out.Hops)
		f.Nodes = f.Nodes[:1]
		_, out = Step(f, st, msg("ada@example.com"), Options{})
		errorHandoff(t, out)
	})
	t.Run("empty required edges end the flow", func(t *testing.T) {
		f := mustParse(t, nodes(`{"id": "s", "kind": "set", "variable": "x", "value": "1"}`))
		_, out := Start(f, nil, Options{})
		require.Equal(t, Output{Effects: []Effect{endEffect}, Hops: hops("s", "end"), Await: AwaitDone}, out)
	})
	t.Run("a fallback handoff note may use the fallback note's variables", func(t *testing.T) {
		f := demoFlow(t)
		f.FallbackLimit = 1
		st, _ := Start(f, nil, Options{})
		_, out := Step(f, st, msg("nope"), Options{})
		require.Equal(t, "The bot did not understand: nope", out.Effects[0].Note)
	})
}

// The same inputs give the same outputs, and a state that went through
// JSON (as it does through Temporal's history) continues identically.
func TestDeterminismAndStateRoundTrip(t *testing.T) {
	f := mustParse(t, allKindsJSON)
	opt := Options{HumanPhrases: []string{"human"}}
	inputs := []Input{
		{Kind: InputDepartment, Node: "online", Yes: true},
		{Kind: InputDepartment, Node: "hours", Yes: true},
		msg("forty-two"),
		msg("42"),
		msg("meanwhile"),
		{Kind: InputHTTP, Node: "lookup", Status: 200, Body: []byte(`{"order": {"status": "pending"}}`)},
		{Kind: InputTimer, Token: "pause#1"},
		msg("hmm"),
		msg("7"),
		{Kind: InputHTTP, Node: "lookup", Status: 200, Body: []byte(`{"order": {"status": "pending"}}`)},
		msg("talk to a human now"),
	}
	run := func(viaJSON bool) ([]State, []Output) {
		st, out := Start(f, ada, opt)
		states, outs := []State{st}, []Output{out}
		for _, in := range inputs {
			if viaJSON {
				st = roundTrip(t, st)
			}
			before := roundTrip(t, st)
			st, out = Step(f, st, in, opt)
			states, outs = append(states, st), append(outs, out)
			require.Equal(t, before, roundTrip(t, states[len(states)-2]), "Step leaves its argument alone")
		}
		return states, outs
	}
	s1, o1 := run(false)
	s2, o2 := run(false)
	s3, o3 := run(true)
	require.Equal(t, s1, s2)
	require.Equal(t, o1, o2)
	require.Equal(t, o1, o3)
	for i := range s1 {
		require.Equal(t, roundTrip(t, s1[i]), s3[i])
	}
	last := o1[len(o1)-1]
	require.Equal(t, AwaitHandedOff, last.Await)
	require.Equal(t, hops("pause", "handoff"), last.Hops)
	require.Equal(t, []string{"hello", "online", "hours", "ask", "lookup", "check", "pause", "topic", "again", "ask", "lookup", "check", "pause"},
		last.Effects[0].Path)
}

// fuzzTexts are the visitor messages the fuzz inputs pick from: answers of
// every type, keywords of the test flows, a human phrase and noise.
var fuzzTexts = []string{"ada@example.com", "billing", "I want a refund", "human", "42", "2024-02-29", "", "blah blah", "agent", "bye", "2", "31/02/2024"}

var fuzzBodies = []string{`{"order": {"status": "shipped", "items": [{"name": "Tea"}]}}`, `{"order": {"status": "pending"}}`, `{}`, `[`}

// fuzzInput turns one byte into an input, aimed at what the state awaits
// most of the time.
func fuzzInput(b byte, st State) Input {
	arg := int(b >> 3)
	switch b % 8 {
	case 0, 1, 2:
		return msg(fuzzTexts[arg%len(fuzzTexts)])
	case 3:
		if arg%4 == 0 {
			return Input{Kind: InputTimer, Token: "stale#0"}
		}
		return Input{Kind: InputTimer, Token: st.Token}
	case 4:
		statuses := []int{200, 204, 404, 500}
		return Input{Kind: InputHTTP, Node: st.Node, Status: statuses[arg%4], Body: []byte(fuzzBodies[(arg/4)%len(fuzzBodies)])}
	case 5:
		return Input{Kind: InputHTTP, Node: st.Node, Err: "refused"}
	case 6:
		return Input{Kind: InputDepartment, Node: st.Node, Yes: arg%2 == 0}
	}
	return Input{Kind: []string{"bogus", InputDepartment, InputHTTP}[arg%3], Node: "elsewhere", Text: "x"}
}

// awaitKinds says which node kinds may hold each open await.
var awaitKinds = map[string][]string{
	AwaitInput:      {KindQuestion, KindKeywords},
	AwaitTimer:      {KindWait},
	AwaitHTTP:       {KindHTTP},
	AwaitDepartment: {KindDepartmentOnline, KindBusinessHours},
}

func checkStep(t *testing.T, f *Flow, valid bool, st State, out Output) {
	t.Helper()
	require.Equal(t, out.Await, st.Await)
	require.LessOrEqual(t, len(out.Hops), MaxVisits+1)
	require.LessOrEqual(t, len(st.Path), MaxPath)
	require.Equal(t, st, roundTrip(t, st))
	require.Equal(t, out, roundTrip(t, out))
	switch st.Await {
	case AwaitDone, AwaitHandedOff:
		require.Nil(t, st.Pending)
	default:
		kinds, ok := awaitKinds[st.Await]
		require.True(t, ok, "await %q", st.Await)
		var n *Node
		for i := range f.Nodes {
			if f.Nodes[i].ID == st.Node {
				n = &f.Nodes[i]
				break
			}
		}
		require.NotNil(t, n, "awaiting at %q", st.Node)
		require.Contains(t, kinds, n.Kind)
		require.Equal(t, st.Await == AwaitTimer, st.Token != "")
	}
	for _, e := range out.Effects {
		// A valid flow small enough that three passes over it fit in the
		// step cap never needs the error handoff.
		if valid && len(f.Nodes) <= MaxVisits/3-2 {
			require.NotEqual(t, ReasonError, e.Reason)
		}
	}
}

func FuzzInterpreter(f *testing.F) {
	for _, doc := range []string{demoJSON, allKindsJSON, waitJSON, httpJSON} {
		f.Add([]byte(doc), []byte{0, 8, 16, 3, 4, 5, 6, 7, 24, 32, 40, 11, 12, 14, 22, 80, 88, 96})
		f.Add([]byte(doc), []byte{6, 6, 2, 4, 9, 1, 3, 17, 26, 10, 18})
	}
	f.Add([]byte(nodes(`{"id": "a", "kind": "jump", "to": "a"}`)), []byte{0})
	f.Add([]byte(nodes(`{"id": "a", "kind": "message", "text": "x", "next": "b"}`, `{"id": "b", "kind": "question", "answer": "choice", "choices": ["a", "b"], "save_as": "c", "next": "a"}`)), []byte{0, 8, 16})
	f.Fuzz(func(t *testing.T, doc, script []byte) {
		fl, err := Parse(doc)
		if err != nil {
			return
		}
		valid := len(fl.Validate(testCtx)) == 0
		opt := Options{HumanPhrases: []string{"human", "talk to an agent"}}
		st, out := Start(fl, ada, opt)
		checkStep(t, fl, valid, st, out)
		if len(script) > 100 {
			script = script[:100]
		}
		for _, b := range script {
			in := fuzzInput(b, st)
			before := roundTrip(t, st)
			next, out := Step(fl, st, in, opt)
			require.Equal(t, before, roundTrip(t, st), "Step leaves its argument alone")
			checkStep(t, fl, valid, next, out)
			if st.Finished() {
				require.Equal(t, st, next)
			}
			st = next
		}
		// Simulate drives the same interpreter with stubs.
		var sim []SimInput
		for _, b := range script[:min(len(script), 5)] {
			sim = append(sim, SimInput{Text: fuzzTexts[int(b)%len(fuzzTexts)], Timeout: b&0x80 != 0})
		}
		res := Simulate(fl, ada, sim, SimStubs{
			HTTP:        map[string]SimHTTP{"lookup": {Status: 200, Body: []byte(fuzzBodies[0])}, "h": {Status: 500}},
			Departments: map[string]bool{"online": true, "hours:" + supportDept: true},
		}, opt)
		require.NotEmpty(t, res.Awaiting)
		require.Equal(t, res, roundTrip(t, res))
	})
}

func BenchmarkStep(b *testing.B) {
	f := demoFlow(b)
	opt := Options{HumanPhrases: []string{"human", "talk to an agent", "operator"}}
	st, _ := Start(f, ada, opt)
	st, _ = Step(f, st, msg("ada@example.com"), opt)
	inputs := []Input{msg("I'd like a refund please"), msg("something else entirely"), msg("question about my invoice")}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		_, out := Step(f, st, inputs[i%len(inputs)], opt)
		if len(out.Hops) == 0 {
			b.Fatal("no progress")
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "steps/s")
}

func ExampleStep() {
	f, _ := Parse([]byte(`{"start": "ask", "nodes": [
	  {"id": "ask", "kind": "question", "text": "Your email?", "answer": "email", "save_as": "email", "store": "contact", "next": "bye"},
	  {"id": "bye", "kind": "message", "text": "Thanks, {{visitor.name}}!"}]}`))
	st, out := Start(f, map[string]string{"visitor.name": "Ada"}, Options{})
	fmt.Println(out.Effects[0].Text, out.Await)
	_, out = Step(f, st, Input{Kind: InputMessage, Text: "ada@example.com"}, Options{})
	b, _ := json.Marshal(out.Effects)
	fmt.Println(string(b), out.Await)
	// Output:
	// Your email? input
	// [{"kind":"set_field","scope":"contact","key":"email","value":"ada@example.com"},{"kind":"reply","text":"Thanks, Ada!"},{"kind":"end"}] done
}

// TestResume: handed back to the bot at a node, the flow runs from there
// with the variables it had; an unknown node hands off with reason error.
func TestResume(t *testing.T) {
	t.Parallel()
	f := mustParse(t, `{"start":"ask","nodes":[
		{"id":"ask","kind":"question","text":"Email?","answer":"email","save_as":"email","next":"bye","fallback":"bye"},
		{"id":"bye","kind":"message","text":"Thanks {{email}}"}]}`)
	st, out := Start(f, nil, Options{})
	require.Equal(t, AwaitInput, out.Await)
	st, _ = Step(f, st, Input{Kind: InputMessage, Text: "a@b.co"}, Options{})
	require.Equal(t, AwaitDone, st.Await)

	st2, out := Resume(f, st, "bye", Options{})
	require.Equal(t, AwaitDone, out.Await)
	require.Equal(t, "Thanks a@b.co", out.Effects[0].Text)
	require.Equal(t, "a@b.co", st2.Variables["email"])

	_, out = Resume(f, st, "nowhere", Options{})
	require.Equal(t, AwaitHandedOff, out.Await)
	require.Equal(t, ReasonError, out.Effects[len(out.Effects)-1].Reason)
}
