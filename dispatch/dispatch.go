// Package dispatch decides which online operator gets which waiting
// conversation of a department: the pure part of dispatch, with no I/O and
// no clock. The store gathers a department's queue and roster under its
// locks, asks Plan, and writes the decisions; each conversation's workflow
// then makes its own assignment (docs/DISPATCH.md).
package dispatch

import (
	"cmp"
	"slices"
	"time"

	"github.com/google/uuid"
)

// Modes of a department.
const (
	// Manual: nothing is dispatched; operators claim from the Unclaimed
	// queue.
	Manual = "manual"
	// RoundRobin: operators take turns, the one given work longest ago
	// first.
	RoundRobin = "round_robin"
	// LeastLoaded: the operator with the fewest open conversations first;
	// ties go to the one given work longest ago.
	LeastLoaded = "least_loaded"
	// Offer: offered to one operator at a time, in round-robin turns, who
	// accepts or declines within the department's timeout; the next offer
	// skips those who passed on it.
	Offer = "offer"
)

// Modes lists the modes.
var Modes = []string{Manual, RoundRobin, LeastLoaded, Offer}

// Distributed is no department's mode but a supervisor's one-off hand-out
// of a department's queue (Distribute): least loaded first, whatever the
// department's own mode; its decisions are assignments.
const Distributed = "distributed"

// Automatic says whether a mode dispatches by itself.
func Automatic(mode string) bool { return mode == RoundRobin || mode == LeastLoaded || mode == Offer }

// Waiting is a conversation in a department's queue.
type Waiting struct {
	ID uuid.UUID
	// Priority ranks the conversation's priority: the higher, the sooner.
	Priority int
	QueuedAt time.Time
	// Declined are the operators who passed on it in this wait (offer
	// mode): it is not theirs to take.
	Declined []uuid.UUID
}

// Operator is an online operator of the department.
type Operator struct {
	ID uuid.UUID
	// Load is what the operator carries now: open assigned conversations
	// and decisions on their way. Capacity is the most they carry at once.
	Load, Capacity int
	// LastDispatched is when the department last gave them work; zero:
	// never.
	LastDispatched time.Time
}

// Free is how many more conversations the operator can take.
func (o Operator) Free() int { return max(o.Capacity-o.Load, 0) }

// Pair is one decision: the conversation goes to the operator.
type Pair struct {
	ConversationID uuid.UUID
	OperatorID     uuid.UUID
}

// Sort orders a queue: the highest priority first, then the longest
// waiting, then by id (so equal conversations have one order).
func Sort(queue []Waiting) {
	slices.SortStableFunc(queue, func(a, b Waiting) int {
		return cmp.Or(
			cmp.Compare(b.Priority, a.Priority),
			a.QueuedAt.Compare(b.QueuedAt),
			slices.Compare(a.ID[:], b.ID[:]),
		)
	})
}

// Plan pairs the queue (in its order: Sort it first) with the roster in the
// department's mode, never past an operator's capacity. It returns the
// pairs in queue order and the roster as it is after them (loads, and the
// turn each operator took as LastDispatched: now, plus a nanosecond per
// pair so the turns keep their order). Manual, or an unknown mode, pairs
// nothing.
func Plan(mode string, queue []Waiting, roster []Operator, now time.Time) ([]Pair, []Operator) {
	ops := slices.Clone(roster)
	if !Automatic(mode) && mode != Distributed {
		return nil, ops
	}
	var pairs []Pair
	for _, w := range queue {
		best := -1
		for i, o := range ops {
			if o.Free() == 0 || slices.Contains(w.Declined, o.ID) {
				continue
			}
			if best < 0 || better(mode, o, ops[best]) {
				best = i
			}
		}
		if best < 0 {
			continue // everyone is full, or passed on this one
		}
		ops[best].Load++
		ops[best].LastDispatched = now.Add(time.Duration(len(pairs)) * time.Nanosecond)
		pairs = append(pairs, Pair{ConversationID: w.ID, OperatorID: ops[best].ID})
	}
	return pairs, ops
}

// better says whether a should have the next conversation before b.
func better(mode string, a, b Operator) bool {
	if (mode == LeastLoaded || mode == Distributed) && a.Load != b.Load {
		return a.Load < b.Load
	}
	if !a.LastDispatched.Equal(b.LastDispatched) {
		return a.LastDispatched.Before(b.LastDispatched) // zero (never) is the earliest
	}
	return slices.Compare(a.ID[:], b.ID[:]) < 0
}
