package sla

import (
	"time"

	"github.com/switchboardhq/switchboard/calendar"
)

// What a conversation's history says, for a replay: what the clocks hear
// in the workflow, at the instants it happened.
const (
	HappenedPeople     = "people"      // reached people: created without a bot, handed off, reopened
	HappenedCustomer   = "customer"    // the customer wrote after the team (a change of turn)
	HappenedOperator   = "operator"    // an operator replied after the customer
	HappenedSnoozed    = "snoozed"     // snoozed
	HappenedWoken      = "woken"       // woken
	HappenedResolved   = "resolved"    // resolved
	HappenedHandedBack = "handed_back" // given back to the bot
)

// Happening is one thing a conversation's history says.
type Happening struct {
	Kind string
	At   time.Time
}

// Replay measures a conversation's history (in time order) against a
// policy, as the workflow would have: the clocks it would have started,
// each met, breached, cancelled or still running at now. It is what-if's
// engine: the same tracker, fed the past.
func Replay(p *Policy, cal *calendar.Calendar, priority string, history []Happening, now time.Time) ([]Clock, error) {
	t := NewTracker(Selection{Policy: p, Calendar: cal}, priority)
	var clocks []Clock
	people, waiting := false, false
	take := func(out Outcome, err error) error {
		clocks = append(clocks, out.Closed...)
		return err
	}
	for _, h := range history {
		var err error
		switch h.Kind {
		case HappenedPeople:
			if !people {
				people = true
				err = take(t.Begin(h.At, waiting))
			}
		case HappenedCustomer:
			waiting = true
			if people {
				err = take(t.CustomerWrote(h.At))
			}
		case HappenedOperator:
			waiting = false
			if people {
				err = take(t.OperatorReplied(h.At))
			} else {
				t.Replied = true
			}
		case HappenedSnoozed, HappenedWoken:
			err = take(t.SetSnoozed(h.Kind == HappenedSnoozed, h.At))
		case HappenedResolved:
			if people {
				err = take(t.Resolved(h.At))
			}
			people = false
		case HappenedHandedBack:
			if people {
				err = take(t.Stop(h.At))
			}
			people = false
		}
		if err != nil {
			return nil, err
		}
	}
	if _, err := t.Advance(now); err != nil {
		return nil, err
	}
	return append(clocks, t.Clocks...), nil
}
