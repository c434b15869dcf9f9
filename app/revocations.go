package app

import (
	"context"
	"time"

	"github.com/switchboardhq/switchboard/bus"
	"github.com/switchboardhq/switchboard/store"
)

const (
	// DefaultRevocationPoll is how often an API node reads the
	// revocations table: a revoked credential's sockets close within about
	// this long even when the bus lost its credential.revoked.
	DefaultRevocationPoll = 250 * time.Millisecond
	// revocationWindow is how far back every poll reads again, for a
	// transaction that took a lower id but committed after a higher one
	// was read.
	revocationWindow = 10 * time.Second
)

func busRevocation(r store.Revocation) bus.Revocation {
	return bus.Revocation{ID: r.ID, WorkspaceID: r.WorkspaceID, Kind: r.Kind, SubjectID: r.SubjectID}
}

// publishRevocations is the store's OnRevoked: the fast path to every
// node's hub. A lost event costs at most a poll period.
func (s *System) publishRevocations(ctx context.Context, rs []store.Revocation) {
	for _, r := range rs {
		if err := s.Bus.Publish(ctx, busRevocation(r).Event()); err != nil {
			s.cfg.Logger.WarnContext(ctx, "publishing credential.revoked; the nodes' poll will close the sockets",
				"revocation", r.ID, "kind", r.Kind, "err", err)
		}
	}
}

// watchRevocations polls the revocations table until ctx ends and hands
// every row to the hub, which acts on each id once. It is the guarantee
// behind the bus's credential.revoked.
//
// It starts after the last row that exists (only the window is read
// again): older rows concern no socket of this node, and acting on them
// would close the sockets of an operator deactivated and since
// reactivated.
func (s *System) watchRevocations(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	last := int64(-1) // not read yet
	failing := false
	for {
		var rs []store.Revocation
		var err error
		if last < 0 {
			last, err = s.Store.LastRevocationID(ctx)
			if err != nil {
				last = -1
			}
		}
		if err == nil {
			rs, err = s.Store.RecentRevocations(ctx, last, revocationWindow)
		}
		switch {
		case err != nil && ctx.Err() == nil:
			if !failing {
				s.cfg.Logger.Error("polling revocations", "err", err)
			}
			failing = true
		case err == nil:
			if failing {
				s.cfg.Logger.Info("polling revocations again")
			}
			failing = false
			for _, r := range rs {
				s.Hub.Revoke(busRevocation(r))
				last = max(last, r.ID)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
