package app

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/switchboardhq/switchboard/api/ws"
)

// socketCollector reports open sockets by kind from the hub's own counts.
type socketCollector struct {
	hub  *ws.Hub
	desc *prometheus.Desc
}

func socketGauge(h *ws.Hub) prometheus.Collector {
	return socketCollector{hub: h, desc: prometheus.NewDesc(
		"switchboard_open_sockets", "Open WebSocket connections by kind.", []string{"kind"}, nil)}
}

func (c socketCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c socketCollector) Collect(ch chan<- prometheus.Metric) {
	ops, visitors := c.hub.Counts()
	ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(ops), "operator")
	ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(visitors), "visitor")
}

// revokedCounter counts the sockets closed because their credential was
// revoked.
func revokedCounter(h *ws.Hub) prometheus.Collector {
	return prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "switchboard_sockets_revoked_total",
		Help: "WebSockets closed (4401) because their session, API token or operator was revoked.",
	}, func() float64 { return float64(h.Revoked()) })
}
