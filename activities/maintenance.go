package activities

import (
	"context"
	"time"

	"github.com/switchboardhq/switchboard/workflows"
)

// CleanUp deletes what nobody can use any more (see
// workflows.ActivityCleanUp). A retry deletes what is left.
func (a *Activities) CleanUp(ctx context.Context) (workflows.CleanUpResult, error) {
	r, err := a.Store.CleanUp(ctx, time.Now())
	return workflows.CleanUpResult{
		Sessions: r.Sessions, OneTimeTokens: r.OneTimeTokens, Visitors: r.Visitors, Revocations: r.Revocations,
	}, err
}
