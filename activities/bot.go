package activities

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/temporal"

	"github.com/switchboardhq/switchboard/bus"
	"github.com/switchboardhq/switchboard/conversation"
	"github.com/switchboardhq/switchboard/flow"
	"github.com/switchboardhq/switchboard/store"
)

// Bot steps: the conversation's workflow asks for each step of its bot
// flow; the step runs the interpreter (package flow) here, on the flow's
// state kept in PostgreSQL, writes what it produced in one transaction
// (bot messages, fields, funnel hops, the new state) and tells the
// workflow only what it must act on: a timer, an HTTP call, a handoff, the
// end. Customer text never enters Temporal's history.

// Kinds of bot step.
const (
	BotStart      = "start"   // the conversation started with the bot
	BotMessage    = "message" // a visitor message (MessageID)
	BotTimer      = "timer"   // a wait node's timer fired (Token)
	BotHTTPFailed = "http_failed"
	BotResume     = "resume" // people handed the conversation back (Node)
	// botHTTPAnswer: BotCall's answer (in process only).
	botHTTPAnswer = "http_answer"
)

// BotStepInput asks for one step. Step names it uniquely in the
// conversation: a retried activity finds it done.
type BotStepInput struct {
	WorkspaceID    uuid.UUID
	ConversationID uuid.UUID
	Step           string
	Kind           string
	MessageID      uuid.UUID `json:",omitempty"`
	Token          string    `json:",omitempty"`
	Node           string    `json:",omitempty"`
	Err            string    `json:",omitempty"`
}

// BotStepResult is what the workflow must act on after a step.
type BotStepResult struct {
	// Await is what the flow waits for (flow.Await*); empty when the
	// conversation is not with the bot (people took it: the bot is
	// silent).
	Await string
	// TimerToken and TimerAt: a wait node's timer to arm.
	TimerToken string     `json:",omitempty"`
	TimerAt    *time.Time `json:",omitempty"`
	// HTTP: the node whose call to make (BotCall), with its timeout and
	// retries.
	HTTPNode      string `json:",omitempty"`
	HTTPTimeoutMS int    `json:",omitempty"`
	HTTPRetries   int    `json:",omitempty"`
	// Handoff: the flow handed the conversation to people.
	Handoff *BotHandoff `json:",omitempty"`
	// Replies counts the bot messages the step wrote.
	Replies int `json:",omitempty"`
	// Since, for a start: the conversation's last seq when the bot
	// started. What the visitor wrote up to it opened the conversation
	// (the flow has it as first_message); it is no answer to the flow.
	Since int64 `json:",omitempty"`
}

// BotHandoff is where and why a flow hands off; no customer text.
type BotHandoff struct {
	Reason       string
	DepartmentID *uuid.UUID `json:",omitempty"`
	Priority     string     `json:",omitempty"`
}

// flowCache keeps published flow versions parsed: they never change.
var flowCache sync.Map // "flow id/version" -> *flow.Flow

// loadFlow reads and parses a published flow version.
func (a *Activities) loadFlow(ctx context.Context, workspaceID, flowID uuid.UUID, version int) (*flow.Flow, error) {
	key := fmt.Sprintf("%s/%d", flowID, version)
	if f, ok := flowCache.Load(key); ok {
		return f.(*flow.Flow), nil
	}
	v, err := a.Store.FlowVersion(ctx, workspaceID, flowID, version)
	if err != nil {
		return nil, fmt.Errorf("loading flow %s version %d: %w", flowID, version, err)
	}
	f, err := flow.Parse(v.Document)
	if err != nil {
		return nil, temporal.NewNonRetryableApplicationError(fmt.Sprintf("flow %s version %d does not parse: %v", flowID, version, err), "BadFlow", err)
	}
	flowCache.Store(key, f)
	return f, nil
}

// BotStep runs one step of a conversation's bot flow.
func (a *Activities) BotStep(ctx context.Context, in BotStepInput) (BotStepResult, error) {
	settings, err := a.Store.WorkspaceSettings(ctx, in.WorkspaceID)
	if err != nil {
		return BotStepResult{}, fmt.Errorf("reading workspace settings: %w", err)
	}
	return a.step(ctx, in, settings, nil)
}

// step runs a step with the workspace's settings; answer is BotCall's
// HTTP answer.
func (a *Activities) step(ctx context.Context, in BotStepInput, settings store.WorkspaceSettings, answer *flow.Input) (BotStepResult, error) {
	opt := flow.Options{HumanPhrases: settings.HumanPhrases}
	var text string
	if in.Kind == BotMessage {
		m, err := a.Store.Message(ctx, in.WorkspaceID, in.ConversationID, in.MessageID)
		if err != nil {
			return BotStepResult{}, fmt.Errorf("reading message %s: %w", in.MessageID, err)
		}
		text = m.Body
	}
	var res BotStepResult
	now := time.Now()
	taken, sent, err := a.Store.BotStep(ctx, in.WorkspaceID, in.ConversationID, in.Step, now, func(c store.BotConversation) (store.BotWrite, error) {
		res = BotStepResult{}
		if c.Status != conversation.StatusOpen || c.Phase != conversation.PhaseBot || c.FlowID == nil {
			// People have it (or it is closed): the bot is silent. Its
			// state stays as it was.
			var st store.BotState
			if c.Bot != nil {
				st = *c.Bot
			}
			return store.BotWrite{State: st}, nil
		}
		f, err := a.loadFlow(ctx, in.WorkspaceID, *c.FlowID, c.FlowVersion)
		if err != nil {
			return store.BotWrite{}, err
		}
		return a.botDecide(ctx, c, f, in, text, answer, opt, now, &res)
	})
	if err != nil {
		return BotStepResult{}, err
	}
	if !taken {
		// A retry of a step that committed: answer from what it left.
		return a.botSince(ctx, in)
	}
	a.publishBotMessages(ctx, sent)
	res.Replies = len(sent)
	return res, nil
}

// botDecide feeds the step's input to the interpreter, answers department
// checks on the spot, and turns the output into what to write and what the
// workflow must do.
func (a *Activities) botDecide(ctx context.Context, c store.BotConversation, f *flow.Flow, in BotStepInput, text string,
	answer *flow.Input, opt flow.Options, now time.Time, res *BotStepResult) (store.BotWrite, error) {
	var st store.BotState
	if c.Bot != nil {
		st = *c.Bot
	}
	var out flow.Output
	switch {
	case in.Kind == BotStart && c.Bot == nil:
		vars := map[string]string{"first_message": c.FirstMessage}
		st.Flow, out = flow.Start(f, vars, opt)
		res.Since = c.LastSeq
		if flow.AsksForHuman(c.FirstMessage, opt) && !st.Flow.Finished() {
			// Opened with "talk to a person": the flow's human-phrase
			// rule, at once.
			var more flow.Output
			st.Flow, more = flow.Step(f, st.Flow, flow.Input{Kind: flow.InputMessage, Text: c.FirstMessage}, opt)
			out = flow.Output{Effects: append(out.Effects, more.Effects...), Hops: append(out.Hops, more.Hops...), Await: more.Await}
		}
	case in.Kind == BotStart:
		out = flow.Output{Await: st.Flow.Await} // started before
		res.Since = c.LastSeq
	case in.Kind == BotMessage:
		st.Flow, out = flow.Step(f, st.Flow, flow.Input{Kind: flow.InputMessage, Text: text}, opt)
	case in.Kind == BotTimer:
		st.Flow, out = flow.Step(f, st.Flow, flow.Input{Kind: flow.InputTimer, Token: in.Token}, opt)
	case in.Kind == BotHTTPFailed:
		st.HTTP = nil
		st.Flow, out = flow.Step(f, st.Flow, flow.Input{Kind: flow.InputHTTP, Node: in.Node, Err: in.Err}, opt)
	case in.Kind == botHTTPAnswer && answer != nil:
		st.HTTP = nil
		st.Flow, out = flow.Step(f, st.Flow, *answer, opt)
	case in.Kind == BotResume:
		st.Handoff = nil
		st.Flow, out = flow.Resume(f, st.Flow, in.Node, opt)
	default:
		return store.BotWrite{}, temporal.NewNonRetryableApplicationError("unknown bot step kind "+in.Kind, "Invalid", nil)
	}
	w := store.BotWrite{}
	// Department checks are answered here, at once, as often as the flow
	// asks (bounded: the interpreter caps the nodes of a step).
	for i := 0; out.Await == flow.AwaitDepartment && i < flow.MaxVisits; i++ {
		w.Hops = append(w.Hops, out.Hops...)
		collect(&w, &st, out.Effects, now, res)
		check := lastEffect(out.Effects, flow.EffectCheckDepartment)
		yes, err := a.departmentAnswer(ctx, c.WorkspaceID, check)
		if err != nil {
			return store.BotWrite{}, err
		}
		st.Flow, out = flow.Step(f, st.Flow, flow.Input{Kind: flow.InputDepartment, Node: check.Node, Yes: yes}, opt)
	}
	w.Hops = append(w.Hops, out.Hops...)
	collect(&w, &st, out.Effects, now, res)
	res.Await = out.Await
	w.State = st
	return w, nil
}

// collect sorts a step's effects into writes (replies, fields), the
// state (the pending call, the handoff) and the workflow's result.
func collect(w *store.BotWrite, st *store.BotState, effects []flow.Effect, now time.Time, res *BotStepResult) {
	for _, e := range effects {
		switch e.Kind {
		case flow.EffectReply:
			w.Replies = append(w.Replies, store.BotReply{Text: e.Text, QuickReplies: e.QuickReplies})
		case flow.EffectSetField:
			w.Fields = append(w.Fields, store.BotField{Scope: e.Scope, Key: e.Key, Value: e.Value})
		case flow.EffectStartTimer:
			at := now.Add(time.Duration(e.DurationMS) * time.Millisecond)
			res.TimerToken, res.TimerAt = e.Token, &at
			st.TimerAt = &at
		case flow.EffectHTTP:
			call := e
			st.HTTP = &call
			res.HTTPNode, res.HTTPTimeoutMS, res.HTTPRetries = e.Node, e.TimeoutMS, e.Retries
		case flow.EffectHandoff:
			h := e
			st.Handoff = &h
			res.Handoff = &BotHandoff{Reason: e.Reason, Priority: e.Priority}
			if id, err := uuid.Parse(e.DepartmentID); err == nil {
				res.Handoff.DepartmentID = &id
			}
		}
	}
}

func lastEffect(effects []flow.Effect, kind string) flow.Effect {
	for i := len(effects) - 1; i >= 0; i-- {
		if effects[i].Kind == kind {
			return effects[i]
		}
	}
	return flow.Effect{}
}

// departmentAnswer answers a flow's department check: is an operator of
// it online; is it within its business hours (a department without
// hours is always open; one deleted since is neither).
func (a *Activities) departmentAnswer(ctx context.Context, workspaceID uuid.UUID, check flow.Effect) (bool, error) {
	id, err := uuid.Parse(check.DepartmentID)
	if err != nil {
		return false, nil // validation names departments by id: a bad one is nobody's
	}
	if check.What == flow.WhatBusinessHours {
		d, err := a.Store.Department(ctx, workspaceID, id)
		if errors.Is(err, store.ErrNotFound) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		return d.BusinessHours == nil || d.BusinessHours.Open(time.Now()), nil
	}
	return a.Store.DepartmentOnline(ctx, workspaceID, id)
}

// botSince rebuilds a committed step's result from the state it left.
func (a *Activities) botSince(ctx context.Context, in BotStepInput) (BotStepResult, error) {
	var res BotStepResult
	c, err := a.Store.Conversation(ctx, in.WorkspaceID, in.ConversationID)
	if err != nil {
		return res, err
	}
	st, err := a.Store.BotState(ctx, in.WorkspaceID, in.ConversationID)
	if err != nil || st == nil || c.Status != conversation.StatusOpen || c.Phase != conversation.PhaseBot {
		return res, err
	}
	res.Await = st.Flow.Await
	if st.Flow.Await == flow.AwaitTimer && st.Flow.Token != "" {
		res.TimerToken, res.TimerAt = st.Flow.Token, st.TimerAt
	}
	if h := st.HTTP; h != nil && st.Flow.Await == flow.AwaitHTTP {
		res.HTTPNode, res.HTTPTimeoutMS, res.HTTPRetries = h.Node, h.TimeoutMS, h.Retries
	}
	if h := st.Handoff; h != nil && st.Flow.Await == flow.AwaitHandedOff {
		res.Handoff = &BotHandoff{Reason: h.Reason, Priority: h.Priority}
		if id, err := uuid.Parse(h.DepartmentID); err == nil {
			res.Handoff.DepartmentID = &id
		}
	}
	return res, nil
}

// publishBotMessages announces the bot's messages, best effort.
func (a *Activities) publishBotMessages(ctx context.Context, sent []store.Sent) {
	for _, s := range sent {
		ev, err := MessageCreated(s.Message, s.VisitorID, s.ContactID, bus.VisibilityState{Department: s.DepartmentID, Assignee: s.AssigneeID})
		if err == nil {
			err = a.Bus.Publish(ctx, ev)
		}
		if err != nil {
			a.Logger.WarnContext(ctx, "publishing a bot message", "conversation", s.Message.ConversationID, "err", err)
		}
	}
}

// BotCallInput asks for the HTTP call the flow waits for at Node.
type BotCallInput struct {
	WorkspaceID    uuid.UUID
	ConversationID uuid.UUID
	Step           string
	Node           string
}

// maxHTTPAnswer caps what a flow's http node reads of an answer.
const maxHTTPAnswer = 256 << 10

// BotCall makes the call a flow's http node asked for and feeds the answer
// to the flow. A failure worth retrying (no answer, a timeout, 429, 5xx)
// is this activity's error, retried as the node says; any other answer,
// and a host the workspace does not allow, goes to the flow at once (its
// failure edge).
func (a *Activities) BotCall(ctx context.Context, in BotCallInput) (BotStepResult, error) {
	var call *flow.Effect
	settings, err := a.Store.WorkspaceSettings(ctx, in.WorkspaceID)
	if err != nil {
		return BotStepResult{}, err
	}
	state, err := a.Store.BotState(ctx, in.WorkspaceID, in.ConversationID)
	if err != nil {
		return BotStepResult{}, err
	}
	if state != nil && state.HTTP != nil && state.HTTP.Node == in.Node {
		call = state.HTTP
	}
	input := flow.Input{Kind: flow.InputHTTP, Node: in.Node}
	switch {
	case call == nil:
		input.Err = "no call pending at this node"
	default:
		status, body, err := a.httpCall(ctx, *call, settings.FlowHTTPHosts)
		var refused *refusedError
		switch {
		case errors.As(err, &refused):
			input.Err = refused.Error()
		case err != nil:
			return BotStepResult{}, err // retried
		default:
			input.Status, input.Body = status, body
		}
	}
	return a.step(ctx, BotStepInput{
		WorkspaceID: in.WorkspaceID, ConversationID: in.ConversationID, Step: in.Step, Kind: botHTTPAnswer, Node: in.Node,
	}, settings, &input)
}

// refusedError: a call that no retry makes succeed.
type refusedError struct{ reason string }

func (e *refusedError) Error() string { return e.reason }

// httpCall makes one attempt.
func (a *Activities) httpCall(ctx context.Context, call flow.Effect, hosts []string) (int, []byte, error) {
	u, err := url.Parse(call.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		return 0, nil, &refusedError{"the url is not an http(s) url"}
	}
	if !slices.Contains(hosts, strings.ToLower(u.Hostname())) {
		return 0, nil, &refusedError{fmt.Sprintf("host %s is not in the workspace's allowed hosts", u.Hostname())}
	}
	timeout := time.Duration(call.TimeoutMS) * time.Millisecond
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var body io.Reader
	if call.Body != "" {
		body = strings.NewReader(call.Body)
	}
	req, err := http.NewRequestWithContext(ctx, call.Method, call.URL, body)
	if err != nil {
		return 0, nil, &refusedError{"the request cannot be made: " + err.Error()}
	}
	for _, k := range slices.Sorted(maps.Keys(call.Headers)) {
		req.Header.Set(k, call.Headers[k])
	}
	if call.Body != "" && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("User-Agent", "Switchboard-Flow/1")
	resp, err := a.flowClient().Do(req)
	if err != nil {
		var blocked *blockedAddressError
		if errors.As(err, &blocked) {
			return 0, nil, &refusedError{blocked.Error()}
		}
		return 0, nil, fmt.Errorf("calling %s: %w", u.Host, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 {
		return 0, nil, fmt.Errorf("calling %s: %s", u.Host, resp.Status)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxHTTPAnswer+1))
	if err != nil {
		return 0, nil, fmt.Errorf("reading the answer of %s: %w", u.Host, err)
	}
	if len(data) > maxHTTPAnswer {
		return 0, nil, &refusedError{fmt.Sprintf("the answer is larger than %d KiB", maxHTTPAnswer>>10)}
	}
	return resp.StatusCode, data, nil
}

// blockedAddressError: the host resolved to an address flows may not
// reach (loopback, private, link-local) unless the deployment allows it.
type blockedAddressError struct{ addr string }

func (e *blockedAddressError) Error() string {
	return "the host's address " + e.addr + " is private; flows call public hosts only"
}

// flowClient is the client flows call through: no redirects to other
// hosts' surprise, and, unless FlowHTTPAllowPrivate, no private
// addresses (a workspace admin's allowlist must not reach the servers
// next to Switchboard's).
func (a *Activities) flowClient() *http.Client {
	a.clientOnce.Do(func() {
		dialer := &net.Dialer{Timeout: 5 * time.Second}
		if !a.FlowHTTPAllowPrivate {
			dialer.Control = func(_, address string, _ syscall.RawConn) error {
				host, _, err := net.SplitHostPort(address)
				if err != nil {
					return err
				}
				ip := net.ParseIP(host)
				if ip == nil || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsUnspecified() || ip.IsMulticast() {
					return &blockedAddressError{addr: host}
				}
				return nil
			}
		}
		a.client = &http.Client{
			Transport: &http.Transport{DialContext: dialer.DialContext, ResponseHeaderTimeout: 30 * time.Second, MaxIdleConnsPerHost: 4},
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse // a redirect is the answer
			},
		}
	})
	return a.client
}
