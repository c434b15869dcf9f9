package flow

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

func texts(ts ...string) []SimInput {
	out := make([]SimInput, len(ts))
	for i, t := range ts {
		out[i] = SimInput{Text: t}
	}
	return out
}

func TestSimulateDemo(t *testing.T) {
	res := Simulate(demoFlow(t), map[string]string{"visitor.name": "Ada"}, texts("ada@", "ada@example.com", "huh", "???", "extra"), SimStubs{}, Options{})
	handoff := Effect{Kind: EffectHandoff, Reason: ReasonFallback, DepartmentID: supportDept, Priority: PriorityHigh, Note: "The bot did not understand: ???",
		Variables: []Var{{"email", "ada@example.com"}, {"last_input", "???"}, {"visitor.email", ""}, {"visitor.name", "Ada"}},
		Path:      []string{"greet", "ask_email", "topic_prompt", "topic", "topic_help", "topic"}}
	require.Equal(t, SimResult{
		Path: hops("greet", "next", "ask_email", "next", "topic_prompt", "next", "topic", "fallback", "topic_help", "next", "topic", "handoff"),
		Replies: []SimReply{
			{Input: -1, Text: "Hi Ada! I'm the Switchboard bot."},
			{Input: -1, Text: "What's your email?"},
			{Input: 0, Text: "Sorry, I didn't get that. What's your email?"},
			{Input: 1, Text: "Thanks ada@example.com! Is it about billing or a refund?", QuickReplies: []string{"Billing", "Refund"}},
			{Input: 2, Text: "Sorry, I can help with billing or refunds."},
		},
		Fields:       []Effect{{Kind: EffectSetField, Scope: StoreContact, Key: "email", Value: "ada@example.com"}},
		Variables:    handoff.Variables,
		Handoff:      &handoff,
		Awaiting:     AwaitHandedOff,
		UnusedInputs: texts("extra"),
	}, res)
	require.Equal(t, res, roundTrip(t, res))
}

func TestSimulateStubs(t *testing.T) {
	f := mustParse(t, allKindsJSON)
	shipped := SimHTTP{Status: 200, Body: json.RawMessage(`{"order": {"status": "shipped"}}`)}
	t.Run("departments by node and by department, http by node", func(t *testing.T) {
		res := Simulate(f, ada, texts("42"), SimStubs{
			HTTP:        map[string]SimHTTP{"lookup": shipped},
			Departments: map[string]bool{"online": true, "hours:" + supportDept: true, "online:" + supportDept: false},
		}, Options{})
		require.Equal(t, hops("hello", "next", "online", "yes", "hours", "yes", "ask", "next", "lookup", "next", "check", "conditions[0]", "shipped", "next", "bye", "end"), res.Path)
		require.True(t, res.Ended)
		require.Equal(t, AwaitDone, res.Awaiting)
		require.Contains(t, res.Variables, Var{"outcome", "shipped shipped"})
		require.Equal(t, []Effect{{Kind: EffectSetField, Scope: StoreConversation, Key: "order", Value: "42"}}, res.Fields)
		require.Empty(t, res.UnusedInputs)
		require.Nil(t, res.Handoff)
	})
	t.Run("a department check without a stub answers no", func(t *testing.T) {
		res := Simulate(f, ada, texts("42"), SimStubs{Departments: map[string]bool{"hours": true, "hours:" + supportDept: true}}, Options{})
		require.Equal(t, hops("hello", "next", "online", "no", "bye", "end"), res.Path)
		require.Equal(t, texts("42"), res.UnusedInputs)
	})
	t.Run("an http node without a stub fails", func(t *testing.T) {
		res := Simulate(f, ada, texts("42"), SimStubs{Departments: map[string]bool{"online": true, "hours": true}}, Options{})
		require.Equal(t, hops("hello", "next", "online", "yes", "hours", "yes", "ask", "next", "lookup", "failure", "sorry", "next", "human", "handoff"), res.Path)
		require.Equal(t, ReasonFlow, res.Handoff.Reason)
		require.Equal(t, []SimReply{{Input: -1, Text: "Hi Ada"}, {Input: -1, Text: "Order number?"}, {Input: 0, Text: "Sorry"}}, res.Replies)
	})
	t.Run("a stubbed error fails", func(t *testing.T) {
		res := Simulate(f, ada, texts("42"), SimStubs{HTTP: map[string]SimHTTP{"lookup": {Err: "timeout"}}, Departments: map[string]bool{"online": true, "hours": true}}, Options{})
		require.Contains(t, res.Path, Hop{"lookup", "failure"})
	})
}

func TestSimulateTimers(t *testing.T) {
	f := mustParse(t, waitJSON)
	res := Simulate(f, ada, []SimInput{{Timeout: true}}, SimStubs{}, Options{})
	require.Equal(t, []SimReply{{Input: 0, Text: "Still there?"}}, res.Replies)
	require.True(t, res.Ended)

	// A timeout nobody waits for is used up and does nothing.
	res = Simulate(f, ada, []SimInput{{Text: "hi"}, {Timeout: true}, {Text: "ada@example.com"}, {Text: "bye"}}, SimStubs{}, Options{})
	require.Equal(t, []SimReply{{Input: 0, Text: "Your email?"}, {Input: 0, Text: "Sorry, I didn't get that. Your email?"}}, res.Replies)
	require.Equal(t, hops("w", "next", "q", "next", "k", "routes[0]", "z", "end"), res.Path)
	require.True(t, res.Ended)
}

func TestSimulateHumanPhrase(t *testing.T) {
	res := Simulate(demoFlow(t), nil, texts("get me a HUMAN", "ada@example.com"), SimStubs{}, Options{HumanPhrases: []string{"human"}})
	require.Equal(t, ReasonAskedForHuman, res.Handoff.Reason)
	require.Equal(t, AwaitHandedOff, res.Awaiting)
	require.False(t, res.Ended)
	require.Equal(t, texts("ada@example.com"), res.UnusedInputs)
}

// A flow that loops through HTTP calls (saved without validation) cannot
// hang a simulation.
func TestSimulateHTTPLoop(t *testing.T) {
	f := mustParse(t, nodes(`{"id": "h", "kind": "http", "method": "GET", "url": "https://x.test", "next": "h", "failure": "h"}`))
	res := Simulate(f, nil, texts("hi"), SimStubs{}, Options{})
	require.Equal(t, AwaitHTTP, res.Awaiting)
	require.Len(t, res.Path, maxSimAnswers)
	require.Equal(t, texts("hi"), res.UnusedInputs)
}

func TestSimulateEmpty(t *testing.T) {
	res := Simulate(nil, nil, nil, SimStubs{}, Options{})
	b, err := json.Marshal(res)
	require.NoError(t, err)
	require.JSONEq(t, `{"path": [], "replies": [], "fields": [], "variables": [{"name": "visitor.email", "value": ""}, {"name": "visitor.name", "value": ""}],
		"handoff": {"kind": "handoff", "reason": "error", "variables": [{"name": "visitor.email", "value": ""}, {"name": "visitor.name", "value": ""}]},
		"ended": false, "awaiting": "handed_off", "unused_inputs": []}`, string(b))
}
