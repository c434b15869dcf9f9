// Package calendar is the business-hours model every part of Switchboard
// shares: a department's opening hours in its time zone, week by week,
// with holidays and half days. Bot flows ask whether a department is open
// now; SLA clocks count business time with it (business.go). Pure: the
// time is an argument.
package calendar

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // the same zones on every machine
)

// Calendar is a department's business hours. The zero Calendar (no
// hours) is never open; a department without a calendar is always open
// (its *Calendar is nil).
type Calendar struct {
	// TimeZone is an IANA zone ("Europe/Berlin"); empty means UTC.
	TimeZone string `json:"time_zone"`
	// Hours are the opening spans of the week.
	Hours []Span `json:"hours"`
	// Holidays are days (YYYY-MM-DD, in TimeZone) closed all day.
	Holidays []string `json:"holidays,omitempty"`
	// Closures close part of a day: a half-day holiday.
	Closures []Closure `json:"closures,omitempty"`
}

// Closure closes the calendar on Date (YYYY-MM-DD, in TimeZone) from From
// to To ("12:00", "24:00"), whatever its hours say.
type Closure struct {
	Date string `json:"date"`
	From string `json:"from"`
	To   string `json:"to"`
}

// Span is open from From to To ("09:00", "17:30"; To after From, "24:00"
// for midnight) on each of Days ("mon" … "sun").
type Span struct {
	Days []string `json:"days"`
	From string   `json:"from"`
	To   string   `json:"to"`
}

var dayNames = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"} // time.Weekday order

// Limits of a calendar.
const (
	MaxSpans    = 50
	MaxHolidays = 400
)

// Problem is what is wrong with a calendar, with the field at fault.
type Problem struct {
	Field   string
	Message string
}

func (p *Problem) Error() string { return p.Field + ": " + p.Message }

// Validate checks c; the error is a *Problem naming the field.
func (c Calendar) Validate() error {
	if _, err := c.location(); err != nil {
		return &Problem{"time_zone", fmt.Sprintf("%q is not a time zone (an IANA name such as Europe/Berlin)", c.TimeZone)}
	}
	if len(c.Hours) == 0 || len(c.Hours) > MaxSpans {
		return &Problem{"hours", fmt.Sprintf("give 1 to %d spans", MaxSpans)}
	}
	for i, s := range c.Hours {
		field := fmt.Sprintf("hours[%d]", i)
		if len(s.Days) == 0 {
			return &Problem{field + ".days", "give at least one day (mon … sun)"}
		}
		for _, d := range s.Days {
			if !slices.Contains(dayNames, d) {
				return &Problem{field + ".days", fmt.Sprintf("%q is not one of mon, tue, wed, thu, fri, sat, sun", d)}
			}
		}
		from, err1 := minutes(s.From)
		to, err2 := minutes(s.To)
		if err1 != nil {
			return &Problem{field + ".from", err1.Error()}
		}
		if err2 != nil {
			return &Problem{field + ".to", err2.Error()}
		}
		if to <= from {
			return &Problem{field + ".to", "to must be after from (spans end by midnight: 24:00)"}
		}
	}
	if len(c.Holidays) > MaxHolidays {
		return &Problem{"holidays", fmt.Sprintf("at most %d days", MaxHolidays)}
	}
	for _, h := range c.Holidays {
		if _, err := time.Parse(time.DateOnly, h); err != nil {
			return &Problem{"holidays", fmt.Sprintf("%q is not a day (YYYY-MM-DD)", h)}
		}
	}
	if len(c.Closures) > MaxHolidays {
		return &Problem{"closures", fmt.Sprintf("at most %d closures", MaxHolidays)}
	}
	for i, cl := range c.Closures {
		field := fmt.Sprintf("closures[%d]", i)
		if _, err := time.Parse(time.DateOnly, cl.Date); err != nil {
			return &Problem{field + ".date", fmt.Sprintf("%q is not a day (YYYY-MM-DD)", cl.Date)}
		}
		from, err1 := minutes(cl.From)
		to, err2 := minutes(cl.To)
		if err1 != nil {
			return &Problem{field + ".from", err1.Error()}
		}
		if err2 != nil {
			return &Problem{field + ".to", err2.Error()}
		}
		if to <= from {
			return &Problem{field + ".to", "to must be after from"}
		}
	}
	return nil
}

// Open reports whether the calendar is open at t. An invalid calendar is
// never open.
func (c Calendar) Open(t time.Time) bool {
	k, err := c.compile()
	return err == nil && k.open(t)
}

func (c Calendar) location() (*time.Location, error) {
	if c.TimeZone == "" {
		return time.UTC, nil
	}
	if strings.EqualFold(c.TimeZone, "local") {
		return nil, errors.New("local is not a zone")
	}
	return time.LoadLocation(c.TimeZone)
}

// minutes reads "HH:MM" (00:00 to 24:00) as minutes after midnight.
func minutes(s string) (int, error) {
	var h, m int
	if len(s) != 5 || s[2] != ':' {
		return 0, fmt.Errorf("%q is not a time of day (HH:MM)", s)
	}
	if _, err := fmt.Sscanf(s, "%02d:%02d", &h, &m); err != nil || h > 24 || m > 59 || (h == 24 && m != 0) {
		return 0, fmt.Errorf("%q is not a time of day (HH:MM)", s)
	}
	return h*60 + m, nil
}
