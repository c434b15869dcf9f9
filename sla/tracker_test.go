package sla

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
)

func standard() *Policy {
	return &Policy{
		ID: uuid.New(), Name: "Standard", Enabled: true, WarnAtPercent: 80,
		Targets: []Target{
			{Metric: FirstResponse, Seconds: 600},
			{Metric: FirstResponse, Priority: "urgent", Seconds: 120},
			{Metric: NextResponse, Seconds: 300},
			{Metric: Resolution, Seconds: 3600},
		},
		Pauses: Pauses{Snoozed: true, WaitingOnCustomer: true},
		Ladder: []Step{
			{Metric: FirstResponse, At: AtWarning, Actions: []Action{{Kind: ActionNotifyAssignee}}},
			{Metric: FirstResponse, At: AtBreach, Actions: []Action{{Kind: ActionNotifySupervisors}}},
			{Metric: FirstResponse, At: AtBreach, AfterSeconds: 300, Actions: []Action{{Kind: ActionRaisePriority, Priority: "urgent"}}},
		},
	}
}

func metrics(evs []Event) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e.Kind+":"+e.Metric)
	}
	return out
}

// TestTrackerFirstResponseLadder: first response warns at 80 % and
// breaches at its deadline; the ladder's steps fall due at the warning,
// the breach and 5 minutes after it, each once, whenever the timer fires.
func TestTrackerFirstResponseLadder(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	tr := NewTracker(Selection{Policy: standard(), Version: 3}, "normal")
	out, err := tr.Begin(start, true)
	require.NoError(t, err)
	require.Equal(t, []string{"activated:first_response", "activated:resolution"}, metrics(out.Events))

	next, ok, err := tr.Next()
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, start.Add(8*time.Minute), next, "the first response's warning at 80 % of 10 minutes")

	// The timer fires late, after the breach: both are stamped with their
	// own instants, and both steps fall due.
	out, err = tr.Advance(start.Add(11 * time.Minute))
	require.NoError(t, err)
	require.Equal(t, []string{"warned:first_response", "breached:first_response"}, metrics(out.Events))
	require.Equal(t, start.Add(10*time.Minute), out.Events[1].At)
	require.Len(t, out.Due, 2)
	require.Equal(t, []int{0, 1}, []int{out.Due[0].Index, out.Due[1].Index})
	require.Equal(t, start.Add(8*time.Minute), out.Due[0].At)

	next, _, _ = tr.Next()
	require.Equal(t, start.Add(15*time.Minute), next, "the step 5 minutes after the breach")
	out, err = tr.Advance(start.Add(15 * time.Minute))
	require.NoError(t, err)
	require.Empty(t, out.Events)
	require.Len(t, out.Due, 1)
	require.Equal(t, 2, out.Due[0].Index)
	out, _ = tr.Advance(start.Add(16 * time.Minute))
	require.True(t, out.Empty(), "nothing twice")

	sum, err := tr.Summary(start.Add(16 * time.Minute))
	require.NoError(t, err)
	require.True(t, sum.Breached)
	require.Equal(t, start.Add(60*time.Minute), *sum.NextDeadline, "the resolution clock")

	out, err = tr.OperatorReplied(start.Add(17 * time.Minute))
	require.NoError(t, err)
	require.Equal(t, []string{"fulfilled:first_response", "paused:resolution"}, metrics(out.Events),
		"the team has the last word: resolution waits on the customer")
	require.Len(t, out.Closed, 1)
	require.Equal(t, start.Add(17*time.Minute), *out.Closed[0].MetAt, "met_at is the reply's instant")
	require.Empty(t, tr.Done, "a met clock's steps are forgotten")
}

// TestTrackerTurns: each customer message after a reply starts a
// next_response cycle that the next reply meets; the resolution clock
// counts only while the customer waits; a snooze pauses every clock;
// resolving meets what runs.
func TestTrackerTurns(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	at := func(min int) time.Time { return start.Add(time.Duration(min) * time.Minute) }
	tr := NewTracker(Selection{Policy: standard()}, "normal")
	_, err := tr.Begin(at(0), true)
	require.NoError(t, err)
	_, err = tr.OperatorReplied(at(2))
	require.NoError(t, err)
	out, err := tr.CustomerWrote(at(10))
	require.NoError(t, err)
	require.Equal(t, []string{"activated:next_response", "resumed:resolution"}, metrics(out.Events))
	require.Equal(t, 1, out.Events[0].Cycle)
	_, err = tr.OperatorReplied(at(12))
	require.NoError(t, err)
	out, _ = tr.CustomerWrote(at(20))
	require.Equal(t, 2, out.Events[0].Cycle, "a second cycle")

	out, err = tr.SetSnoozed(true, at(21))
	require.NoError(t, err)
	require.Equal(t, []string{"paused:resolution", "paused:next_response"}, metrics(out.Events))
	_, ok, _ := tr.Next()
	require.False(t, ok, "nothing runs while snoozed")
	_, err = tr.SetSnoozed(false, at(81))
	require.NoError(t, err)
	next, _, _ := tr.Next()
	require.Equal(t, at(81+3), next, "next_response had counted 1 of 5 minutes: its warning at 4")

	out, err = tr.Resolved(at(82))
	require.NoError(t, err)
	require.Equal(t, []string{"fulfilled:resolution", "fulfilled:next_response"}, metrics(out.Events))
	require.Empty(t, tr.Clocks)
	res := out.Closed[0]
	require.Equal(t, 6*time.Minute, res.Elapsed,
		"resolution counted while the customer waited and the conversation was awake: 0–2, 10–12, 20–21, 81–82")
}

// TestTrackerRetarget: raising the priority keeps the counted time and
// measures it against the urgent target, breaching at the change; a
// policy without a target for a metric cancels its clock.
func TestTrackerRetarget(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	p := standard()
	tr := NewTracker(Selection{Policy: p, Version: 1}, "normal")
	_, err := tr.Begin(start, true)
	require.NoError(t, err)
	out, err := tr.Retarget(Selection{Policy: p, Version: 1}, "urgent", start.Add(3*time.Minute), true)
	require.NoError(t, err)
	require.Equal(t, []string{"breached:first_response"}, metrics(out.Events), "past its warning already: no warning")
	require.Equal(t, start.Add(3*time.Minute), out.Events[0].At)
	require.Len(t, out.Due, 1, "the breach's step")
	require.Equal(t, 1, out.Due[0].Index)

	lax := &Policy{ID: uuid.New(), Name: "Lax", Enabled: true, Targets: []Target{{Metric: FirstResponse, Seconds: 86400}}}
	out, err = tr.Retarget(Selection{Policy: lax, Version: 2}, "urgent", start.Add(4*time.Minute), true)
	require.NoError(t, err)
	require.Equal(t, []string{"cancelled:resolution"}, metrics(out.Events))
	require.Equal(t, int64(2), tr.Version)
	require.Len(t, tr.Clocks, 1)
	require.Equal(t, 4*time.Minute, mustElapsed(t, tr.Clocks[0], start.Add(4*time.Minute)), "the first response kept its time")
	require.NotNil(t, tr.Clocks[0].BreachedAt, "a breach stays recorded")

	out, err = tr.Retarget(Selection{Version: 3}, "urgent", start.Add(5*time.Minute), true)
	require.NoError(t, err)
	require.Equal(t, []string{"cancelled:first_response"}, metrics(out.Events))
	require.Empty(t, tr.Clocks)
	sum, _ := tr.Summary(start.Add(5 * time.Minute))
	require.Nil(t, sum)
}

func mustElapsed(t *testing.T, c Clock, at time.Time) time.Duration {
	t.Helper()
	el, err := c.ElapsedAt(nil, at)
	require.NoError(t, err)
	return el
}

// TestTrackerBusinessHours: a business-hours first response started on
// Friday afternoon breaches on Monday morning, the view's deadline says
// so, and the elapsed time is business time.
func TestTrackerBusinessHours(t *testing.T) {
	t.Parallel()
	p := &Policy{ID: uuid.New(), Name: "Office", Enabled: true, Targets: []Target{{Metric: FirstResponse, Seconds: 4 * 3600, BusinessHours: true}}}
	tr := NewTracker(Selection{Policy: p, Calendar: office}, "normal")
	_, err := tr.Begin(berlin(t, "2026-12-04 15:00"), true)
	require.NoError(t, err)
	sum, err := tr.Summary(berlin(t, "2026-12-05 12:00"))
	require.NoError(t, err)
	require.Equal(t, berlin(t, "2026-12-07 11:00"), *sum.NextDeadline)
	require.EqualValues(t, 2*3600, sum.Clocks[0].ElapsedSeconds, "Saturday noon: 2 h of business time")
}

// TestHistogram: buckets are about 9 % wide, and a quantile read from
// one is within that of the exact one.
func TestHistogram(t *testing.T) {
	t.Parallel()
	hist := make([]int64, Buckets)
	var times []time.Duration
	for i := 1; i <= 1000; i++ {
		d := time.Duration(i*i) * time.Second // 1 s to 11.6 days, skewed
		times = append(times, d)
		hist[Bucket(d)]++
	}
	for _, q := range []float64{0.5, 0.9, 0.99} {
		got, ok := Quantile(hist, q)
		require.True(t, ok)
		exact := times[int(q*1000)-1]
		require.InEpsilon(t, exact.Seconds(), got.Seconds(), 0.1, "q=%v", q)
	}
	require.Equal(t, 0, Bucket(0))
	require.Equal(t, Buckets-1, Bucket(100*365*24*time.Hour))
	_, ok := Quantile(make([]int64, Buckets), 0.5)
	require.False(t, ok)
}
