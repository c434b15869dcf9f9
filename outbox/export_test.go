package outbox

import "context"

// TakeLease makes r the leader of a new epoch without the advisory lock,
// so a test can run relays that all believe they lead.
func (r *Relay) TakeLease(ctx context.Context) (int64, error) {
	r.init()
	return r.Store.OutboxRelayLeaseTake(ctx, r.Holder)
}

// Round runs one round as the leader of epoch.
func (r *Relay) Round(ctx context.Context, epoch int64) (int, error) {
	r.init()
	return r.round(ctx, epoch)
}

// CrashAfterSignal makes each round end after its signals and before its
// delete, with err, as a process killed there would.
func (r *Relay) CrashAfterSignal(err error) { r.afterSignal = func() error { return err } }
