package sla

import (
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/switchboardhq/switchboard/calendar"
)

// EventCancelled: the clock is no longer measured (its conversation's
// policy changed to one without a target for the metric, or to none).
const EventCancelled = "cancelled"

// Tracker is one conversation's service level: the policy that applies,
// the calendar its business-hours targets count in, and the clocks that
// run. The conversation's workflow carries it (continue-as-new too) and
// calls it on every change of turn, status, priority or department; every
// method is pure, the instant an argument, so a replay gives the same
// clocks and the same events.
type Tracker struct {
	// Policy is the policy that applies; nil when none does (the tracker
	// remembers the turns and the version, so a later change finds one).
	Policy   *Policy            `json:"policy,omitempty"`
	Calendar *calendar.Calendar `json:"calendar,omitempty"`
	// Version is the workspace's SLA version the policy and calendar were
	// read at: an edit moves it, and the clocks re-read them.
	Version  int64  `json:"version"`
	Priority string `json:"priority"`
	// Clocks are the clocks not yet met (met ones are handed back, to be
	// recorded, and dropped).
	Clocks []Clock `json:"clocks,omitempty"`
	// Cycles is the last cycle started per metric, also in earlier runs of
	// the conversation: a cycle is recorded once, under its number.
	Cycles Cycles `json:"cycles"`
	// Replied: an operator has replied in the conversation (first_response
	// is behind it; a customer message starts a next_response cycle).
	Replied bool `json:"replied,omitempty"`
	// TeamSpokeLast: the last word is the team's (the customer's turn).
	TeamSpokeLast bool `json:"team_spoke_last,omitempty"`
	Snoozed       bool `json:"snoozed,omitempty"`
	// Done are the ladder steps taken, as stepKey.
	Done []string `json:"done,omitempty"`
	// PriorityMatters: the selection may depend on the priority (see
	// Selection); without it a new priority only changes the targets.
	PriorityMatters bool `json:"priority_matters,omitempty"`
}

// Cycles counts the cycles started per metric.
type Cycles struct {
	FirstResponse  int `json:"first_response,omitempty"`
	NextResponse   int `json:"next_response,omitempty"`
	Resolution     int `json:"resolution,omitempty"`
	PeriodicUpdate int `json:"periodic_update,omitempty"`
}

func (c *Cycles) of(metric string) *int {
	switch metric {
	case FirstResponse:
		return &c.FirstResponse
	case NextResponse:
		return &c.NextResponse
	case Resolution:
		return &c.Resolution
	default:
		return &c.PeriodicUpdate
	}
}

// Due is a ladder step whose moment came: Index is its place in the
// policy's ladder, At the instant it fell due (the warning, the breach,
// or the breach plus the step's delay).
type Due struct {
	Index  int       `json:"index"`
	Step   Step      `json:"step"`
	Metric string    `json:"metric"`
	Cycle  int       `json:"cycle"`
	At     time.Time `json:"at"`
}

// Outcome is what a call changed: the events to record, the clocks that
// were met or cancelled (recorded one last time, then gone), and the
// ladder steps that fell due.
type Outcome struct {
	Events []Event `json:"events,omitempty"`
	Closed []Clock `json:"closed,omitempty"`
	Due    []Due   `json:"due,omitempty"`
}

// Empty reports whether nothing changed.
func (o *Outcome) Empty() bool { return len(o.Events) == 0 && len(o.Closed) == 0 && len(o.Due) == 0 }

func (o *Outcome) add(more Outcome) {
	o.Events = append(o.Events, more.Events...)
	o.Closed = append(o.Closed, more.Closed...)
	o.Due = append(o.Due, more.Due...)
}

// Selection is what the store reads for a tracker: the policy that
// applies (nil: none), its calendar, the workspace's SLA version, and what
// earlier runs of the conversation left (cycles started, whether an
// operator replied).
type Selection struct {
	Policy   *Policy            `json:"policy,omitempty"`
	Calendar *calendar.Calendar `json:"calendar,omitempty"`
	Version  int64              `json:"version"`
	Cycles   Cycles             `json:"cycles"`
	Replied  bool               `json:"replied,omitempty"`
	// PriorityMatters: an enabled policy of the workspace has a condition
	// on the priority, so a new priority may select another policy.
	PriorityMatters bool `json:"priority_matters,omitempty"`
}

// NewTracker is the tracker of a conversation at priority under sel.
func NewTracker(sel Selection, priority string) *Tracker {
	return &Tracker{
		Policy: sel.Policy, Calendar: sel.Calendar, Version: sel.Version, Priority: priority, Cycles: sel.Cycles, Replied: sel.Replied,
		PriorityMatters: sel.PriorityMatters,
	}
}

// Begin starts the clocks of a conversation that reached people at at
// (created for them, handed off by its bot, or reopened): first response
// (unless someone replied before), resolution, and — when the customer
// waits for a reply they already had one in this conversation —
// next_response.
func (t *Tracker) Begin(at time.Time, customerWaiting bool) (Outcome, error) {
	var out Outcome
	if !t.Replied && t.Cycles.FirstResponse == 0 {
		t.start(FirstResponse, at, &out)
	}
	if t.clock(Resolution) == nil {
		t.start(Resolution, at, &out)
	}
	if t.Replied && customerWaiting && t.clock(NextResponse) == nil {
		t.start(NextResponse, at, &out)
	}
	t.TeamSpokeLast = !customerWaiting && t.Replied
	more, err := t.sync(at)
	out.add(more)
	return out, err
}

// start begins the metric's next cycle, when the policy has a target for it.
func (t *Tracker) start(metric string, at time.Time, out *Outcome) {
	if t.Policy == nil {
		return
	}
	target, ok := t.Policy.Target(metric, t.Priority)
	if !ok {
		return
	}
	n := t.Cycles.of(metric)
	*n++
	c, ev := Start(metric, *n, target, t.Policy.WarnAtPercent, at)
	t.Clocks = append(t.Clocks, c)
	out.Events = append(out.Events, ev)
}

func (t *Tracker) clock(metric string) *Clock {
	for i := range t.Clocks {
		if t.Clocks[i].Metric == metric {
			return &t.Clocks[i]
		}
	}
	return nil
}

// CustomerWrote: a customer's message (a change of turn) at at. After an
// operator's reply it starts a next_response cycle; it resumes a
// resolution clock paused while the team had the last word.
func (t *Tracker) CustomerWrote(at time.Time) (Outcome, error) {
	var out Outcome
	t.TeamSpokeLast = false
	if t.Replied && t.clock(NextResponse) == nil {
		t.start(NextResponse, at, &out)
	}
	more, err := t.sync(at)
	out.add(more)
	return out, err
}

// OperatorReplied: an operator's reply at at meets first_response and the
// running next_response cycle; it meets the periodic update cycle and
// starts the next one.
func (t *Tracker) OperatorReplied(at time.Time) (Outcome, error) {
	var out Outcome
	t.Replied, t.TeamSpokeLast = true, true
	for _, m := range []string{FirstResponse, NextResponse, PeriodicUpdate} {
		more, err := t.meet(m, at)
		out.add(more)
		if err != nil {
			return out, err
		}
	}
	t.start(PeriodicUpdate, at, &out)
	more, err := t.sync(at)
	out.add(more)
	return out, err
}

// Resolved: resolving meets every clock (a question answered by its
// resolution needs no reply).
func (t *Tracker) Resolved(at time.Time) (Outcome, error) {
	var out Outcome
	for len(t.Clocks) > 0 {
		more, err := t.meet(t.Clocks[0].Metric, at)
		out.add(more)
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

// SetSnoozed pauses (snoozed) or resumes the clocks the policy pauses
// while snoozed.
func (t *Tracker) SetSnoozed(snoozed bool, at time.Time) (Outcome, error) {
	t.Snoozed = snoozed
	return t.sync(at)
}

func (t *Tracker) meet(metric string, at time.Time) (Outcome, error) {
	var out Outcome
	c := t.clock(metric)
	if c == nil {
		return out, nil
	}
	evs, err := c.Meet(t.Calendar, at)
	out.Events = evs
	if err != nil {
		return out, err
	}
	// The ladder's steps are for clocks still running: a reply that
	// came after a breach whose timer had not fired yet escalates nothing.
	out.Closed = append(out.Closed, *c)
	t.drop(metric)
	return out, nil
}

// drop removes the metric's clock and forgets its ladder steps.
func (t *Tracker) drop(metric string) {
	i := slices.IndexFunc(t.Clocks, func(c Clock) bool { return c.Metric == metric })
	if i < 0 {
		return
	}
	prefix := fmt.Sprintf("%s/%d/", metric, t.Clocks[i].Cycle)
	t.Done = slices.DeleteFunc(slices.Clone(t.Done), func(k string) bool { return len(k) > len(prefix) && k[:len(prefix)] == prefix })
	t.Clocks = slices.Delete(slices.Clone(t.Clocks), i, i+1)
}

// runs says whether the metric's clock should count now.
func (t *Tracker) runs(metric string) bool {
	if t.Policy == nil {
		return false
	}
	if t.Snoozed && t.Policy.Pauses.Snoozed {
		return false
	}
	if metric == Resolution && t.TeamSpokeLast && t.Policy.Pauses.WaitingOnCustomer {
		return false
	}
	return true
}

// sync pauses and resumes clocks as the pause rules say.
func (t *Tracker) sync(at time.Time) (Outcome, error) {
	var out Outcome
	for i := range t.Clocks {
		c := &t.Clocks[i]
		want := t.runs(c.Metric)
		switch {
		case want && !c.Running():
			if ev, ok := c.Resume(at); ok {
				out.Events = append(out.Events, ev)
			}
		case !want && c.Running():
			evs, err := c.Pause(t.Calendar, at)
			out.Events = append(out.Events, evs...)
			if err != nil {
				return out, err
			}
			out.Due = append(out.Due, t.due(c, at)...)
		}
	}
	return out, nil
}

// Retarget applies what the store read again (a new priority, department
// or policy, an edited policy or calendar): each clock keeps the time it
// counted, under the old calendar up to at, and is measured against the
// new target from then on; a clock whose metric the new policy has no
// target for is cancelled; one the new policy adds starts.
func (t *Tracker) Retarget(sel Selection, priority string, at time.Time, customerWaiting bool) (Outcome, error) {
	return t.retarget(sel, priority, at, customerWaiting, true)
}

// Current is the tracker's own selection: its policy, calendar and
// version, for a change the store need not be asked about.
func (t *Tracker) Current() Selection {
	return Selection{Policy: t.Policy, Calendar: t.Calendar, Version: t.Version, Cycles: t.Cycles, Replied: t.Replied, PriorityMatters: t.PriorityMatters}
}

// Reread applies an edit of the policy or calendar found out at at (the
// workspace's SLA version moved): the edited targets judge the time
// counted so far, so a warning or breach the old ones had due since the
// edit is not recorded; what is due under the new ones is.
func (t *Tracker) Reread(sel Selection, at time.Time, customerWaiting bool) (Outcome, error) {
	return t.retarget(sel, t.Priority, at, customerWaiting, false)
}

func (t *Tracker) retarget(sel Selection, priority string, at time.Time, customerWaiting, settle bool) (Outcome, error) {
	var out Outcome
	if settle {
		// Up to at, in the old way.
		more, err := t.Advance(at)
		out.add(more)
		if err != nil {
			return out, err
		}
	}
	var err error
	oldCal := t.Calendar
	t.Policy, t.Calendar, t.Version, t.Priority = sel.Policy, sel.Calendar, sel.Version, priority
	t.PriorityMatters = sel.PriorityMatters
	for i := 0; i < len(t.Clocks); {
		c := &t.Clocks[i]
		var target Target
		ok := false
		if t.Policy != nil {
			target, ok = t.Policy.Target(c.Metric, priority)
		}
		if !ok {
			if err := t.cancel(c, oldCal, at, &out); err != nil {
				return out, err
			}
			continue
		}
		evs, err := c.retarget(oldCal, at, target, t.Policy.WarnAtPercent, settle)
		out.Events = append(out.Events, evs...)
		if err != nil {
			return out, err
		}
		i++
	}
	// The new policy's metrics that have no clock yet.
	if !t.Replied && t.Cycles.FirstResponse == 0 {
		t.start(FirstResponse, at, &out)
	}
	if t.clock(Resolution) == nil {
		t.start(Resolution, at, &out)
	}
	if t.Replied && customerWaiting && t.clock(NextResponse) == nil {
		t.start(NextResponse, at, &out)
	}
	if t.Replied && t.clock(PeriodicUpdate) == nil {
		t.start(PeriodicUpdate, at, &out)
	}
	more, err := t.sync(at)
	out.add(more)
	if err != nil {
		return out, err
	}
	// Under the new calendar, the new targets may have passed already.
	more, err = t.Advance(at)
	out.add(more)
	return out, err
}

// Stop cancels every clock: the conversation went back to its bot, and
// nobody owes a reply. What fell due before at is recorded first.
func (t *Tracker) Stop(at time.Time) (Outcome, error) {
	out, err := t.Advance(at)
	if err != nil {
		return out, err
	}
	for len(t.Clocks) > 0 {
		if err := t.cancel(&t.Clocks[0], t.Calendar, at, &out); err != nil {
			return out, err
		}
	}
	return out, nil
}

// cancel stops c (one of t.Clocks) at at, counted under cal, and drops it.
func (t *Tracker) cancel(c *Clock, cal *calendar.Calendar, at time.Time, out *Outcome) error {
	if c.Running() {
		el, err := c.ElapsedAt(cal, at)
		if err != nil {
			return err
		}
		c.Elapsed, c.RunningSince = el, nil
	}
	out.Events = append(out.Events, c.event(EventCancelled, at))
	out.Closed = append(out.Closed, *c)
	t.drop(c.Metric)
	return nil
}

// Advance records what fell due by now: warnings and breaches at their
// true instants, and the ladder steps whose moment came.
func (t *Tracker) Advance(now time.Time) (Outcome, error) {
	var out Outcome
	for i := range t.Clocks {
		c := &t.Clocks[i]
		evs, err := c.Advance(t.Calendar, now)
		out.Events = append(out.Events, evs...)
		if err != nil {
			return out, err
		}
		out.Due = append(out.Due, t.due(c, now)...)
	}
	return out, nil
}

func stepKey(metric string, cycle, index int) string {
	return fmt.Sprintf("%s/%d/%d", metric, cycle, index)
}

// stepAt is when the ladder's step falls due for the clock; ok is false
// while it cannot (no warning or breach yet).
func stepAt(s Step, c *Clock) (time.Time, bool) {
	switch {
	case s.Metric != c.Metric:
		return time.Time{}, false
	case s.At == AtWarning && c.WarnedAt != nil:
		return *c.WarnedAt, true
	case s.At == AtBreach && c.BreachedAt != nil:
		return c.BreachedAt.Add(time.Duration(s.AfterSeconds) * time.Second), true
	}
	return time.Time{}, false
}

// due takes the ladder steps for the clock whose moment is at or before
// now (each once: they are marked done).
func (t *Tracker) due(c *Clock, now time.Time) []Due {
	if t.Policy == nil {
		return nil
	}
	var out []Due
	for i, s := range t.Policy.Ladder {
		at, ok := stepAt(s, c)
		if !ok || at.After(now) {
			continue
		}
		key := stepKey(c.Metric, c.Cycle, i)
		if slices.Contains(t.Done, key) {
			continue
		}
		t.Done = append(slices.Clone(t.Done), key)
		out = append(out, Due{Index: i, Step: s, Metric: c.Metric, Cycle: c.Cycle, At: at})
	}
	return out
}

// Next is the next instant something is due (a warning, a breach, a
// ladder step after a breach), for the workflow's one timer.
func (t *Tracker) Next() (time.Time, bool, error) {
	var next time.Time
	found := false
	consider := func(at time.Time) {
		if !found || at.Before(next) {
			next, found = at, true
		}
	}
	for i := range t.Clocks {
		c := &t.Clocks[i]
		at, ok, err := c.Next(t.Calendar)
		if err != nil {
			return time.Time{}, false, err
		}
		if ok {
			consider(at)
		}
		if t.Policy == nil || c.MetAt != nil {
			continue
		}
		for j, s := range t.Policy.Ladder {
			at, ok := stepAt(s, c)
			if ok && !slices.Contains(t.Done, stepKey(c.Metric, c.Cycle, j)) {
				consider(at)
			}
		}
	}
	return next, found, nil
}

// View is a clock as the inbox and the reports see it at an instant.
type View struct {
	Metric        string     `json:"metric"`
	Cycle         int        `json:"cycle"`
	TargetSeconds int64      `json:"target_seconds"`
	Business      bool       `json:"business_hours"`
	StartedAt     time.Time  `json:"started_at"`
	Deadline      *time.Time `json:"deadline,omitempty"` // while it runs toward a breach
	Paused        bool       `json:"paused,omitempty"`
	WarnedAt      *time.Time `json:"warned_at,omitempty"`
	BreachedAt    *time.Time `json:"breached_at,omitempty"`
	MetAt         *time.Time `json:"met_at,omitempty"`
	Cancelled     bool       `json:"cancelled,omitempty"`
	// ElapsedSeconds: the time counted by the instant of the view (in
	// business time for a business-hours target).
	ElapsedSeconds int64 `json:"elapsed_seconds"`
}

// ViewOf is c seen at at under cal.
func ViewOf(c Clock, cal *calendar.Calendar, at time.Time) (View, error) {
	v := View{
		Metric: c.Metric, Cycle: c.Cycle, TargetSeconds: int64(c.Target / time.Second), Business: c.Business,
		StartedAt: c.StartedAt, WarnedAt: c.WarnedAt, BreachedAt: c.BreachedAt, MetAt: c.MetAt,
		Paused: c.MetAt == nil && c.RunningSince == nil,
	}
	el, err := c.ElapsedAt(cal, at)
	if err != nil {
		return v, err
	}
	v.ElapsedSeconds = int64(el / time.Second)
	if c.Running() {
		// A breached clock runs on: its deadline is when it breached.
		if c.BreachedAt != nil {
			d := *c.BreachedAt
			v.Deadline = &d
		} else if d, ok, err := c.Deadline(cal); err != nil {
			return v, err
		} else if ok {
			v.Deadline = &d
		}
	}
	return v, nil
}

// Summary is what a conversation shows of its service level: the policy
// and the clocks that run, and whether one of them has breached.
type Summary struct {
	PolicyID   uuid.UUID `json:"policy_id"`
	PolicyName string    `json:"policy_name"`
	Clocks     []View    `json:"clocks"`
	Breached   bool      `json:"breached"`
	// NextDeadline is the earliest deadline of a running clock not
	// breached yet.
	NextDeadline *time.Time `json:"next_deadline,omitempty"`
}

// Summary is the tracker as the inbox shows it at at; nil when no policy
// applies or no clock runs.
func (t *Tracker) Summary(at time.Time) (*Summary, error) {
	if t.Policy == nil || len(t.Clocks) == 0 {
		return nil, nil
	}
	s := &Summary{PolicyID: t.Policy.ID, PolicyName: t.Policy.Name, Clocks: make([]View, 0, len(t.Clocks))}
	for _, c := range t.Clocks {
		v, err := ViewOf(c, t.Calendar, at)
		if err != nil {
			return nil, err
		}
		if v.BreachedAt != nil {
			s.Breached = true
		} else if v.Deadline != nil && (s.NextDeadline == nil || v.Deadline.Before(*s.NextDeadline)) {
			d := *v.Deadline
			s.NextDeadline = &d
		}
		s.Clocks = append(s.Clocks, v)
	}
	return s, nil
}
