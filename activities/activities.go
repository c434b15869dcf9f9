// Package activities holds the Temporal activities of Switchboard: the only
// code that writes a conversation's lifecycle fields, on behalf of its
// workflow. Activities are idempotent: Temporal retries them.
//
// Workflows call them as methods of a nil *Activities (var a *Activities;
// workflow.ExecuteActivity(ctx, a.PersistChange, change)), so an activity's
// name is its method's name: renaming a method breaks running workflows.
package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/temporal"

	"github.com/switchboardhq/switchboard/bus"
	"github.com/switchboardhq/switchboard/conversation"
	"github.com/switchboardhq/switchboard/store"
)

// Activities holds what the activities need; the worker registers one.
type Activities struct {
	Store  *store.Store
	Bus    bus.Bus
	Logger *slog.Logger
	// Kick, when set, wakes the outbox relay of this process: a change
	// that dispatched other conversations left rows for it.
	Kick func()
	// FlowHTTPAllowPrivate lets bot flows call loopback and private
	// addresses (development and tests); off, only public ones.
	FlowHTTPAllowPrivate bool

	clientOnce sync.Once
	client     *http.Client
}

// LoadConversationInput names the conversation a fresh workflow run loads.
type LoadConversationInput struct {
	WorkspaceID    uuid.UUID
	ConversationID uuid.UUID
}

// LoadConversation reads the lifecycle a fresh workflow run starts from.
func (a *Activities) LoadConversation(ctx context.Context, in LoadConversationInput) (conversation.State, error) {
	c, err := a.Store.Conversation(ctx, in.WorkspaceID, in.ConversationID)
	if errors.Is(err, store.ErrNotFound) {
		return conversation.State{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("conversation %s not found", in.ConversationID), "NotFound", err)
	}
	if err != nil {
		return conversation.State{}, fmt.Errorf("loading conversation %s: %w", in.ConversationID, err)
	}
	state := conversation.State{
		WorkspaceID: c.WorkspaceID, ConversationID: c.ID, VisitorID: c.VisitorID, Lifecycle: c.Lifecycle(),
		CustomerWaiting: c.LastSpeaker == "customer",
	}
	if c.Status == conversation.StatusOpen && c.Phase == conversation.PhaseQueued && c.Routed &&
		c.DepartmentID != nil && c.QueuedAt != nil {
		// Waiting since it started: its department's unclaimed ladder runs
		// from then.
		d, err := a.Store.Department(ctx, in.WorkspaceID, *c.DepartmentID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return conversation.State{}, fmt.Errorf("reading the unclaimed ladder of conversation %s: %w", in.ConversationID, err)
		}
		if err == nil {
			state.Ladder = d.UnclaimedLadder.Config().Start(d.ID, *c.QueuedAt)
		}
	}
	if c.FlowID != nil {
		// A run after a reopen: the bot flow ran before (people may hand
		// the conversation back to it).
		bot, err := a.Store.BotState(ctx, in.WorkspaceID, in.ConversationID)
		if err != nil {
			return conversation.State{}, fmt.Errorf("loading the bot state of conversation %s: %w", in.ConversationID, err)
		}
		if bot != nil {
			state.Bot = &conversation.Bot{Await: bot.Flow.Await}
		}
	}
	return state, nil
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

// PersistResult is what PersistChange returns: the sequence number of the
// appended conversation event (the realtime event carries it too), and the
// seq of the event that set the conversation's status as stored now.
type PersistResult struct {
	Seq       int64
	StatusSeq int64 `json:",omitempty"`
	// Offer is the dispatch decision for this conversation the change led
	// to (it entered a queue with an operator free): the workflow assigns.
	Offer *conversation.Offer `json:",omitempty"`
	// Ladder is the unclaimed ladder of the queue the change made the
	// conversation enter: the workflow times its steps from the change.
	Ladder *conversation.LadderConfig `json:",omitempty"`
	// ReplyWithin is the department's reply limit when the change gave the
	// conversation to an operator: the workflow times it while the
	// customer waits.
	ReplyWithin time.Duration `json:",omitempty"`
}

// ErrTypeOfferGone is the ApplicationError type of an assignment whose
// dispatch offer was taken back before it landed: nothing changed.
const ErrTypeOfferGone = "OfferGone"

// PersistChange writes one lifecycle change and its event-log entry, then
// publishes conversation.updated. It applies a change only if its version
// is newer than the row's: a retry of an applied change writes nothing and
// publishes the current state again (clients de-duplicate by seq).
func (a *Activities) PersistChange(ctx context.Context, c conversation.Change) (PersistResult, error) {
	applied, err := a.Store.ApplyLifecycle(ctx, store.LifecycleChange{
		WorkspaceID: c.State.WorkspaceID, ConversationID: c.State.ConversationID, Lifecycle: c.State.Lifecycle,
		EventType: c.EventType, ActorType: c.Actor.Type, ActorID: c.Actor.ID, Reason: c.Reason, Data: c.Data, At: c.At,
		OfferID: c.OfferID,
	})
	if errors.Is(err, store.ErrNotFound) {
		return PersistResult{}, temporal.NewNonRetryableApplicationError(err.Error(), "NotFound", err)
	}
	if errors.Is(err, store.ErrOfferGone) {
		return PersistResult{}, temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeOfferGone, err)
	}
	if err != nil {
		return PersistResult{}, err
	}
	if applied.Dispatched > 0 && a.Kick != nil {
		a.Kick()
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
	for _, dept := range applied.QueuesMoved {
		a.publishQueue(ctx, conv.WorkspaceID, dept)
	}
	Notifier{Store: a.Store, Bus: a.Bus, Logger: a.Logger}.Created(ctx, applied.Notifications)
	res := PersistResult{Seq: seq, StatusSeq: conv.StatusSeq, Ladder: applied.Ladder, ReplyWithin: applied.ReplyWithin}
	if o := applied.Offer; o != nil {
		res.Offer = &conversation.Offer{ID: o.ID, DepartmentID: o.DepartmentID, OperatorID: o.OperatorID, Mode: o.Mode, Timeout: o.Timeout}
	}
	return res, nil
}

// ReleaseOfferInput names a dispatch offer the workflow turns down.
type ReleaseOfferInput struct {
	WorkspaceID uuid.UUID
	OfferID     uuid.UUID
}

// ReleaseOffer takes back a dispatch offer whose conversation had moved
// on, and dispatches its department again.
func (a *Activities) ReleaseOffer(ctx context.Context, in ReleaseOfferInput) error {
	n, err := a.Store.ReleaseOffer(ctx, in.WorkspaceID, in.OfferID)
	if err != nil {
		return err
	}
	if n > 0 && a.Kick != nil {
		a.Kick()
	}
	return nil
}

// OperatorOnlineInput names an operator.
type OperatorOnlineInput struct {
	WorkspaceID uuid.UUID
	OperatorID  uuid.UUID
}

// OperatorOnline says whether the operator is online (and active) now: a
// reopened conversation goes back to its assignee only then.
func (a *Activities) OperatorOnline(ctx context.Context, in OperatorOnlineInput) (bool, error) {
	return a.Store.OperatorOnline(ctx, in.WorkspaceID, in.OperatorID)
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

// MessageCreated is the message.created event of a stored message: for the
// widgets of the conversation's visitor and of every device of its contact
// (when it has one), and the operators who may see the conversation routed
// as route.
func MessageCreated(m store.Message, visitorID uuid.UUID, contactID *uuid.UUID, route bus.VisibilityState) (bus.Event, error) {
	data, err := json.Marshal(m)
	if err != nil {
		return bus.Event{}, fmt.Errorf("encoding message event: %w", err)
	}
	return bus.Event{
		Type: bus.TypeMessageCreated, WorkspaceID: m.WorkspaceID, ConversationID: m.ConversationID,
		VisitorID: visitorID, ContactID: contactID, Seq: m.Seq, Data: data, Visitor: data,
		Audience: bus.Audience{States: []bus.VisibilityState{route}},
	}, nil
}
