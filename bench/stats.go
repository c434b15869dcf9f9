package bench

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"time"
)

// Summary describes a set of latencies. At this scale (at most a few
// million samples) keeping every sample and sorting is exact and cheap
// enough; no histogram approximation is involved.
type Summary struct {
	Count int
	Min   time.Duration
	Mean  time.Duration
	P50   time.Duration
	P90   time.Duration
	P99   time.Duration
	P999  time.Duration
	Max   time.Duration
}

// summarize sorts samples in place and summarizes them. An empty slice
// gives the zero Summary.
func summarize(samples []time.Duration) Summary {
	if len(samples) == 0 {
		return Summary{}
	}
	slices.Sort(samples)
	var sum float64
	for _, d := range samples {
		sum += float64(d)
	}
	return Summary{
		Count: len(samples),
		Min:   samples[0],
		Mean:  time.Duration(sum / float64(len(samples))),
		P50:   percentile(samples, 50),
		P90:   percentile(samples, 90),
		P99:   percentile(samples, 99),
		P999:  percentile(samples, 99.9),
		Max:   samples[len(samples)-1],
	}
}

// percentile returns the nearest-rank p-th percentile (0 < p <= 100) of
// sorted: the smallest sample such that at least p% of the samples are at
// or below it. It never interpolates, so the answer is always a latency
// that was actually observed; p100 is the maximum.
func percentile(sorted []time.Duration, p float64) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	// p/100*n computed in a way that keeps exact integers exact
	// (99.9/100*1000 must be 999, not 999.0000000000001).
	rank := int(math.Ceil(p*float64(n)/100 - 1e-9))
	rank = max(1, min(n, rank))
	return sorted[rank-1]
}

// ms renders a duration as milliseconds for people.
func ms(d time.Duration) string {
	v := float64(d) / float64(time.Millisecond)
	switch {
	case v == 0:
		return "0"
	case v < 10:
		return fmt.Sprintf("%.2f", v)
	case v < 100:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.0f", v)
	}
}

func toMS(d time.Duration) float64 {
	return math.Round(float64(d)/float64(time.Microsecond)) / 1000
}

// MarshalJSON renders the summary in milliseconds (microsecond precision).
func (s Summary) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Count  int     `json:"count"`
		MinMS  float64 `json:"min_ms"`
		MeanMS float64 `json:"mean_ms"`
		P50MS  float64 `json:"p50_ms"`
		P90MS  float64 `json:"p90_ms"`
		P99MS  float64 `json:"p99_ms"`
		P999MS float64 `json:"p99_9_ms"`
		MaxMS  float64 `json:"max_ms"`
	}{s.Count, toMS(s.Min), toMS(s.Mean), toMS(s.P50), toMS(s.P90), toMS(s.P99), toMS(s.P999), toMS(s.Max)})
}
