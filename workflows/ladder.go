package workflows

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/switchboardhq/switchboard/conversation"
)

// The unclaimed ladder: a conversation waiting in its department's queue
// climbs the department's steps (notify the supervisors, raise the
// priority, widen to a fallback department) at their times, each a
// conversation event, on a durable timer. The steps come with the change
// that made it enter the queue (or the load of a conversation that started
// there); leaving the queue ends them.

// waiting says whether the conversation waits in a queue for people.
func waiting(s *conversation.State) bool {
	return s.Status == conversation.StatusOpen && s.Phase == conversation.PhaseQueued && !s.Unrouted && s.DepartmentID != nil
}

// nextLadder is the ladder after a change persisted: a new one when the
// change made the conversation enter a queue with one, none once it no
// longer waits (or waits elsewhere), else the same.
func nextLadder(next *conversation.State, entered *conversation.LadderConfig, at time.Time) *conversation.Ladder {
	switch {
	case entered != nil && waiting(next):
		return entered.Start(*next.DepartmentID, at)
	case !waiting(next) || (next.Ladder != nil && next.Ladder.DepartmentID != *next.DepartmentID):
		return nil
	}
	return next.Ladder
}

// syncLadderTimer keeps a timer on the ladder's next step.
func (c *workflowRun) syncLadderTimer(ctx workflow.Context) {
	if step := c.state.Ladder.Next(); step != nil {
		c.ladderTimer.sync(ctx, &step.At, step.Kind, "unclaimed "+step.Kind)
	} else {
		c.ladderTimer.sync(ctx, nil, "", "")
	}
}

// handleLadderTimer takes the ladder's step whose time came.
func (c *workflowRun) handleLadderTimer(ctx workflow.Context) error {
	at, kind, fired := c.ladderTimer.take(ctx)
	if !fired {
		return nil // not due, or cancelled: the conversation moved
	}
	if err := c.lock.Lock(ctx); err != nil {
		return err
	}
	defer c.lock.Unlock()
	step := c.state.Ladder.Next()
	if step == nil || !step.At.Equal(at) || step.Kind != kind || !waiting(&c.state) {
		return nil
	}
	s := *step
	advance := func(st *conversation.State) {
		l := *st.Ladder // not shared with the state before the change
		l.Done++
		st.Ladder = &l
	}
	waited := int64(s.At.Sub(c.state.Ladder.Since) / time.Second)
	data := json.RawMessage(fmt.Sprintf(`{"step":%q,"waited_seconds":%d}`, s.Kind, waited))
	system := conversation.Actor{Type: conversation.ActorSystem}
	var mutate func(st *conversation.State, _ time.Time) string
	switch s.Kind {
	case conversation.LadderNotify:
		mutate = func(st *conversation.State, _ time.Time) string {
			advance(st)
			return conversation.EventEscalated
		}
	case conversation.LadderRaise:
		rank := conversation.PriorityRank(c.state.Priority)
		if rank < 0 || rank+1 >= len(conversation.Priorities) {
			advance(&c.state) // already the highest: nothing to raise
			return nil
		}
		mutate = func(st *conversation.State, _ time.Time) string {
			advance(st)
			st.Priority = conversation.Priorities[rank+1]
			return conversation.EventPriorityChanged
		}
	case conversation.LadderWiden:
		mutate = func(st *conversation.State, _ time.Time) string {
			advance(st)
			dept := *s.FallbackID
			st.DepartmentID, st.AssigneeID, st.Phase = &dept, nil, conversation.PhaseQueued
			return conversation.EventTransferred
		}
	default:
		advance(&c.state)
		return nil
	}
	_, err := c.commitDataLocked(ctx, system, conversation.ReasonUnclaimed, data, mutate)
	if err != nil {
		// Not again: a step that cannot persist is skipped, not retried
		// in a loop.
		advance(&c.state)
	}
	return c.logged(err, "Unclaimed ladder step did not persist", 0)
}

// Reply within the department's limit: an assigned conversation whose
// customer waits (they spoke last) gets a deadline from the change that
// gave it to its operator; the operator's reply (a turn) clears it; past
// it, the conversation goes back to the queue, where dispatch finds
// someone online.

// heard notes whose turn a message made it (a turn signal): the customer's
// (people owe a reply) or an operator's (the reply came).
func (c *workflowRun) heard(m MessageSignal) {
	if !slices.Contains(m.Reasons, conversation.SignalTurn) {
		return
	}
	switch m.SenderType {
	case conversation.ActorVisitor:
		c.state.CustomerWaiting = true
	case conversation.ActorOperator:
		c.state.CustomerWaiting, c.state.ReplyBy = false, nil
	}
}

// nextReplyBy is the reply deadline after a change persisted.
func nextReplyBy(next *conversation.State, limit time.Duration, at time.Time) *time.Time {
	if next.Status != conversation.StatusOpen || next.Phase != conversation.PhaseAssigned {
		return nil
	}
	if limit > 0 && next.CustomerWaiting {
		by := at.Add(limit)
		return &by
	}
	return next.ReplyBy
}

// syncReplyTimer keeps a timer on the reply deadline.
func (c *workflowRun) syncReplyTimer(ctx workflow.Context) {
	c.replyTimer.sync(ctx, c.state.ReplyBy, "", "reply by")
}

// handleReplyTimer sends an assigned conversation back to the queue when
// its customer still waits for the first reply at the deadline.
func (c *workflowRun) handleReplyTimer(ctx workflow.Context) error {
	at, _, fired := c.replyTimer.take(ctx)
	if !fired {
		return nil // not due, or cancelled: replied, or moved
	}
	if err := c.lock.Lock(ctx); err != nil {
		return err
	}
	defer c.lock.Unlock()
	s := &c.state
	if s.ReplyBy == nil || !s.ReplyBy.Equal(at) || !s.CustomerWaiting || s.AssigneeID == nil ||
		s.Status != conversation.StatusOpen || s.Phase != conversation.PhaseAssigned {
		return nil
	}
	data := json.RawMessage(fmt.Sprintf(`{"operator_id":%q}`, *s.AssigneeID))
	_, err := c.commitDataLocked(ctx, conversation.Actor{Type: conversation.ActorSystem}, conversation.ReasonNoReply, data,
		func(st *conversation.State, _ time.Time) string {
			st.Phase, st.AssigneeID, st.ReplyBy = conversation.PhaseQueued, nil, nil
			return conversation.EventUnassigned
		})
	if err != nil {
		c.state.ReplyBy = nil // not again in a loop
	}
	return c.logged(err, "Reply deadline passed but the return to the queue did not persist", 0)
}
