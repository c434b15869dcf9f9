package activities

import (
	"context"
	"time"
)

// CleanUpResult counts the rows CleanUp deleted.
type CleanUpResult struct {
	Sessions      int64
	OneTimeTokens int64
	Visitors      int64
	Revocations   int64
}

// CleanUp deletes, across workspaces, what nobody can use any more: expired
// sessions, used or expired invites and password resets, anonymous
// visitors unseen for 30 days, revocations older than an hour. Deleting is
// idempotent: a retry deletes what is left.
func (a *Activities) CleanUp(ctx context.Context) (CleanUpResult, error) {
	r, err := a.Store.CleanUp(ctx, time.Now())
	return CleanUpResult{
		Sessions: r.Sessions, OneTimeTokens: r.OneTimeTokens, Visitors: r.Visitors, Revocations: r.Revocations,
	}, err
}
