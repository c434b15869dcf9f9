package sla

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
)

// TestReplay: a conversation's past measured against a policy gives the
// clocks the workflow would have kept: met, breached at their deadlines,
// paused while snoozed; handing back to the bot cancels what ran.
func TestReplay(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	at := func(min int) time.Time { return start.Add(time.Duration(min) * time.Minute) }
	p := &Policy{ID: uuid.New(), Name: "Candidate", Enabled: true, Targets: []Target{
		{Metric: FirstResponse, Seconds: 600}, {Metric: NextResponse, Seconds: 300}, {Metric: Resolution, Seconds: 3600},
	}, Pauses: Pauses{Snoozed: true}}
	history := []Happening{
		{HappenedPeople, at(0)}, {HappenedOperator, at(3)}, {HappenedCustomer, at(10)}, {HappenedOperator, at(20)},
		{HappenedSnoozed, at(21)}, {HappenedWoken, at(80)}, {HappenedResolved, at(90)},
	}
	clocks, err := Replay(p, nil, "normal", history, at(200))
	require.NoError(t, err)
	got := map[string]Clock{}
	for _, c := range clocks {
		got[c.Metric] = c
	}
	require.Len(t, clocks, 3)
	require.Equal(t, at(3), *got[FirstResponse].MetAt)
	require.Nil(t, got[FirstResponse].BreachedAt)
	require.Equal(t, at(15), *got[NextResponse].BreachedAt, "breached at its deadline")
	require.Equal(t, at(20), *got[NextResponse].MetAt)
	require.Nil(t, got[Resolution].BreachedAt, "31 minutes counted: the snooze paused it")
	require.Equal(t, 31*time.Minute, got[Resolution].Elapsed)

	// Back to the bot before anyone answered: cancelled, not breached.
	clocks, err = Replay(p, nil, "normal", []Happening{{HappenedPeople, at(0)}, {HappenedHandedBack, at(5)}}, at(200))
	require.NoError(t, err)
	require.Len(t, clocks, 2)
	for _, c := range clocks {
		require.Nil(t, c.BreachedAt)
		require.Nil(t, c.MetAt)
		require.Nil(t, c.RunningSince)
	}
}
