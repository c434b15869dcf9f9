// Package bus carries realtime events between the processes of a
// Switchboard deployment: in-process when one process runs everything, NATS
// core pub/sub when several do.
//
// Delivery is best effort by design. Every event carries the
// per-conversation sequence number stored in PostgreSQL; a client that
// missed events (a dropped socket, a restarted node) asks the REST API for
// everything after the last seq it saw. The database is the truth.
package bus

import (
	"context"
	"encoding/json"

	"github.com/google/uuid"
)

// Event types pushed to sockets.
const (
	TypeMessageCreated      = "message.created"
	TypeConversationUpdated = "conversation.updated"
	// TypeOperatorStatus: an operator went online, away or offline. Data is
	// {"operator_id","status"}; Audience.MinRole is supervisor.
	TypeOperatorStatus = "operator.status"
	// TypeQueuePosition tells a waiting visitor where their conversation
	// stands in its department's queue (Visitor payload only).
	TypeQueuePosition = "queue.position"
	// TypeNoteCreated, TypeNoteUpdated and TypeNoteDeleted: a private note
	// of a conversation (Data: the note; deleted: its id, conversation_id
	// and seq), routed like the conversation's messages, never with a
	// Visitor payload.
	TypeNoteCreated = "note.created"
	TypeNoteUpdated = "note.updated"
	TypeNoteDeleted = "note.deleted"
	// TypeNotificationCreated: an item arrived in an operator's
	// notification inbox; TypeNotificationsChanged: items were read,
	// unread or archived. Data is {"notification" (when one item),
	// "unread"}; Audience.Operator is the inbox's owner.
	TypeNotificationCreated  = "notification.created"
	TypeNotificationsChanged = "notifications.changed"
	// TypeTagsChanged: the workspace's tags were created, renamed,
	// recoloured, merged or deleted. Data is {"tags": [...]}.
	TypeTagsChanged = "tags.changed"
	// TypeOperatorAccessChanged is not forwarded to clients: every node
	// closes the sockets of Audience.Operator (deactivated, role or
	// departments changed) so they reconnect with their new access, or
	// fail to.
	TypeOperatorAccessChanged = "operator.access_changed"
	// TypeCredentialRevoked is not forwarded to clients: Data is a
	// Revocation, and every node closes the sockets the revoked credential
	// opened. It is the fast path; the nodes' poll of the revocations table
	// is the guarantee.
	TypeCredentialRevoked = "credential.revoked"
	// TypeIdentityRequired is not forwarded to clients: the workspace now
	// requires a verified identity, and every node closes the widget
	// sockets of WorkspaceID that have none.
	TypeIdentityRequired = "workspace.identity_required"
	// TypeVisitorIdentified is not forwarded to clients: every node moves
	// the widget sockets of VisitorID into the audience of ContactID (out
	// of any contact's audience when ContactID is nil), so they receive
	// the events of the contact's conversations from every device.
	TypeVisitorIdentified = "visitor.identified"
)

// Kinds of Revocation: what SubjectID names.
const (
	RevokedSession  = "session"
	RevokedToken    = "token"
	RevokedOperator = "operator"
)

// Revocation is the Data of a credential.revoked event: a session, an API
// token, or every credential of an operator (deactivation), as recorded in
// the revocations table under ID.
type Revocation struct {
	ID          int64     `json:"id"`
	WorkspaceID uuid.UUID `json:"workspace_id"`
	Kind        string    `json:"kind"`
	SubjectID   uuid.UUID `json:"subject_id"`
}

// Event returns the credential.revoked event that carries r.
func (r Revocation) Event() Event {
	data, _ := json.Marshal(r) // a struct of plain fields always encodes
	return Event{Type: TypeCredentialRevoked, WorkspaceID: r.WorkspaceID, Data: data}
}

// VisibilityState is a conversation's routing at one moment.
type VisibilityState struct {
	Department *uuid.UUID `json:"department,omitempty"`
	Assignee   *uuid.UUID `json:"assignee,omitempty"`
}

// Audience narrows which operator sockets of the workspace receive an
// event. The zero Audience means every operator of the workspace.
type Audience struct {
	// States are the conversation's routing before and after the change:
	// an operator receives the event when access.Viewer.CanSee allows any.
	States []VisibilityState `json:"states,omitempty"`
	// MinRole: only operators with at least this role.
	MinRole string `json:"min_role,omitempty"`
	// Operator: only this operator's sockets.
	Operator *uuid.UUID `json:"operator,omitempty"`
	// VisitorsOnly: no operator at all (the event is the widget's).
	VisitorsOnly bool `json:"visitors_only,omitempty"`
}

// Event is one realtime notification about a conversation.
type Event struct {
	Type           string    `json:"type"`
	WorkspaceID    uuid.UUID `json:"workspace_id"`
	ConversationID uuid.UUID `json:"conversation_id"`
	// VisitorID routes the event to the visitor's widget sockets.
	VisitorID uuid.UUID `json:"visitor_id"`
	// ContactID, when set, also routes it to the widget sockets of every
	// device (visitor) verified as that contact: the conversation's
	// contact.
	ContactID *uuid.UUID `json:"contact_id,omitempty"`
	// Seq is the conversation's sequence number after this change.
	Seq int64 `json:"seq"`
	// Data is the message or the conversation, as the REST API renders it.
	Data json.RawMessage `json:"data"`
	// Visitor is the payload the widget receives; nil means the event is
	// not shown to the visitor (e.g. an assignment).
	Visitor json.RawMessage `json:"visitor,omitempty"`
	// Audience says which operator sockets receive Data.
	Audience Audience `json:"audience"`
}

// Bus publishes events to every subscriber in the deployment.
type Bus interface {
	// Publish hands the event to the bus. It does not wait for subscribers.
	Publish(ctx context.Context, ev Event) error
	// Subscribe calls fn for every event published anywhere in the
	// deployment, from one goroutine per subscription, in publish order per
	// publisher. fn must not block. The returned func unsubscribes.
	Subscribe(fn func(Event)) (unsubscribe func(), err error)
	// Close releases the bus's connections.
	Close() error
}
