package workflows

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/switchboardhq/switchboard/activities"
	"github.com/switchboardhq/switchboard/conversation"
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
