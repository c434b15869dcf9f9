package conversation

import (
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
)

// The commands below are what operators (and the system on their behalf)
// ask of a conversation's workflow, each as one Temporal update. The
// workflow judges them against the state; who may send which is
// access's to say, and the API checks it before sending.

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
	Resolution string // one of ResolutionTypes
	Notes      string
}

// ReopenRequest: open a resolved conversation again.
type ReopenRequest struct {
	Actor Actor
}

// TransferRequest: the conversation moves to another department, to an
// operator there (AssigneeID) or to its queue (nil).
type TransferRequest struct {
	Actor        Actor
	DepartmentID uuid.UUID
	AssigneeID   *uuid.UUID `json:",omitempty"`
	// Note is for whoever takes it over (the event log keeps it); at most
	// MaxTransferNote characters, no control characters but tabs and line
	// breaks.
	Note string `json:",omitempty"`
}

// MaxTransferNote is the longest TransferRequest.Note, in characters.
const MaxTransferNote = 1000

// PlainText says whether s is valid UTF-8 of at most max characters with
// no control characters but tabs and line breaks: text people write, and
// (the workflows rely on it) text Go's %q quotes as a JSON string.
func PlainText(s string, max int) bool {
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > max {
		return false
	}
	for _, r := range s {
		control := r < 0x20 && r != '\n' && r != '\t' && r != '\r'
		if control || r == 0x7f || (!unicode.IsPrint(r) && !unicode.IsSpace(r)) {
			return false
		}
	}
	return true
}

// PriorityRequest: set the conversation's priority.
type PriorityRequest struct {
	Actor    Actor
	Priority string // one of Priorities
}

// HandBackRequest: people give the conversation back to its bot flow,
// which goes on at Node (a node of the flow version the conversation
// started in).
type HandBackRequest struct {
	Actor Actor
	Node  string
}

// OfferAnswer: the operator a waiting conversation is offered to accepts
// it (it is theirs) or declines it (it is offered to the next).
type OfferAnswer struct {
	Actor Actor
}
