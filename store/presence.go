package store

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	dbsqlc "github.com/switchboardhq/switchboard/db/sqlc"
)

// PresenceSilence is how long a node may go without a heartbeat before
// its sockets stop counting (nodes beat every PresenceSilence/4).
const PresenceSilence = 40 * time.Second

// Operator statuses.
const (
	StatusOnline  = "online"
	StatusAway    = "away"
	StatusOffline = "offline"
)

// OperatorRef names an operator of a workspace.
type OperatorRef struct {
	WorkspaceID uuid.UUID
	OperatorID  uuid.UUID
}

// PresenceBeat records that node is alive, and reaps the nodes silent for
// longer than PresenceSilence: it returns the operators who held sockets
// only there (their grace begins now).
func (s *Store) PresenceBeat(ctx context.Context, node string) ([]OperatorRef, error) {
	if err := s.q.PresenceNodeBeat(ctx, node); err != nil {
		return nil, fmt.Errorf("presence heartbeat: %w", err)
	}
	rows, err := s.q.PresenceNodesReap(ctx, PresenceSilence.Seconds())
	if err != nil {
		return nil, fmt.Errorf("reaping silent presence nodes: %w", err)
	}
	out := make([]OperatorRef, len(rows))
	for i, r := range rows {
		out[i] = OperatorRef{WorkspaceID: r.WorkspaceID, OperatorID: r.OperatorID}
	}
	return out, nil
}

// StatusChange is what a presence change did to an operator's status.
type StatusChange struct {
	Person  Person
	Changed bool
	// Dispatched counts the dispatch decisions it led to (outbox rows).
	Dispatched int
}

// PresenceConnect records that node holds a socket of the operator. An
// operator whom presence had made away or offline is online again (and
// takes waiting work at once); a status the operator chose stays.
func (s *Store) PresenceConnect(ctx context.Context, workspaceID, operatorID uuid.UUID, node string) (StatusChange, error) {
	var out StatusChange
	err := s.tx(ctx, func(q *dbsqlc.Queries) error {
		depts, st, err := lockForStatus(ctx, q, workspaceID, operatorID)
		if err != nil {
			return err
		}
		if err := q.PresenceNodeBeat(ctx, node); err != nil {
			return err
		}
		if err := q.PresenceConnect(ctx, dbsqlc.PresenceConnectParams{WorkspaceID: workspaceID, OperatorID: operatorID, Node: node}); err != nil {
			return interpretError(err)
		}
		if st.Active && st.StatusAuto && st.Status != StatusOnline {
			if err := q.OperatorSetAutoStatus(ctx, dbsqlc.OperatorSetAutoStatusParams{
				WorkspaceID: workspaceID, ID: operatorID, Status: StatusOnline, StatusAuto: false,
			}); err != nil {
				return err
			}
			out.Changed = true
			if _, out.Dispatched, err = dispatchIn(ctx, q, workspaceID, depts, uuid.Nil, time.Now()); err != nil {
				return err
			}
		}
		out.Person, err = person(ctx, q, workspaceID, operatorID)
		return err
	})
	if err != nil {
		return StatusChange{}, fmt.Errorf("recording operator %s connected: %w", operatorID, err)
	}
	return out, nil
}

// PresenceDisconnect records that node holds no socket of the operator
// any more. It says whether the operator is now without any socket while
// online: their grace period begins.
func (s *Store) PresenceDisconnect(ctx context.Context, workspaceID, operatorID uuid.UUID, node string) (bool, error) {
	left, err := s.q.PresenceDisconnect(ctx, dbsqlc.PresenceDisconnectParams{
		WorkspaceID: workspaceID, OperatorID: operatorID, Node: node, SilentSeconds: PresenceSilence.Seconds(),
	})
	if err != nil {
		return false, fmt.Errorf("recording operator %s disconnected: %w", operatorID, err)
	}
	if left > 0 {
		return false, nil
	}
	online, err := s.OperatorOnline(ctx, workspaceID, operatorID)
	return online, err
}

// PresenceLapse ends an operator's grace: one with no socket on a live
// node goes from online to away (to == StatusAway), or from an away that
// presence set to offline (StatusOffline). Going away takes back the
// dispatch decisions on their way to them. A socket that came back, or a
// status the operator chose since, changes nothing.
func (s *Store) PresenceLapse(ctx context.Context, workspaceID, operatorID uuid.UUID, to string) (StatusChange, error) {
	var out StatusChange
	err := s.tx(ctx, func(q *dbsqlc.Queries) error {
		_, st, err := lockForStatus(ctx, q, workspaceID, operatorID)
		if err != nil {
			return err
		}
		connected, err := q.PresenceConnected(ctx, dbsqlc.PresenceConnectedParams{
			WorkspaceID: workspaceID, OperatorID: operatorID, SilentSeconds: PresenceSilence.Seconds(),
		})
		if err != nil {
			return err
		}
		due := (to == StatusAway && st.Status == StatusOnline) ||
			(to == StatusOffline && st.Status == StatusAway && st.StatusAuto)
		if connected || !st.Active || !due {
			out.Person, err = person(ctx, q, workspaceID, operatorID)
			return err
		}
		if err := q.OperatorSetAutoStatus(ctx, dbsqlc.OperatorSetAutoStatusParams{
			WorkspaceID: workspaceID, ID: operatorID, Status: to, StatusAuto: true,
		}); err != nil {
			return err
		}
		out.Changed = true
		redispatch, err := takeBackOffers(ctx, q, workspaceID, operatorID)
		if err != nil {
			return err
		}
		if to == StatusAway {
			// Away past the grace: departments that say so take back their work.
			released, err := releaseAway(ctx, q, workspaceID, operatorID)
			if err != nil {
				return err
			}
			out.Dispatched += released
		}
		_, n, err := dispatchIn(ctx, q, workspaceID, redispatch, uuid.Nil, time.Now())
		if err != nil {
			return err
		}
		out.Dispatched += n
		out.Person, err = person(ctx, q, workspaceID, operatorID)
		return err
	})
	if err != nil {
		return StatusChange{}, fmt.Errorf("ending the grace of operator %s: %w", operatorID, err)
	}
	return out, nil
}

// lockForStatus locks an operator's departments, then the operator (the
// order dispatch locks in), and returns both.
func lockForStatus(ctx context.Context, q *dbsqlc.Queries, workspaceID, operatorID uuid.UUID) ([]uuid.UUID, dbsqlc.OperatorStatusForUpdateRow, error) {
	depts, err := operatorDepartments(ctx, q, workspaceID, operatorID)
	if err != nil {
		return nil, dbsqlc.OperatorStatusForUpdateRow{}, err
	}
	if len(depts) > 0 {
		if _, err := q.DispatchLockDepartments(ctx, dbsqlc.DispatchLockDepartmentsParams{WorkspaceID: workspaceID, DepartmentIDs: depts}); err != nil {
			return nil, dbsqlc.OperatorStatusForUpdateRow{}, fmt.Errorf("locking departments: %w", err)
		}
	}
	st, err := q.OperatorStatusForUpdate(ctx, dbsqlc.OperatorStatusForUpdateParams{WorkspaceID: workspaceID, ID: operatorID})
	if err != nil {
		return nil, dbsqlc.OperatorStatusForUpdateRow{}, interpretError(err)
	}
	return depts, st, nil
}
