package flow

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/switchboardhq/switchboard/keywords"
)

// What the interpreter waits for after a Start or Step. AwaitDone and
// AwaitHandedOff are final: every later input is ignored.
const (
	AwaitInput      = "input"
	AwaitTimer      = "timer"
	AwaitHTTP       = "http"
	AwaitDepartment = "department"
	AwaitDone       = "done"
	AwaitHandedOff  = "handed_off"
)

// Input kinds.
const (
	InputMessage    = "message"
	InputTimer      = "timer"
	InputHTTP       = "http"
	InputDepartment = "department"
)

// Effect kinds.
const (
	EffectReply           = "reply"
	EffectSetField        = "set_field"
	EffectStartTimer      = "start_timer"
	EffectHTTP            = "http"
	EffectCheckDepartment = "check_department"
	EffectHandoff         = "handoff"
	EffectEnd             = "end"
)

// Handoff reasons.
const (
	ReasonFlow          = "flow"
	ReasonFallback      = "fallback"
	ReasonAskedForHuman = "asked_for_human"
	ReasonError         = "error"
)

// What a check_department effect asks.
const (
	WhatOnline        = "online"
	WhatBusinessHours = "business_hours"
)

// Interpreter limits.
const (
	// MaxVisits caps the nodes one Start or Step visits; past it the flow
	// hands off with reason error. Validation forbids the loops that could
	// reach it; the cap protects conversations in flows saved before.
	MaxVisits = 1000
	// MaxPath is how many hops State.Path keeps.
	MaxPath = 100
)

// Default node settings.
const (
	defaultFallbackLimit = 2
	defaultMaxRetries    = 2
	defaultTimeoutMS     = 5000
	minWaitMS            = 1000
	maxWaitMS            = 7 * 24 * 60 * 60 * 1000
)

// Options are the workspace settings the interpreter needs.
type Options struct {
	// HumanPhrases are the workspace's "talk to a human" phrases, matched
	// like keywords routes against every visitor message.
	HumanPhrases []string `json:"human_phrases,omitempty"`
}

// State is everything the interpreter remembers between steps. Workflows
// keep it in their history, so it is plain JSON and small: the path is
// capped at MaxPath hops.
type State struct {
	// Node is the node the flow is at (or stopped at).
	Node string `json:"node"`
	// Await is what the flow waits for; it doubles as the status.
	Await     string            `json:"await"`
	Variables map[string]string `json:"variables"`
	// Fallbacks counts fallbacks in a row.
	Fallbacks int `json:"fallbacks"`
	// Retries counts invalid answers at the current question.
	Retries int `json:"retries"`
	// Pending is a visitor message that arrived while the flow was busy,
	// waiting for the next node that takes input.
	Pending *string `json:"pending,omitempty"`
	// PendingPassedWait records that Pending already let a wait node take
	// "next", so that a second wait on the way does not pass on it too.
	PendingPassedWait bool `json:"pending_passed_wait,omitempty"`
	// Path is the ids of the last MaxPath nodes left.
	Path []string `json:"path"`
	// Token identifies the awaited timer.
	Token string `json:"token,omitempty"`
	// Timers counts timers started, which keeps tokens unique.
	Timers int `json:"timers,omitempty"`
}

// Finished reports whether the flow ended or handed off.
func (s State) Finished() bool {
	return s.Await == AwaitDone || s.Await == AwaitHandedOff
}

// Input is what arrives from outside: a visitor message (Text), a timer
// (Token), an HTTP result (Node, Status, Body, Err) or a department answer
// (Node, Yes).
type Input struct {
	Kind   string `json:"kind"`
	Text   string `json:"text,omitempty"`
	Token  string `json:"token,omitempty"`
	Node   string `json:"node,omitempty"`
	Status int    `json:"status,omitempty"`
	Body   []byte `json:"body,omitempty"`
	// Err is why an HTTP call failed without a status (timeout, refused).
	Err string `json:"err,omitempty"`
	Yes bool   `json:"yes,omitempty"`
}

// Output is what one Start or Step asks the workflow to do.
type Output struct {
	Effects []Effect `json:"effects"`
	// Hops lists every node left, in order, for per-node funnels.
	Hops  []Hop  `json:"hops"`
	Await string `json:"await"`
}

// Hop is one node left through one edge: next, fallback, routes[2],
// conditions[0], else, yes, no, timeout, failure, to; end when the flow
// ended there and handoff when it handed off there.
type Hop struct {
	Node string `json:"node"`
	Edge string `json:"edge"`
}

// Var is one variable, in the sorted lists handoffs and simulations carry.
type Var struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Effect is one thing the workflow must do, in order. Kind says which and
// which fields are used:
//
//   - reply: Text, QuickReplies
//   - set_field: Scope (conversation or contact), Key, Value
//   - start_timer: Token, DurationMS
//   - http: Node, Method, URL, Headers, Body, TimeoutMS, Retries
//   - check_department: Node, DepartmentID, What (online or business_hours)
//   - handoff: Reason, DepartmentID (empty keeps the conversation's, or the
//     inbox default for fallback handoffs), Priority (empty leaves it),
//     Note, Variables, Path
//   - end
type Effect struct {
	Kind         string            `json:"kind"`
	Text         string            `json:"text,omitempty"`
	QuickReplies []string          `json:"quick_replies,omitempty"`
	Scope        string            `json:"scope,omitempty"`
	Key          string            `json:"key,omitempty"`
	Value        string            `json:"value,omitempty"`
	Token        string            `json:"token,omitempty"`
	DurationMS   int64             `json:"duration_ms,omitempty"`
	Node         string            `json:"node,omitempty"`
	Method       string            `json:"method,omitempty"`
	URL          string            `json:"url,omitempty"`
	Headers      map[string]string `json:"headers,omitempty"`
	Body         string            `json:"body,omitempty"`
	TimeoutMS    int               `json:"timeout_ms,omitempty"`
	Retries      int               `json:"retries,omitempty"`
	DepartmentID string            `json:"department_id,omitempty"`
	What         string            `json:"what,omitempty"`
	Reason       string            `json:"reason,omitempty"`
	Priority     string            `json:"priority,omitempty"`
	Note         string            `json:"note,omitempty"`
	Variables    []Var             `json:"variables,omitempty"`
	Path         []string          `json:"path,omitempty"`
}

// Start begins a conversation's bot phase: vars are the variables the
// workflow knows (visitor.name and visitor.email are set to empty when
// absent), and the flow runs from its start node until it must wait.
func Start(f *Flow, vars map[string]string, opt Options) (State, Output) {
	st := State{Variables: make(map[string]string, len(vars)+2)}
	maps.Copy(st.Variables, vars)
	for _, b := range builtins[:2] {
		if _, ok := st.Variables[b]; !ok {
			st.Variables[b] = ""
		}
	}
	r := newRun(f, &st, opt)
	start := ""
	if f != nil {
		start = f.Start
	}
	r.enter(start)
	return st, r.finish()
}

// Step feeds one input to the flow and runs it until it must wait again.
// It never modifies st (the returned State is a new value), so a workflow
// replaying history gets the same result from the same state.
func Step(f *Flow, st State, in Input, opt Options) (State, Output) {
	ignored := Output{Await: st.Await}
	switch st.Await {
	case AwaitInput, AwaitTimer, AwaitHTTP, AwaitDepartment:
	default:
		return st, ignored
	}
	switch in.Kind {
	case InputMessage:
		st = st.clone()
		r := newRun(f, &st, opt)
		if matchesAny(r.inputWords(in.Text), opt.HumanPhrases) {
			r.handoffAt(st.Node, ReasonAskedForHuman)
			return st, r.finish()
		}
		switch st.Await {
		case AwaitInput:
			r.consume(in.Text)
		case AwaitTimer:
			// The visitor wrote before the timer: the message waits for
			// the next node that takes input.
			st.Pending, st.PendingPassedWait, st.Token = &in.Text, true, ""
			n := r.current(KindWait)
			if n == nil {
				return st, r.finish()
			}
			r.follow(n, "next", n.Next, true)
		default:
			// Busy with HTTP or a department check: queue, newest wins.
			st.Pending, st.PendingPassedWait = &in.Text, false
		}
		return st, r.finish()
	case InputTimer:
		if st.Await != AwaitTimer || in.Token == "" || in.Token != st.Token {
			return st, ignored
		}
		st = st.clone()
		st.Token = ""
		r := newRun(f, &st, opt)
		if n := r.current(KindWait); n != nil {
			r.follow(n, "timeout", n.Timeout, true)
		}
		return st, r.finish()
	case InputHTTP:
		if st.Await != AwaitHTTP || in.Node != st.Node {
			return st, ignored
		}
		st = st.clone()
		r := newRun(f, &st, opt)
		if n := r.current(KindHTTP); n != nil {
			r.httpResult(n, in)
		}
		return st, r.finish()
	case InputDepartment:
		if st.Await != AwaitDepartment || in.Node != st.Node {
			return st, ignored
		}
		st = st.clone()
		r := newRun(f, &st, opt)
		if n := r.current(KindDepartmentOnline, KindBusinessHours); n != nil {
			if in.Yes {
				r.follow(n, "yes", n.Yes, true)
			} else {
				r.follow(n, "no", n.No, true)
			}
		}
		return st, r.finish()
	}
	return st, ignored
}

// builtins are always set: the workflow fills them in at start (empty
// when unknown). first_message is what the visitor wrote to open the
// conversation, before the bot said anything: context a branch may route
// on, not an answer to the flow's first question (it renders empty when
// the workflow has none; the visitor ones are set empty).
var builtins = []string{"visitor.name", "visitor.email", "first_message"}

// clone copies what a step mutates, so the caller's State stays intact.
func (s State) clone() State {
	s.Variables = maps.Clone(s.Variables)
	if s.Variables == nil {
		s.Variables = map[string]string{}
	}
	s.Path = slices.Clone(s.Path)
	return s
}

// run is one Start or Step in progress.
type run struct {
	f      *Flow
	st     *State
	opt    Options
	out    Output
	index  map[string]int
	visits int

	wordsText string
	wordsNorm keywords.Text
}

func newRun(f *Flow, st *State, opt Options) *run {
	if f == nil {
		f = &Flow{}
	}
	return &run{f: f, st: st, opt: opt}
}

func (r *run) lookup(id string) *Node {
	if r.index == nil {
		r.index = make(map[string]int, len(r.f.Nodes))
		// The first node with an id wins, as in validation.
		for i := len(r.f.Nodes) - 1; i >= 0; i-- {
			r.index[r.f.Nodes[i].ID] = i
		}
	}
	i, ok := r.index[id]
	if !ok || id == "" {
		return nil
	}
	return &r.f.Nodes[i]
}

// current returns the node the state is at when it has one of kinds, and
// otherwise hands off: the flow changed under the conversation.
func (r *run) current(kinds ...string) *Node {
	n := r.lookup(r.st.Node)
	if n == nil || !slices.Contains(kinds, n.Kind) {
		r.handoffAt(r.st.Node, ReasonError)
		return nil
	}
	return n
}

// inputWords normalizes a visitor message once for human phrases and
// routes.
func (r *run) inputWords(text string) keywords.Text {
	if r.wordsNorm == "" || r.wordsText != text {
		r.wordsText, r.wordsNorm = text, keywords.NewText(text)
	}
	return r.wordsNorm
}

func (r *run) finish() Output {
	r.out.Await = r.st.Await
	return r.out
}

func (r *run) emit(e Effect) { r.out.Effects = append(r.out.Effects, e) }

func (r *run) await(what string) {
	r.st.Await = what
	if what != AwaitTimer {
		r.st.Token = ""
	}
}

func (r *run) hop(node, edge string) {
	r.out.Hops = append(r.out.Hops, Hop{Node: node, Edge: edge})
	if len(r.st.Path) >= MaxPath {
		r.st.Path = append(r.st.Path[:0], r.st.Path[len(r.st.Path)-MaxPath+1:]...)
	}
	r.st.Path = append(r.st.Path, node)
}

func (r *run) set(name, value string) {
	if name != "" {
		r.st.Variables[name] = value
	}
}

func (r *run) render(tpl string) string { return render(tpl, r.st.Variables, nil) }

func (r *run) reply(text string, quick []string) {
	r.emit(Effect{Kind: EffectReply, Text: text, QuickReplies: cloneOrNil(quick)})
}

func (r *run) takePending() (string, bool) {
	if r.st.Pending == nil {
		return "", false
	}
	text := *r.st.Pending
	r.st.Pending, r.st.PendingPassedWait = nil, false
	return text, true
}

// follow leaves n through an edge when cont is set and runs on from its
// target.
func (r *run) follow(n *Node, edge, target string, cont bool) {
	if cont && r.leave(n, edge, target) {
		r.enter(target)
	}
}

// leave records the hop out of n; an empty edge ends the flow there.
func (r *run) leave(n *Node, edge, target string) bool {
	if target == "" {
		r.hop(n.ID, "end")
		r.emit(Effect{Kind: EffectEnd})
		r.st.Pending, r.st.PendingPassedWait = nil, false
		r.await(AwaitDone)
		return false
	}
	r.hop(n.ID, edge)
	return true
}

// enter runs the flow from node id until something must be awaited.
func (r *run) enter(id string) {
	for {
		if r.visits >= MaxVisits {
			r.handoff(ReasonError)
			return
		}
		r.visits++
		n := r.lookup(id)
		if n == nil {
			r.st.Node = id
			r.handoff(ReasonError)
			return
		}
		r.st.Node = n.ID
		r.st.Retries = 0
		edge, target, cont := r.visit(n)
		if !cont || !r.leave(n, edge, target) {
			return
		}
		id = target
	}
}

// visit carries out a node just entered; cont says whether to leave it
// through edge at once.
func (r *run) visit(n *Node) (edge, target string, cont bool) {
	switch n.Kind {
	case KindMessage:
		r.reply(r.render(n.Text), n.QuickReplies)
		return "next", n.Next, true
	case KindQuestion:
		r.reply(r.render(n.Text), n.Choices)
		if text, ok := r.takePending(); ok {
			return r.answer(n, text)
		}
		r.await(AwaitInput)
		return "", "", false
	case KindSet:
		r.set(n.Variable, r.render(n.Value))
		return "next", n.Next, true
	case KindBranch:
		for i, c := range n.Conditions {
			value := c.Value
			if c.Op == OpMatches {
				value = render(value, r.st.Variables, regexp.QuoteMeta)
			} else {
				value = r.render(value)
			}
			if evalCondition(c.Op, r.st.Variables[c.Variable], value) {
				return "conditions[" + strconv.Itoa(i) + "]", c.Next, true
			}
		}
		return "else", n.Else, true
	case KindKeywords:
		if text, ok := r.takePending(); ok {
			return r.route(n, text)
		}
		r.await(AwaitInput)
		return "", "", false
	case KindHTTP:
		return r.callHTTP(n)
	case KindDepartmentOnline, KindBusinessHours:
		what := WhatOnline
		if n.Kind == KindBusinessHours {
			what = WhatBusinessHours
		}
		r.emit(Effect{Kind: EffectCheckDepartment, Node: n.ID, DepartmentID: n.DepartmentID, What: what})
		r.await(AwaitDepartment)
		return "", "", false
	case KindWait:
		if r.st.Pending != nil && !r.st.PendingPassedWait {
			r.st.PendingPassedWait = true
			return "next", n.Next, true
		}
		r.st.Timers++
		r.st.Token = n.ID + "#" + strconv.Itoa(r.st.Timers)
		r.emit(Effect{Kind: EffectStartTimer, Token: r.st.Token, DurationMS: min(max(n.DurationMS, minWaitMS), maxWaitMS)})
		r.await(AwaitTimer)
		return "", "", false
	case KindHandoff:
		r.hop(n.ID, "handoff")
		r.emitHandoff(ReasonFlow, n.DepartmentID, n.Priority, r.render(n.Note))
		return "", "", false
	case KindEnd:
		return "", "", true // leave turns the empty edge into the end.
	case KindJump:
		return "to", n.To, true
	}
	r.handoff(ReasonError)
	return "", "", false
}

// consume gives a visitor message to the node awaiting input.
func (r *run) consume(text string) {
	n := r.current(KindQuestion, KindKeywords)
	if n == nil {
		return
	}
	if n.Kind == KindQuestion {
		edge, target, cont := r.answer(n, text)
		r.follow(n, edge, target, cont)
		return
	}
	edge, target, cont := r.route(n, text)
	r.follow(n, edge, target, cont)
}

func (r *run) fallbackLimit() int {
	if r.f.FallbackLimit > 0 {
		return r.f.FallbackLimit
	}
	return defaultFallbackLimit
}

// answer handles a visitor's answer to question n.
func (r *run) answer(n *Node, text string) (edge, target string, cont bool) {
	r.set("last_input", strings.TrimSpace(text))
	if v, ok := parseAnswer(n, text); ok {
		r.st.Fallbacks, r.st.Retries = 0, 0
		r.set(n.SaveAs, v)
		if (n.Store == StoreConversation || n.Store == StoreContact) && n.SaveAs != "" {
			r.emit(Effect{Kind: EffectSetField, Scope: n.Store, Key: n.SaveAs, Value: v})
		}
		return "next", n.Next, true
	}
	r.st.Fallbacks++
	r.st.Retries++
	if r.st.Fallbacks >= r.fallbackLimit() {
		r.handoffAt(n.ID, ReasonFallback)
		return "", "", false
	}
	maxRetries := n.MaxRetries
	if maxRetries <= 0 {
		maxRetries = defaultMaxRetries
	}
	if r.st.Retries >= maxRetries && n.Fallback != "" {
		return "fallback", n.Fallback, true
	}
	retry := r.render(n.RetryText)
	if n.RetryText == "" {
		retry = "Sorry, I didn't get that. " + r.render(n.Text)
	}
	r.reply(retry, n.Choices)
	r.await(AwaitInput)
	return "", "", false
}

// route handles a visitor message at keywords node n.
func (r *run) route(n *Node, text string) (edge, target string, cont bool) {
	r.set("last_input", strings.TrimSpace(text))
	in := r.inputWords(text)
	for i, rt := range n.Routes {
		if matchesAny(in, rt.Phrases) {
			r.st.Fallbacks = 0
			return "routes[" + strconv.Itoa(i) + "]", rt.Next, true
		}
	}
	r.st.Fallbacks++
	if r.st.Fallbacks >= r.fallbackLimit() {
		r.handoffAt(n.ID, ReasonFallback)
		return "", "", false
	}
	return "fallback", n.Fallback, true
}

func (r *run) callHTTP(n *Node) (edge, target string, cont bool) {
	u := render(n.URL, r.st.Variables, escapeURL)
	body := render(n.Body, r.st.Variables, escapeJSON)
	if !validMethod(n.Method) || !validHTTPURL(u) || body != "" && !json.Valid([]byte(body)) {
		return "failure", n.Failure, true
	}
	var headers map[string]string
	if len(n.Headers) > 0 {
		headers = make(map[string]string, len(n.Headers))
		for k, v := range n.Headers {
			headers[k] = render(v, r.st.Variables, escapeHeader)
		}
	}
	timeout := n.TimeoutMS
	if timeout <= 0 {
		timeout = defaultTimeoutMS
	}
	r.emit(Effect{Kind: EffectHTTP, Node: n.ID, Method: n.Method, URL: u, Headers: headers, Body: body,
		TimeoutMS: min(timeout, maxTimeoutMS), Retries: min(max(n.Retries, 0), maxHTTPRetries)})
	r.await(AwaitHTTP)
	return "", "", false
}

// httpResult takes next on a 2xx answer whose mapped paths all exist, and
// failure otherwise; variables are set only on success.
func (r *run) httpResult(n *Node, in Input) {
	if in.Err != "" || in.Status < 200 || in.Status > 299 {
		r.follow(n, "failure", n.Failure, true)
		return
	}
	if len(n.Map) > 0 {
		var doc any
		if err := decodeNumbers(in.Body, &doc); err != nil {
			r.follow(n, "failure", n.Failure, true)
			return
		}
		values := make([]string, len(n.Map))
		for i, m := range n.Map {
			v, ok := jsonPath(doc, m.Path)
			if !ok {
				r.follow(n, "failure", n.Failure, true)
				return
			}
			values[i] = v
		}
		for i, m := range n.Map {
			r.set(m.Variable, values[i])
		}
	}
	r.follow(n, "next", n.Next, true)
}

// decodeNumbers decodes one JSON value, keeping numbers as written so that
// a mapped 9.90 stays "9.90".
func decodeNumbers(data []byte, v *any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("unexpected data after the JSON value")
	}
	return nil
}

// jsonPath reads a dotted path (numeric segments index arrays) and returns
// the value as a variable holds it.
func jsonPath(doc any, path string) (string, bool) {
	if path == "" {
		return "", false
	}
	cur := doc
	for seg := range strings.SplitSeq(path, ".") {
		switch v := cur.(type) {
		case map[string]any:
			next, ok := v[seg]
			if !ok {
				return "", false
			}
			cur = next
		case []any:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(v) || seg[0] == '+' || seg[0] == '-' {
				return "", false
			}
			cur = v[i]
		default:
			return "", false
		}
	}
	switch v := cur.(type) {
	case nil:
		return "", true
	case string:
		return v, true
	case json.Number:
		return v.String(), true
	case bool:
		return strconv.FormatBool(v), true
	}
	b, err := json.Marshal(cur)
	return string(b), err == nil
}

// handoffAt hands off from the node the flow is at, recording the hop.
func (r *run) handoffAt(node, reason string) {
	r.hop(node, "handoff")
	r.handoff(reason)
}

// handoff hands off for reasons other than a handoff node: the fallback
// loop, a human phrase or an error all go where Flow.Fallback says.
func (r *run) handoff(reason string) {
	var dept, prio, note string
	if fb := r.f.Fallback; fb != nil {
		dept, prio = fb.DepartmentID, fb.Priority
		if reason == ReasonFallback {
			note = r.render(fb.Note)
		}
	}
	r.emitHandoff(reason, dept, prio, note)
}

func (r *run) emitHandoff(reason, dept, prio, note string) {
	var vars []Var
	for _, k := range slices.Sorted(maps.Keys(r.st.Variables)) {
		vars = append(vars, Var{Name: k, Value: r.st.Variables[k]})
	}
	r.emit(Effect{Kind: EffectHandoff, Reason: reason, DepartmentID: dept, Priority: prio, Note: note,
		Variables: vars, Path: cloneOrNil(r.st.Path)})
	r.st.Pending, r.st.PendingPassedWait = nil, false
	r.await(AwaitHandedOff)
}

// cloneOrNil copies a slice for an effect; empty becomes nil so that the
// effect round-trips through JSON exactly.
func cloneOrNil(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return slices.Clone(s)
}

// Resume runs the flow again from node after people handed the
// conversation back to the bot: the variables stay, the fallback count and
// anything pending are forgotten. A node the flow does not have hands off
// with reason error at once.
func Resume(f *Flow, st State, node string, opt Options) (State, Output) {
	st = st.clone()
	st.Await, st.Fallbacks, st.Retries, st.Pending, st.PendingPassedWait, st.Token = AwaitInput, 0, 0, nil, false, ""
	if st.Variables == nil {
		st.Variables = map[string]string{}
	}
	r := newRun(f, &st, opt)
	r.enter(node)
	return st, r.finish()
}
