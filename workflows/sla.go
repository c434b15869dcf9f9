package workflows

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/switchboardhq/switchboard/activities"
	"github.com/switchboardhq/switchboard/conversation"
	"github.com/switchboardhq/switchboard/sla"
	"github.com/switchboardhq/switchboard/store"
)

// SLA clocks (docs/SLA.md): the run keeps the conversation's sla.Tracker
// (continue-as-new carries it), calls it on every change of turn, status,
// priority or department, keeps one timer on the earliest thing due, and
// records what the clocks did through the RecordSLA activity, keyed so a
// retry or a replay records nothing twice. Policies and calendars carry
// the workspace's SLA version: the run re-reads them when its timer fires
// and the version moved, so an edit reaches every running conversation
// without a signal to each.

// slaClocksChange is the GetVersion id of keeping SLA clocks: runs
// recorded before keep none.
const slaClocksChange = "sla-clocks"

func slaOn(ctx workflow.Context) bool {
	return workflow.GetVersion(ctx, slaClocksChange, workflow.DefaultVersion, 1) == 1
}

// withPeople: the conversation is people's (not its bot's) and not
// resolved: its clocks run.
func withPeople(s *conversation.State) bool {
	return s.Phase != conversation.PhaseBot && s.Status != conversation.StatusResolved
}

// slaSelect reads the policy that applies now; with known set, only when
// the workspace's SLA version moved past it.
func (c *workflowRun) slaSelect(ctx workflow.Context, known *int64) (activities.SelectSLAResult, error) {
	in := activities.SelectSLAInput{WorkspaceID: c.state.WorkspaceID, ConversationID: c.state.ConversationID, KnownVersion: known}
	var res activities.SelectSLAResult
	err := execute(ctx, a.SelectSLA, in).Get(ctx, &res)
	return res, err
}

// slaStart begins the clocks of a conversation with people when the run
// has none (a new conversation, a continued run from before SLA clocks).
// c.lock must be held.
func (c *workflowRun) slaStart(ctx workflow.Context) error {
	if c.sla != nil || !withPeople(&c.state) || !slaOn(ctx) {
		return nil
	}
	return c.slaBegin(ctx)
}

func (c *workflowRun) slaBegin(ctx workflow.Context) error {
	now := workflow.Now(ctx)
	// The policy that applies now: a reopened conversation, or one back
	// from its bot, may be another's (and no clock runs to carry over).
	if c.sla == nil || len(c.sla.Clocks) == 0 {
		res, err := c.slaSelect(ctx, nil)
		if err != nil {
			return err
		}
		if c.sla == nil {
			c.sla = sla.NewTracker(res.Selection, c.state.Priority)
		} else {
			c.sla.Policy, c.sla.Calendar, c.sla.Version, c.sla.Priority = res.Selection.Policy, res.Selection.Calendar, res.Selection.Version, c.state.Priority
		}
	}
	out, err := c.sla.Begin(now, c.state.CustomerWaiting)
	if err == nil && c.state.Status == conversation.StatusSnoozed {
		var more sla.Outcome
		more, err = c.sla.SetSnoozed(true, now)
		out.Events = append(out.Events, more.Events...)
	}
	return c.slaRecord(ctx, out, now, err)
}

// slaChanged brings the clocks up to a change the run persisted: people
// got the conversation (created, handed off, reopened), it was snoozed,
// woken or resolved, its priority or department moved. c.lock must be
// held.
func (c *workflowRun) slaChanged(ctx workflow.Context, prev, next *conversation.State) error {
	if !slaOn(ctx) {
		return nil
	}
	if withPeople(next) && (c.sla == nil || !withPeople(prev)) {
		return c.slaBegin(ctx)
	}
	if c.sla == nil {
		return nil
	}
	now := workflow.Now(ctx)
	var out sla.Outcome
	var err error
	switch {
	case next.Status == conversation.StatusResolved && prev.Status != conversation.StatusResolved:
		out, err = c.sla.Resolved(now)
		return c.slaRecord(ctx, out, now, err)
	case !withPeople(next) && withPeople(prev):
		// Back to the bot: nobody owes a reply.
		out, err = c.sla.Stop(now)
		return c.slaRecord(ctx, out, now, err)
	case (next.Status == conversation.StatusSnoozed) != (prev.Status == conversation.StatusSnoozed):
		out, err = c.sla.SetSnoozed(next.Status == conversation.StatusSnoozed, now)
		if err != nil {
			return c.slaRecord(ctx, out, now, err)
		}
	}
	if next.Priority != prev.Priority || !conversation.SameID(next.DepartmentID, prev.DepartmentID) {
		// Only the targets change when no policy's conditions name a
		// priority and the department stayed: no need to ask the store.
		sel := c.sla.Current()
		if c.sla.PriorityMatters || !conversation.SameID(next.DepartmentID, prev.DepartmentID) {
			res, serr := c.slaSelect(ctx, nil)
			if serr != nil {
				return serr
			}
			sel = res.Selection
		}
		var more sla.Outcome
		more, err = c.sla.Retarget(sel, next.Priority, now, next.CustomerWaiting)
		out.Events = append(out.Events, more.Events...)
		out.Closed = append(out.Closed, more.Closed...)
		out.Due = append(out.Due, more.Due...)
	}
	return c.slaRecord(ctx, out, now, err)
}

// slaHeard tells the clocks of a change of turn: a customer's message, an
// operator's reply, at the message's own instant. c.lock must be held.
func (c *workflowRun) slaHeard(ctx workflow.Context, m MessageSignal) error {
	if c.sla == nil || !withPeople(&c.state) || !slices.Contains(m.Reasons, conversation.SignalTurn) {
		return nil
	}
	now := workflow.Now(ctx)
	at := m.CreatedAt
	if at.IsZero() || at.After(now) {
		at = now
	}
	var out sla.Outcome
	var err error
	switch m.SenderType {
	case conversation.ActorVisitor:
		out, err = c.sla.CustomerWrote(at)
	case conversation.ActorOperator:
		out, err = c.sla.OperatorReplied(at)
	default:
		return nil
	}
	return c.slaRecord(ctx, out, now, err)
}

// syncSLATimer keeps one timer on the earliest thing the clocks have due.
func (c *workflowRun) syncSLATimer(ctx workflow.Context) {
	if c.sla == nil {
		c.slaTimer.sync(ctx, nil, "", "")
		return
	}
	next, ok, err := c.sla.Next()
	if err != nil {
		c.logger.Error("SLA clocks cannot find their next deadline", "Error", err)
	}
	if !ok {
		c.slaTimer.sync(ctx, nil, "", "")
		return
	}
	c.slaTimer.sync(ctx, &next, "", "sla")
}

// handleSLATimer records what fell due: first, when the workspace's SLA
// version moved, the clocks are measured against the policy and calendar
// as they are now.
func (c *workflowRun) handleSLATimer(ctx workflow.Context) error {
	if _, _, fired := c.slaTimer.take(ctx); !fired || c.sla == nil {
		return nil
	}
	if err := c.lock.Lock(ctx); err != nil {
		return err
	}
	defer c.lock.Unlock()
	if c.sla == nil || !withPeople(&c.state) {
		return nil
	}
	known := c.sla.Version
	res, err := c.slaSelect(ctx, &known)
	if err != nil {
		return c.logged(err, "SLA policy could not be read", c.state.LastMessageSeq)
	}
	now := workflow.Now(ctx)
	var out sla.Outcome
	if !res.Unchanged {
		out, err = c.sla.Reread(res.Selection, now, c.state.CustomerWaiting)
		if err != nil {
			return c.slaRecord(ctx, out, now, err)
		}
	}
	more, err := c.sla.Advance(now)
	out.Events = append(out.Events, more.Events...)
	out.Due = append(out.Due, more.Due...)
	return c.slaRecord(ctx, out, now, err)
}

// slaRecord records an outcome and runs its ladder steps. An error of the
// clocks' own (a calendar without open hours) is logged, as is a record
// that failed; only a cancellation stops the run.
func (c *workflowRun) slaRecord(ctx workflow.Context, out sla.Outcome, now time.Time, clockErr error) error {
	c.slaMoved = true // whatever changed, the timer is set again
	if clockErr != nil {
		c.logger.Error("SLA clocks", "Error", clockErr)
	}
	if out.Empty() || c.sla == nil {
		return nil
	}
	rec := store.SLARecord{
		WorkspaceID: c.state.WorkspaceID, ConversationID: c.state.ConversationID,
		Events: out.Events, Due: out.Due, At: now,
	}
	if p := c.sla.Policy; p != nil {
		rec.PolicyID, rec.PolicyName = p.ID, p.Name
	} else if len(out.Closed) == 0 {
		return nil
	}
	views := make([]sla.View, 0, len(c.sla.Clocks)+len(out.Closed))
	for _, cl := range out.Closed {
		v, err := sla.ViewOf(cl, c.sla.Calendar, now)
		if err != nil {
			c.logger.Error("SLA clock view", "Error", err)
		}
		v.Cancelled = cl.MetAt == nil
		views = append(views, v)
	}
	for _, cl := range c.sla.Clocks {
		v, err := sla.ViewOf(cl, c.sla.Calendar, now)
		if err != nil {
			c.logger.Error("SLA clock view", "Error", err)
		}
		views = append(views, v)
	}
	rec.Clocks = views
	summary, err := c.sla.Summary(now)
	if err != nil {
		c.logger.Error("SLA summary", "Error", err)
	}
	rec.Summary = summary
	if err := execute(ctx, a.RecordSLA, rec).Get(ctx, nil); err != nil {
		return c.logged(err, "SLA clocks' changes did not persist", c.state.LastMessageSeq)
	}
	for _, d := range out.Due {
		if err := c.slaEscalate(ctx, d); err != nil {
			return err
		}
	}
	return nil
}

// slaEscalate takes a ladder step's actions on the conversation (the
// notifications went with its record): raise the priority (never lower
// it), move it to another department's queue, give it back to the queue
// for dispatch to find another operator online. Each is a change with the
// reason sla_escalation and the step in its data.
func (c *workflowRun) slaEscalate(ctx workflow.Context, d sla.Due) error {
	data := json.RawMessage(fmt.Sprintf(`{"metric":%q,"cycle":%d,"step":%d,"moment":%q}`, d.Metric, d.Cycle, d.Index, d.Step.At))
	system := conversation.Actor{Type: conversation.ActorSystem}
	for _, act := range d.Step.Actions {
		if c.state.Status == conversation.StatusResolved {
			return nil
		}
		var mutate func(s *conversation.State, _ time.Time) string
		switch act.Kind {
		case sla.ActionRaisePriority:
			if conversation.PriorityRank(act.Priority) <= conversation.PriorityRank(c.state.Priority) {
				continue
			}
			p := act.Priority
			mutate = func(s *conversation.State, _ time.Time) string {
				s.Priority = p
				return conversation.EventPriorityChanged
			}
		case sla.ActionMoveDepartment:
			if act.DepartmentID == nil || conversation.SameID(c.state.DepartmentID, act.DepartmentID) {
				continue
			}
			dept := *act.DepartmentID
			mutate = func(s *conversation.State, _ time.Time) string {
				s.DepartmentID = &dept
				s.AssigneeID, s.Phase = nil, conversation.PhaseQueued
				return conversation.EventTransferred
			}
		case sla.ActionReassign:
			if c.state.AssigneeID == nil || c.state.Phase != conversation.PhaseAssigned {
				continue
			}
			mutate = func(s *conversation.State, _ time.Time) string {
				s.AssigneeID, s.Phase = nil, conversation.PhaseQueued
				return conversation.EventUnassigned
			}
		default:
			continue // the notifications: recorded with the step
		}
		_, err := c.commitDataLocked(ctx, system, conversation.ReasonSLAEscalation, data, mutate)
		if err != nil && temporal.IsCanceledError(err) {
			return err
		}
		if err != nil {
			c.logger.Error("SLA escalation did not persist", "Metric", d.Metric, "Step", d.Index, "Action", act.Kind, "Error", err)
		}
	}
	return nil
}

// startClocks begins the clocks of a run whose conversation is with
// people from the start.
func (c *workflowRun) startClocks(ctx workflow.Context) error {
	if err := c.lock.Lock(ctx); err != nil {
		return err
	}
	defer c.lock.Unlock()
	return c.slaStart(ctx)
}
