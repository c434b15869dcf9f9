package calendar

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var weekdays = []string{"mon", "tue", "wed", "thu", "fri"}

// at reads a wall time in a zone: "2026-12-07 16:00".
func at(t *testing.T, zone, wall string) time.Time {
	t.Helper()
	loc, err := time.LoadLocation(zone)
	require.NoError(t, err)
	tm, err := time.ParseInLocation("2006-01-02 15:04", wall, loc)
	require.NoError(t, err)
	return tm
}

func TestDeadline(t *testing.T) {
	t.Parallel()
	office := &Calendar{TimeZone: "Europe/Berlin", Hours: []Span{{Days: weekdays, From: "09:00", To: "17:00"}}}
	lunch := &Calendar{TimeZone: "Europe/Berlin", Hours: []Span{
		{Days: weekdays, From: "09:00", To: "12:00"}, {Days: weekdays, From: "13:00", To: "17:00"},
	}}
	christmas := &Calendar{TimeZone: "Europe/Berlin", Hours: []Span{{Days: weekdays, From: "09:00", To: "17:00"}},
		Holidays: []string{"2026-12-25"}, Closures: []Closure{{Date: "2026-12-24", From: "12:00", To: "24:00"}}}
	for _, tc := range []struct {
		name  string
		cal   *Calendar
		start string
		d     time.Duration
		want  string
	}{
		{"within the day", office, "2026-12-07 10:00", 2 * time.Hour, "2026-12-07 12:00"},
		{"over the night", office, "2026-12-07 16:00", 2 * time.Hour, "2026-12-08 10:00"},
		{"over the weekend", office, "2026-12-11 16:00", 2 * time.Hour, "2026-12-14 10:00"},
		{"started while closed", office, "2026-12-12 12:00", time.Hour, "2026-12-14 10:00"},
		{"ends with the day, not the next morning", office, "2026-12-07 09:00", 8 * time.Hour, "2026-12-07 17:00"},
		{"started before opening", office, "2026-12-07 06:00", 30 * time.Minute, "2026-12-07 09:30"},
		{"nothing to wait", office, "2026-12-12 12:00", 0, "2026-12-12 12:00"},
		{"a lunch break", lunch, "2026-12-07 11:00", 2 * time.Hour, "2026-12-07 14:00"},
		{"a week of business", lunch, "2026-12-07 09:00", 35 * time.Hour, "2026-12-11 17:00"},
		{"half a day, then a holiday", christmas, "2026-12-24 11:00", 2 * time.Hour, "2026-12-28 10:00"},
		{"always open", nil, "2026-12-12 12:00", 90 * time.Minute, "2026-12-12 13:30"},
	} {
		got, err := Deadline(tc.cal, at(t, "Europe/Berlin", tc.start), tc.d)
		require.NoError(t, err, tc.name)
		require.Equal(t, at(t, "Europe/Berlin", tc.want).UTC(), got.UTC(), tc.name)
		if tc.d > 0 {
			el, err := Elapsed(tc.cal, at(t, "Europe/Berlin", tc.start), got)
			require.NoError(t, err)
			require.Equal(t, tc.d, el, tc.name)
		}
	}
}

// TestDaylightSaving: business time is real time. In Berlin the clocks go
// forward on 2026-03-29 (02:00 → 03:00) and back on 2026-10-25 (03:00 →
// 02:00); in Santiago they go forward at midnight (2026-09-06 00:00 →
// 01:00), so that day begins at 01:00.
func TestDaylightSaving(t *testing.T) {
	t.Parallel()
	allDay := func(zone string) *Calendar {
		return &Calendar{TimeZone: zone, Hours: []Span{{Days: dayNames, From: "00:00", To: "24:00"}}}
	}
	berlin := allDay("Europe/Berlin")
	day := func(c *Calendar, zone, date, next string) time.Duration {
		el, err := Elapsed(c, at(t, zone, date+" 00:00"), at(t, zone, next+" 00:00"))
		require.NoError(t, err)
		return el
	}
	require.Equal(t, 23*time.Hour, day(berlin, "Europe/Berlin", "2026-03-29", "2026-03-30"))
	require.Equal(t, 25*time.Hour, day(berlin, "Europe/Berlin", "2026-10-25", "2026-10-26"))
	require.Equal(t, 24*time.Hour, day(berlin, "Europe/Berlin", "2026-10-26", "2026-10-27"))
	got, err := Deadline(berlin, at(t, "Europe/Berlin", "2026-03-29 00:00"), 24*time.Hour)
	require.NoError(t, err)
	require.Equal(t, at(t, "Europe/Berlin", "2026-03-30 01:00").UTC(), got.UTC())

	// Opening hours across the jump: 01:00–04:00 is 2 real hours in
	// spring, 4 in autumn; 02:00–03:00 does not happen in spring at all.
	night := func(from, to string) *Calendar {
		return &Calendar{TimeZone: "Europe/Berlin", Hours: []Span{{Days: []string{"sun"}, From: from, To: to}}}
	}
	require.Equal(t, 2*time.Hour, day(night("01:00", "04:00"), "Europe/Berlin", "2026-03-29", "2026-03-30"))
	require.Equal(t, 4*time.Hour, day(night("01:00", "04:00"), "Europe/Berlin", "2026-10-25", "2026-10-26"))
	require.Equal(t, time.Duration(0), day(night("02:00", "03:00"), "Europe/Berlin", "2026-03-29", "2026-03-30"))
	// A wall time shown twice opens at its first showing: 02:30 CEST.
	open, err := NextOpen(night("02:30", "03:00"), at(t, "Europe/Berlin", "2026-10-25 00:00"))
	require.NoError(t, err)
	require.Equal(t, time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC), open.UTC())
	// A wall time skipped opens when the clocks jump: 03:00 CEST.
	open, err = NextOpen(night("02:30", "05:00"), at(t, "Europe/Berlin", "2026-03-29 00:00"))
	require.NoError(t, err)
	require.Equal(t, time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC), open.UTC())

	// Havana's clocks jump from 00:00 to 01:00 on 2026-03-08, west of UTC:
	// a Sunday calendar opens at the jump, 05:00 UTC, not a day early.
	sunday := &Calendar{TimeZone: "America/Havana", Hours: []Span{{Days: []string{"sun"}, From: "00:00", To: "24:00"}}}
	open, err = NextOpen(sunday, time.Date(2026, 3, 7, 17, 0, 0, 0, time.UTC))
	require.NoError(t, err)
	require.Equal(t, time.Date(2026, 3, 8, 5, 0, 0, 0, time.UTC), open.UTC())
	el, err := Elapsed(sunday, time.Date(2026, 3, 7, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC))
	require.NoError(t, err)
	require.Equal(t, 23*time.Hour, el, "the Sunday the clocks skip an hour")

	santiago := allDay("America/Santiago")
	loc, _ := time.LoadLocation("America/Santiago")
	midnight := time.Date(2026, 9, 5, 0, 0, 0, 0, loc)
	next := midnight.Add(48 * time.Hour)
	el, err = Elapsed(santiago, midnight, next)
	require.NoError(t, err)
	require.Equal(t, next.Sub(midnight), el)
}

func TestNeverOpen(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	_, err := Deadline(&Calendar{TimeZone: "UTC"}, start, time.Hour)
	require.ErrorIs(t, err, ErrNeverOpen)
	_, err = NextOpen(&Calendar{}, start)
	require.ErrorIs(t, err, ErrNeverOpen)
	_, err = Deadline(&Calendar{TimeZone: "Mars/Olympus", Hours: []Span{{Days: weekdays, From: "09:00", To: "17:00"}}}, start, time.Hour)
	require.Error(t, err)
	// Open only on one day of the year, which is a holiday: closed for
	// good, found out without searching forever.
	only := &Calendar{Hours: []Span{{Days: []string{"mon"}, From: "09:00", To: "10:00"}}}
	for d := start; d.Before(start.AddDate(2, 1, 0)); d = d.AddDate(0, 0, 1) {
		if d.Weekday() == time.Monday && len(only.Holidays) < MaxHolidays {
			only.Holidays = append(only.Holidays, d.Format(time.DateOnly))
		}
	}
	_, err = Deadline(only, start, time.Hour)
	require.ErrorIs(t, err, ErrNeverOpen)
}

// zones: with daylight saving at night, at midnight, by half an hour, and
// none.
var zones = []string{"UTC", "Europe/Berlin", "America/New_York", "America/Santiago", "Australia/Lord_Howe", "Asia/Kolkata", "America/Havana"}

// randomCalendar is one to five spans on random days, perhaps holidays and
// closures, in a random zone.
func randomCalendar(r *rand.Rand) *Calendar {
	c := &Calendar{TimeZone: zones[r.IntN(len(zones))]}
	for range 1 + r.IntN(5) {
		var days []string
		for _, d := range dayNames {
			if r.IntN(2) == 0 {
				days = append(days, d)
			}
		}
		if len(days) == 0 {
			days = []string{dayNames[r.IntN(7)]}
		}
		from := r.IntN(24*4) * 15
		to := from + 15 + r.IntN((1440-from)/15)*15
		to = min(to, 1440)
		c.Hours = append(c.Hours, Span{Days: days, From: hhmm(from), To: hhmm(to)})
	}
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for range r.IntN(20) {
		c.Holidays = append(c.Holidays, base.AddDate(0, 0, r.IntN(730)).Format(time.DateOnly))
	}
	for range r.IntN(10) {
		from := r.IntN(23*4) * 15
		c.Closures = append(c.Closures, Closure{Date: base.AddDate(0, 0, r.IntN(730)).Format(time.DateOnly), From: hhmm(from), To: hhmm(min(from+15+r.IntN(8)*15, 1440))})
	}
	return c
}

func hhmm(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }

// TestBusinessTimeProperties: for random calendars, starts and durations,
// the business time from a start to its deadline is the duration; elapsed
// time adds up over any split; the next open instant is open, and none of
// the time before it is; a calendar open all day counts real time, whatever
// the zone's clocks do.
func TestBusinessTimeProperties(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(7, 11))
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 3000 {
		c := randomCalendar(r)
		require.NoError(t, c.Validate())
		start := base.Add(time.Duration(r.Int64N(int64(365 * 24 * time.Hour))))
		d := time.Duration(r.Int64N(int64(200 * time.Hour)))
		end, err := Deadline(c, start, d)
		require.NoError(t, err)
		el, err := Elapsed(c, start, end)
		require.NoError(t, err)
		require.Equal(t, d, el, "case %d: %+v from %s", i, c, start)

		mid := start.Add(time.Duration(r.Int64N(int64(end.Sub(start)) + 1)))
		a, err1 := Elapsed(c, start, mid)
		b, err2 := Elapsed(c, mid, end)
		require.NoError(t, err1)
		require.NoError(t, err2)
		require.Equal(t, el, a+b, "case %d: additive", i)

		open, err := NextOpen(c, mid)
		require.NoError(t, err)
		require.True(t, c.Open(open), "case %d: next open %s is open", i, open)
		gap, _ := Elapsed(c, mid, open)
		require.Zero(t, gap, "case %d", i)
		after, _ := Elapsed(c, open, open.Add(time.Second))
		require.Positive(t, after, "case %d: open at %s", i, open)
	}
	for _, zone := range zones {
		c := &Calendar{TimeZone: zone, Hours: []Span{{Days: dayNames, From: "00:00", To: "24:00"}}}
		for range 200 {
			from := base.Add(time.Duration(r.Int64N(int64(365 * 24 * time.Hour))))
			to := from.Add(time.Duration(r.Int64N(int64(30 * 24 * time.Hour))))
			el, err := Elapsed(c, from, to)
			require.NoError(t, err)
			require.Equal(t, to.Sub(from), el, "%s from %s", zone, from)
		}
	}
}

func BenchmarkDeadline(b *testing.B) {
	c := &Calendar{TimeZone: "Europe/Berlin", Hours: []Span{
		{Days: weekdays, From: "09:00", To: "12:00"}, {Days: weekdays, From: "13:00", To: "17:00"},
	}, Holidays: []string{"2026-12-25", "2026-12-26"}}
	start := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	for b.Loop() {
		if _, err := Deadline(c, start, 40*time.Hour); err != nil {
			b.Fatal(err)
		}
	}
}
