package workflows

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/switchboardhq/switchboard/activities"
	"github.com/switchboardhq/switchboard/conversation"
	"github.com/switchboardhq/switchboard/dispatch"
)

// Dispatch decides in PostgreSQL who gets a waiting conversation (package
// dispatch, store.dispatchIn); the conversation's workflow, the only
// writer of its assignee, makes the assignment. An offer reaches it two
// ways: in the result of its own change that queued the conversation
// (c.offers), or from the outbox when something else made room (an
// operator online, another conversation resolved).

// reopenOnlineChange is the GetVersion id of reopening a conversation to
// its assignee only when they are online.
const reopenOnlineChange = "reopen-online-assignee"

// onOffer makes the assignment an offer decided, if the conversation still
// waits in the offer's department; otherwise the offer goes back and its
// department is dispatched again. An offer taken back meanwhile (its
// operator went offline) changes nothing. Errors are only cancellation.
func (c *workflowRun) onOffer(ctx workflow.Context, o conversation.Offer) error {
	if err := c.lock.Lock(ctx); err != nil {
		return err
	}
	defer c.lock.Unlock()
	s := c.state
	if s.Status != conversation.StatusOpen || s.Phase != conversation.PhaseQueued ||
		s.DepartmentID == nil || *s.DepartmentID != o.DepartmentID {
		err := execute(ctx, a.ReleaseOffer, activities.ReleaseOfferInput{WorkspaceID: s.WorkspaceID, OfferID: o.ID}).Get(ctx, nil)
		return c.logged(err, "Dispatch offer could not be released", s.LastMessageSeq)
	}
	if o.Mode == dispatch.Offer {
		return c.offerLocked(ctx, o)
	}
	offer, operator := o.ID, o.OperatorID
	data := json.RawMessage(fmt.Sprintf(`{"offer_id":%q,"mode":%q}`, o.ID, o.Mode))
	_, err := c.commitChangeLocked(ctx, conversation.Change{
		Actor: conversation.Actor{Type: conversation.ActorSystem}, Reason: conversation.ReasonDispatch, Data: data, OfferID: &offer,
	}, func(s *conversation.State, _ time.Time) string {
		s.Phase = conversation.PhaseAssigned
		s.AssigneeID = &operator
		return conversation.EventAssigned
	})
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) && appErr.Type() == activities.ErrTypeOfferGone {
		c.logger.Info("Dispatch offer was taken back before it landed", "Offer", o.ID)
		return nil
	}
	return c.logged(err, "Dispatch offer did not assign the conversation", s.LastMessageSeq)
}

// drainOffers takes the offers the workflow's own changes brought back,
// and says how many there were.
func (c *workflowRun) drainOffers(ctx workflow.Context) (int, error) {
	n := 0
	for len(c.offers) > 0 {
		o := c.offers[0]
		c.offers = c.offers[1:]
		n++
		if err := c.onOffer(ctx, o); err != nil {
			return n, err
		}
	}
	return n, nil
}

// assigneeAway says whether the conversation's assignee is not online now
// (a reopen then goes to the queue). Runs recorded before this check keep
// the assignee.
func (c *workflowRun) assigneeAway(ctx workflow.Context) (bool, error) {
	if c.state.AssigneeID == nil {
		return false, nil
	}
	if workflow.GetVersion(ctx, reopenOnlineChange, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return false, nil
	}
	var online bool
	in := activities.OperatorOnlineInput{WorkspaceID: c.state.WorkspaceID, OperatorID: *c.state.AssigneeID}
	if err := execute(ctx, a.OperatorOnline, in).Get(ctx, &online); err != nil {
		return false, fmt.Errorf("reading whether the assignee is online: %w", err)
	}
	return !online, nil
}

// offerLocked offers the waiting conversation to the offer's operator
// (offer mode): an offered event they can accept or decline, and a timer
// for the offer's timeout. An offer already made (a retried persist brings
// it back) is not made twice. c.lock must be held.
func (c *workflowRun) offerLocked(ctx workflow.Context, o conversation.Offer) error {
	if p := c.state.Offer; p != nil && p.ID == o.ID {
		return nil
	}
	expires := workflow.Now(ctx).Add(o.Timeout)
	data := json.RawMessage(fmt.Sprintf(`{"offer_id":%q,"operator_id":%q,"expires_at":%q}`,
		o.ID, o.OperatorID, expires.UTC().Format(time.RFC3339Nano)))
	_, err := c.commitDataLocked(ctx, conversation.Actor{Type: conversation.ActorSystem}, conversation.ReasonDispatch, data,
		func(s *conversation.State, _ time.Time) string {
			s.Offer = &conversation.PendingOffer{ID: o.ID, OperatorID: o.OperatorID, ExpiresAt: expires}
			return conversation.EventOffered
		})
	return c.logged(err, "Dispatch offer was not made", c.state.LastMessageSeq)
}

// syncOfferTimer keeps a timer on the pending offer's expiry.
func (c *workflowRun) syncOfferTimer(ctx workflow.Context) {
	if p := c.state.Offer; p != nil {
		c.offerTimer.sync(ctx, &p.ExpiresAt, p.ID.String(), "offer")
	} else {
		c.offerTimer.sync(ctx, nil, "", "")
	}
}

// handleOfferTimer lets a pending offer expire: the operator passed on it,
// and the store offers the conversation to the next.
func (c *workflowRun) handleOfferTimer(ctx workflow.Context) error {
	_, id, fired := c.offerTimer.take(ctx)
	if !fired {
		return nil // not due, or cancelled: answered or gone
	}
	if err := c.lock.Lock(ctx); err != nil {
		return err
	}
	defer c.lock.Unlock()
	p := c.state.Offer
	if p == nil || p.ID.String() != id {
		return nil
	}
	data := json.RawMessage(fmt.Sprintf(`{"offer_id":%q,"operator_id":%q}`, p.ID, p.OperatorID))
	_, err := c.commitDataLocked(ctx, conversation.Actor{Type: conversation.ActorSystem}, conversation.ReasonDispatch, data,
		func(s *conversation.State, _ time.Time) string {
			s.Offer = nil
			return conversation.EventOfferExpired
		})
	return c.logged(err, "Expired offer was not recorded", c.state.LastMessageSeq)
}

// offerFor checks that the pending offer is the acting operator's.
func offerFor(s *conversation.State, actor conversation.Actor) error {
	if s.Status != conversation.StatusOpen || s.Phase != conversation.PhaseQueued || s.Offer == nil {
		return conflict("no offer waits for an answer")
	}
	if actor.ID == nil || *actor.ID != s.Offer.OperatorID {
		return conflict("the conversation is offered to someone else")
	}
	return nil
}

var acceptOfferCommand = command[conversation.OfferAnswer]{
	name:     UpdateAcceptOffer,
	actor:    func(r conversation.OfferAnswer) conversation.Actor { return r.Actor },
	reason:   conversation.ReasonDispatch,
	validate: noInput[conversation.OfferAnswer],
	check:    func(s *conversation.State, r conversation.OfferAnswer) error { return offerFor(s, r.Actor) },
	takes:    func(s *conversation.State) *uuid.UUID { id := s.Offer.ID; return &id },
	apply: func(s *conversation.State, _ time.Time, _ conversation.OfferAnswer) string {
		op := s.Offer.OperatorID
		s.Phase, s.AssigneeID, s.Offer = conversation.PhaseAssigned, &op, nil
		return conversation.EventAssigned
	},
}

var declineOfferCommand = command[conversation.OfferAnswer]{
	name:     UpdateDeclineOffer,
	actor:    func(r conversation.OfferAnswer) conversation.Actor { return r.Actor },
	reason:   conversation.ReasonDispatch,
	validate: noInput[conversation.OfferAnswer],
	check:    func(s *conversation.State, r conversation.OfferAnswer) error { return offerFor(s, r.Actor) },
	apply: func(s *conversation.State, _ time.Time, _ conversation.OfferAnswer) string {
		s.Offer = nil
		return conversation.EventOfferDeclined
	},
}

// routeLocked evaluates the inbox's routing rules for the conversation
// (an activity: the rules and the customer's words stay in PostgreSQL)
// and returns the department they send it to (nil: none matched, it stays
// where it is) and the routing_rule data for the event.
func (c *workflowRun) routeLocked(ctx workflow.Context) (*uuid.UUID, string, error) {
	var res activities.RouteResult
	in := activities.RouteInput{WorkspaceID: c.state.WorkspaceID, ConversationID: c.state.ConversationID}
	if err := execute(ctx, a.Route, in).Get(ctx, &res); err != nil {
		return nil, "", fmt.Errorf("routing conversation %s: %w", c.state.ConversationID, err)
	}
	if res.RuleID == nil {
		return nil, "", nil
	}
	return res.DepartmentID, fmt.Sprintf(`"routing_rule_id":%q,"routing_rule":%q`, *res.RuleID, res.RuleName), nil
}

// route applies the inbox's routing rules to a conversation that started
// waiting for people: a routed event in the department a rule chose (the
// inbox's default when none did), after which dispatch takes it.
func (c *workflowRun) route(ctx workflow.Context) error {
	if err := c.lock.Lock(ctx); err != nil {
		return err
	}
	defer c.lock.Unlock()
	if !c.state.Unrouted || c.state.Status != conversation.StatusOpen || c.state.Phase != conversation.PhaseQueued {
		return nil
	}
	dept, rule, err := c.routeLocked(ctx)
	if err != nil {
		return c.logged(err, "Routing failed; the conversation stays in its inbox's default department", 0)
	}
	_, err = c.commitDataLocked(ctx, conversation.Actor{Type: conversation.ActorSystem}, "", json.RawMessage("{"+rule+"}"),
		func(s *conversation.State, _ time.Time) string {
			s.Unrouted = false
			if dept != nil && s.AssigneeID == nil {
				d := *dept
				s.DepartmentID = &d
			}
			return conversation.EventRouted
		})
	return c.logged(err, "Routing did not persist", 0)
}

// onRelease returns the conversation to the queue from an operator who
// went away (their department's away policy) or whose work a supervisor
// gave back, if they still have it; dispatch then finds someone online.
func (c *workflowRun) onRelease(ctx workflow.Context, r Release) error {
	if err := c.lock.Lock(ctx); err != nil {
		return err
	}
	defer c.lock.Unlock()
	s := c.state
	if s.Status != conversation.StatusOpen || s.Phase != conversation.PhaseAssigned || s.AssigneeID == nil || *s.AssigneeID != r.OperatorID {
		return nil // moved on meanwhile
	}
	data := json.RawMessage(fmt.Sprintf(`{"operator_id":%q}`, r.OperatorID))
	actor, reason := conversation.Actor{Type: conversation.ActorSystem}, conversation.ReasonOperatorAway
	if r.Reason == conversation.ReasonReleased {
		reason = r.Reason
	}
	if r.ActorID != nil {
		id := *r.ActorID
		actor = conversation.Actor{Type: conversation.ActorOperator, ID: &id}
	}
	_, err := c.commitDataLocked(ctx, actor, reason, data,
		func(st *conversation.State, _ time.Time) string {
			st.Phase, st.AssigneeID = conversation.PhaseQueued, nil
			return conversation.EventUnassigned
		})
	return c.logged(err, "Returning an away operator's conversation to the queue did not persist", 0)
}
