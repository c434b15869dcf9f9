package workflows_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/testsuite"

	"github.com/switchboardhq/switchboard/activities"
	"github.com/switchboardhq/switchboard/workflows"
)

// lapses records PresenceLapse calls and answers whether the status
// changed.
type lapses struct {
	env     *testsuite.TestWorkflowEnvironment
	mu      sync.Mutex
	calls   []string
	at      []time.Duration
	changed func(to string) bool
}

func (l *lapses) PresenceLapse(_ context.Context, in activities.PresenceLapseInput) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls = append(l.calls, in.To)
	l.at = append(l.at, l.env.Now().Sub(startTime))
	return l.changed(in.To), nil
}

func presenceEnv(t *testing.T, changed func(string) bool) (*testsuite.TestWorkflowEnvironment, *lapses) {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.SetStartTime(startTime)
	l := &lapses{env: env, changed: changed}
	env.RegisterActivityWithOptions(l.PresenceLapse, activity.RegisterOptions{Name: "PresenceLapse"})
	env.RegisterWorkflow(workflows.PresenceWorkflow)
	return env, l
}

// The grace ends in away AwayAfter after the disconnect, then offline at
// OfflineAfter; a second disconnect during the grace starts it afresh.
func TestPresenceGraceTimers(t *testing.T) {
	t.Parallel()
	env, l := presenceEnv(t, func(string) bool { return true })
	sig := func(at time.Duration) workflows.DisconnectedSignal {
		return workflows.DisconnectedSignal{At: startTime.Add(at), AwayAfter: time.Minute, OfflineAfter: 30 * time.Minute}
	}
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(workflows.SignalDisconnected, sig(0)) }, 0)
	// Reconnected and gone again at 40 s: away at 1m40s.
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(workflows.SignalDisconnected, sig(40*time.Second)) }, 40*time.Second)
	env.ExecuteWorkflow(workflows.PresenceWorkflow, workflows.PresenceInput{WorkspaceID: workspaceID, OperatorID: operatorA})
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	require.Equal(t, []string{"away", "offline"}, l.calls)
	require.Equal(t, []time.Duration{100 * time.Second, 30*time.Minute + 40*time.Second}, l.at)
}

// A lapse that changes nothing (a socket came back) ends the run.
func TestPresenceGraceReconnected(t *testing.T) {
	t.Parallel()
	env, l := presenceEnv(t, func(string) bool { return false })
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(workflows.SignalDisconnected, workflows.DisconnectedSignal{At: startTime, AwayAfter: time.Minute, OfflineAfter: time.Hour})
	}, 0)
	env.ExecuteWorkflow(workflows.PresenceWorkflow, workflows.PresenceInput{WorkspaceID: workspaceID, OperatorID: operatorA})
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	require.Equal(t, []string{"away"}, l.calls)
}
