// Package workflows holds the Temporal workflows of Switchboard. This file
// is their contract with the rest of the system: workflow ids, signal,
// update and query names, and the signals' payloads. The updates' payloads
// (conversation.ClaimRequest, ...) and the state are the conversation's
// domain types, in package conversation.
//
// Workflow code is replayed from history: every change to logic that a
// running workflow may replay must be guarded with workflow.GetVersion.
package workflows

import (
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/switchboardhq/switchboard/conversation"
	"github.com/switchboardhq/switchboard/sla"
)

// TaskQueue is the task queue the Switchboard worker polls.
const TaskQueue = "switchboard"

// ConversationWorkflowID is the id of a conversation's workflow. Every run
// of one conversation (a reopen after resolve is a new run) shares it.
func ConversationWorkflowID(conversationID uuid.UUID) string {
	return fmt.Sprintf("conversation/%s", conversationID)
}

// Signal, update and query names of ConversationWorkflow.
const (
	// SignalMessages carries a MessagesSignal: the outbox relay's batch of
	// a conversation's waiting messages, in seq order.
	SignalMessages = "messages"
	// SignalMessage carries one MessageSignal. Relays before batching sent
	// it; the workflow still takes it.
	SignalMessage = "message"
	// SignalStarted carries a StartedSignal: the conversation row exists.
	SignalStarted = "started"

	// Each update carries the conversation request of its name
	// (conversation.ClaimRequest, ...) and returns the conversation.State
	// after the change.
	UpdateClaim   = "claim"
	UpdateAssign  = "assign"
	UpdateSnooze  = "snooze"
	UpdateWake    = "wake"
	UpdateResolve = "resolve"
	UpdateReopen  = "reopen"
	// UpdateTransfer carries a conversation.TransferRequest: move the
	// conversation to another department.
	UpdateTransfer = "transfer"
	// UpdatePriority carries a conversation.PriorityRequest.
	UpdatePriority = "priority"
	// UpdateHandBack carries a conversation.HandBackRequest.
	UpdateHandBack = "hand_back"
	// UpdateAcceptOffer and UpdateDeclineOffer carry a
	// conversation.OfferAnswer from the operator offered the conversation.
	UpdateAcceptOffer  = "accept_offer"
	UpdateDeclineOffer = "decline_offer"

	QueryState = "state"
)

// ErrTypeConflict is the ApplicationError type of an update rejected because
// of the conversation's state (claiming a claimed conversation, snoozing a
// resolved one). The API answers it with 409.
const ErrTypeConflict = "Conflict"

// ErrTypeInvalid is the ApplicationError type of an update whose input is
// wrong whatever the state (a snooze time in the past). The API answers 400.
const ErrTypeInvalid = "Invalid"

// ConversationInput starts a ConversationWorkflow run.
type ConversationInput struct {
	WorkspaceID    uuid.UUID
	ConversationID uuid.UUID
	// State is set when a run continues as new; a fresh run loads the
	// conversation's lifecycle from PostgreSQL instead.
	State *conversation.State `json:",omitempty"`
	// SLA is the conversation's SLA clocks a continued run carries on.
	SLA *sla.Tracker `json:",omitempty"`
}

// MessageSignal tells the workflow a message was committed. It carries no
// body, nor anything else a person wrote: Temporal's history keeps every
// signal, and customer text belongs only in PostgreSQL.
type MessageSignal struct {
	MessageID  uuid.UUID
	Seq        int64
	SenderType string     // visitor, operator, bot, system
	SenderID   *uuid.UUID `json:",omitempty"`
	CreatedAt  time.Time
	// RelayEpoch is the epoch of the relay that sent the signal.
	RelayEpoch int64 `json:",omitempty"`
	// Reasons say why the workflow hears of this message
	// (conversation.Signal*).
	Reasons []string `json:",omitempty"`
	// Keyword is the keyword rule a customer's message matched (with
	// Reasons holding conversation.SignalKeywordRule).
	Keyword *conversation.KeywordMatch `json:",omitempty"`
}

// MessagesSignal carries a conversation's messages that waited in the
// outbox, in seq order: one signal for a burst.
type MessagesSignal struct {
	Messages []MessageSignal
	// Offers are dispatch decisions for the conversation that waited in
	// the outbox behind (or without) its messages.
	Offers []conversation.Offer `json:",omitempty"`
	// Releases ask to return the conversation to the queue from an
	// operator who went away (their department's away policy).
	Releases []Release `json:",omitempty"`
}

// Release: return the conversation to the queue if OperatorID still has it.
type Release struct {
	OperatorID uuid.UUID
	Reason     string
	// ActorID is the supervisor who asked; nil when presence did.
	ActorID *uuid.UUID `json:",omitempty"`
}

// StartedSignal tells the workflow its conversation row was created.
type StartedSignal struct {
	CreatedAt time.Time
}
