package workflows

import (
	"encoding/json"
	"fmt"
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
	step := c.state.Ladder.Next()
	if step != nil && c.ladderTimer != nil && c.ladderAt.Equal(step.At) && c.ladderKind == step.Kind {
		return
	}
	if c.cancelLadderTimer != nil {
		c.cancelLadderTimer()
		c.ladderTimer, c.cancelLadderTimer = nil, nil
	}
	if step == nil {
		return
	}
	tctx, cancel := workflow.WithCancel(ctx)
	c.ladderTimer = workflow.NewTimerWithOptions(tctx, max(step.At.Sub(workflow.Now(ctx)), time.Millisecond),
		workflow.TimerOptions{Summary: "unclaimed " + step.Kind})
	c.ladderAt, c.ladderKind, c.cancelLadderTimer = step.At, step.Kind, cancel
}

// handleLadderTimer takes the ladder's step whose time came.
func (c *workflowRun) handleLadderTimer(ctx workflow.Context) error {
	if c.ladderTimer == nil || !c.ladderTimer.IsReady() {
		return nil
	}
	timer, at, kind := c.ladderTimer, c.ladderAt, c.ladderKind
	c.ladderTimer, c.cancelLadderTimer = nil, nil
	if err := timer.Get(ctx, nil); err != nil {
		return nil // cancelled: the conversation moved
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
