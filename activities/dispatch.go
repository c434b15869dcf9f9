package activities

import (
	"context"
	"encoding/json"

	"github.com/google/uuid"

	"github.com/switchboardhq/switchboard/bus"
	"github.com/switchboardhq/switchboard/store"
)

// QueueHeadSize is how many waiting visitors of a department hear their
// new spot when its queue moves; those further back learn it when they
// ask (the widget does on reconnect) or when they move up.
const QueueHeadSize = 50

// QueuePosition is the queue.position event's payload for the widget.
type QueuePosition struct {
	ConversationID uuid.UUID       `json:"conversation_id"`
	Queue          store.QueueSpot `json:"queue"`
}

// publishQueue tells the first waiting visitors of a department's queue
// where they stand now. Best effort: the widget reads its spot again on
// every reconnect.
func (a *Activities) publishQueue(ctx context.Context, workspaceID, departmentID uuid.UUID) {
	head, err := a.Store.QueueHead(ctx, workspaceID, departmentID, QueueHeadSize)
	if err != nil {
		a.Logger.WarnContext(ctx, "reading a queue to tell its visitors", "department", departmentID, "err", err)
		return
	}
	for _, w := range head {
		payload, _ := json.Marshal(QueuePosition{ConversationID: w.ConversationID, Queue: w.Spot})
		ev := bus.Event{
			Type: bus.TypeQueuePosition, WorkspaceID: workspaceID, ConversationID: w.ConversationID,
			VisitorID: w.VisitorID, ContactID: w.ContactID, Visitor: payload,
			Audience: bus.Audience{VisitorsOnly: true},
		}
		if err := a.Bus.Publish(ctx, ev); err != nil {
			a.Logger.WarnContext(ctx, "publishing queue.position", "conversation", w.ConversationID, "err", err)
			return
		}
	}
}

// RouteInput names a conversation to route.
type RouteInput struct {
	WorkspaceID    uuid.UUID
	ConversationID uuid.UUID
}

// RouteResult is what routing decided: the rule that matched (nil: none,
// the inbox's default department stays) and its department.
type RouteResult struct {
	RuleID       *uuid.UUID `json:",omitempty"`
	RuleName     string     `json:",omitempty"`
	DepartmentID *uuid.UUID `json:",omitempty"`
}

// Route evaluates the conversation's inbox routing rules (store.Route).
func (a *Activities) Route(ctx context.Context, in RouteInput) (RouteResult, error) {
	r, err := a.Store.Route(ctx, in.WorkspaceID, in.ConversationID)
	if err != nil {
		return RouteResult{}, err
	}
	if r.Rule == nil {
		return RouteResult{}, nil
	}
	id := r.Rule.ID
	return RouteResult{RuleID: &id, RuleName: r.Rule.Name, DepartmentID: r.DepartmentID}, nil
}
