package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/switchboardhq/switchboard/workflows"
)

// DefaultMaintenanceInterval is how often the clean-up runs unless
// MAINTENANCE_INTERVAL says otherwise.
const DefaultMaintenanceInterval = time.Hour

// EnsureMaintenanceSchedule creates the switchboard-maintenance schedule,
// which runs MaintenanceWorkflow every interval, or brings an existing one
// to this interval. Every worker calls it at start: concurrent and
// repeated calls are harmless, and the deployment keeps one schedule.
func EnsureMaintenanceSchedule(ctx context.Context, c client.Client, every time.Duration) error {
	if every <= 0 {
		return fmt.Errorf("maintenance interval %s: must be positive", every)
	}
	spec := client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: every}}}
	sc := c.ScheduleClient()
	_, err := sc.Create(ctx, client.ScheduleOptions{
		ID:   workflows.MaintenanceScheduleID,
		Spec: spec,
		Action: &client.ScheduleWorkflowAction{
			ID: workflows.MaintenanceScheduleID, Workflow: workflows.MaintenanceWorkflow, TaskQueue: workflows.TaskQueue,
		},
		// A run missed while Temporal was down is worth one run, not a
		// backlog (overlapping runs are skipped by default).
		CatchupWindow: max(every, time.Minute),
	})
	if err == nil {
		return nil
	}
	if !errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
		return fmt.Errorf("creating the %s schedule: %w", workflows.MaintenanceScheduleID, err)
	}
	err = sc.GetHandle(ctx, workflows.MaintenanceScheduleID).Update(ctx, client.ScheduleUpdateOptions{
		DoUpdate: func(in client.ScheduleUpdateInput) (*client.ScheduleUpdate, error) {
			s := in.Description.Schedule
			if s.Spec != nil && len(s.Spec.Intervals) == 1 && s.Spec.Intervals[0].Every == every &&
				len(s.Spec.Calendars) == 0 && len(s.Spec.CronExpressions) == 0 {
				return nil, temporal.ErrSkipScheduleUpdate
			}
			s.Spec = &spec
			return &client.ScheduleUpdate{Schedule: &s}, nil
		},
	})
	if err != nil {
		return fmt.Errorf("updating the %s schedule: %w", workflows.MaintenanceScheduleID, err)
	}
	return nil
}
