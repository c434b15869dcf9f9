package bench

import (
	"context"
	"time"
)

// offset is when message i is meant to be sent, counted from the start of
// the load: i/rate seconds. Computed from i (not by adding a period to the
// previous value) so rounding never accumulates.
func offset(i int, rate float64) time.Duration {
	return time.Duration(float64(i) * float64(time.Second) / rate)
}

// schedule is an open-loop pacer. It calls emit(i, offset(i, rate)) for
// i = 0 .. n-1, never before start+offset(i). It does not wait for the
// system under test: the intended times are fixed in advance, so when emit
// (or the machine) stalls, the messages that fell due meanwhile are
// emitted at once on return, with their original intended times, rather
// than the schedule sliding later. That is what keeps coordinated omission
// out of the figures: latency is measured from the intended time.
//
// emit should not block (hand the job to a buffered queue). schedule
// returns how many messages it emitted: n, or fewer if ctx ended first.
func schedule(ctx context.Context, start time.Time, rate float64, n int, emit func(i int, intended time.Duration)) int {
	if n <= 0 || rate <= 0 {
		return 0
	}
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	i := 0
	for i < n {
		now := time.Since(start)
		// Everything due by now goes out immediately.
		for i < n && offset(i, rate) <= now {
			emit(i, offset(i, rate))
			i++
		}
		if i == n {
			break
		}
		timer.Reset(offset(i, rate) - now)
		select {
		case <-ctx.Done():
			return i
		case <-timer.C:
		}
	}
	return i
}
