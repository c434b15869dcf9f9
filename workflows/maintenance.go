package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/switchboardhq/switchboard/activities"
)

// MaintenanceScheduleID is the Temporal Schedule that runs
// MaintenanceWorkflow every MAINTENANCE_INTERVAL; its runs' workflow ids
// start with it too. One schedule serves the whole deployment, however
// many workers run.
const MaintenanceScheduleID = "switchboard-maintenance"

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
func MaintenanceWorkflow(ctx workflow.Context) (activities.CleanUpResult, error) {
	ctx = workflow.WithActivityOptions(ctx, maintenanceActivityOptions)
	var res activities.CleanUpResult
	if err := workflow.ExecuteActivity(ctx, a.CleanUp).Get(ctx, &res); err != nil {
		return res, fmt.Errorf("cleaning up: %w", err)
	}
	workflow.GetLogger(ctx).Info("maintenance done", "sessions", res.Sessions, "one_time_tokens", res.OneTimeTokens,
		"visitors", res.Visitors, "revocations", res.Revocations)
	return res, nil
}
