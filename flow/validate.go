package flow

import (
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"
)

// Problem codes, from Parse (invalid_json, too_large) and Validate.
const (
	CodeInvalidJSON       = "invalid_json"
	CodeTooLarge          = "too_large"
	CodeTooManyNodes      = "too_many_nodes"
	CodeUnknownKind       = "unknown_kind"
	CodeMissingField      = "missing_field"
	CodeInvalidField      = "invalid_field"
	CodeDuplicateID       = "duplicate_id"
	CodeMissingStart      = "missing_start"
	CodeEdgeToMissingNode = "edge_to_missing_node"
	CodeUnreachableNode   = "unreachable_node"
	CodeNoWayOut          = "no_way_out"
	CodeMissingDepartment = "missing_department"
	CodeVariableNotSet    = "variable_not_set"
	CodeLoopWithoutInput  = "loop_without_input"
)

// Priorities a handoff may set.
const (
	PriorityLow    = "low"
	PriorityNormal = "normal"
	PriorityHigh   = "high"
	PriorityUrgent = "urgent"
)

const (
	maxTimeoutMS     = 30000
	maxHTTPRetries   = 5
	maxRetriesLimit  = 10
	maxFallbackLimit = 10
	maxQuickReplies  = 10
	maxReplyLen      = 40
	minChoices       = 2
	maxChoices       = 20
	maxNameLen       = 100
	maxIDLen         = 64
)

// ValidationContext is what validation needs to know about the workspace.
type ValidationContext struct {
	// Departments reports whether a department exists; nil accepts any
	// well-formed id.
	Departments func(id string) bool
}

// Problem is one reason a flow cannot be saved. Node is empty for problems
// of the flow as a whole; Field names the field at fault, with indexes
// (routes[1].next).
type Problem struct {
	Node    string `json:"node"`
	Field   string `json:"field"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// kindFields lists the fields each kind uses, besides id, kind and name.
var kindFields = map[string][]string{
	KindMessage:          {"text", "quick_replies", "next"},
	KindQuestion:         {"text", "answer", "choices", "save_as", "store", "retry_text", "max_retries", "next", "fallback"},
	KindSet:              {"variable", "value", "next"},
	KindBranch:           {"conditions", "else"},
	KindKeywords:         {"routes", "fallback"},
	KindHTTP:             {"method", "url", "headers", "body", "timeout_ms", "retries", "map", "next", "failure"},
	KindDepartmentOnline: {"department_id", "yes", "no"},
	KindBusinessHours:    {"department_id", "yes", "no"},
	KindWait:             {"duration_ms", "next", "timeout"},
	KindHandoff:          {"department_id", "priority", "note"},
	KindEnd:              {},
	KindJump:             {"to"},
}

// usedFields lists the kind-specific fields a node sets, in a fixed order.
func (n *Node) usedFields() []string {
	var out []string
	add := func(name string, set bool) {
		if set {
			out = append(out, name)
		}
	}
	add("text", n.Text != "")
	add("quick_replies", len(n.QuickReplies) > 0)
	add("answer", n.Answer != "")
	add("choices", len(n.Choices) > 0)
	add("save_as", n.SaveAs != "")
	add("store", n.Store != "")
	add("retry_text", n.RetryText != "")
	add("max_retries", n.MaxRetries != 0)
	add("variable", n.Variable != "")
	add("value", n.Value != "")
	add("conditions", len(n.Conditions) > 0)
	add("routes", len(n.Routes) > 0)
	add("method", n.Method != "")
	add("url", n.URL != "")
	add("headers", len(n.Headers) > 0)
	add("body", n.Body != "")
	add("timeout_ms", n.TimeoutMS != 0)
	add("retries", n.Retries != 0)
	add("map", len(n.Map) > 0)
	add("department_id", n.DepartmentID != "")
	add("duration_ms", n.DurationMS != 0)
	add("priority", n.Priority != "")
	add("note", n.Note != "")
	add("to", n.To != "")
	add("next", n.Next != "")
	add("fallback", n.Fallback != "")
	add("else", n.Else != "")
	add("failure", n.Failure != "")
	add("yes", n.Yes != "")
	add("no", n.No != "")
	add("timeout", n.Timeout != "")
	return out
}

func validMethod(m string) bool {
	switch m {
	case "GET", "POST", "PUT", "PATCH", "DELETE":
		return true
	}
	return false
}

func validPriority(p string) bool {
	switch p {
	case PriorityLow, PriorityNormal, PriorityHigh, PriorityUrgent:
		return true
	}
	return false
}

func validID(id string) bool {
	if len(id) == 0 || len(id) > maxIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// validUUID accepts only the canonical form, so ids compare as strings.
func validUUID(s string) bool {
	_, err := uuid.Parse(s)
	return err == nil && len(s) == 36
}

// validHeaderName accepts an HTTP token.
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

// Validate returns every problem of the flow, sorted by node order (flow
// problems first) then field; none means the flow may be saved.
func (f *Flow) Validate(ctx ValidationContext) []Problem {
	if f == nil {
		f = &Flow{}
	}
	v := &validator{f: f, ctx: ctx, first: map[string]int{}, reads: make([][]read, len(f.Nodes))}
	v.check()
	slices.SortStableFunc(v.problems, func(a, b located) int {
		if a.idx != b.idx {
			return a.idx - b.idx
		}
		return strings.Compare(a.p.Field, b.p.Field)
	})
	var out []Problem
	for _, p := range v.problems {
		out = append(out, p.p)
	}
	return out
}

type validator struct {
	f        *Flow
	ctx      ValidationContext
	problems []located
	first    map[string]int // node id → index of its first node
	reads    [][]read       // variables each node reads
	fbReads  []read         // variables Flow.Fallback's note reads
}

// located is a problem with its node's index (-1 for the flow) for sorting.
type located struct {
	idx int
	p   Problem
}

type read struct {
	field, name string
	afterInput  bool // may read last_input: the node consumed input first
}

func (v *validator) add(idx int, field, code, format string, args ...any) {
	node := ""
	if idx >= 0 {
		node = v.f.Nodes[idx].ID
	}
	v.problems = append(v.problems, located{idx, Problem{Node: node, Field: field, Code: code, Message: fmt.Sprintf(format, args...)}})
}

func (v *validator) check() {
	f := v.f
	if len(f.Nodes) > MaxNodes {
		v.add(-1, "nodes", CodeTooManyNodes, "a flow has at most %d nodes, this one has %d", MaxNodes, len(f.Nodes))
	}
	if f.FallbackLimit < 0 || f.FallbackLimit > maxFallbackLimit {
		v.add(-1, "fallback_limit", CodeInvalidField, "fallback_limit must be between 0 (meaning 2) and %d", maxFallbackLimit)
	}
	if fb := f.Fallback; fb != nil {
		v.department(-1, "fallback_handoff.department_id", fb.DepartmentID, false)
		if fb.Priority != "" && !validPriority(fb.Priority) {
			v.add(-1, "fallback_handoff.priority", CodeInvalidField, "priority must be low, normal, high or urgent")
		}
		v.fbReads = v.template(-1, "fallback_handoff.note", fb.Note)
	}
	for i := range f.Nodes {
		id := f.Nodes[i].ID
		if _, dup := v.first[id]; dup {
			if id != "" {
				v.add(i, "id", CodeDuplicateID, "another node has the id %q", id)
			}
			continue
		}
		v.first[id] = i
	}
	if _, ok := v.first[f.Start]; !ok || f.Start == "" {
		v.add(-1, "start", CodeMissingStart, "start must name a node")
	}
	for i := range f.Nodes {
		v.node(i, &f.Nodes[i])
	}
	v.graph()
}

// node checks one node's own fields and edges.
func (v *validator) node(i int, n *Node) {
	switch {
	case n.ID == "":
		v.add(i, "id", CodeMissingField, "a node needs an id")
	case !validID(n.ID):
		v.add(i, "id", CodeInvalidField, "an id is 1 to %d letters, digits, _ or -", maxIDLen)
	}
	if utf8.RuneCountInString(n.Name) > maxNameLen {
		v.add(i, "name", CodeInvalidField, "a name is at most %d characters", maxNameLen)
	}
	allowed, known := kindFields[n.Kind]
	switch {
	case n.Kind == "":
		v.add(i, "kind", CodeMissingField, "a node needs a kind")
		return
	case !known:
		v.add(i, "kind", CodeUnknownKind, "unknown kind %q", n.Kind)
		return
	}
	for _, name := range n.usedFields() {
		if !slices.Contains(allowed, name) {
			v.add(i, name, CodeInvalidField, "a %s node does not use %s", n.Kind, name)
		}
	}
	switch n.Kind {
	case KindMessage:
		v.required(i, "text", n.Text)
		v.reads[i] = v.template(i, "text", n.Text)
		if len(n.QuickReplies) > maxQuickReplies {
			v.add(i, "quick_replies", CodeInvalidField, "at most %d quick replies", maxQuickReplies)
		}
		for j, q := range n.QuickReplies {
			v.shortText(i, "quick_replies["+strconv.Itoa(j)+"]", q)
		}
	case KindQuestion:
		v.question(i, n)
	case KindSet:
		v.variable(i, "variable", n.Variable)
		v.reads[i] = v.template(i, "value", n.Value)
	case KindBranch:
		v.branch(i, n)
	case KindKeywords:
		if len(n.Routes) == 0 {
			v.add(i, "routes", CodeMissingField, "a keywords node needs routes")
		}
		for j, r := range n.Routes {
			field := "routes[" + strconv.Itoa(j) + "].phrases"
			if len(r.Phrases) == 0 {
				v.add(i, field, CodeMissingField, "a route needs phrases")
			}
			for k, p := range r.Phrases {
				if len(words(p)) == 0 {
					v.add(i, field+"["+strconv.Itoa(k)+"]", CodeInvalidField, "a phrase needs at least one word")
				}
			}
		}
	case KindHTTP:
		v.http(i, n)
	case KindDepartmentOnline, KindBusinessHours:
		v.department(i, "department_id", n.DepartmentID, true)
	case KindWait:
		switch {
		case n.DurationMS == 0:
			v.add(i, "duration_ms", CodeMissingField, "a wait needs duration_ms")
		case n.DurationMS < minWaitMS || n.DurationMS > maxWaitMS:
			v.add(i, "duration_ms", CodeInvalidField, "a wait lasts from 1 second to 7 days")
		}
	case KindHandoff:
		v.department(i, "department_id", n.DepartmentID, false)
		if n.Priority != "" && !validPriority(n.Priority) {
			v.add(i, "priority", CodeInvalidField, "priority must be low, normal, high or urgent")
		}
		v.reads[i] = v.template(i, "note", n.Note)
	}
	for _, e := range n.edges() {
		switch {
		case e.target == "" && e.required && n.Kind == KindJump:
			v.add(i, e.field, CodeMissingField, "a jump needs to")
		case e.target == "" && e.required:
			v.add(i, e.field, CodeNoWayOut, "%s is required: the conversation would be stuck here", e.field)
		case e.target != "":
			if _, ok := v.first[e.target]; !ok {
				v.add(i, e.field, CodeEdgeToMissingNode, "no node has the id %q", e.target)
			}
		}
	}
}

func (v *validator) question(i int, n *Node) {
	v.required(i, "text", n.Text)
	reads := v.template(i, "text", n.Text)
	for _, r := range v.template(i, "retry_text", n.RetryText) {
		r.afterInput = true
		reads = append(reads, r)
	}
	v.reads[i] = reads
	switch n.Answer {
	case "":
		v.add(i, "answer", CodeMissingField, "a question needs an answer type")
	case AnswerText, AnswerEmail, AnswerPhone, AnswerNumber, AnswerDate:
		if len(n.Choices) > 0 {
			v.add(i, "choices", CodeInvalidField, "only choice questions have choices")
		}
	case AnswerChoice:
		switch {
		case len(n.Choices) == 0:
			v.add(i, "choices", CodeMissingField, "a choice question needs choices")
		case len(n.Choices) < minChoices || len(n.Choices) > maxChoices:
			v.add(i, "choices", CodeInvalidField, "a choice question has %d to %d choices", minChoices, maxChoices)
		}
		seen := map[string]bool{}
		for j, c := range n.Choices {
			field := "choices[" + strconv.Itoa(j) + "]"
			v.shortText(i, field, c)
			key := strings.Join(words(c), " ")
			if _, err := strconv.Atoi(strings.TrimSpace(c)); err == nil {
				// A number would be read as the choice's position.
				v.add(i, field, CodeInvalidField, "a choice may not be a bare number")
			} else if seen[key] && key != "" {
				v.add(i, field, CodeInvalidField, "two choices read the same")
			}
			seen[key] = true
		}
	default:
		v.add(i, "answer", CodeInvalidField, "answer must be text, email, phone, number, date or choice")
	}
	v.variable(i, "save_as", n.SaveAs)
	if n.Store != "" && n.Store != StoreConversation && n.Store != StoreContact {
		v.add(i, "store", CodeInvalidField, "store must be empty, conversation or contact")
	}
	if n.MaxRetries < 0 || n.MaxRetries > maxRetriesLimit {
		v.add(i, "max_retries", CodeInvalidField, "max_retries must be between 0 (meaning 2) and %d", maxRetriesLimit)
	}
}

func (v *validator) branch(i int, n *Node) {
	if len(n.Conditions) == 0 {
		v.add(i, "conditions", CodeMissingField, "a branch needs conditions")
	}
	var reads []read
	// A condition is only tested when the ones before it were false, so a
	// not_set before it proves its variable set.
	proven := map[string]bool{}
	for j, c := range n.Conditions {
		prefix := "conditions[" + strconv.Itoa(j) + "]."
		v.variable(i, prefix+"variable", c.Variable)
		switch c.Op {
		case "":
			v.add(i, prefix+"op", CodeMissingField, "a condition needs an op")
			continue
		case OpIsSet, OpNotSet:
			if c.Value != "" {
				v.add(i, prefix+"value", CodeInvalidField, "%s takes no value", c.Op)
			}
			if c.Op == OpNotSet {
				proven[c.Variable] = true
			}
			continue
		case OpEquals, OpNotEquals, OpContains, OpMatches, OpGreater, OpLess:
		default:
			v.add(i, prefix+"op", CodeInvalidField, "unknown op %q", c.Op)
			continue
		}
		if validName(c.Variable) && !proven[c.Variable] {
			reads = append(reads, read{field: prefix + "variable", name: c.Variable})
		}
		for _, r := range v.template(i, prefix+"value", c.Value) {
			if !proven[r.name] {
				reads = append(reads, r)
			}
		}
		switch c.Op {
		case OpMatches:
			if _, err := regexp.Compile(render(c.Value, nil, func(string) string { return "" })); err != nil {
				v.add(i, prefix+"value", CodeInvalidField, "not a regular expression: %v", err)
			}
		case OpGreater, OpLess:
			if !strings.Contains(c.Value, "{{") {
				if _, ok := number(c.Value); !ok {
					v.add(i, prefix+"value", CodeInvalidField, "%s compares numbers, and %q is not one", c.Op, c.Value)
				}
			}
		}
	}
	v.reads[i] = reads
}

func (v *validator) http(i int, n *Node) {
	switch {
	case n.Method == "":
		v.add(i, "method", CodeMissingField, "an http node needs a method")
	case !validMethod(n.Method):
		v.add(i, "method", CodeInvalidField, "method must be GET, POST, PUT, PATCH or DELETE")
	}
	reads := v.template(i, "url", n.URL)
	if v.required(i, "url", n.URL) && !validHTTPURL(render(n.URL, nil, func(string) string { return "x" })) {
		v.add(i, "url", CodeInvalidField, "url must be an absolute http or https URL")
	}
	for _, k := range slices.Sorted(maps.Keys(n.Headers)) {
		field := "headers." + k
		if !validHeaderName(k) {
			v.add(i, field, CodeInvalidField, "not a header name")
		}
		if strings.ContainsAny(n.Headers[k], "\r\n") {
			v.add(i, field, CodeInvalidField, "a header value is one line")
		}
		reads = append(reads, v.template(i, field, n.Headers[k])...)
	}
	reads = append(reads, v.template(i, "body", n.Body)...)
	// Placeholders stand for a JSON number or the inside of a string.
	if n.Body != "" && !json.Valid([]byte(render(n.Body, nil, func(string) string { return "0" }))) {
		v.add(i, "body", CodeInvalidField, "body must be JSON")
	}
	if n.TimeoutMS < 0 || n.TimeoutMS > maxTimeoutMS {
		v.add(i, "timeout_ms", CodeInvalidField, "timeout_ms must be between 0 (meaning 5000) and %d", maxTimeoutMS)
	}
	if n.Retries < 0 || n.Retries > maxHTTPRetries {
		v.add(i, "retries", CodeInvalidField, "retries must be between 0 and %d", maxHTTPRetries)
	}
	for j, m := range n.Map {
		prefix := "map[" + strconv.Itoa(j) + "]."
		v.variable(i, prefix+"variable", m.Variable)
		if v.required(i, prefix+"path", m.Path) && slices.Contains(strings.Split(m.Path, "."), "") {
			v.add(i, prefix+"path", CodeInvalidField, "a path is names or indexes separated by dots")
		}
	}
	v.reads[i] = reads
}

// required reports a missing field and says whether it is there.
func (v *validator) required(i int, field, value string) bool {
	if value == "" {
		v.add(i, field, CodeMissingField, "%s is required", field)
		return false
	}
	return true
}

func (v *validator) variable(i int, field, name string) {
	if v.required(i, field, name) && !validName(name) {
		v.add(i, field, CodeInvalidField, "%q is not a variable name: lowercase letters, digits, _ and ., starting with a letter, at most 64", name)
	}
}

func (v *validator) shortText(i int, field, s string) {
	if t := strings.TrimSpace(s); t == "" || utf8.RuneCountInString(t) > maxReplyLen {
		v.add(i, field, CodeInvalidField, "must be 1 to %d characters", maxReplyLen)
	}
}

func (v *validator) department(i int, field, id string, required bool) {
	switch {
	case id == "":
		if required {
			v.add(i, field, CodeMissingField, "%s is required", field)
		}
	case !validUUID(id):
		v.add(i, field, CodeInvalidField, "%q is not a department id", id)
	case v.ctx.Departments != nil && !v.ctx.Departments(id):
		v.add(i, field, CodeMissingDepartment, "no department has the id %s", id)
	}
}

// template reports placeholders that are not variable names and returns
// the variables the template reads.
func (v *validator) template(i int, field, tpl string) []read {
	names, bad := templateVars(tpl)
	for _, b := range bad {
		v.add(i, field, CodeInvalidField, "%s is not a variable: names are lowercase letters, digits, _ and .", b)
	}
	var out []read
	for _, name := range names {
		out = append(out, read{field: field, name: name})
	}
	return out
}

// graph runs the checks that need the whole graph: reachability, loops
// that never wait for anyone, and variables read before they are set.
func (v *validator) graph() {
	f := v.f
	// Only first nodes with a known kind are in the graph; the others
	// already have problems of their own.
	inGraph := make([]bool, len(f.Nodes))
	succ := make([][]int, len(f.Nodes)) // per node, per edge: target index or -1
	for i := range f.Nodes {
		n := &f.Nodes[i]
		if _, known := kindFields[n.Kind]; !known || v.first[n.ID] != i {
			continue
		}
		inGraph[i] = true
		for _, e := range n.edges() {
			t, ok := v.first[e.target]
			if !ok || e.target == "" {
				t = -1
			}
			succ[i] = append(succ[i], t)
		}
	}

	start, hasStart := v.first[f.Start]
	hasStart = hasStart && f.Start != "" && inGraph[start]
	reachable := make([]bool, len(f.Nodes))
	var order []int
	if hasStart {
		reachable[start] = true
		order = append(order, start)
		for k := 0; k < len(order); k++ {
			for _, t := range succ[order[k]] {
				if t >= 0 && !reachable[t] {
					reachable[t] = true
					order = append(order, t)
				}
			}
		}
		for i := range f.Nodes {
			if inGraph[i] && !reachable[i] {
				v.add(i, "", CodeUnreachableNode, "no path from the start leads here")
			}
		}
	}

	v.loops(inGraph, succ)
	if hasStart {
		v.dataflow(start, order, succ)
	}
}

// breaksLoops reports whether a node waits for the outside world, so that
// a cycle through it cannot spin.
func breaksLoops(kind string) bool {
	return kind == KindQuestion || kind == KindKeywords || kind == KindWait
}

// loops reports every cycle none of whose nodes waits, once per strongly
// connected component, on its first node.
func (v *validator) loops(inGraph []bool, succ [][]int) {
	f := v.f
	n := len(f.Nodes)
	active := func(i int) bool { return i >= 0 && inGraph[i] && !breaksLoops(f.Nodes[i].Kind) }
	index := make([]int, n)
	low := make([]int, n)
	onStack := make([]bool, n)
	for i := range index {
		index[i] = -1
	}
	var stack []int
	next := 0
	var strong func(i int)
	strong = func(i int) {
		index[i], low[i] = next, next
		next++
		stack = append(stack, i)
		onStack[i] = true
		for _, t := range succ[i] {
			if !active(t) {
				continue
			}
			if index[t] < 0 {
				strong(t)
				low[i] = min(low[i], low[t])
			} else if onStack[t] {
				low[i] = min(low[i], index[t])
			}
		}
		if low[i] != index[i] {
			return
		}
		var comp []int
		for {
			t := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			onStack[t] = false
			comp = append(comp, t)
			if t == i {
				break
			}
		}
		if len(comp) == 1 && !slices.Contains(succ[i], i) {
			return
		}
		slices.Sort(comp)
		ids := make([]string, len(comp))
		for k, c := range comp {
			ids[k] = f.Nodes[c].ID
		}
		v.add(comp[0], "", CodeLoopWithoutInput, "these nodes loop without waiting for the visitor: %s", strings.Join(ids, ", "))
	}
	for i := range f.Nodes {
		if active(i) && index[i] < 0 {
			strong(i)
		}
	}
}

// dataflow finds variables read where they are not set on every path from
// the start: a must-be-set analysis over bitsets, iterated to a fixpoint.
func (v *validator) dataflow(start int, order []int, succ [][]int) {
	f := v.f
	names := map[string]int{}
	id := func(name string) int {
		k, ok := names[name]
		if !ok {
			k = len(names)
			names[name] = k
		}
		return k
	}
	for _, b := range builtins {
		id(b)
	}
	lastInput := id("last_input")
	// gen[i][e]: variables set when node i leaves through edge e.
	gen := make([][][]int, len(f.Nodes))
	for _, i := range order {
		n := &f.Nodes[i]
		gen[i] = make([][]int, len(succ[i]))
		add := func(e int, name string) {
			if e < len(gen[i]) && validName(name) {
				gen[i][e] = append(gen[i][e], id(name))
			}
		}
		switch n.Kind {
		case KindQuestion:
			for e := range gen[i] {
				add(e, "last_input")
			}
			add(0, n.SaveAs)
		case KindKeywords:
			for e := range gen[i] {
				add(e, "last_input")
			}
		case KindSet:
			add(0, n.Variable)
		case KindHTTP:
			for _, m := range n.Map {
				add(0, m.Variable)
			}
		case KindBranch:
			// Taking conditions[k] proves it true and the ones before false;
			// else proves them all false.
			for e := range gen[i] {
				for j, c := range n.Conditions {
					switch {
					case j == e && c.Op == OpIsSet, j < e && c.Op == OpNotSet:
						add(e, c.Variable)
					}
				}
			}
		}
	}
	nwords := (len(names) + 63) / 64
	type bits []uint64
	top := make(bits, nwords)
	for k := range top {
		top[k] = ^uint64(0)
	}
	entry := make(bits, nwords)
	for _, b := range builtins {
		entry[names[b]/64] |= 1 << (names[b] % 64)
	}
	type pred struct{ from, edge int }
	preds := make([][]pred, len(f.Nodes))
	for _, i := range order {
		for e, t := range succ[i] {
			if t >= 0 {
				preds[t] = append(preds[t], pred{i, e})
			}
		}
	}
	in := make([]bits, len(f.Nodes))
	for _, i := range order {
		in[i] = slices.Clone(top)
	}
	cur := make(bits, nwords)
	out := make(bits, nwords)
	for changed := true; changed; {
		changed = false
		for _, i := range order {
			copy(cur, top)
			if i == start {
				copy(cur, entry)
			}
			for _, p := range preds[i] {
				copy(out, in[p.from])
				for _, k := range gen[p.from][p.edge] {
					out[k/64] |= 1 << (k % 64)
				}
				for w := range cur {
					cur[w] &= out[w]
				}
			}
			if !slices.Equal(cur, in[i]) {
				copy(in[i], cur)
				changed = true
			}
		}
	}
	isSet := func(b bits, name string, extra bool) bool {
		k, ok := names[name]
		if !ok {
			return false
		}
		return extra && k == lastInput || b[k/64]&(1<<(k%64)) != 0
	}
	for _, i := range order {
		for _, r := range v.reads[i] {
			if !isSet(in[i], r.name, r.afterInput) {
				v.add(i, r.field, CodeVariableNotSet, "%s may not be set when the flow gets here", r.name)
			}
		}
	}
	// The fallback note renders at question and keywords nodes, after
	// their input.
	if len(v.fbReads) > 0 {
		at := slices.Clone(top)
		seen := false
		for _, i := range order {
			if k := f.Nodes[i].Kind; k == KindQuestion || k == KindKeywords {
				seen = true
				for w := range at {
					at[w] &= in[i][w]
				}
			}
		}
		if seen {
			for _, r := range v.fbReads {
				if !isSet(at, r.name, true) {
					v.add(-1, r.field, CodeVariableNotSet, "%s may not be set where the fallback loop hands off", r.name)
				}
			}
		}
	}
}
