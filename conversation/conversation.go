// Package conversation is the conversation's domain: the lifecycle fields
// only its workflow writes, their statuses and phases, who acts on a
// conversation, the commands operators send and the changes the workflow
// makes. Package workflows decides, activities and store persist, api
// serves; they all speak these types. It imports nothing of Switchboard.
//
// The types here cross Temporal's history (workflow inputs, update
// payloads, activity results) as JSON with Go's default field names: a
// renamed field or a changed tag breaks the replay of running
// conversations. conversation_test.go pins the wire format.
package conversation

import (
	"encoding/json"
	"slices"
	"time"

	"github.com/google/uuid"
)

// Statuses of a conversation.
const (
	StatusOpen     = "open"
	StatusSnoozed  = "snoozed"
	StatusResolved = "resolved"
)

// Phases of an open conversation: who has it.
const (
	PhaseBot      = "bot"
	PhaseQueued   = "queued"
	PhaseAssigned = "assigned"
)

// Priorities of a conversation.
const (
	PriorityLow    = "low"
	PriorityNormal = "normal"
	PriorityHigh   = "high"
	PriorityUrgent = "urgent"
)

// Priorities lists the priorities from the lowest to the highest.
var Priorities = []string{PriorityLow, PriorityNormal, PriorityHigh, PriorityUrgent}

// PriorityRank orders priorities: the higher, the more pressing; -1 for
// an unknown one.
func PriorityRank(p string) int { return slices.Index(Priorities, p) }

// Resolution types are a workspace's own list (the resolution_types
// table, seeded with the defaults of migration 00026: answered_question,
// action_taken, not_a_problem, spam, duplicate); a conversation stores a
// type's key. The API offers only the workspace's types; the workflow
// checks a key's shape.

// ResolutionAnswered is the type a bot flow that ends resolves with.
const ResolutionAnswered = "answered_question"

// MaxResolutionKey is the longest resolution type key.
const MaxResolutionKey = 64

// ValidResolutionKey reports whether k has the shape of a resolution
// type's key: 1 to 64 of a-z, 0-9 and _.
func ValidResolutionKey(k string) bool {
	if k == "" || len(k) > MaxResolutionKey {
		return false
	}
	for _, r := range k {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '_' {
			return false
		}
	}
	return true
}

// Limits on what operators send, checked by the workflow (the rule) and by
// the API (to answer with the field).
const (
	// MaxSnooze is the furthest ahead a snooze may reach.
	MaxSnooze = 366 * 24 * time.Hour
	// MaxResolutionNotes is the longest ResolveRequest.Notes, in characters.
	MaxResolutionNotes = 5000
)

// Event types of lifecycle changes (Change.EventType, the event log's type).
const (
	EventClaimed     = "claimed"
	EventAssigned    = "assigned"
	EventUnassigned  = "unassigned"
	EventSnoozed     = "snoozed"
	EventWoken       = "woken"
	EventResolved    = "resolved"
	EventReopened    = "reopened"
	EventTransferred = "transferred"
	// EventPriorityChanged: an operator or a keyword rule set the priority.
	EventPriorityChanged = "priority_changed"
	// EventHandedOff: the bot handed the conversation to people (phase
	// bot → queued).
	EventHandedOff = "handed_off"
	// EventEscalated: the conversation waited unclaimed long enough to
	// tell the department's supervisors (the ladder's notify step).
	EventEscalated = "escalated"
	// EventRouted: the inbox's routing rules sent the conversation to a
	// department (or kept it in the default one).
	EventRouted = "routed"
	// EventHandedBack: people gave the conversation back to the bot
	// (phase → bot), at a node of its flow.
	EventHandedBack = "handed_back"
	// EventOffered: dispatch offered the waiting conversation to an
	// operator (offer mode), who accepts (assigned) or passes on it:
	// EventOfferDeclined, or EventOfferExpired when the time ran out.
	EventOffered       = "offered"
	EventOfferDeclined = "offer_declined"
	EventOfferExpired  = "offer_expired"
)

// Reasons recorded on changes the workflow makes on its own or on a
// customer's behalf (Change.Reason); empty on an operator's change.
const (
	ReasonManual          = "manual"           // an operator's wake
	ReasonSnoozeExpired   = "snooze_expired"   // the snooze timer fired
	ReasonCustomerReplied = "customer_replied" // a visitor's message woke or reopened it
	ReasonKeywordRule     = "keyword_rule"     // a customer's message matched a workspace keyword rule
	ReasonFlowEnded       = "flow_ended"       // the bot flow ended: the bot resolved it
	ReasonDispatch        = "dispatch"         // dispatch gave it to an online operator with room
	ReasonUnclaimed       = "unclaimed"        // a step of the department's unclaimed ladder
	ReasonNoReply         = "no_reply_in_time" // the assignee did not reply within the department's limit
	ReasonOperatorAway    = "operator_away"    // its operator went away, and the department returns their work to the queue
	ReasonReleased        = "released"         // a supervisor returned the operator's conversations to the queue
	ReasonSLAEscalation   = "sla_escalation"   // a step of its SLA policy's escalation ladder
	// ReasonAssigneeAway: reopened into the queue, its assignee not online.
	ReasonAssigneeAway = "assignee_away"
	// A bot flow's handoff carries the flow's reason (flow.Reason*:
	// flow, fallback, asked_for_human, error).
)

// Actor types: who changes a conversation (Actor.Type).
const (
	ActorOperator = "operator"
	ActorVisitor  = "visitor"
	ActorSystem   = "system"
)

// Sender types: who wrote a message.
const (
	SenderVisitor  = "visitor"
	SenderOperator = "operator"
	SenderBot      = "bot"
	SenderSystem   = "system"
)

// Actor is who asked for a lifecycle change.
type Actor struct {
	Type string     // ActorOperator, ActorVisitor, ActorSystem
	ID   *uuid.UUID `json:",omitempty"`
}

// Lifecycle is the set of a conversation's fields that only its workflow
// writes. The store keeps it in the conversation's row; the workflow keeps
// it in its State.
type Lifecycle struct {
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
	// Version counts lifecycle changes; a change is written only if its
	// version is newer than the row's, so a retried write is harmless.
	Version int64
	// LastMessageSeq is the highest message seq the workflow has seen.
	LastMessageSeq int64
	// StatusSeq is the seq of the lifecycle event that set Status. A
	// customer message below it was written before that event: it wakes
	// nothing that event snoozed and reopens nothing it resolved. The
	// store sets it when it persists a change of status (the workflow
	// learns it from the result); a workflow's value is not written.
	StatusSeq int64 `json:",omitempty"`
	// Unrouted: the conversation's inbox has routing rules the workflow
	// has not applied yet (it routes at the start, or at the bot's
	// handoff); dispatch waits for it.
	Unrouted bool `json:",omitempty"`
}

// State is everything a conversation's workflow knows: what a query
// returns and what continue-as-new carries.
type State struct {
	WorkspaceID    uuid.UUID
	ConversationID uuid.UUID
	VisitorID      uuid.UUID
	Lifecycle
	// MessageGaps are the seqs below LastMessageSeq that no message has
	// brought yet, ascending, at most MaxMessageGaps (the lowest go first).
	// Messages usually arrive in seq order, but not always: a dead-lettered
	// row retried later, or two relays overlapping. A message at or below
	// LastMessageSeq is new only if its seq is a gap. Lifecycle events
	// share the seq, so most gaps are never filled. A fresh run (after a
	// resolve) starts without gaps.
	MessageGaps []int64 `json:",omitempty"`
	// MessagesSeen counts distinct messages delivered to this conversation.
	MessagesSeen int64
	// RelayEpoch is the highest outbox relay epoch a message carried.
	RelayEpoch int64 `json:",omitempty"`
	// Bot is what the workflow knows of the conversation's bot flow, once
	// it started; nil for a conversation that never had one.
	Bot *Bot `json:",omitempty"`
	// Offer is the offer an operator may accept now (offer mode); nil
	// when none waits for an answer.
	Offer *PendingOffer `json:",omitempty"`
	// Ladder is the unclaimed ladder of the queue it waits in; nil when
	// it does not wait, or its department has none.
	Ladder *Ladder `json:",omitempty"`
	// CustomerWaiting: the customer spoke last (or the bot handed them
	// over): it is people's turn.
	CustomerWaiting bool `json:",omitempty"`
	// ReplyBy is when the assignee must have replied, under their
	// department's limit, or the conversation goes back to the queue.
	ReplyBy *time.Time `json:",omitempty"`
}

// Ladder is the unclaimed ladder of the queue a conversation waits in:
// its steps, timed from when it entered the queue, and how many are done.
type Ladder struct {
	DepartmentID uuid.UUID
	Since        time.Time
	Steps        []LadderStep
	Done         int `json:",omitempty"`
}

// LadderStep is one step of the unclaimed ladder.
type LadderStep struct {
	Kind string // Ladder*
	At   time.Time
	// FallbackID is where LadderWiden moves the conversation.
	FallbackID *uuid.UUID `json:",omitempty"`
}

// Steps of the unclaimed ladder.
const (
	LadderNotify = "notify" // tell the department's supervisors
	LadderWiden  = "widen"  // move to the fallback department
	LadderRaise  = "raise"  // raise the priority a step
)

// LadderConfig is a department's unclaimed ladder: after how long each
// step comes (zero: never).
type LadderConfig struct {
	NotifyAfter time.Duration `json:",omitempty"`
	WidenAfter  time.Duration `json:",omitempty"`
	FallbackID  *uuid.UUID    `json:",omitempty"`
	RaiseAfter  time.Duration `json:",omitempty"`
}

// Start is the ladder of a conversation that entered department's queue
// at since: its steps in time order.
func (l LadderConfig) Start(department uuid.UUID, since time.Time) *Ladder {
	lad := &Ladder{DepartmentID: department, Since: since}
	if l.NotifyAfter > 0 {
		lad.Steps = append(lad.Steps, LadderStep{Kind: LadderNotify, At: since.Add(l.NotifyAfter)})
	}
	if l.RaiseAfter > 0 {
		lad.Steps = append(lad.Steps, LadderStep{Kind: LadderRaise, At: since.Add(l.RaiseAfter)})
	}
	if l.WidenAfter > 0 && l.FallbackID != nil && *l.FallbackID != department {
		id := *l.FallbackID
		lad.Steps = append(lad.Steps, LadderStep{Kind: LadderWiden, At: since.Add(l.WidenAfter), FallbackID: &id})
	}
	if len(lad.Steps) == 0 {
		return nil
	}
	slices.SortStableFunc(lad.Steps, func(a, b LadderStep) int { return a.At.Compare(b.At) })
	return lad
}

// Next is the ladder's next step, or nil when all are done.
func (l *Ladder) Next() *LadderStep {
	if l == nil || l.Done >= len(l.Steps) {
		return nil
	}
	return &l.Steps[l.Done]
}

// PendingOffer is a waiting conversation offered to an operator who has
// not answered yet.
type PendingOffer struct {
	ID         uuid.UUID
	OperatorID uuid.UUID
	ExpiresAt  time.Time
}

// Bot is the workflow's part of a bot flow: how many steps it took and what
// the flow waits for. The flow's own state (where it is, its variables:
// what customers wrote) stays in PostgreSQL, out of Temporal's history.
type Bot struct {
	// Steps counts the steps this run asked for; with the lifecycle
	// Version it names each step uniquely.
	Steps int64
	// Await is what the flow waited for after its last step (flow.Await*).
	Await string
	// TimerToken and TimerAt are the wait node's timer, when it waits.
	TimerToken string     `json:",omitempty"`
	TimerAt    *time.Time `json:",omitempty"`
	// HTTPNode is the http node whose call is under way.
	HTTPNode string `json:",omitempty"`
	// ContextSeq: messages up to this seq were written before the bot
	// started (the visitor's opening); they are no input to the flow.
	ContextSeq int64 `json:",omitempty"`
}

// MaxMessageGaps bounds State.MessageGaps.
const MaxMessageGaps = 256

// Why a message reaches its conversation's workflow (a message's signal
// reasons; see docs/SIGNALS.md). A message with none does not: nothing
// the workflow decides could change.
const (
	// SignalTurn: the other side speaks now (a customer after an operator
	// or the bot, or the other way round).
	SignalTurn = "turn"
	// SignalCustomerSnoozed and SignalCustomerResolved: a customer wrote to
	// a snoozed or resolved conversation, which it may wake or reopen.
	SignalCustomerSnoozed  = "customer_snoozed"
	SignalCustomerResolved = "customer_resolved"
	// SignalBotInput: a customer wrote while a bot flow runs.
	SignalBotInput = "bot_input"
	// SignalKeywordRule: a customer's message matched one of the
	// workspace's keyword rules (the match rides along: KeywordMatch).
	SignalKeywordRule = "keyword_rule"
)

// KeywordMatch is the keyword rule a customer's message matched, as the
// rule was when the message was written: the workflow applies it without
// reading the rule again (it may have changed or gone since).
type KeywordMatch struct {
	RuleID uuid.UUID
	// Priority is the least priority the conversation gets; a rule never
	// lowers one.
	Priority string
	// DepartmentID is where a conversation the bot has goes; nil: its
	// own department.
	DepartmentID *uuid.UUID `json:",omitempty"`
}

// Change is one lifecycle change as the workflow hands it to be persisted:
// the full new state plus what happened.
type Change struct {
	State     State
	EventType string // one of the Event constants
	Actor     Actor
	Reason    string // one of the Reason constants, or empty
	At        time.Time
	// Data is what the event log records beside the change (a JSON
	// object), e.g. the keyword rule that raised the priority.
	Data json.RawMessage `json:",omitempty"`
	// OfferID is the dispatch offer an assignment takes: the change is
	// made only while it still stands.
	OfferID *uuid.UUID `json:",omitempty"`
}

// Offer is a dispatch decision for a conversation: it is to go to the
// operator. The workflow makes the assignment when the conversation still
// waits in that department's queue, and turns it down otherwise.
type Offer struct {
	ID           uuid.UUID
	DepartmentID uuid.UUID
	OperatorID   uuid.UUID
	Mode         string
	// Timeout: in the offer mode, how long the operator has to accept;
	// zero: the conversation is theirs at once.
	Timeout time.Duration `json:",omitempty"`
}

// AcceptMessage records a delivered message's seq, and the epoch of the
// relay that delivered it, and says whether the message is new: above the
// high-water mark LastMessageSeq (the seqs skipped on the way become
// gaps), or a gap filled late. Delivery is at least once, so a message
// already counted comes back false.
func (s *State) AcceptMessage(seq, relayEpoch int64) bool {
	s.RelayEpoch = max(s.RelayEpoch, relayEpoch)
	if seq <= s.LastMessageSeq {
		i, found := slices.BinarySearch(s.MessageGaps, seq)
		if !found {
			return false
		}
		// New slices, never shared with a copy of the state.
		s.MessageGaps = slices.Concat(s.MessageGaps[:i], s.MessageGaps[i+1:])
		return true
	}
	// Only the newest MaxMessageGaps seqs can still become gaps.
	from := max(s.LastMessageSeq+1, seq-MaxMessageGaps)
	gaps := slices.Clone(s.MessageGaps)
	for gap := from; gap < seq; gap++ {
		gaps = append(gaps, gap)
	}
	if n := len(gaps) - MaxMessageGaps; n > 0 {
		gaps = gaps[n:]
	}
	s.MessageGaps = gaps
	s.LastMessageSeq = seq
	return true
}

// SameID reports whether two optional ids are the same (both none, or
// equal).
func SameID(a, b *uuid.UUID) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}
