package sla

import (
	"time"

	"github.com/switchboardhq/switchboard/calendar"
)

// Kinds of clock event: what happened to a clock, at the real instant it
// happened (a breach at its deadline, a fulfilment at the reply).
const (
	EventActivated = "activated"
	EventPaused    = "paused"
	EventResumed   = "resumed"
	EventWarned    = "warned"
	EventBreached  = "breached"
	EventFulfilled = "fulfilled"
)

// Event is a change of a clock.
type Event struct {
	Kind   string    `json:"kind"`
	Metric string    `json:"metric"`
	Cycle  int       `json:"cycle"`
	At     time.Time `json:"at"`
}

// Clock measures one cycle of one metric of a conversation against its
// target (first_response and resolution have one cycle; next_response one
// per customer turn). A breach does not stop it: it runs on until met, so
// the report says by how much it was late.
type Clock struct {
	Metric   string        `json:"metric"`
	Cycle    int           `json:"cycle"`
	Target   time.Duration `json:"target"`
	Business bool          `json:"business"`
	// WarnAtPercent: the share of the target at which it warns (0: never).
	WarnAtPercent int       `json:"warn_at_percent,omitempty"`
	StartedAt     time.Time `json:"started_at"`
	// Elapsed is the time counted before RunningSince (or before the
	// pause, while paused).
	Elapsed time.Duration `json:"elapsed"`
	// RunningSince is when the clock last started counting; nil while it
	// is paused or met.
	RunningSince *time.Time `json:"running_since,omitempty"`
	WarnedAt     *time.Time `json:"warned_at,omitempty"`
	BreachedAt   *time.Time `json:"breached_at,omitempty"`
	MetAt        *time.Time `json:"met_at,omitempty"`
}

// Start begins a clock for the target at the instant at.
func Start(metric string, cycle int, t Target, warnAtPercent int, at time.Time) (Clock, Event) {
	since := at
	c := Clock{
		Metric: metric, Cycle: cycle, Target: time.Duration(t.Seconds) * time.Second, Business: t.BusinessHours,
		WarnAtPercent: warnAtPercent, StartedAt: at, RunningSince: &since,
	}
	return c, c.event(EventActivated, at)
}

func (c *Clock) event(kind string, at time.Time) Event {
	return Event{Kind: kind, Metric: c.Metric, Cycle: c.Cycle, At: at}
}

// counting is the calendar the clock counts in: cal for a business-hours
// target, none (always open) otherwise.
func (c *Clock) counting(cal *calendar.Calendar) *calendar.Calendar {
	if c.Business {
		return cal
	}
	return nil
}

// Running reports whether the clock counts now.
func (c *Clock) Running() bool { return c.RunningSince != nil && c.MetAt == nil }

// ElapsedAt is the time the clock has counted by at.
func (c *Clock) ElapsedAt(cal *calendar.Calendar, at time.Time) (time.Duration, error) {
	if !c.Running() {
		return c.Elapsed, nil
	}
	run, err := calendar.Elapsed(c.counting(cal), *c.RunningSince, at)
	return c.Elapsed + run, err
}

// reach is the instant the clock, running on, will have counted d.
func (c *Clock) reach(cal *calendar.Calendar, d time.Duration) (time.Time, error) {
	return calendar.Deadline(c.counting(cal), *c.RunningSince, d-c.Elapsed)
}

// Deadline is when the clock breaches if it runs on: ok is false when it
// is paused, met or has breached already.
func (c *Clock) Deadline(cal *calendar.Calendar) (at time.Time, ok bool, err error) {
	if !c.Running() || c.BreachedAt != nil {
		return time.Time{}, false, nil
	}
	at, err = c.reach(cal, c.Target)
	return at, err == nil, err
}

func (c *Clock) warnTarget() time.Duration {
	return c.Target * time.Duration(c.WarnAtPercent) / 100
}

// Next is the next instant something happens to the running clock (its
// warning, then its breach), for the workflow's timer; ok is false when
// nothing will.
func (c *Clock) Next(cal *calendar.Calendar) (at time.Time, ok bool, err error) {
	if !c.Running() || c.BreachedAt != nil {
		return time.Time{}, false, nil
	}
	if c.WarnAtPercent > 0 && c.WarnedAt == nil && c.Elapsed < c.warnTarget() {
		at, err = c.reach(cal, c.warnTarget())
		return at, err == nil, err
	}
	return c.Deadline(cal)
}

// Advance records what has happened to the clock by now: the warning at
// the instant it was due, the breach at the deadline (not at now, which
// may be later: a timer that fired late, a worker that was down).
func (c *Clock) Advance(cal *calendar.Calendar, now time.Time) ([]Event, error) {
	if !c.Running() {
		return nil, nil
	}
	var out []Event
	if c.WarnAtPercent > 0 && c.WarnedAt == nil && c.BreachedAt == nil && c.Elapsed < c.warnTarget() {
		at, err := c.reach(cal, c.warnTarget())
		if err != nil {
			return nil, err
		}
		if !at.After(now) {
			c.WarnedAt = &at
			out = append(out, c.event(EventWarned, at))
		}
	}
	if c.BreachedAt == nil {
		at, err := c.reach(cal, c.Target)
		if err != nil {
			return out, err
		}
		if !at.After(now) {
			c.BreachedAt = &at
			out = append(out, c.event(EventBreached, at))
		}
	}
	return out, nil
}

// Pause stops the clock at at (a snooze, the customer's turn to write),
// keeping what it counted; what fell due before at is recorded first.
func (c *Clock) Pause(cal *calendar.Calendar, at time.Time) ([]Event, error) {
	if !c.Running() {
		return nil, nil
	}
	out, err := c.Advance(cal, at)
	if err != nil {
		return nil, err
	}
	if c.Elapsed, err = c.ElapsedAt(cal, at); err != nil {
		return nil, err
	}
	c.RunningSince = nil
	return append(out, c.event(EventPaused, at)), nil
}

// Resume starts a paused clock counting again from at.
func (c *Clock) Resume(at time.Time) (Event, bool) {
	if c.RunningSince != nil || c.MetAt != nil {
		return Event{}, false
	}
	since := at
	c.RunningSince = &since
	return c.event(EventResumed, at), true
}

// Meet fulfils the clock at at (the reply, the resolution): a breach that
// fell due before it is recorded at its deadline first.
func (c *Clock) Meet(cal *calendar.Calendar, at time.Time) ([]Event, error) {
	if c.MetAt != nil {
		return nil, nil
	}
	out, err := c.Advance(cal, at)
	if err != nil {
		return nil, err
	}
	if c.Elapsed, err = c.ElapsedAt(cal, at); err != nil {
		return nil, err
	}
	met := at
	c.MetAt, c.RunningSince = &met, nil
	return append(out, c.event(EventFulfilled, at)), nil
}

// Retarget measures the clock against another target from at (the
// conversation's priority, department or policy changed): what it counted
// is kept, counted in the old way up to at; what fell due before at is
// recorded first.
func (c *Clock) Retarget(cal *calendar.Calendar, at time.Time, t Target, warnAtPercent int) ([]Event, error) {
	return c.retarget(cal, at, t, warnAtPercent, true)
}

// retarget is Retarget; without settle, what fell due under the old
// target is not recorded (the old target no longer holds: an edit found
// out late).
func (c *Clock) retarget(cal *calendar.Calendar, at time.Time, t Target, warnAtPercent int, settle bool) ([]Event, error) {
	if c.MetAt != nil {
		return nil, nil
	}
	var out []Event
	var err error
	if settle {
		if out, err = c.Advance(cal, at); err != nil {
			return nil, err
		}
	}
	running := c.Running()
	if running {
		if c.Elapsed, err = c.ElapsedAt(cal, at); err != nil {
			return nil, err
		}
		since := at
		c.RunningSince = &since
	}
	c.Target, c.Business, c.WarnAtPercent = time.Duration(t.Seconds)*time.Second, t.BusinessHours, warnAtPercent
	more, err := c.Advance(cal, at)
	return append(out, more...), err
}
