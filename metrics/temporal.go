package metrics

import (
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/sdk/client"
)

// SDKHandler receives the Temporal SDK's metrics (client.MetricsHandler).
// It keeps the latency timers that matter for operating Switchboard
// (workflow task latency above all) and the SDK's failure counters, as
// untagged Prometheus series; everything else is dropped to keep
// cardinality flat.
type SDKHandler struct {
	reg      prometheus.Registerer
	mu       sync.Mutex
	timers   map[string]prometheus.Histogram
	counters map[string]prometheus.Counter
}

var _ client.MetricsHandler = (*SDKHandler)(nil)

// Timers kept from the SDK.
var keptTimers = map[string]bool{
	"temporal_workflow_task_execution_latency":         true,
	"temporal_workflow_task_schedule_to_start_latency": true,
	"temporal_workflow_task_replay_latency":            true,
	"temporal_activity_execution_latency":              true,
	"temporal_activity_schedule_to_start_latency":      true,
	"temporal_request_latency":                         true,
}

func newSDKHandler(reg prometheus.Registerer) *SDKHandler {
	return &SDKHandler{reg: reg, timers: map[string]prometheus.Histogram{}, counters: map[string]prometheus.Counter{}}
}

// WithTags drops tags: series stay untagged.
func (h *SDKHandler) WithTags(map[string]string) client.MetricsHandler { return h }

// Counter keeps the SDK's failure counters.
func (h *SDKHandler) Counter(name string) client.MetricsCounter {
	if !strings.Contains(name, "fail") && !strings.Contains(name, "error") {
		return counterFunc(func(int64) {})
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	c, ok := h.counters[name]
	if !ok {
		c = prometheus.NewCounter(prometheus.CounterOpts{Name: "switchboard_sdk_" + name + "_total", Help: "Temporal SDK counter " + name + "."})
		if err := h.reg.Register(c); err != nil {
			return counterFunc(func(int64) {})
		}
		h.counters[name] = c
	}
	return counterFunc(func(d int64) { c.Add(float64(d)) })
}

// Gauge drops the SDK's gauges.
func (h *SDKHandler) Gauge(string) client.MetricsGauge {
	return gaugeFunc(func(float64) {})
}

// Timer keeps the latencies listed in keptTimers as histograms.
func (h *SDKHandler) Timer(name string) client.MetricsTimer {
	// Switchboard's own workflow timers are kept under their names.
	own := strings.HasPrefix(name, "switchboard_")
	if !keptTimers[name] && !own {
		return timerFunc(func(time.Duration) {})
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	t, ok := h.timers[name]
	if !ok {
		t = prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    timerMetricName(name),
			Help:    "Temporal SDK timer " + name + ".",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
		})
		if err := h.reg.Register(t); err != nil {
			return timerFunc(func(time.Duration) {})
		}
		h.timers[name] = t
	}
	return timerFunc(func(d time.Duration) { t.Observe(d.Seconds()) })
}

type counterFunc func(int64)

func (f counterFunc) Inc(d int64) { f(d) }

type gaugeFunc func(float64)

func (f gaugeFunc) Update(v float64) { f(v) }

type timerFunc func(time.Duration)

func (f timerFunc) Record(d time.Duration) { f(d) }

// timerMetricName is the histogram of an SDK timer: Switchboard's own
// (workflow.GetMetricsHandler) keep their name, the SDK's get a prefix.
func timerMetricName(name string) string {
	if strings.HasPrefix(name, "switchboard_") {
		return name + "_seconds"
	}
	return "switchboard_sdk_" + strings.TrimSuffix(name, "_latency") + "_seconds"
}
