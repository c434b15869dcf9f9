package activities

import (
	"context"
	"encoding/json"
	"log/slog"

	"github.com/google/uuid"

	"github.com/switchboardhq/switchboard/bus"
	"github.com/switchboardhq/switchboard/store"
)

// NotificationsChanged is the data of the events an operator's sockets
// receive when their notification inbox changes: the item (when one
// changed) and their unread count as it is now.
type NotificationsChanged struct {
	Notification *store.Notification `json:"notification,omitempty"`
	Unread       int64               `json:"unread"`
}

// Notifier pushes notification inbox changes to their operators' sockets.
// Best effort, like every realtime event: the items are committed, and an
// inbox that misses one reads GET /notifications.
type Notifier struct {
	Store  *store.Store
	Bus    bus.Bus
	Logger *slog.Logger
}

// Created announces new items, each to its operator.
func (n Notifier) Created(ctx context.Context, items []store.Notification) {
	for i := range items {
		n.Changed(ctx, bus.TypeNotificationCreated, items[i].WorkspaceID, items[i].OperatorID, &items[i])
	}
}

// Changed announces a change of one operator's inbox (item nil: several
// items, such as marking all read).
func (n Notifier) Changed(ctx context.Context, typ string, workspaceID, operatorID uuid.UUID, item *store.Notification) {
	unread, err := n.Store.UnreadNotifications(ctx, workspaceID, operatorID)
	if err != nil {
		n.Logger.WarnContext(ctx, "counting unread notifications", "operator", operatorID, "err", err)
		return
	}
	data, err := json.Marshal(NotificationsChanged{Notification: item, Unread: unread})
	if err != nil {
		n.Logger.ErrorContext(ctx, "encoding a notification event", "err", err)
		return
	}
	ev := bus.Event{Type: typ, WorkspaceID: workspaceID, Data: data, Audience: bus.Audience{Operator: &operatorID}}
	if item != nil && item.ConversationID != nil {
		ev.ConversationID = *item.ConversationID
	}
	if err := n.Bus.Publish(ctx, ev); err != nil {
		n.Logger.WarnContext(ctx, "publishing "+typ, "operator", operatorID, "err", err)
	}
}
