package calendar

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestOpen(t *testing.T) {
	t.Parallel()
	c := Calendar{
		TimeZone: "Europe/Berlin",
		Hours: []Span{
			{Days: []string{"mon", "tue", "wed", "thu", "fri"}, From: "09:00", To: "17:30"},
			{Days: []string{"sat"}, From: "10:00", To: "24:00"},
		},
		Holidays: []string{"2026-12-25"},
	}
	require.NoError(t, c.Validate())
	at := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339, s)
		require.NoError(t, err)
		return tm
	}
	for when, open := range map[string]bool{
		"2026-12-01T08:00:00Z": true,  // Tuesday 09:00 in Berlin (UTC+1)
		"2026-12-01T07:59:00Z": false, // 08:59
		"2026-12-01T16:29:00Z": true,  // 17:29
		"2026-12-01T16:30:00Z": false, // 17:30: closed
		"2026-12-05T22:59:00Z": true,  // Saturday 23:59
		"2026-12-06T10:00:00Z": false, // Sunday
		"2026-12-25T10:00:00Z": false, // a holiday (a Friday)
		"2026-07-01T07:00:00Z": true,  // summer time: 09:00 is 07:00 UTC
		"2026-07-01T06:59:00Z": false,
	} {
		require.Equal(t, open, c.Open(at(when)), when)
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	ok := Span{Days: []string{"mon"}, From: "09:00", To: "17:00"}
	for field, c := range map[string]Calendar{
		"time_zone":     {TimeZone: "Mars/Olympus", Hours: []Span{ok}},
		"hours":         {TimeZone: "UTC"},
		"hours[0].days": {Hours: []Span{{Days: []string{"monday"}, From: "09:00", To: "17:00"}}},
		"hours[0].from": {Hours: []Span{{Days: []string{"mon"}, From: "9:00", To: "17:00"}}},
		"hours[0].to":   {Hours: []Span{{Days: []string{"mon"}, From: "09:00", To: "08:00"}}},
		"holidays":      {Hours: []Span{ok}, Holidays: []string{"25.12.2026"}},
		"hours[1].to":   {Hours: []Span{ok, {Days: []string{"tue"}, From: "09:00", To: "24:30"}}},
	} {
		err := c.Validate()
		var p *Problem
		require.ErrorAs(t, err, &p, field)
		require.Equal(t, field, p.Field)
	}
	require.False(t, Calendar{TimeZone: "Mars/Olympus", Hours: []Span{ok}}.Open(time.Now()), "an invalid calendar is never open")
}
