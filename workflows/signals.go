// Package workflows holds the Temporal workflows of Switchboard. This file
// is their contract with the rest of the system: workflow ids, signal,
// update and query names, and the payload types that cross the boundary.
//
// Workflow code is replayed from history: every change to logic that a
// running workflow may replay must be guarded with workflow.GetVersion.
package workflows

import (
	"fmt"
	"time"

	"github.com/google/uuid"
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
	// SignalMessage carries a MessageSignal, delivered by the outbox relay.
	SignalMessage = "message"
	// SignalStarted carries a StartedSignal: the conversation row exists.
	SignalStarted = "started"

	UpdateClaim   = "claim"
	UpdateAssign  = "assign"
	UpdateSnooze  = "snooze"
	UpdateWake    = "wake"
	UpdateResolve = "resolve"
	UpdateReopen  = "reopen"
	// UpdateTransfer carries a TransferRequest: move the conversation to
	// another department.
	UpdateTransfer = "transfer"

	QueryState = "state"
)

// Conversation statuses and the phases of an open conversation.
const (
	StatusOpen     = "open"
	StatusSnoozed  = "snoozed"
	StatusResolved = "resolved"

	PhaseBot      = "bot"
	PhaseQueued   = "queued"
	PhaseAssigned = "assigned"
)

// Resolution types an operator picks when resolving.
var ResolutionTypes = []string{"solved", "unsolved", "spam", "duplicate", "no_reply"}

// MaxSnooze is the furthest ahead a snooze may reach. The API checks it
// too, to answer with the field; the workflow's validator is the rule.
const MaxSnooze = 366 * 24 * time.Hour

// MaxResolutionNotes is the longest ResolveRequest.Notes accepted, in
// characters.
const MaxResolutionNotes = 5000

// Conversation priorities.
const (
	PriorityLow    = "low"
	PriorityNormal = "normal"
	PriorityHigh   = "high"
	PriorityUrgent = "urgent"
)

// Event types of the lifecycle changes ConversationWorkflow persists
// (Change.EventType).
const (
	EventClaimed     = "claimed"
	EventAssigned    = "assigned"
	EventUnassigned  = "unassigned"
	EventSnoozed     = "snoozed"
	EventWoken       = "woken"
	EventResolved    = "resolved"
	EventReopened    = "reopened"
	EventTransferred = "transferred"
)

// Reasons recorded on changes the workflow makes on its own or on a
// customer's behalf (Change.Reason); empty on an operator's change.
const (
	ReasonManual          = "manual"           // an operator's wake
	ReasonSnoozeExpired   = "snooze_expired"   // the snooze timer fired
	ReasonCustomerReplied = "customer_replied" // a visitor's message woke or reopened it
)

// Actor types recorded on conversation events.
const (
	ActorOperator = "operator"
	ActorVisitor  = "visitor"
	ActorSystem   = "system"
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
	State *ConversationState `json:",omitempty"`
}

// ConversationState is everything the workflow knows; it is what a query
// returns and what continue-as-new carries.
type ConversationState struct {
	WorkspaceID      uuid.UUID
	ConversationID   uuid.UUID
	VisitorID        uuid.UUID
	Status           string
	Phase            string
	AssigneeID       *uuid.UUID `json:",omitempty"`
	DepartmentID     *uuid.UUID `json:",omitempty"`
	Priority         string
	SnoozedUntil     *time.Time `json:",omitempty"`
	SnoozeUntilReply bool
	Resolution       string
	ResolutionNotes  string
	ResolvedAt       *time.Time `json:",omitempty"`
	// Version counts lifecycle changes; the persisting activity writes a
	// change only if its version is newer than the row's.
	Version int64
	// LastMessageSeq is the highest message seq the workflow has seen.
	LastMessageSeq int64
	// MessageGaps are the seqs below LastMessageSeq that no message signal
	// has brought yet, ascending, at most MaxMessageGaps (the lowest go
	// first). Messages usually arrive in seq order, but not always: a
	// dead-lettered row retried later, or two relays overlapping. A message
	// at or below LastMessageSeq is new only if its seq is a gap. Lifecycle
	// events share the seq, so most gaps are never filled. A fresh run
	// (after a resolve) starts without gaps.
	MessageGaps []int64 `json:",omitempty"`
	// MessagesSeen counts distinct messages delivered to this conversation.
	MessagesSeen int64
	// RelayEpoch is the highest outbox relay epoch a message signal carried.
	RelayEpoch int64 `json:",omitempty"`
}

// MaxMessageGaps bounds ConversationState.MessageGaps.
const MaxMessageGaps = 256

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
}

// StartedSignal tells the workflow its conversation row was created.
type StartedSignal struct {
	CreatedAt time.Time
}

// Actor is who asked for a lifecycle change.
type Actor struct {
	Type string     // operator, visitor, system
	ID   *uuid.UUID `json:",omitempty"`
}

// ClaimRequest: an operator takes an unassigned conversation.
type ClaimRequest struct {
	Actor      Actor
	OperatorID uuid.UUID
}

// AssignRequest: a conversation is given to an operator, or unassigned when
// OperatorID is nil (back to the queue).
type AssignRequest struct {
	Actor      Actor
	OperatorID *uuid.UUID `json:",omitempty"`
}

// SnoozeRequest: hide the conversation until a time, or until the
// customer's next reply (UntilReply), or both, whichever comes first.
type SnoozeRequest struct {
	Actor      Actor
	Until      *time.Time `json:",omitempty"`
	UntilReply bool
}

// WakeRequest: end a snooze now.
type WakeRequest struct {
	Actor Actor
}

// ResolveRequest: close the conversation.
type ResolveRequest struct {
	Actor      Actor
	Resolution string
	Notes      string
}

// ReopenRequest: open a resolved conversation again.
type ReopenRequest struct {
	Actor Actor
}

// TransferRequest: the conversation moves to another department, to an
// operator there (AssigneeID) or to its queue (nil). Who may transfer, and
// to whom, is the API's to check; the workflow judges only the state.
type TransferRequest struct {
	Actor        Actor
	DepartmentID uuid.UUID
	AssigneeID   *uuid.UUID `json:",omitempty"`
}

// Change is one lifecycle change as the workflow hands it to the persisting
// activity: the full new state plus what happened.
type Change struct {
	State     ConversationState
	EventType string // claimed, assigned, unassigned, snoozed, woken, resolved, reopened, transferred
	Actor     Actor
	Reason    string
	At        time.Time
}

// Names of the activities the workflows execute. The workflows call them by
// name because package activities imports this package for the payload
// types; the worker registers the (*activities.Activities) methods of the
// same names.
const (
	// ActivityLoadConversation takes a LoadConversationInput and returns the
	// conversation's ConversationState as stored in PostgreSQL.
	ActivityLoadConversation = "LoadConversation"
	// ActivityPersistChange takes a Change and returns a PersistResult. It
	// writes the lifecycle fields, appends to conversation_events and
	// publishes the realtime event; it applies a change only if
	// Change.State.Version is newer than the row's, so retries are harmless.
	ActivityPersistChange = "PersistChange"
)

// LoadConversationInput names the conversation a fresh run loads.
type LoadConversationInput struct {
	WorkspaceID    uuid.UUID
	ConversationID uuid.UUID
}

// PersistResult is what ActivityPersistChange returns: the sequence number
// of the appended conversation event (the realtime event carries it too).
type PersistResult struct {
	Seq int64
}
