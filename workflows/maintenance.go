package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// MaintenanceScheduleID is the Temporal Schedule that runs
// MaintenanceWorkflow every MAINTENANCE_INTERVAL; its runs' workflow ids
// start with it too. One schedule serves the whole deployment, however
// many workers run.
const MaintenanceScheduleID = "switchboard-maintenance"

// ActivityCleanUp takes nothing and returns a CleanUpResult. It deletes,
// across workspaces, what nobody can use any more: expired sessions, used
// or expired invites and password resets, anonymous visitors unseen for
// 30 days, revocations older than an hour. Deleting is idempotent.
const ActivityCleanUp = "CleanUp"

// CleanUpResult counts the rows ActivityCleanUp deleted.
type CleanUpResult struct {
	Sessions      int64
	OneTimeTokens int64
	Visitors      int64
	Revocations   int64
}

// maintenanceActivityOptions: a clean-up that fails is retried a few
// times; the next scheduled run repeats it anyway.
var maintenanceActivityOptions = workflow.ActivityOptions{
	StartToCloseTimeout: 10 * time.Minute,
	RetryPolicy: &temporal.RetryPolicy{
		InitialInterval:    time.Second,
		BackoffCoefficient: 2,
		MaximumInterval:    time.Minute,
		MaximumAttempts:    5,
	},
}

// MaintenanceWorkflow runs one clean-up. The switchboard-maintenance
// schedule starts it; it is short and holds no state.
func MaintenanceWorkflow(ctx workflow.Context) (CleanUpResult, error) {
	ctx = workflow.WithActivityOptions(ctx, maintenanceActivityOptions)
	var res CleanUpResult
	if err := workflow.ExecuteActivity(ctx, ActivityCleanUp).Get(ctx, &res); err != nil {
		return res, fmt.Errorf("cleaning up: %w", err)
	}
	workflow.GetLogger(ctx).Info("maintenance done", "sessions", res.Sessions, "one_time_tokens", res.OneTimeTokens,
		"visitors", res.Visitors, "revocations", res.Revocations)
	return res, nil
}
