package workflows

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/google/uuid"

	"github.com/switchboardhq/switchboard/activities"
	"github.com/switchboardhq/switchboard/conversation"
	"github.com/switchboardhq/switchboard/flow"
)

// The bot phase. A conversation whose inbox has a published flow starts
// with the bot: the workflow asks for each step of the flow (the BotStep
// activity runs the interpreter on the flow's state in PostgreSQL and
// writes the bot's messages) and acts on what the step says: a wait node's
// timer, an http node's call, a handoff to people, the end of the flow.
// Every visitor message the workflow hears while the bot has the
// conversation is the flow's next input. Once people have it (a handoff,
// a claim, an assignment, a keyword rule) the bot is silent; people can
// hand it back at a node of the flow.

// botStarting says whether the bot must take its first step: a fresh
// conversation of a flow (phase bot) whose bot never ran.
func (c *workflowRun) botStarting() bool {
	return c.state.Status == conversation.StatusOpen && c.state.Phase == conversation.PhaseBot && c.state.Bot == nil
}

// startBot takes the flow's first step.
func (c *workflowRun) startBot(ctx workflow.Context) error {
	if err := c.lock.Lock(ctx); err != nil {
		return err
	}
	defer c.lock.Unlock()
	if !c.botStarting() {
		return nil
	}
	c.state.Bot = &conversation.Bot{}
	return c.botStep(ctx, activities.BotStepInput{Kind: activities.BotStart})
}

// withBot says whether the bot has the conversation now.
func (c *workflowRun) withBot() bool {
	return c.state.Bot != nil && c.state.Status == conversation.StatusOpen && c.state.Phase == conversation.PhaseBot
}

// botStep asks for one step and acts on its result. c.lock must be held.
// A step that cannot run is logged (the conversation stays where it is:
// people see it in the bot phase and can take over); only cancellation is
// returned.
func (c *workflowRun) botStep(ctx workflow.Context, in activities.BotStepInput) error {
	in.WorkspaceID, in.ConversationID = c.state.WorkspaceID, c.state.ConversationID
	in.Step = c.nextBotStep(in.Kind)
	var res activities.BotStepResult
	lctx := workflow.WithLocalActivityOptions(ctx, botStepOptions)
	if err := workflow.ExecuteLocalActivity(lctx, a.BotStep, in).Get(ctx, &res); err != nil {
		if temporal.IsCanceledError(err) {
			return err
		}
		// A bot that cannot go on must not leave the customer talking to
		// nobody: people take over.
		c.logger.Error("Bot step failed; handing off", "Kind", in.Kind, "Error", err)
		res = activities.BotStepResult{Await: flow.AwaitHandedOff, Handoff: &activities.BotHandoff{Reason: flow.ReasonError}}
	}
	return c.applyBot(ctx, res)
}

// botStepOptions: a step retries for a while (PostgreSQL away), then the
// workflow gives the conversation to people.
var botStepOptions = workflow.LocalActivityOptions{
	StartToCloseTimeout:    10 * time.Second,
	ScheduleToCloseTimeout: 2 * time.Minute,
	RetryPolicy:            activityOptions.RetryPolicy,
}

// nextBotStep names a step uniquely in the conversation: the lifecycle
// version only grows (also across runs), the step count within it.
func (c *workflowRun) nextBotStep(kind string) string {
	c.state.Bot.Steps++
	return fmt.Sprintf("%s:%d:%d", kind, c.state.Version, c.state.Bot.Steps)
}

// applyBot acts on a step's result. c.lock must be held.
func (c *workflowRun) applyBot(ctx workflow.Context, res activities.BotStepResult) error {
	b := c.state.Bot
	if res.Await == "" {
		return nil // people have the conversation: nothing to do
	}
	b.Await = res.Await
	if res.Since > 0 {
		b.ContextSeq = res.Since
	}
	switch {
	case res.TimerToken != "" && res.TimerAt != nil:
		at := *res.TimerAt
		b.TimerToken, b.TimerAt = res.TimerToken, &at
	case res.Await != flow.AwaitTimer:
		b.TimerToken, b.TimerAt = "", nil
	}
	if res.HTTPNode != "" {
		b.HTTPNode = res.HTTPNode
		c.startCall(ctx, res.HTTPNode, res.HTTPTimeoutMS, res.HTTPRetries)
	}
	system := conversation.Actor{Type: conversation.ActorSystem}
	switch {
	case res.Handoff != nil:
		h := *res.Handoff
		// A flow that names no department leaves the choice to the inbox's
		// routing rules (on the variables the bot gathered).
		var routed *uuid.UUID
		var data json.RawMessage
		if h.DepartmentID == nil && c.state.Unrouted {
			dept, rule, err := c.routeLocked(ctx)
			if err != nil {
				c.logger.Error("Routing at the handoff failed; the conversation stays in its department", "Error", err)
			}
			routed = dept
			if rule != "" {
				data = json.RawMessage("{" + rule + "}")
			}
		}
		_, err := c.commitDataLocked(ctx, system, h.Reason, data, func(s *conversation.State, _ time.Time) string {
			s.Phase = conversation.PhaseQueued
			s.Unrouted = false
			s.CustomerWaiting = true // handed to people: their turn
			if h.DepartmentID != nil {
				dept := *h.DepartmentID
				s.DepartmentID = &dept
			} else if routed != nil {
				dept := *routed
				s.DepartmentID = &dept
			}
			if conversation.PriorityRank(h.Priority) > conversation.PriorityRank(s.Priority) {
				s.Priority = h.Priority
			}
			return conversation.EventHandedOff
		})
		return c.logged(err, "Bot handoff did not persist", 0)
	case res.Await == flow.AwaitDone:
		_, err := c.commitLocked(ctx, system, conversation.ReasonFlowEnded, func(s *conversation.State, now time.Time) string {
			s.Status = conversation.StatusResolved
			s.Resolution = conversation.ResolutionAnswered
			s.ResolvedAt = &now
			return conversation.EventResolved
		})
		return c.logged(err, "Bot end did not persist", 0)
	}
	return nil
}

// botMessage feeds a visitor message to the flow, if the bot has the
// conversation and the message is its input. c.lock must be held.
func (c *workflowRun) botMessage(ctx workflow.Context, m MessageSignal) error {
	if !c.withBot() || !slices.Contains(m.Reasons, conversation.SignalBotInput) || c.state.Bot.Await == flow.AwaitDone ||
		c.state.Bot.Await == flow.AwaitHandedOff || m.Seq <= c.state.Bot.ContextSeq {
		return nil
	}
	return c.botStep(ctx, activities.BotStepInput{Kind: activities.BotMessage, MessageID: m.MessageID})
}

// syncBotTimer keeps the wait node's timer armed while the bot waits on it.
func (c *workflowRun) syncBotTimer(ctx workflow.Context) {
	var token string
	var at time.Time
	if c.withBot() && c.state.Bot.TimerToken != "" && c.state.Bot.TimerAt != nil {
		token, at = c.state.Bot.TimerToken, *c.state.Bot.TimerAt
	}
	if c.botTimer != nil && c.botTimerToken != token {
		c.cancelBotTimer()
		c.botTimer, c.cancelBotTimer, c.botTimerToken = nil, nil, ""
	}
	if token == "" || c.botTimer != nil {
		return
	}
	tctx, cancel := workflow.WithCancel(ctx)
	c.botTimer = workflow.NewTimerWithOptions(tctx, at.Sub(workflow.Now(ctx)), workflow.TimerOptions{Summary: "bot wait"})
	c.botTimerToken, c.cancelBotTimer = token, cancel
}

// handleBotTimer feeds a fired wait timer to the flow.
func (c *workflowRun) handleBotTimer(ctx workflow.Context) error {
	if c.botTimer == nil || !c.botTimer.IsReady() {
		return nil
	}
	timer, token := c.botTimer, c.botTimerToken
	c.botTimer, c.cancelBotTimer, c.botTimerToken = nil, nil, ""
	if err := timer.Get(ctx, nil); err != nil {
		return nil // cancelled
	}
	if err := c.lock.Lock(ctx); err != nil {
		return err
	}
	defer c.lock.Unlock()
	if !c.withBot() || c.state.Bot.TimerToken != token {
		return nil
	}
	c.state.Bot.TimerToken, c.state.Bot.TimerAt = "", nil
	return c.botStep(ctx, activities.BotStepInput{Kind: activities.BotTimer, Token: token})
}

// startCall makes an http node's call as an activity of its own, retried
// as the node says, while the workflow goes on hearing messages.
func (c *workflowRun) startCall(ctx workflow.Context, node string, timeoutMS, retries int) {
	if timeoutMS <= 0 {
		timeoutMS = 5000
	}
	opts := workflow.ActivityOptions{
		StartToCloseTimeout: time.Duration(timeoutMS)*time.Millisecond + 5*time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    time.Second,
			BackoffCoefficient: 2,
			MaximumInterval:    10 * time.Second,
			MaximumAttempts:    int32(retries) + 1,
		},
	}
	in := activities.BotCallInput{
		WorkspaceID: c.state.WorkspaceID, ConversationID: c.state.ConversationID, Node: node, Step: c.nextBotStep("http"),
	}
	c.call = workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, opts), a.BotCall, in)
	c.callNode = node
}

// handleCall acts on a finished http call: its step's result, or, when
// every attempt failed, the flow's failure edge.
func (c *workflowRun) handleCall(ctx workflow.Context) error {
	if c.call == nil || !c.call.IsReady() {
		return nil
	}
	call, node := c.call, c.callNode
	c.call, c.callNode = nil, ""
	var res activities.BotStepResult
	callErr := call.Get(ctx, &res)
	if err := c.lock.Lock(ctx); err != nil {
		return err
	}
	defer c.lock.Unlock()
	if c.state.Bot != nil && c.state.Bot.HTTPNode == node {
		c.state.Bot.HTTPNode = ""
	}
	if callErr == nil {
		return c.applyBot(ctx, res)
	}
	if temporal.IsCanceledError(callErr) {
		return callErr
	}
	if !c.withBot() {
		return nil
	}
	c.logger.Warn("Bot http call failed", "Node", node, "Error", callErr)
	return c.botStep(ctx, activities.BotStepInput{Kind: activities.BotHTTPFailed, Node: node, Err: "the call failed: " + shortError(callErr)})
}

// shortError is an error's message for the flow: the activity's own
// error, without Temporal's wrapping.
func shortError(err error) string {
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		return app.Message()
	}
	return err.Error()
}

var handBackCommand = command[conversation.HandBackRequest]{
	name:  UpdateHandBack,
	actor: func(r conversation.HandBackRequest) conversation.Actor { return r.Actor },
	validate: func(_ time.Time, r conversation.HandBackRequest) error {
		if r.Node == "" {
			return invalid("node is required")
		}
		return nil
	},
	check: func(s *conversation.State, _ conversation.HandBackRequest) error {
		if s.Status != conversation.StatusOpen {
			return conflict("conversation is %s, only an open conversation goes back to the bot", s.Status)
		}
		if s.Bot == nil {
			return conflict("conversation has no bot flow")
		}
		if s.Phase == conversation.PhaseBot {
			return conflict("the bot has the conversation already")
		}
		return nil
	},
	apply: func(s *conversation.State, _ time.Time, _ conversation.HandBackRequest) string {
		s.Phase = conversation.PhaseBot
		s.AssigneeID = nil
		return conversation.EventHandedBack
	},
	after: func(ctx workflow.Context, c *workflowRun, r conversation.HandBackRequest) error {
		return c.botStep(ctx, activities.BotStepInput{Kind: activities.BotResume, Node: r.Node})
	},
}
