package activities

import (
	"context"
	"encoding/json"

	"github.com/google/uuid"

	"github.com/switchboardhq/switchboard/access"
	"github.com/switchboardhq/switchboard/bus"
	"github.com/switchboardhq/switchboard/store"
)

// OperatorStatusEvent is the operator.status event of a person: for
// supervisors and above, live (the Team view), and dispatch's audience.
func OperatorStatusEvent(p store.Person) bus.Event {
	data, _ := json.Marshal(map[string]any{"operator_id": p.ID, "status": p.Status, "changed_at": p.StatusChangedAt})
	return bus.Event{
		Type: bus.TypeOperatorStatus, WorkspaceID: p.WorkspaceID, Data: data,
		Audience: bus.Audience{MinRole: access.RoleSupervisor},
	}
}

// PresenceLapseInput names the operator whose grace ended and the status
// it ends in (store.StatusAway or store.StatusOffline).
type PresenceLapseInput struct {
	WorkspaceID uuid.UUID
	OperatorID  uuid.UUID
	To          string
}

// PresenceLapse ends an operator's grace period (store.PresenceLapse) and
// tells supervisors. It says whether the status changed.
func (a *Activities) PresenceLapse(ctx context.Context, in PresenceLapseInput) (bool, error) {
	ch, err := a.Store.PresenceLapse(ctx, in.WorkspaceID, in.OperatorID, in.To)
	if err != nil {
		return false, err
	}
	if ch.Changed {
		if err := a.Bus.Publish(ctx, OperatorStatusEvent(ch.Person)); err != nil {
			a.Logger.WarnContext(ctx, "publishing operator.status", "operator", in.OperatorID, "err", err)
		}
	}
	if ch.Dispatched > 0 && a.Kick != nil {
		a.Kick()
	}
	return ch.Changed, nil
}
