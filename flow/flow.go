// Package flow holds bot-flow documents, their validation and a pure,
// deterministic interpreter for them.
//
// A conversation's workflow runs the interpreter during its bot phase and
// keeps the interpreter's State in its own state, so everything here must
// replay identically: the package does no I/O, reads no clock, draws no
// random numbers and never lets map iteration order leak into a result.
// Every type round-trips through encoding/json (the interpreter only ever
// produces nil, never empty, slices and maps under omitempty tags, so the
// round trip is exact).
//
// Behaviour the specification left open, decided the way a flow designer
// would expect it:
//
//   - An edge left empty ends the flow (a hop with edge "end" and an end
//     effect). Validation only allows that on message nodes; every other
//     kind that has edges needs them (no_way_out), except a question's
//     fallback: without one, an invalid answer is re-asked until the
//     fallback limit hands the conversation off. An edge naming a node that
//     does not exist (a flow saved before validation, or edited while a
//     conversation was inside it) hands off with reason "error".
//   - Fallback counting: every invalid answer and every keywords miss counts
//     one; a valid answer or a matched route resets the count. The limit
//     is checked before the question's own retries, so with the defaults
//     (limit 2, max_retries 2) the second invalid answer in a row hands off.
//   - Human phrases are checked when a visitor message arrives, whatever the
//     flow awaits (an answer, a timer, an HTTP call, a department check),
//     so "talk to a human" always works. The asked_for_human and error
//     handoffs use Flow.Fallback's department and priority, not its note.
//   - A visitor message that arrives while the flow waits for an HTTP or a
//     department answer is queued (the newest wins). The first wait node the
//     flow then meets treats it as the visitor having written and takes
//     "next" at once; later wait nodes start their timers. Question and
//     keywords nodes consume it; a question still sends its text first, so
//     the transcript shows what the message answered.
//   - Timers and answers the state does not await (stale tokens, results for
//     another node) are ignored and change nothing.
//   - Templates: {{name}} and {{ name }} read a variable; anything else
//     between braces is literal text (and a validation problem). In an
//     http node's url, values are percent-encoded; in its body they are
//     JSON-string-escaped (write "{{name}}" inside quotes); header values
//     lose CR and LF. A rendered url that is not an absolute http(s) URL,
//     or a rendered body that is not JSON, takes the failure edge without
//     calling anything. A matches condition quotes the variables it
//     renders into its pattern, and is case-sensitive unless the pattern
//     says (?i).
//   - Variable checks: is_set and not_set conditions may read variables that
//     are not set (that is their purpose), and on the edge they prove, the
//     variable counts as set. A question's retry_text may read last_input.
//     Flow.Fallback's note may read what is set at every question and
//     keywords node, plus last_input.
//   - Answers: choices match case- and accent-insensitively or by their
//     1-based number, and store the choice as written in the flow; dates
//     accept one- or two-digit days and months; HTTP map values are strings,
//     numbers keep their JSON text, null is empty and objects or arrays are
//     stored as compact JSON. A map path that is missing, or a body that is
//     not JSON while the node maps something, takes the failure edge and
//     sets nothing.
//   - Limits not in the specification: fallback_limit and max_retries at
//     most 10, names at most 100 characters, choices 1–40 characters like
//     quick replies, distinct and not bare numbers (a number picks by
//     position). Fields that the node's kind does not use are reported as
//     invalid_field, because they are almost always a mistake (an edge on
//     the wrong kind silently does nothing). Codes beyond the
//     specification's: too_many_nodes (field "nodes") from Validate, and
//     too_large from Parse.
//   - Handoffs that are not a handoff node's (fallback loop, human phrase)
//     record a hop with edge "handoff" at the node the flow was at; an
//     error handoff caused by an edge to a missing node or by the step cap
//     adds no hop, since the node before it already recorded its edge.
//   - Validation reports a loop without input once, on its first node in
//     document order, naming its nodes. When ids repeat, edges lead to the
//     first node with the id, in validation and in the interpreter alike.
//   - A question that stores its answer emits set_field with the save_as
//     name as the key.
//   - Simulate answers department checks from stubs keyed by node id first,
//     then by "online:<department_id>" or "hours:<department_id>". It
//     answers at most 1,000 HTTP and department checks per input, so a flow
//     that loops through HTTP calls cannot hang it.
package flow

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Node kinds, as they appear in a node's json "kind".
const (
	KindMessage          = "message"
	KindQuestion         = "question"
	KindSet              = "set"
	KindBranch           = "branch"
	KindKeywords         = "keywords"
	KindHTTP             = "http"
	KindDepartmentOnline = "department_online"
	KindBusinessHours    = "business_hours"
	KindWait             = "wait"
	KindHandoff          = "handoff"
	KindEnd              = "end"
	KindJump             = "jump"
)

// Answer types of a question node.
const (
	AnswerText   = "text"
	AnswerEmail  = "email"
	AnswerPhone  = "phone"
	AnswerNumber = "number"
	AnswerDate   = "date"
	AnswerChoice = "choice"
)

// Condition operators of a branch node.
const (
	OpEquals    = "equals"
	OpNotEquals = "not_equals"
	OpContains  = "contains"
	OpMatches   = "matches"
	OpGreater   = "greater"
	OpLess      = "less"
	OpIsSet     = "is_set"
	OpNotSet    = "not_set"
)

// Where a question also stores its answer, besides the variable.
const (
	StoreConversation = "conversation"
	StoreContact      = "contact"
)

// Limits on documents.
const (
	// MaxDocumentSize bounds what Parse accepts, so a flow always fits
	// comfortably in a workflow's history.
	MaxDocumentSize = 256 << 10
	// MaxNodes bounds a flow's nodes, which keeps validation cheap and the
	// flow editable by people.
	MaxNodes = 500
)

// Flow is a bot-flow document: a graph of nodes starting at Start.
type Flow struct {
	Start string `json:"start"`
	Nodes []Node `json:"nodes"`
	// FallbackLimit is how many fallbacks in a row hand the conversation
	// off; 0 means 2.
	FallbackLimit int `json:"fallback_limit,omitempty"`
	// Fallback is where a fallback-loop handoff goes; nil hands off to the
	// inbox's default department with the priority unchanged.
	Fallback *Handoff `json:"fallback_handoff,omitempty"`
}

// Handoff describes where the fallback loop hands a conversation off.
type Handoff struct {
	DepartmentID string `json:"department_id,omitempty"`
	Priority     string `json:"priority,omitempty"`
	Note         string `json:"note,omitempty"`
}

// Node is one step of a flow. It is a single struct for every kind so that
// documents stay flat JSON; each kind uses only its own fields (the package
// comment lists them) and Validate reports the others.
type Node struct {
	ID   string `json:"id"`
	Kind string `json:"kind"`
	Name string `json:"name,omitempty"`

	// message, question
	Text         string   `json:"text,omitempty"`
	QuickReplies []string `json:"quick_replies,omitempty"`

	// question
	Answer     string   `json:"answer,omitempty"`
	Choices    []string `json:"choices,omitempty"`
	SaveAs     string   `json:"save_as,omitempty"`
	Store      string   `json:"store,omitempty"`
	RetryText  string   `json:"retry_text,omitempty"`
	MaxRetries int      `json:"max_retries,omitempty"`

	// set
	Variable string `json:"variable,omitempty"`
	Value    string `json:"value,omitempty"`

	// branch
	Conditions []Condition `json:"conditions,omitempty"`

	// keywords
	Routes []Route `json:"routes,omitempty"`

	// http
	Method    string            `json:"method,omitempty"`
	URL       string            `json:"url,omitempty"`
	Headers   map[string]string `json:"headers,omitempty"`
	Body      string            `json:"body,omitempty"`
	TimeoutMS int               `json:"timeout_ms,omitempty"`
	Retries   int               `json:"retries,omitempty"`
	Map       []Mapping         `json:"map,omitempty"`

	// department_online, business_hours, handoff
	DepartmentID string `json:"department_id,omitempty"`

	// wait
	DurationMS int64 `json:"duration_ms,omitempty"`

	// handoff
	Priority string `json:"priority,omitempty"`
	Note     string `json:"note,omitempty"`

	// jump
	To string `json:"to,omitempty"`

	// Edges.
	Next     string `json:"next,omitempty"`
	Fallback string `json:"fallback,omitempty"`
	Else     string `json:"else,omitempty"`
	Failure  string `json:"failure,omitempty"`
	Yes      string `json:"yes,omitempty"`
	No       string `json:"no,omitempty"`
	Timeout  string `json:"timeout,omitempty"`
}

// Condition is one test of a branch node; the first true one wins.
type Condition struct {
	Variable string `json:"variable"`
	Op       string `json:"op"`
	Value    string `json:"value,omitempty"`
	Next     string `json:"next"`
}

// Route is one way out of a keywords node.
type Route struct {
	Phrases []string `json:"phrases"`
	Next    string   `json:"next"`
}

// Mapping copies a value of an HTTP node's JSON answer into a variable.
type Mapping struct {
	Variable string `json:"variable"`
	// Path is dotted, with numeric indexes into arrays: order.items.0.name.
	Path string `json:"path"`
}

// ParseError says why Parse rejected a document, and where.
type ParseError struct {
	// Code is invalid_json or too_large.
	Code string `json:"code"`
	// Path locates the problem (nodes[3].routes.phrases); empty when the
	// whole document is at fault.
	Path    string `json:"path,omitempty"`
	Message string `json:"message"`
}

// Error implements error.
func (e *ParseError) Error() string {
	if e.Path == "" {
		return "flow: " + e.Message
	}
	return "flow: " + e.Path + ": " + e.Message
}

// Problem lets an API report a parse error the way it reports validation
// problems.
func (e *ParseError) Problem() Problem {
	return Problem{Field: e.Path, Code: e.Code, Message: e.Message}
}

// Parse decodes a flow document strictly: unknown fields and trailing data
// are errors, because a misspelt field would otherwise be silently dropped
// and the flow would behave differently from what its author wrote.
func Parse(data []byte) (*Flow, error) {
	if len(data) > MaxDocumentSize {
		return nil, &ParseError{Code: CodeTooLarge, Message: fmt.Sprintf("document is %d bytes, more than %d", len(data), MaxDocumentSize)}
	}
	// Nodes are decoded one by one so that an error can name the node.
	var top struct {
		Start         string            `json:"start"`
		Nodes         []json.RawMessage `json:"nodes"`
		FallbackLimit int               `json:"fallback_limit"`
		Fallback      *Handoff          `json:"fallback_handoff"`
	}
	if err := decodeStrict(data, &top); err != nil {
		return nil, parseError("", err)
	}
	f := &Flow{Start: top.Start, FallbackLimit: top.FallbackLimit, Fallback: top.Fallback}
	if len(top.Nodes) > 0 {
		f.Nodes = make([]Node, len(top.Nodes))
	}
	for i, raw := range top.Nodes {
		if err := decodeStrict(raw, &f.Nodes[i]); err != nil {
			return nil, parseError("nodes["+strconv.Itoa(i)+"]", err)
		}
		f.Nodes[i].normalize()
	}
	return f, nil
}

func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("unexpected data after the document")
	}
	return nil
}

func parseError(path string, err error) *ParseError {
	msg := strings.TrimPrefix(err.Error(), "json: ")
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		if path != "" {
			path += "."
		}
		path += te.Field
		msg = "expected " + te.Type.String() + ", got " + te.Value
	}
	return &ParseError{Code: CodeInvalidJSON, Path: path, Message: msg}
}

// normalize turns empty collections into nil so that a parsed flow
// re-encodes (omitting them) and decodes back to an equal value.
func (n *Node) normalize() {
	if len(n.QuickReplies) == 0 {
		n.QuickReplies = nil
	}
	if len(n.Choices) == 0 {
		n.Choices = nil
	}
	if len(n.Conditions) == 0 {
		n.Conditions = nil
	}
	if len(n.Routes) == 0 {
		n.Routes = nil
	}
	for i := range n.Routes {
		if len(n.Routes[i].Phrases) == 0 {
			n.Routes[i].Phrases = nil
		}
	}
	if len(n.Headers) == 0 {
		n.Headers = nil
	}
	if len(n.Map) == 0 {
		n.Map = nil
	}
}

// edge is one way out of a node, as validation sees it.
type edge struct {
	field    string // the field naming it: next, routes[1].next
	target   string
	required bool
}

// edges lists a node's ways out in a fixed order. Kinds that may end the
// flow have optional edges; so has a question's fallback (see the package
// comment).
func (n *Node) edges() []edge {
	switch n.Kind {
	case KindMessage:
		return []edge{{"next", n.Next, false}}
	case KindQuestion:
		return []edge{{"next", n.Next, true}, {"fallback", n.Fallback, false}}
	case KindSet:
		return []edge{{"next", n.Next, true}}
	case KindBranch:
		es := make([]edge, 0, len(n.Conditions)+1)
		for i, c := range n.Conditions {
			es = append(es, edge{"conditions[" + strconv.Itoa(i) + "].next", c.Next, true})
		}
		return append(es, edge{"else", n.Else, true})
	case KindKeywords:
		es := make([]edge, 0, len(n.Routes)+1)
		for i, r := range n.Routes {
			es = append(es, edge{"routes[" + strconv.Itoa(i) + "].next", r.Next, true})
		}
		return append(es, edge{"fallback", n.Fallback, true})
	case KindHTTP:
		return []edge{{"next", n.Next, true}, {"failure", n.Failure, true}}
	case KindDepartmentOnline, KindBusinessHours:
		return []edge{{"yes", n.Yes, true}, {"no", n.No, true}}
	case KindWait:
		return []edge{{"next", n.Next, true}, {"timeout", n.Timeout, true}}
	case KindJump:
		return []edge{{"to", n.To, true}}
	}
	return nil
}
