package flow

import (
	"encoding/json"
	"maps"
	"slices"
)

// SimInput is one thing the simulated visitor does: write Text, or let the
// awaited timer fire (Timeout).
type SimInput struct {
	Text    string `json:"text,omitempty"`
	Timeout bool   `json:"timeout,omitempty"`
}

// SimHTTP is the stubbed answer of an http node.
type SimHTTP struct {
	Status int `json:"status"`
	// Body is the JSON answer.
	Body json.RawMessage `json:"body,omitempty"`
	// Err simulates a call that got no answer at all.
	Err string `json:"err,omitempty"`
}

// SimStubs answer what a simulation cannot ask the world.
type SimStubs struct {
	// HTTP answers http nodes, by node id; a node without a stub fails.
	HTTP map[string]SimHTTP `json:"http,omitempty"`
	// Departments answers department_online and business_hours nodes, by
	// node id first, then by "online:<department_id>" or
	// "hours:<department_id>"; a check without a stub answers no.
	Departments map[string]bool `json:"departments,omitempty"`
}

// SimReply is a bot message and the index of the input it answers (-1 for
// what the bot says before the first input).
type SimReply struct {
	Input        int      `json:"input"`
	Text         string   `json:"text"`
	QuickReplies []string `json:"quick_replies,omitempty"`
}

// SimResult is what a simulation saw. Lists are never null, so that the
// editor can render them without checks.
type SimResult struct {
	Path      []Hop      `json:"path"`
	Replies   []SimReply `json:"replies"`
	Fields    []Effect   `json:"fields"`
	Variables []Var      `json:"variables"`
	Handoff   *Effect    `json:"handoff"`
	Ended     bool       `json:"ended"`
	Awaiting  string     `json:"awaiting"`
	// UnusedInputs are the inputs left when the flow finished.
	UnusedInputs []SimInput `json:"unused_inputs"`
}

// maxSimAnswers bounds the stubbed answers given per input, because a flow
// may loop through HTTP calls without ever waiting for the visitor.
const maxSimAnswers = 1000

// Simulate runs a flow against scripted inputs and stubbed answers, with
// the same interpreter conversations use, so that the editor shows what a
// visitor would see.
func Simulate(f *Flow, vars map[string]string, inputs []SimInput, stubs SimStubs, opt Options) SimResult {
	res := SimResult{Path: []Hop{}, Replies: []SimReply{}, Fields: []Effect{}, Variables: []Var{}, UnusedInputs: []SimInput{}}
	current := -1
	var check Effect
	collect := func(out Output) {
		res.Path = append(res.Path, out.Hops...)
		for _, e := range out.Effects {
			switch e.Kind {
			case EffectReply:
				res.Replies = append(res.Replies, SimReply{Input: current, Text: e.Text, QuickReplies: e.QuickReplies})
			case EffectSetField:
				res.Fields = append(res.Fields, e)
			case EffectCheckDepartment:
				check = e
			case EffectHandoff:
				h := e
				res.Handoff = &h
			}
		}
	}
	st, out := Start(f, vars, opt)
	collect(out)
	next := 0
	for {
		for answers := 0; answers < maxSimAnswers && (st.Await == AwaitHTTP || st.Await == AwaitDepartment); answers++ {
			in := Input{Kind: InputHTTP, Node: st.Node, Err: "no stub for this node"}
			if st.Await == AwaitHTTP {
				if stub, ok := stubs.HTTP[st.Node]; ok {
					in = Input{Kind: InputHTTP, Node: st.Node, Status: stub.Status, Body: stub.Body, Err: stub.Err}
				}
			} else {
				in = Input{Kind: InputDepartment, Node: st.Node, Yes: departmentStub(stubs.Departments, st.Node, check)}
			}
			st, out = Step(f, st, in, opt)
			collect(out)
		}
		if st.Await != AwaitInput && st.Await != AwaitTimer || next >= len(inputs) {
			break
		}
		current = next
		si := inputs[next]
		next++
		in := Input{Kind: InputMessage, Text: si.Text}
		if si.Timeout {
			// Firing a timer nobody waits for does nothing, like a stale
			// timer in a conversation.
			in = Input{Kind: InputTimer, Token: st.Token}
		}
		st, out = Step(f, st, in, opt)
		collect(out)
	}
	res.UnusedInputs = append(res.UnusedInputs, inputs[next:]...)
	for _, k := range slices.Sorted(maps.Keys(st.Variables)) {
		res.Variables = append(res.Variables, Var{Name: k, Value: st.Variables[k]})
	}
	res.Ended = st.Await == AwaitDone
	res.Awaiting = st.Await
	return res
}

func departmentStub(stubs map[string]bool, node string, check Effect) bool {
	if yes, ok := stubs[node]; ok {
		return yes
	}
	prefix := "online:"
	if check.What == WhatBusinessHours {
		prefix = "hours:"
	}
	return check.Node == node && stubs[prefix+check.DepartmentID]
}
