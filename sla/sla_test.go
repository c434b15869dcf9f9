package sla

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/switchboardhq/switchboard/calendar"
)

func TestSelectAndTarget(t *testing.T) {
	t.Parallel()
	billing, sales := uuid.New(), uuid.New()
	vip := uuid.New()
	policies := []Policy{
		{Name: "off", Enabled: false, Targets: []Target{{Metric: FirstResponse, Seconds: 1}}},
		{Name: "VIP billing", Enabled: true, Conditions: Conditions{DepartmentIDs: []uuid.UUID{billing}, TagIDs: []uuid.UUID{vip}}},
		{Name: "enterprise", Enabled: true, Conditions: Conditions{ContactAttribute: &AttributeMatch{Key: "plan", Value: "Enterprise"}}},
		{Name: "urgent anywhere", Enabled: true, Conditions: Conditions{Priorities: []string{"urgent"}}},
		{Name: "default", Enabled: true},
	}
	for _, tc := range []struct {
		facts Facts
		want  string
	}{
		{Facts{DepartmentID: &billing, TagIDs: []uuid.UUID{uuid.New(), vip}, Priority: "normal"}, "VIP billing"},
		{Facts{DepartmentID: &sales, TagIDs: []uuid.UUID{vip}, Priority: "urgent"}, "urgent anywhere"},
		{Facts{DepartmentID: &billing, Priority: "low", ContactAttributes: map[string]string{"plan": "enterprise"}}, "enterprise"},
		{Facts{Priority: "normal"}, "default"},
	} {
		require.Equal(t, tc.want, Select(policies, tc.facts).Name)
	}
	require.Nil(t, Select(policies[:2], Facts{}))

	p := Policy{Targets: []Target{
		{Metric: FirstResponse, Seconds: 3600},
		{Metric: FirstResponse, Priority: "urgent", Seconds: 300},
		{Metric: Resolution, Priority: "high", Seconds: 7200},
	}}
	got, ok := p.Target(FirstResponse, "urgent")
	require.True(t, ok)
	require.EqualValues(t, 300, got.Seconds)
	got, _ = p.Target(FirstResponse, "low")
	require.EqualValues(t, 3600, got.Seconds, "the target for every priority")
	_, ok = p.Target(Resolution, "low")
	require.False(t, ok)
}

func TestValidate(t *testing.T) {
	t.Parallel()
	ok := func() Policy {
		return Policy{Name: "Standard", Enabled: true, WarnAtPercent: 80, Targets: []Target{{Metric: FirstResponse, Seconds: 600}},
			Ladder: []Step{{Metric: FirstResponse, At: AtBreach, Actions: []Action{{Kind: ActionNotifySupervisors}}}}}
	}
	good := ok()
	require.NoError(t, good.Validate())
	for field, edit := range map[string]func(p *Policy){
		"name":                               func(p *Policy) { p.Name = "  " },
		"targets":                            func(p *Policy) { p.Targets = nil },
		"targets[0].metric":                  func(p *Policy) { p.Targets[0].Metric = "speed" },
		"targets[0].priority":                func(p *Policy) { p.Targets[0].Priority = "critical" },
		"targets[0].seconds":                 func(p *Policy) { p.Targets[0].Seconds = 0 },
		"targets[1]":                         func(p *Policy) { p.Targets = append(p.Targets, p.Targets[0]) },
		"warn_at_percent":                    func(p *Policy) { p.WarnAtPercent = 100 },
		"ladder[0].at":                       func(p *Policy) { p.Ladder[0].At = "soon" },
		"ladder[0].after_seconds":            func(p *Policy) { p.Ladder[0].At, p.Ladder[0].AfterSeconds = AtWarning, 60 },
		"ladder[0].actions":                  func(p *Policy) { p.Ladder[0].Actions = nil },
		"ladder[0].actions[0].kind":          func(p *Policy) { p.Ladder[0].Actions[0].Kind = "page_the_ceo" },
		"ladder[0].actions[0].priority":      func(p *Policy) { p.Ladder[0].Actions[0].Kind = ActionRaisePriority },
		"ladder[0].actions[0].department_id": func(p *Policy) { p.Ladder[0].Actions[0].Kind = ActionMoveDepartment },
		"conditions.priorities[0]":           func(p *Policy) { p.Conditions.Priorities = []string{"asap"} },
	} {
		p := ok()
		edit(&p)
		err := p.Validate()
		var pr *Problem
		require.ErrorAs(t, err, &pr, field)
		require.Equal(t, field, pr.Field)
	}
}

// office: Monday to Friday, 09:00–17:00 in Berlin.
var office = &calendar.Calendar{TimeZone: "Europe/Berlin", Hours: []calendar.Span{
	{Days: []string{"mon", "tue", "wed", "thu", "fri"}, From: "09:00", To: "17:00"},
}}

func berlin(t *testing.T, wall string) time.Time {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Berlin")
	require.NoError(t, err)
	tm, err := time.ParseInLocation("2006-01-02 15:04", wall, loc)
	require.NoError(t, err)
	return tm
}

func kinds(evs []Event) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e.Kind)
	}
	return out
}

// TestClockBusinessHours: a 4-hour first response in business hours,
// started on Friday at 15:00, warns at 80 % on Monday at 10:12 and
// breaches at its deadline, Monday 11:00: stamped with the deadline even
// when noticed later, and once.
func TestClockBusinessHours(t *testing.T) {
	t.Parallel()
	c, ev := Start(FirstResponse, 1, Target{Metric: FirstResponse, Seconds: 4 * 3600, BusinessHours: true}, 80, berlin(t, "2026-12-04 15:00"))
	require.Equal(t, EventActivated, ev.Kind)
	next, ok, err := c.Next(office)
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, berlin(t, "2026-12-07 10:12"), next, "80 % of 4 h is 3 h 12 min: 2 h on Friday, 1 h 12 min on Monday")
	deadline, _, _ := c.Deadline(office)
	require.Equal(t, berlin(t, "2026-12-07 11:00"), deadline)

	evs, err := c.Advance(office, berlin(t, "2026-12-07 10:00"))
	require.NoError(t, err)
	require.Empty(t, evs)
	evs, err = c.Advance(office, berlin(t, "2026-12-07 13:30")) // a timer that fired late
	require.NoError(t, err)
	require.Equal(t, []string{EventWarned, EventBreached}, kinds(evs))
	require.Equal(t, berlin(t, "2026-12-07 10:12"), evs[0].At)
	require.Equal(t, berlin(t, "2026-12-07 11:00"), evs[1].At, "breached_at is the deadline itself")
	evs, _ = c.Advance(office, berlin(t, "2026-12-07 14:00"))
	require.Empty(t, evs, "a breach is recorded once")
	evs, err = c.Meet(office, berlin(t, "2026-12-07 14:00"))
	require.NoError(t, err)
	require.Equal(t, []string{EventFulfilled}, kinds(evs))
	require.Equal(t, 7*time.Hour, c.Elapsed, "2 h on Friday, 5 h on Monday")
}

// TestClockPauses: a snooze pauses the clock and keeps what it counted;
// the deadline moves by the pause. Met before its warning: no warning.
func TestClockPauses(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	c, _ := Start(Resolution, 1, Target{Metric: Resolution, Seconds: 3600}, 50, start)
	evs, err := c.Pause(nil, start.Add(20*time.Minute))
	require.NoError(t, err)
	require.Equal(t, []string{EventPaused}, kinds(evs))
	_, ok, _ := c.Next(nil)
	require.False(t, ok, "a paused clock has no deadline")
	ev, ok := c.Resume(start.Add(2 * time.Hour))
	require.True(t, ok)
	require.Equal(t, EventResumed, ev.Kind)
	deadline, _, _ := c.Deadline(nil)
	require.Equal(t, start.Add(2*time.Hour+40*time.Minute), deadline)
	warn, _, _ := c.Next(nil)
	require.Equal(t, start.Add(2*time.Hour+10*time.Minute), warn)
	evs, err = c.Meet(nil, start.Add(2*time.Hour+5*time.Minute))
	require.NoError(t, err)
	require.Equal(t, []string{EventFulfilled}, kinds(evs))
	require.Equal(t, 25*time.Minute, c.Elapsed)
	_, ok = c.Resume(start.Add(3 * time.Hour))
	require.False(t, ok, "a met clock stays met")
}

// TestClockRetarget: the priority rises from normal (1 h) to urgent
// (15 min) after 20 minutes: the clock keeps its 20 minutes and has
// breached the new target at once, at the change.
func TestClockRetarget(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	c, _ := Start(FirstResponse, 1, Target{Metric: FirstResponse, Seconds: 3600}, 0, start)
	change := start.Add(20 * time.Minute)
	evs, err := c.Retarget(nil, change, Target{Metric: FirstResponse, Seconds: 900}, 0)
	require.NoError(t, err)
	require.Equal(t, []string{EventBreached}, kinds(evs))
	require.Equal(t, change, evs[0].At)
	require.True(t, c.Running())

	c2, _ := Start(FirstResponse, 1, Target{Metric: FirstResponse, Seconds: 3600}, 0, start)
	evs, err = c2.Retarget(nil, change, Target{Metric: FirstResponse, Seconds: 1800}, 0)
	require.NoError(t, err)
	require.Empty(t, evs)
	deadline, _, _ := c2.Deadline(nil)
	require.Equal(t, start.Add(30*time.Minute), deadline)
}
