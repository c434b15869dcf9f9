// Package presence turns operator sockets into statuses: an operator
// whose sockets all close is away after the workspace's grace period and
// offline later; a socket again brings back an operator whom presence
// (not the operator) had made away. Dispatch gives work to online
// operators only, so a closed laptop stops receiving conversations.
//
// Each API node runs a Manager. The hub tells it when an operator's first
// socket on this node opens and the last one closes (Notify, never
// blocking); the manager records that in PostgreSQL (one row per operator
// and node) and, when no live node holds a socket of an online operator
// any more, signals the operator's PresenceWorkflow, whose durable timers
// end the grace. A node beats its heart every few seconds; the rows of a
// node that stopped (a crash, a kill -9) stop counting once it has been
// silent for store.PresenceSilence, and the next beat anywhere starts the
// grace of the operators it held.
package presence

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/switchboardhq/switchboard/activities"
	"github.com/switchboardhq/switchboard/bus"
	"github.com/switchboardhq/switchboard/store"
	"github.com/switchboardhq/switchboard/workflows"
)

// Manager keeps one node's operator presence.
type Manager struct {
	Store    *store.Store
	Temporal client.Client
	Bus      bus.Bus
	Logger   *slog.Logger
	// Node names this process among the API nodes; unique per process
	// start.
	Node string
	// Kick wakes the outbox relay (an operator back online was given
	// waiting conversations); may be nil.
	Kick func()

	once    sync.Once
	mu      sync.Mutex
	pending map[store.OperatorRef]bool // latest: connected or not
	wake    chan struct{}
}

func (m *Manager) init() {
	m.once.Do(func() {
		m.pending = make(map[store.OperatorRef]bool)
		m.wake = make(chan struct{}, 1)
		if m.Node == "" {
			m.Node = uuid.NewString()
		}
	})
}

// Notify records that an operator now holds a socket on this node
// (connected) or none. It never blocks: the hub calls it under its lock.
// Only the latest state of each operator is kept, so a quick close and
// reopen is a no-op.
func (m *Manager) Notify(workspaceID, operatorID uuid.UUID, connected bool) {
	m.init()
	m.mu.Lock()
	m.pending[store.OperatorRef{WorkspaceID: workspaceID, OperatorID: operatorID}] = connected
	m.mu.Unlock()
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// Run records presence until ctx ends: the hub's notifications as they
// come, a heartbeat every store.PresenceSilence/4.
func (m *Manager) Run(ctx context.Context) error {
	m.init()
	m.beat(ctx)
	tick := time.NewTicker(store.PresenceSilence / 4)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			// The hub closed its sockets as the node stopped: record them,
			// so graces start now rather than once the node is found silent.
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			m.drain(fctx)
			cancel()
			return nil
		case <-tick.C:
			m.beat(ctx)
		case <-m.wake:
		}
		m.drain(ctx)
	}
}

// beat keeps this node alive and starts the grace of operators whose only
// sockets were on nodes that went silent.
func (m *Manager) beat(ctx context.Context) {
	lost, err := m.Store.PresenceBeat(ctx, m.Node)
	if err != nil {
		m.Logger.WarnContext(ctx, "presence heartbeat", "node", m.Node, "err", err)
		return
	}
	for _, op := range lost {
		online, err := m.Store.OperatorOnline(ctx, op.WorkspaceID, op.OperatorID)
		if err != nil {
			m.Logger.WarnContext(ctx, "presence: reading a lost operator", "operator", op.OperatorID, "err", err)
			continue
		}
		if !online {
			continue
		}
		if err := m.startGrace(ctx, op); err != nil {
			m.Logger.WarnContext(ctx, "presence: starting a lost operator's grace", "operator", op.OperatorID, "err", err)
		}
	}
}

func (m *Manager) drain(ctx context.Context) {
	for ctx.Err() == nil {
		m.mu.Lock()
		var (
			op        store.OperatorRef
			connected bool
			found     bool
		)
		for op, connected = range m.pending {
			found = true
			delete(m.pending, op)
			break
		}
		m.mu.Unlock()
		if !found {
			return
		}
		if err := m.apply(ctx, op, connected); err != nil {
			m.Logger.WarnContext(ctx, "presence: recording a change; retrying", "operator", op.OperatorID, "connected", connected, "err", err)
			m.mu.Lock()
			if _, newer := m.pending[op]; !newer {
				m.pending[op] = connected
			}
			m.mu.Unlock()
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}
}

func (m *Manager) apply(ctx context.Context, op store.OperatorRef, connected bool) error {
	if connected {
		ch, err := m.Store.PresenceConnect(ctx, op.WorkspaceID, op.OperatorID, m.Node)
		if err != nil {
			return err
		}
		if ch.Changed {
			if err := m.Bus.Publish(ctx, activities.OperatorStatusEvent(ch.Person)); err != nil {
				m.Logger.WarnContext(ctx, "publishing operator.status", "operator", op.OperatorID, "err", err)
			}
		}
		if ch.Dispatched > 0 && m.Kick != nil {
			m.Kick()
		}
		return nil
	}
	grace, err := m.Store.PresenceDisconnect(ctx, op.WorkspaceID, op.OperatorID, m.Node)
	if err != nil || !grace {
		return err
	}
	return m.startGrace(ctx, op)
}

// startGrace signals the operator's presence workflow that their last
// socket closed now.
func (m *Manager) startGrace(ctx context.Context, op store.OperatorRef) error {
	settings, err := m.Store.WorkspaceSettings(ctx, op.WorkspaceID)
	if err != nil {
		return err
	}
	id := workflows.PresenceWorkflowID(op.OperatorID)
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_, err = m.Temporal.SignalWithStartWorkflow(sctx, id, workflows.SignalDisconnected,
		workflows.DisconnectedSignal{At: time.Now(), AwayAfter: settings.AwayAfter, OfflineAfter: settings.OfflineAfter},
		client.StartWorkflowOptions{
			ID: id, TaskQueue: workflows.TaskQueue,
			WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		}, workflows.PresenceWorkflow, workflows.PresenceInput{WorkspaceID: op.WorkspaceID, OperatorID: op.OperatorID})
	return err
}
