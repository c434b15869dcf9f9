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
)

// Event is one realtime notification about a conversation.
type Event struct {
	Type           string    `json:"type"`
	WorkspaceID    uuid.UUID `json:"workspace_id"`
	ConversationID uuid.UUID `json:"conversation_id"`
	// VisitorID routes the event to the visitor's widget sockets.
	VisitorID uuid.UUID `json:"visitor_id"`
	// Seq is the conversation's sequence number after this change.
	Seq int64 `json:"seq"`
	// Data is the message or the conversation, as the REST API renders it.
	Data json.RawMessage `json:"data"`
	// Visitor is the payload the widget receives; nil means the event is
	// not shown to the visitor (e.g. an assignment).
	Visitor json.RawMessage `json:"visitor,omitempty"`
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
