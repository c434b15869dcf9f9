package workflows

import (
	"fmt"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/workflow"

	"github.com/switchboardhq/switchboard/activities"
	"github.com/switchboardhq/switchboard/store"
)

// PresenceWorkflowID is the id of an operator's presence workflow.
func PresenceWorkflowID(operatorID uuid.UUID) string {
	return fmt.Sprintf("presence/%s", operatorID)
}

// SignalDisconnected carries a DisconnectedSignal to PresenceWorkflow.
const SignalDisconnected = "disconnected"

// PresenceInput starts a PresenceWorkflow.
type PresenceInput struct {
	WorkspaceID uuid.UUID
	OperatorID  uuid.UUID
}

// DisconnectedSignal: the operator's last socket closed at At, while
// online. They are away AwayAfter later and offline OfflineAfter later,
// unless a socket comes back.
type DisconnectedSignal struct {
	At           time.Time
	AwayAfter    time.Duration
	OfflineAfter time.Duration
}

// PresenceWorkflow is an operator's grace period, as durable timers: a
// restart of any process loses none. Signalled (SignalWithStart) when the
// operator's last socket closes, it waits AwayAfter, then lets the store
// make them away if no socket came back meanwhile (the store judges that,
// under the operator's lock), then waits until OfflineAfter and makes
// them offline the same way. A later disconnect starts the wait afresh; a
// reconnect needs no signal: the lapse finds the socket and changes
// nothing. The run ends when there is nothing left to wait for.
func PresenceWorkflow(ctx workflow.Context, in PresenceInput) error {
	disconnects := workflow.GetSignalChannel(ctx, SignalDisconnected)
	var sig DisconnectedSignal
	disconnects.Receive(ctx, &sig)
	ctx = workflow.WithLocalActivityOptions(ctx, localActivityOptions)
	to := store.StatusAway
	for {
		deadline := sig.At.Add(sig.AwayAfter)
		if to == store.StatusOffline {
			deadline = sig.At.Add(sig.OfflineAfter)
		}
		again := false
		if wait := deadline.Sub(workflow.Now(ctx)); wait > 0 {
			tctx, cancel := workflow.WithCancel(ctx)
			timer := workflow.NewTimerWithOptions(tctx, wait, workflow.TimerOptions{Summary: to})
			sel := workflow.NewSelector(ctx)
			sel.AddFuture(timer, func(workflow.Future) {})
			sel.AddReceive(disconnects, func(c workflow.ReceiveChannel, _ bool) {
				c.Receive(ctx, &sig)
				again = true
			})
			sel.Select(ctx)
			cancel()
		}
		if again {
			to = store.StatusAway
			continue
		}
		var changed bool
		lapse := activities.PresenceLapseInput{WorkspaceID: in.WorkspaceID, OperatorID: in.OperatorID, To: to}
		if err := workflow.ExecuteLocalActivity(ctx, a.PresenceLapse, lapse).Get(ctx, &changed); err != nil {
			return fmt.Errorf("ending the grace of operator %s: %w", in.OperatorID, err)
		}
		if changed && to == store.StatusAway {
			to = store.StatusOffline
			continue
		}
		// Done, unless another disconnect came in meanwhile.
		if disconnects.ReceiveAsync(&sig) {
			to = store.StatusAway
			continue
		}
		return nil
	}
}
