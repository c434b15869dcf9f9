package calendar

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"
)

// Business time: how much of the calendar's open time lies between two
// instants, the instant a given amount of it has passed, the next open
// instant. Open time is real elapsed time while the calendar is open, so a
// night the clocks go forward has an hour less of it, one they go back an
// hour more. Wall times are read in the calendar's zone: one the clocks
// skip (02:30 on a spring-forward night) is the instant they jumped, one
// that happens twice (02:30 on a fall-back night) its first occurrence.

// ErrNeverOpen: the calendar has no open time within searchDays of the
// instant asked about (no hours at all, or every day closed): an error
// rather than a search without end.
var ErrNeverOpen = errors.New("the calendar is never open")

// searchDays bounds how far the calculator looks for open time. A
// calendar closed longer (more days than MaxHolidays can close) is never
// open.
const searchDays = 2 * 366

// Deadline is the instant by which d of business time has passed since
// start: start itself when d <= 0, start+d for a nil calendar (always
// open). When the deadline falls at the end of an open span it is that end,
// not the next opening.
func Deadline(c *Calendar, start time.Time, d time.Duration) (time.Time, error) {
	if d <= 0 {
		return start, nil
	}
	if c == nil {
		return start.Add(d), nil
	}
	k, err := c.compile()
	if err != nil {
		return time.Time{}, err
	}
	left := d
	var found time.Time
	err = k.walk(start, func(iv interval) bool {
		if span := iv.to.Sub(iv.from); span < left {
			left -= span
			return true
		}
		found = iv.from.Add(left)
		return false
	})
	return found, err
}

// Elapsed is the business time between from and to (zero when to is not
// after from); to-from for a nil calendar.
func Elapsed(c *Calendar, from, to time.Time) (time.Duration, error) {
	if !to.After(from) {
		return 0, nil
	}
	if c == nil {
		return to.Sub(from), nil
	}
	k, err := c.compile()
	if err != nil {
		return 0, err
	}
	var sum time.Duration
	for day := k.dayOf(from); ; day = day.AddDate(0, 0, 1) {
		ivs := k.intervals(day)
		for _, iv := range ivs {
			if !iv.to.After(from) {
				continue
			}
			if !iv.from.Before(to) {
				return sum, nil
			}
			sum += minTime(iv.to, to).Sub(maxTime(iv.from, from))
		}
		// A day whose midnight is past to holds nothing more.
		if !k.midnight(day.AddDate(0, 0, 1)).Before(to) {
			return sum, nil
		}
	}
}

// NextOpen is the first instant at or after t when the calendar is open:
// t itself when it is open then, or for a nil calendar.
func NextOpen(c *Calendar, t time.Time) (time.Time, error) {
	if c == nil {
		return t, nil
	}
	k, err := c.compile()
	if err != nil {
		return time.Time{}, err
	}
	var found time.Time
	err = k.walk(t, func(iv interval) bool {
		found = iv.from
		return false
	})
	return found, err
}

// interval is open time [from, to).
type interval struct{ from, to time.Time }

// minuteSpan is open time [from, to) in minutes after a local midnight.
type minuteSpan struct{ from, to int }

// compiled is a calendar read once for a computation.
type compiled struct {
	loc      *time.Location
	week     [7][]minuteSpan // by time.Weekday, sorted and merged
	holidays map[string]bool
	closures map[string][]minuteSpan
}

func (c Calendar) compile() (*compiled, error) {
	if err := c.Validate(); err != nil {
		var p *Problem
		if errors.As(err, &p) && p.Field == "hours" && len(c.Hours) == 0 {
			return nil, ErrNeverOpen
		}
		return nil, fmt.Errorf("invalid calendar: %w", err)
	}
	loc, _ := c.location()
	k := &compiled{loc: loc, holidays: map[string]bool{}, closures: map[string][]minuteSpan{}}
	for _, s := range c.Hours {
		from, _ := minutes(s.From)
		to, _ := minutes(s.To)
		for _, d := range s.Days {
			w := slices.Index(dayNames, d)
			k.week[w] = append(k.week[w], minuteSpan{from, to})
		}
	}
	for w := range k.week {
		k.week[w] = mergeSpans(k.week[w])
	}
	for _, h := range c.Holidays {
		k.holidays[h] = true
	}
	for _, cl := range c.Closures {
		from, _ := minutes(cl.From)
		to, _ := minutes(cl.To)
		k.closures[cl.Date] = append(k.closures[cl.Date], minuteSpan{from, to})
	}
	return k, nil
}

// mergeSpans sorts spans and joins those that overlap or touch.
func mergeSpans(spans []minuteSpan) []minuteSpan {
	sort.Slice(spans, func(i, j int) bool { return spans[i].from < spans[j].from })
	var out []minuteSpan
	for _, s := range spans {
		if n := len(out); n > 0 && s.from <= out[n-1].to {
			out[n-1].to = max(out[n-1].to, s.to)
			continue
		}
		out = append(out, s)
	}
	return out
}

// subtract removes the closed spans from open ones.
func subtract(open, closed []minuteSpan) []minuteSpan {
	out := slices.Clone(open)
	for _, c := range closed {
		var next []minuteSpan
		for _, o := range out {
			if c.to <= o.from || c.from >= o.to {
				next = append(next, o)
				continue
			}
			if o.from < c.from {
				next = append(next, minuteSpan{o.from, c.from})
			}
			if c.to < o.to {
				next = append(next, minuteSpan{c.to, o.to})
			}
		}
		out = next
	}
	return out
}

// dayOf is the local date of t, as midnight UTC of that date (a date, not
// an instant: AddDate on it steps days without a zone's interference).
func (k *compiled) dayOf(t time.Time) time.Time {
	y, m, d := t.In(k.loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// midnight is the instant the local date day begins.
func (k *compiled) midnight(day time.Time) time.Time { return k.wall(day, 0) }

// intervals are the open instants of a local date, in order.
func (k *compiled) intervals(day time.Time) []interval {
	key := day.Format(time.DateOnly)
	if k.holidays[key] {
		return nil
	}
	spans := k.week[day.Weekday()]
	if closed := k.closures[key]; len(closed) > 0 {
		spans = subtract(spans, closed)
	}
	out := make([]interval, 0, len(spans))
	for _, s := range spans {
		iv := interval{k.wall(day, s.from), k.wall(day, s.to)}
		if iv.to.After(iv.from) { // a span inside a skipped hour is no time at all
			out = append(out, iv)
		}
	}
	return out
}

// wall is the instant the calendar's clocks show the given minute of the local
// date day (1440: the next midnight). A time they skip maps to the instant
// they jumped; one they show twice, to its first occurrence.
func (k *compiled) wall(day time.Time, minute int) time.Time {
	want := day.Add(time.Duration(minute) * time.Minute) // the wall time, as a UTC date and clock
	y, mo, d := want.Date()
	t := time.Date(y, mo, d, want.Hour(), want.Minute(), 0, 0, k.loc)
	if got := t.In(k.loc); !sameWall(got, want) {
		// Skipped. time.Date normalised it past the jump or before it
		// (which, depends on the zone's side of UTC): the jump is where
		// t's zone period begins, or where it ends.
		start, end := t.ZoneBounds()
		if wallClock(got).After(want) {
			if !start.IsZero() {
				return start
			}
		} else if !end.IsZero() {
			return end
		}
		return t
	}
	// Shown twice: the same wall time in the period before t's, if it
	// falls there, happened first.
	start, _ := t.ZoneBounds()
	if start.IsZero() {
		return t
	}
	_, off := t.Zone()
	_, before := start.Add(-time.Nanosecond).Zone()
	if before > off {
		earlier := t.Add(-time.Duration(before-off) * time.Second)
		if earlier.Before(start) && sameWall(earlier.In(k.loc), want) {
			return earlier
		}
	}
	return t
}

// wallClock is t's wall time as a UTC date and clock, comparable with
// the wants of wall.
func wallClock(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
}

func sameWall(t, want time.Time) bool {
	y, m, d := t.Date()
	wy, wm, wd := want.Date()
	return y == wy && m == wm && d == wd && t.Hour() == want.Hour() && t.Minute() == want.Minute()
}

// walk calls fn with the open intervals from t on, the first clipped to
// start at t, until fn returns false. ErrNeverOpen when searchDays pass
// without open time.
func (k *compiled) walk(t time.Time, fn func(interval) bool) error {
	idle := 0
	for day := k.dayOf(t); idle < searchDays; day = day.AddDate(0, 0, 1) {
		ivs := k.intervals(day)
		found := false
		for _, iv := range ivs {
			if !iv.to.After(t) {
				continue
			}
			found = true
			if !fn(interval{maxTime(iv.from, t), iv.to}) {
				return nil
			}
		}
		if found {
			idle = 0
		} else {
			idle++
		}
	}
	return ErrNeverOpen
}

// open reports whether t lies in an open interval.
func (k *compiled) open(t time.Time) bool {
	for _, iv := range k.intervals(k.dayOf(t)) {
		if !t.Before(iv.from) && t.Before(iv.to) {
			return true
		}
	}
	return false
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
