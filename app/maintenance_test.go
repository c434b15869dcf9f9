package app_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/switchboardhq/switchboard/activities"
	"github.com/switchboardhq/switchboard/app"
	"github.com/switchboardhq/switchboard/auth"
	"github.com/switchboardhq/switchboard/store"
	"github.com/switchboardhq/switchboard/systest"
	"github.com/switchboardhq/switchboard/workflows"
)

// rowExists reports whether the query (SELECT EXISTS ...) finds its row.
func rowExists(t *testing.T, query string, args ...any) bool {
	t.Helper()
	var ok bool
	require.NoError(t, env.System.Pool.QueryRow(context.Background(), query, args...).Scan(&ok))
	return ok
}

func sessionExists(t *testing.T, hash []byte) bool {
	return rowExists(t, `SELECT EXISTS (SELECT 1 FROM operator_sessions WHERE token_hash = $1)`, hash)
}

func oneTimeTokenExists(t *testing.T, hash []byte) bool {
	return rowExists(t, `SELECT EXISTS (SELECT 1 FROM operator_tokens WHERE token_hash = $1)`, hash)
}

func visitorExists(t *testing.T, id uuid.UUID) bool {
	return rowExists(t, `SELECT EXISTS (SELECT 1 FROM visitors WHERE id = $1)`, id)
}

func revocationExists(t *testing.T, id int64) bool {
	return rowExists(t, `SELECT EXISTS (SELECT 1 FROM revocations WHERE id = $1)`, id)
}

// deadAndLive makes, in a workspace of the test's own, one row of each
// kind the clean-up deletes and the live rows beside it that it must keep.
type deadAndLive struct {
	deadSessions, liveSessions       [][]byte
	deadTokens, liveTokens           [][]byte
	deadVisitors, liveVisitors       []uuid.UUID
	deadRevocations, liveRevocations []int64
}

func makeDeadAndLive(t *testing.T) deadAndLive {
	t.Helper()
	ctx := context.Background()
	st := env.System.Store
	exec := func(sql string, args ...any) {
		t.Helper()
		_, err := env.System.Pool.Exec(ctx, sql, args...)
		require.NoError(t, err)
	}
	ws := env.NewWorkspace(t)
	admin := env.NewOperator(t, ws, "admin")
	op := env.NewOperator(t, ws, "operator")
	var d deadAndLive

	session := func(expires time.Time) []byte {
		_, hash := auth.NewToken()
		require.NoError(t, st.CreateSession(ctx, hash, op, expires, "csrf"))
		return hash
	}
	d.deadSessions = append(d.deadSessions, session(time.Now().Add(-time.Second)))
	d.liveSessions = append(d.liveSessions, session(time.Now().Add(time.Hour)))

	invite := func(expires time.Time) []byte {
		_, hash := auth.NewToken()
		_, err := st.CreateInvite(ctx, store.NewInvite{
			WorkspaceID: ws.ID, Email: newEmail(), Role: "operator", CreatedBy: admin.ID, TokenHash: hash, ExpiresAt: expires,
		})
		require.NoError(t, err)
		return hash
	}
	used := invite(time.Now().Add(time.Hour))
	_, _, err := st.AcceptInvite(ctx, used, "Accepted", "not a real hash")
	require.NoError(t, err)
	d.deadTokens = append(d.deadTokens, used, invite(time.Now().Add(-time.Second)))
	d.liveTokens = append(d.liveTokens, invite(time.Now().Add(time.Hour)))
	_, resetHash := auth.NewToken()
	require.NoError(t, st.CreatePasswordReset(ctx, op, admin.ID, resetHash, time.Now().Add(-time.Second)))
	d.deadTokens = append(d.deadTokens, resetHash)
	_, resetHash = auth.NewToken()
	other := env.NewOperator(t, ws, "operator")
	require.NoError(t, st.CreatePasswordReset(ctx, other, admin.ID, resetHash, time.Now().Add(time.Hour)))
	d.liveTokens = append(d.liveTokens, resetHash)

	visitor := func(unseen time.Duration) uuid.UUID {
		v, err := st.CreateVisitor(ctx, ws.ID)
		require.NoError(t, err)
		exec(`UPDATE visitors SET last_seen_at = now() - make_interval(secs => $2) WHERE id = $1`, v.ID, unseen.Seconds())
		return v.ID
	}
	const month = 30 * 24 * time.Hour
	d.deadVisitors = append(d.deadVisitors, visitor(month+time.Hour))
	d.liveVisitors = append(d.liveVisitors, visitor(month-time.Hour))
	// Identified while still recent: aged first, a clean-up running in a
	// parallel test could delete it as abandoned before it is identified.
	identified := visitor(0)
	_, err = st.VerifyVisitorIdentity(ctx, ws.ID, identified, store.ClaimedIdentity{ExternalID: "customer-" + uuid.NewString()})
	require.NoError(t, err)
	exec(`UPDATE visitors SET last_seen_at = now() - interval '31 days' WHERE id = $1`, identified)
	d.liveVisitors = append(d.liveVisitors, identified)
	// An anonymous visitor who wrote keeps their conversation's history.
	talker := env.Visitor(t, ws)
	conv := talker.StartConversation("hello from long ago")
	var talkerID uuid.UUID
	require.NoError(t, env.System.Pool.QueryRow(ctx, `SELECT visitor_id FROM conversations WHERE id = $1`, conv).Scan(&talkerID))
	exec(`UPDATE visitors SET last_seen_at = now() - interval '31 days' WHERE id = $1`, talkerID)
	d.liveVisitors = append(d.liveVisitors, talkerID)

	revocation := func(age time.Duration) int64 {
		var id int64
		require.NoError(t, env.System.Pool.QueryRow(ctx, `INSERT INTO revocations (workspace_id, kind, subject_id, created_at)
			VALUES ($1, 'session', $2, now() - make_interval(secs => $3)) RETURNING id`, ws.ID, uuid.New(), age.Seconds()).Scan(&id))
		return id
	}
	d.deadRevocations = append(d.deadRevocations, revocation(time.Hour+time.Minute))
	d.liveRevocations = append(d.liveRevocations, revocation(time.Hour-time.Minute))
	return d
}

func (d deadAndLive) requireCleanedUp(t *testing.T) {
	t.Helper()
	for _, h := range d.deadSessions {
		require.False(t, sessionExists(t, h), "an expired session")
	}
	for _, h := range d.liveSessions {
		require.True(t, sessionExists(t, h), "a live session")
	}
	for _, h := range d.deadTokens {
		require.False(t, oneTimeTokenExists(t, h), "a used or expired one-time token")
	}
	for _, h := range d.liveTokens {
		require.True(t, oneTimeTokenExists(t, h), "a pending one-time token")
	}
	for _, id := range d.deadVisitors {
		require.False(t, visitorExists(t, id), "an abandoned anonymous visitor")
	}
	for _, id := range d.liveVisitors {
		require.True(t, visitorExists(t, id), "a recent, identified or talking visitor")
	}
	for _, id := range d.deadRevocations {
		require.False(t, revocationExists(t, id), "an old revocation")
	}
	for _, id := range d.liveRevocations {
		require.True(t, revocationExists(t, id), "a recent revocation")
	}
}

func TestCleanUpDeletesOnlyDeadRows(t *testing.T) {
	t.Parallel()
	d := makeDeadAndLive(t)
	a := &activities.Activities{Store: env.System.Store, Bus: env.System.Bus, Logger: systest.Logger()}
	res, err := a.CleanUp(context.Background())
	require.NoError(t, err)
	// Other tests' dead rows may go too: at least ours.
	require.GreaterOrEqual(t, res.Sessions, int64(len(d.deadSessions)))
	require.GreaterOrEqual(t, res.OneTimeTokens, int64(len(d.deadTokens)))
	require.GreaterOrEqual(t, res.Visitors, int64(len(d.deadVisitors)))
	require.GreaterOrEqual(t, res.Revocations, int64(len(d.deadRevocations)))
	d.requireCleanedUp(t)

	// Again: nothing of ours left to delete, nothing live lost.
	_, err = a.CleanUp(context.Background())
	require.NoError(t, err)
	d.requireCleanedUp(t)
}

func TestMaintenanceSchedule(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	handle := env.System.Temporal.ScheduleClient().GetHandle(ctx, workflows.MaintenanceScheduleID)
	every := func() time.Duration {
		t.Helper()
		desc, err := handle.Describe(ctx)
		require.NoError(t, err)
		require.Len(t, desc.Schedule.Spec.Intervals, 1)
		action, ok := desc.Schedule.Action.(*client.ScheduleWorkflowAction)
		require.True(t, ok, "%T", desc.Schedule.Action)
		require.Equal(t, "MaintenanceWorkflow", action.Workflow)
		require.Equal(t, workflows.TaskQueue, action.TaskQueue)
		return desc.Schedule.Spec.Intervals[0].Every
	}
	require.Equal(t, app.DefaultMaintenanceInterval, every(), "the worker created it at start")

	// Starting again, as every worker does, is fine; a new interval is
	// taken.
	require.NoError(t, app.EnsureMaintenanceSchedule(ctx, env.System.Temporal, app.DefaultMaintenanceInterval))
	require.Equal(t, app.DefaultMaintenanceInterval, every())
	require.NoError(t, app.EnsureMaintenanceSchedule(ctx, env.System.Temporal, 2*time.Hour))
	require.Equal(t, 2*time.Hour, every())
	require.NoError(t, app.EnsureMaintenanceSchedule(ctx, env.System.Temporal, app.DefaultMaintenanceInterval))
	require.Equal(t, app.DefaultMaintenanceInterval, every())

	// A run cleans up, through the worker's activity.
	d := makeDeadAndLive(t)
	require.NoError(t, handle.Trigger(ctx, client.ScheduleTriggerOptions{}))
	require.Eventually(t, func() bool {
		return !revocationExists(t, d.deadRevocations[0]) && !visitorExists(t, d.deadVisitors[0])
	}, 30*time.Second, 100*time.Millisecond, "a triggered run deletes dead rows")
	d.requireCleanedUp(t)
}
