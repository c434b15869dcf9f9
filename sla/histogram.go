package sla

import (
	"math"
	"time"
)

// Buckets is the length of a histogram of clock times: bucket 0 holds
// zero seconds, bucket i (1 ≤ i < Buckets) the times in
// [2^((i-1)/8), 2^(i/8)) seconds, each about 9 % wide, the last one
// everything longer (2^(206/8) s is about 20 months). Reports add
// histograms bucket by bucket and read medians and percentiles from them
// within that 9 %.
const Buckets = 208

const perDoubling = 8

// Bucket is the histogram bucket of a clock time.
func Bucket(d time.Duration) int {
	s := d.Seconds()
	if s < 1 {
		return 0
	}
	b := int(math.Floor(math.Log2(s)*perDoubling)) + 1
	return min(b, Buckets-1)
}

// bucketMid is a bucket's representative time: the geometric middle of
// its bounds.
func bucketMid(b int) time.Duration {
	if b == 0 {
		return 0
	}
	lo := math.Exp2(float64(b-1) / perDoubling)
	hi := math.Exp2(float64(b) / perDoubling)
	return time.Duration(math.Sqrt(lo*hi) * float64(time.Second))
}

// Quantile is the q-quantile (0 < q ≤ 1) of the times a histogram
// counts, to the bucket's precision; ok is false for an empty one.
func Quantile(hist []int64, q float64) (time.Duration, bool) {
	var total int64
	for _, n := range hist {
		total += n
	}
	if total == 0 {
		return 0, false
	}
	rank := int64(math.Ceil(q * float64(total)))
	rank = max(rank, 1)
	var seen int64
	for b, n := range hist {
		seen += n
		if seen >= rank {
			return bucketMid(b), true
		}
	}
	return bucketMid(len(hist) - 1), true
}
