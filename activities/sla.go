package activities

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"go.temporal.io/sdk/temporal"

	"github.com/switchboardhq/switchboard/bus"
	"github.com/switchboardhq/switchboard/sla"
	"github.com/switchboardhq/switchboard/store"
)

// SelectSLAInput names a conversation whose SLA policy is to be chosen.
// With KnownVersion set, the choice is made only when the workspace's SLA
// version moved past it (an edit of a policy or of business hours);
// otherwise the result says Unchanged.
type SelectSLAInput struct {
	WorkspaceID    uuid.UUID
	ConversationID uuid.UUID
	KnownVersion   *int64 `json:",omitempty"`
}

// SelectSLAResult is the choice, or Unchanged.
type SelectSLAResult struct {
	Unchanged bool          `json:",omitempty"`
	Selection sla.Selection `json:"selection"`
}

// SelectSLA reads the SLA policy that applies to the conversation as it
// is now, with its calendar and what earlier runs left.
func (a *Activities) SelectSLA(ctx context.Context, in SelectSLAInput) (SelectSLAResult, error) {
	if in.KnownVersion != nil {
		v, err := a.Store.SLAVersion(ctx, in.WorkspaceID)
		if err != nil {
			return SelectSLAResult{}, err
		}
		if v == *in.KnownVersion {
			return SelectSLAResult{Unchanged: true}, nil
		}
	}
	sel, err := a.Store.SLASelect(ctx, in.WorkspaceID, in.ConversationID)
	if errors.Is(err, store.ErrNotFound) {
		return SelectSLAResult{}, temporal.NewNonRetryableApplicationError(err.Error(), "NotFound", err)
	}
	if err != nil {
		return SelectSLAResult{}, err
	}
	return SelectSLAResult{Selection: sel}, nil
}

// RecordSLA records what a conversation's clocks did (store.RecordSLA:
// once, whatever the retries) and tells the operators who see the
// conversation: each new event as a conversation.updated, each ladder
// item to its operator.
func (a *Activities) RecordSLA(ctx context.Context, in store.SLARecord) error {
	rec, err := a.Store.RecordSLA(ctx, in)
	if errors.Is(err, store.ErrNotFound) {
		return temporal.NewNonRetryableApplicationError(err.Error(), "NotFound", err)
	}
	if err != nil {
		return fmt.Errorf("recording SLA: %w", err)
	}
	conv := rec.Conversation
	audience := bus.Audience{States: []bus.VisibilityState{{Department: conv.DepartmentID, Assignee: conv.AssigneeID}}}
	if len(rec.Events) == 0 {
		a.publish(ctx, conv, conv.LastSeq, ConversationUpdate{Conversation: conv}, audience)
	}
	for i := range rec.Events {
		a.publish(ctx, conv, rec.Events[i].Seq, ConversationUpdate{Conversation: conv, Event: &rec.Events[i]}, audience)
	}
	Notifier{Store: a.Store, Bus: a.Bus, Logger: a.Logger}.Created(ctx, rec.Notifications)
	return nil
}
