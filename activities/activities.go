// Package activities holds the Temporal activities of Switchboard: the only
// code that writes a conversation's lifecycle fields, on behalf of its
// workflow. Activities are idempotent: Temporal retries them.
package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"go.temporal.io/sdk/temporal"

	"github.com/switchboardhq/switchboard/bus"
	"github.com/switchboardhq/switchboard/store"
	"github.com/switchboardhq/switchboard/workflows"
)

// Activities holds what the activities need; the worker registers one.
type Activities struct {
	Store  *store.Store
	Bus    bus.Bus
	Logger *slog.Logger
}

// LoadConversation reads the lifecycle a fresh workflow run starts from.
func (a *Activities) LoadConversation(ctx context.Context, in workflows.LoadConversationInput) (workflows.ConversationState, error) {
	c, err := a.Store.Conversation(ctx, in.WorkspaceID, in.ConversationID)
	if errors.Is(err, store.ErrNotFound) {
		return workflows.ConversationState{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("conversation %s not found", in.ConversationID), "NotFound", err)
	}
	if err != nil {
		return workflows.ConversationState{}, fmt.Errorf("loading conversation %s: %w", in.ConversationID, err)
	}
	return workflows.ConversationState{
		WorkspaceID: c.WorkspaceID, ConversationID: c.ID, VisitorID: c.VisitorID,
		Status: c.Status, Phase: c.Phase, AssigneeID: c.AssigneeID, DepartmentID: c.DepartmentID,
		Priority: c.Priority, SnoozedUntil: c.SnoozedUntil, SnoozeUntilReply: c.SnoozeUntilReply,
		Resolution: c.Resolution, ResolutionNotes: c.ResolutionNotes, ResolvedAt: c.ResolvedAt,
		Version: c.Version, LastMessageSeq: c.WorkflowMessageSeq,
	}, nil
}

// ConversationUpdate is the data of a conversation.updated event.
type ConversationUpdate struct {
	Conversation store.Conversation `json:"conversation"`
	Event        *store.Event       `json:"event,omitempty"`
}

// VisitorConversationUpdate is what the widget gets of the same event.
type VisitorConversationUpdate struct {
	Conversation store.VisitorConversation `json:"conversation"`
}

// PersistChange writes one lifecycle change and its event-log entry, then
// publishes conversation.updated. A retry of an applied change writes
// nothing and publishes the current state again (clients de-duplicate by
// seq).
func (a *Activities) PersistChange(ctx context.Context, c workflows.Change) (workflows.PersistResult, error) {
	s := c.State
	var actorID = c.Actor.ID
	applied, err := a.Store.ApplyLifecycle(ctx, store.LifecycleChange{
		WorkspaceID: s.WorkspaceID, ConversationID: s.ConversationID,
		Lifecycle: store.Lifecycle{
			Status: s.Status, Phase: s.Phase, AssigneeID: s.AssigneeID, DepartmentID: s.DepartmentID,
			Priority: s.Priority, SnoozedUntil: s.SnoozedUntil, SnoozeUntilReply: s.SnoozeUntilReply,
			Resolution: s.Resolution, ResolutionNotes: s.ResolutionNotes, ResolvedAt: s.ResolvedAt,
			Version: s.Version, LastMessageSeq: s.LastMessageSeq,
		},
		EventType: c.EventType, ActorType: c.Actor.Type, ActorID: actorID, Reason: c.Reason, At: c.At,
	})
	if errors.Is(err, store.ErrNotFound) {
		return workflows.PersistResult{}, temporal.NewNonRetryableApplicationError(err.Error(), "NotFound", err)
	}
	if err != nil {
		return workflows.PersistResult{}, err
	}
	update := ConversationUpdate{Conversation: applied.Conversation}
	seq := applied.Conversation.LastSeq
	conv := applied.Conversation
	// Operators who saw the conversation before the change hear that it
	// left them (a transfer, a reassignment), those who see it now that it
	// arrived. A replayed change no longer knows its before; the first
	// attempt published it, most likely.
	states := []bus.VisibilityState{{Department: conv.DepartmentID, Assignee: conv.AssigneeID}}
	if applied.Fresh {
		update.Event = &applied.Event
		seq = applied.Event.Seq
		states = append(states, bus.VisibilityState{Department: applied.PreviousDepartmentID, Assignee: applied.PreviousAssigneeID})
	}
	a.publish(ctx, conv, seq, update, bus.Audience{States: states})
	return workflows.PersistResult{Seq: seq}, nil
}

func (a *Activities) publish(ctx context.Context, conv store.Conversation, seq int64, update ConversationUpdate, audience bus.Audience) {
	data, err := json.Marshal(update)
	if err != nil {
		a.Logger.ErrorContext(ctx, "encoding conversation.updated", "err", err)
		return
	}
	visitor, _ := json.Marshal(VisitorConversationUpdate{Conversation: conv.ForVisitor()})
	ev := bus.Event{
		Type: bus.TypeConversationUpdated, WorkspaceID: conv.WorkspaceID, ConversationID: conv.ID,
		VisitorID: conv.VisitorID, ContactID: conv.ContactID, Seq: seq, Data: data, Visitor: visitor, Audience: audience,
	}
	// Best effort: the change is committed; a client that misses the event
	// catches up over REST.
	if err := a.Bus.Publish(ctx, ev); err != nil {
		a.Logger.WarnContext(ctx, "publishing conversation.updated", "conversation", conv.ID, "err", err)
	}
}
