package dispatch

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var t0 = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

func operators(n, capacity int) []Operator {
	ops := make([]Operator, n)
	for i := range ops {
		ops[i] = Operator{ID: uuid.New(), Capacity: capacity}
	}
	return ops
}

func waiting(n int) []Waiting {
	q := make([]Waiting, n)
	for i := range q {
		q[i] = Waiting{ID: uuid.New(), Priority: 1, QueuedAt: t0.Add(time.Duration(i) * time.Second)}
	}
	return q
}

// Round robin over 5 operators and 1,000 conversations arriving one by one,
// each resolved at a random later moment: the counts differ by at most one.
func TestRoundRobinIsFair(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	ops := operators(5, 3)
	counts := map[uuid.UUID]int{}
	var open []Pair
	now := t0
	for range 1000 {
		now = now.Add(time.Second)
		// Some open conversations end, freeing their operators.
		for i := 0; i < len(open); {
			if rng.IntN(3) == 0 {
				for j := range ops {
					if ops[j].ID == open[i].OperatorID {
						ops[j].Load--
					}
				}
				open = append(open[:i], open[i+1:]...)
				continue
			}
			i++
		}
		if total(ops) == 0 {
			// Everyone full: the oldest conversation ends.
			for j := range ops {
				if ops[j].ID == open[0].OperatorID {
					ops[j].Load--
				}
			}
			open = open[1:]
		}
		pairs, after := Plan(RoundRobin, waiting(1), ops, now)
		require.Len(t, pairs, 1)
		ops = after
		counts[pairs[0].OperatorID]++
		open = append(open, pairs...)
	}
	lo, hi := 1000, 0
	for _, o := range ops {
		lo, hi = min(lo, counts[o.ID]), max(hi, counts[o.ID])
	}
	// Capacity can make an operator skip a turn; over 1,000 it evens out
	// only when turns go strictly by last assignment, which this checks.
	assert.LessOrEqual(t, hi-lo, 1, "counts %v", counts)
}

func total(ops []Operator) int {
	n := 0
	for _, o := range ops {
		n += o.Free()
	}
	return n
}

// With room for everyone, round robin hands out in strict turns, also
// within one plan.
func TestRoundRobinTurns(t *testing.T) {
	ops := operators(5, 1000)
	pairs, _ := Plan(RoundRobin, waiting(1000), ops, t0)
	counts := map[uuid.UUID]int{}
	for _, p := range pairs {
		counts[p.OperatorID]++
	}
	for _, o := range ops {
		assert.Equal(t, 200, counts[o.ID])
	}
}

func TestCapacityIsNeverExceeded(t *testing.T) {
	ops := operators(4, 3)
	ops[0].Load = 3
	ops[1].Load = 2
	ops[2].Capacity = 1
	pairs, after := Plan(LeastLoaded, waiting(50), ops, t0)
	// Free: 0 + 1 + 1 + 3.
	assert.Len(t, pairs, 5)
	for i, o := range after {
		assert.LessOrEqual(t, o.Load, o.Capacity, "operator %d", i)
	}
}

func TestLeastLoadedPrefersTheIdle(t *testing.T) {
	ops := operators(3, 5)
	ops[0].Load, ops[1].Load, ops[2].Load = 4, 1, 1
	ops[1].LastDispatched = t0.Add(-time.Minute)
	ops[2].LastDispatched = t0.Add(-time.Hour) // longest since: first among equals
	pairs, after := Plan(LeastLoaded, waiting(3), ops, t0)
	require.Len(t, pairs, 3)
	assert.Equal(t, ops[2].ID, pairs[0].OperatorID)
	assert.Equal(t, ops[1].ID, pairs[1].OperatorID)
	assert.Equal(t, ops[2].ID, pairs[2].OperatorID)
	assert.Equal(t, []int{4, 2, 3}, []int{after[0].Load, after[1].Load, after[2].Load})
}

// A supervisor's Distribute pairs like least loaded, though no department
// has it as its mode.
func TestDistributedPairsLikeLeastLoaded(t *testing.T) {
	ops := operators(3, 5)
	ops[0].Load, ops[1].Load, ops[2].Load = 4, 1, 1
	ops[2].LastDispatched = t0.Add(-time.Hour)
	queue := waiting(6)
	want, _ := Plan(LeastLoaded, queue, ops, t0)
	got, _ := Plan(Distributed, queue, ops, t0)
	require.Len(t, got, 6)
	assert.Equal(t, want, got)
	assert.NotContains(t, Modes, Distributed)
}

func TestManualPairsNothing(t *testing.T) {
	pairs, _ := Plan(Manual, waiting(3), operators(2, 5), t0)
	assert.Empty(t, pairs)
	pairs, _ = Plan("nonsense", waiting(3), operators(2, 5), t0)
	assert.Empty(t, pairs)
}

func TestQueueOrder(t *testing.T) {
	q := waiting(4)
	q[2].Priority = 3 // urgent jumps the queue
	q[3].Priority = 3
	q[3].QueuedAt = q[2].QueuedAt.Add(-time.Second) // and waited longer
	want := []uuid.UUID{q[3].ID, q[2].ID, q[0].ID, q[1].ID}
	Sort(q)
	got := []uuid.UUID{q[0].ID, q[1].ID, q[2].ID, q[3].ID}
	assert.Equal(t, want, got)
	// Plan follows the queue's order.
	pairs, _ := Plan(RoundRobin, q, operators(1, 2), t0)
	require.Len(t, pairs, 2)
	assert.Equal(t, want[:2], []uuid.UUID{pairs[0].ConversationID, pairs[1].ConversationID})
}

// In the offer mode a conversation is never offered to whoever passed on
// it; the next waiting one can still be theirs.
func TestOfferSkipsDecliners(t *testing.T) {
	ops := operators(2, 5)
	q := waiting(2)
	q[0].Declined = []uuid.UUID{ops[0].ID, ops[1].ID} // everyone passed
	q[1].Declined = []uuid.UUID{ops[0].ID}
	pairs, _ := Plan(Offer, q, ops, t0)
	require.Len(t, pairs, 1)
	assert.Equal(t, Pair{ConversationID: q[1].ID, OperatorID: ops[1].ID}, pairs[0])
}
