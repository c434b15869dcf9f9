// Package metrics defines the Prometheus metrics of a Switchboard process.
// One Metrics is built in main and passed to the parts that record.
package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics are the collectors Switchboard records to.
type Metrics struct {
	Registry       *prometheus.Registry
	HTTPDuration   *prometheus.HistogramVec
	MessagesSent   *prometheus.CounterVec
	OutboxBacklog  prometheus.Gauge
	OutboxAge      prometheus.Gauge
	OutboxLatency  prometheus.Histogram
	SignalFailures prometheus.Counter
	// Signals counts the signals the relay sent (a batch is one), Updates
	// the lifecycle commands the API sent: the Temporal actions of the two
	// paths, for the cost per message.
	Signals prometheus.Counter
	Updates prometheus.Counter
	// OutboxDeadLetters counts rows the relay gave up on; OutboxDead is how
	// many are dead now.
	OutboxDeadLetters prometheus.Counter
	OutboxDead        prometheus.Gauge
	SDK               *SDKHandler
}

// New builds the collectors on a fresh registry, with the Go runtime and
// process collectors.
func New() *Metrics {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m := &Metrics{
		Registry: reg,
		HTTPDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "switchboard_http_request_duration_seconds",
			Help:    "HTTP request latency by route.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"method", "route", "status"}),
		MessagesSent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_messages_sent_total",
			Help: "Messages stored, by sender type.",
		}, []string{"sender_type"}),
		OutboxBacklog: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "switchboard_outbox_backlog",
			Help: "Outbox rows not yet delivered to their workflow.",
		}),
		OutboxAge: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "switchboard_outbox_oldest_age_seconds",
			Help: "Age of the oldest undelivered outbox row.",
		}),
		OutboxLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "switchboard_outbox_delivery_seconds",
			Help:    "Time from commit to the workflow accepting the signal.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 16),
		}),
		Signals: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "switchboard_outbox_signals_total",
			Help: "Signals the outbox relay sent to workflows (one per batch of a conversation's rows).",
		}),
		Updates: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "switchboard_workflow_updates_total",
			Help: "Lifecycle commands (Temporal updates) the API sent to conversation workflows.",
		}),
		SignalFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "switchboard_signal_failures_total",
			Help: "Failed attempts to deliver an outbox row to its workflow.",
		}),
		OutboxDeadLetters: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "switchboard_outbox_dead_letters_total",
			Help: "Outbox rows dead-lettered: out of attempts, or undecodable.",
		}),
		OutboxDead: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "switchboard_outbox_dead",
			Help: "Dead outbox rows waiting for an admin's retry.",
		}),
	}
	reg.MustRegister(m.HTTPDuration, m.MessagesSent, m.OutboxBacklog, m.OutboxAge, m.OutboxLatency, m.SignalFailures, m.Signals, m.Updates,
		m.OutboxDeadLetters, m.OutboxDead)
	m.SDK = newSDKHandler(reg)
	return m
}
