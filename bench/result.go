package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/gorilla/websocket"
)

// Result is what a run measured. Every count and latency covers the
// measured window (the load phase after the warmup) unless it says
// otherwise; Warmup holds the counts of the warmup part.
type Result struct {
	RunID      string    `json:"run_id"`
	URL        string    `json:"url"`
	StartedAt  time.Time `json:"started_at"`
	Workspaces int       `json:"workspaces"`
	Operators  int       `json:"operators"`
	Visitors   int       `json:"visitors"`
	Rate       float64   `json:"rate"`
	DurationS  float64   `json:"duration_s"`
	WarmupS    float64   `json:"warmup_s"`
	BodySize   int       `json:"body_size"`
	TimeoutS   float64   `json:"timeout_s"`
	Senders    int       `json:"senders"`
	FileLimit  uint64    `json:"rlimit_nofile"`
	Setup      struct {
		FixturesS  float64 `json:"fixtures_s"`
		OperatorsS float64 `json:"operators_s"`
		VisitorsS  float64 `json:"visitors_s"`
		SettleS    float64 `json:"settle_s"`
		TotalS     float64 `json:"total_s"`
	} `json:"setup"`
	Interrupted bool `json:"interrupted,omitempty"`

	WindowS   float64 `json:"window_s"`
	Scheduled int     `json:"scheduled"`
	Sent      int     `json:"sent"`  // HTTP requests made
	Acked     int     `json:"acked"` // 201 Created
	// SendErrors counts failed sends by kind ("timeout", "HTTP 500 ...").
	SendErrors map[string]int `json:"send_errors"`
	// NotSent: the message's turn came more than Timeout after its
	// intended time (every sender busy), so it was not sent and counts as
	// lost.
	NotSent int `json:"not_sent"`

	HTTP         Summary `json:"http_send"`          // request -> 201
	SendLag      Summary `json:"send_lag"`           // intended -> request (the generator's own delay)
	Delivery     Summary `json:"delivery"`           // intended -> operator socket: the headline
	DeliveryRecv Summary `json:"delivery_from_send"` // request -> operator socket
	Echo         Summary `json:"widget_echo"`        // intended -> the sender's widget socket

	DeliveriesExpected int `json:"deliveries_expected"`
	DeliveriesReceived int `json:"deliveries_received"` // within Timeout
	DeliveriesLate     int `json:"deliveries_late"`     // received, but after Timeout
	Duplicates         int `json:"duplicates"`          // a message seen twice on one socket (whole run)
	// Lost: acked messages not received by every operator socket of their
	// workspace within Timeout.
	Lost int `json:"lost"`
	// Failed: messages scheduled but not acked (send errors + not sent).
	Failed         int     `json:"failed"`
	EchoExpected   int     `json:"echo_expected"`
	EchoReceived   int     `json:"echo_received"` // within Timeout
	AckedPerS      float64 `json:"acked_per_s"`
	DeliveriesPerS float64 `json:"deliveries_per_s"`

	// Sockets the server closed (or that broke) during the run, by close
	// code or error.
	SocketDrops map[string]int `json:"socket_drops"`
	// CPU used during the load phase, in cores: the server process (from
	// process_cpu_seconds_total on its /metrics, when exposed) and bench.
	ServerCPUCores *float64 `json:"server_cpu_cores,omitempty"`
	BenchCPUCores  float64  `json:"bench_cpu_cores"`
	// The server's resident memory and goroutines at the end of the load.
	ServerRSSMiB     *float64 `json:"server_rss_mib,omitempty"`
	ServerGoroutines *float64 `json:"server_goroutines,omitempty"`
	// The mix's operator side: replies sent, commands (snooze, resolve)
	// sent, and failures of either by kind.
	Replies   int            `json:"replies"`
	Commands  int            `json:"commands"`
	MixErrors map[string]int `json:"mix_errors,omitempty"`
	// Timers holds the figures of a timers run (Options.Timers > 0); the
	// message figures are then empty.
	Timers *TimerFigures `json:"timers,omitempty"`
	// SLA holds the figures of an SLA burst (Options.SLA > 0).
	SLA *SLAFigures `json:"sla,omitempty"`
	// Durable is what the durable path did during the load, per message
	// (customer messages and replies), from the server's /metrics.
	Durable *DurableCosts `json:"durable,omitempty"`
	// OutboxBacklogEnd is the server's switchboard_outbox_backlog after
	// the run (messages not yet handed to their workflow), when exposed.
	OutboxBacklogEnd *float64 `json:"outbox_backlog_end,omitempty"`

	Warmup struct {
		Scheduled int `json:"scheduled"`
		Acked     int `json:"acked"`
		Failed    int `json:"failed"`
		Lost      int `json:"lost"`
	} `json:"warmup"`
}

// collect turns the raw records into figures. It runs after every sender
// and reader has finished.
func (r *runner) collect(res *Result) {
	o := r.o
	window := o.Duration - o.Warmup
	res.WindowS = window.Seconds()
	res.SendErrors = map[string]int{}
	res.SocketDrops = map[string]int{}
	measured := func(i int) bool { return offset(i, o.Rate) >= o.Warmup }

	var httpLat, lag []time.Duration
	for i := range r.msgs {
		m := &r.msgs[i]
		if !measured(i) {
			res.Warmup.Scheduled++
			if m.state == msgAcked {
				res.Warmup.Acked++
			} else {
				res.Warmup.Failed++
			}
			continue
		}
		res.Scheduled++
		switch m.state {
		case msgAcked:
			res.Sent++
			res.Acked++
			httpLat = append(httpLat, m.sendEnd-m.sendStart)
			lag = append(lag, m.sendStart-m.intended)
			ws := r.visitors[i%len(r.visitors)].ws
			res.DeliveriesExpected += r.opsPerWS[ws]
			res.EchoExpected++
		case msgFailed:
			res.Sent++
			res.Failed++
			res.SendErrors[m.errKind]++
			lag = append(lag, m.sendStart-m.intended)
		case msgSkipped:
			res.Failed++
			res.NotSent++
		default:
			res.Failed++
		}
	}

	// Per message: how many operator sockets had it in time.
	inTime := make([]int32, len(r.msgs))
	var delivery, fromSend, echo []time.Duration
	for _, s := range r.operators {
		res.Duplicates += s.dups
		if s.dropErr != nil {
			res.SocketDrops["operator: "+dropKind(s.dropErr)]++
		}
		for _, rc := range s.recs {
			m := &r.msgs[rc.msg]
			if m.state != msgAcked {
				continue // its send failed on our side, yet the server took it
			}
			lat := rc.at - m.intended
			if lat > o.Timeout {
				if measured(int(rc.msg)) {
					res.DeliveriesLate++
				}
				continue
			}
			inTime[rc.msg]++
			if measured(int(rc.msg)) {
				delivery = append(delivery, lat)
				fromSend = append(fromSend, rc.at-m.sendStart)
			}
		}
	}
	for _, v := range r.visitors {
		s := v.sock
		if s == nil {
			continue
		}
		res.Duplicates += s.dups
		if s.dropErr != nil {
			res.SocketDrops["widget: "+dropKind(s.dropErr)]++
		}
		for _, rc := range s.recs {
			m := &r.msgs[rc.msg]
			if m.state != msgAcked || !measured(int(rc.msg)) {
				continue
			}
			if lat := rc.at - m.intended; lat <= o.Timeout {
				echo = append(echo, lat)
			}
		}
	}
	for i := range r.msgs {
		if r.msgs[i].state != msgAcked {
			continue
		}
		if int(inTime[i]) < r.opsPerWS[r.visitors[i%len(r.visitors)].ws] {
			if measured(i) {
				res.Lost++
			} else {
				res.Warmup.Lost++
			}
		}
	}
	res.DeliveriesReceived = len(delivery)
	res.EchoReceived = len(echo)
	res.HTTP = summarize(httpLat)
	res.SendLag = summarize(lag)
	res.Delivery = summarize(delivery)
	res.DeliveryRecv = summarize(fromSend)
	res.Echo = summarize(echo)
	if window > 0 {
		res.AckedPerS = float64(res.Acked) / window.Seconds()
		res.DeliveriesPerS = float64(res.DeliveriesReceived) / window.Seconds()
	}
}

func dropKind(err error) string {
	if ce, ok := err.(*websocket.CloseError); ok {
		return fmt.Sprintf("close %d %s", ce.Code, ce.Text)
	}
	return truncate(err.Error(), 80)
}

// JSON writes the result as one indented JSON object.
func (res *Result) JSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(res)
}

// Print writes the result for people.
func (res *Result) Print(w io.Writer) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	per := func(n, of int) string {
		if of == 0 {
			return "-"
		}
		return fmt.Sprintf("%.3f%%", 100*float64(n)/float64(of))
	}
	p("switchboard bench  run %s  %s  %s", res.RunID, res.URL, res.StartedAt.Format(time.RFC3339))
	p("  %d workspaces; %d operator sockets, %d widget sockets (spread evenly)", res.Workspaces, res.Operators, res.Visitors)
	p("  %g msg/s open loop for %gs (first %gs warmup, not counted); body %d B; timeout %gs; %d HTTP senders; RLIMIT_NOFILE %d",
		res.Rate, res.DurationS, res.WarmupS, res.BodySize, res.TimeoutS, res.Senders, res.FileLimit)
	p("  setup %.1fs (fixtures %.1fs, operator logins+sockets %.1fs, visitors+conversations+sockets %.1fs, outbox settle %.1fs)",
		res.Setup.TotalS, res.Setup.FixturesS, res.Setup.OperatorsS, res.Setup.VisitorsS, res.Setup.SettleS)
	if res.SLA != nil {
		printSLA(w, res.SLA)
		return
	}
	if res.Timers != nil {
		printTimers(w, res.Timers)
		return
	}
	if res.Interrupted {
		p("  INTERRUPTED: the figures cover part of the run")
	}
	p("")
	p("messages in the measured %gs window", res.WindowS)
	p("  scheduled %d  sent %d  acked %d  failed %d (not sent: %d)", res.Scheduled, res.Sent, res.Acked, res.Failed, res.NotSent)
	for _, k := range slices.Sorted(maps.Keys(res.SendErrors)) {
		p("    send error %-40s %d", k, res.SendErrors[k])
	}
	p("  throughput  %.1f msg/s acked, %.1f deliveries/s to operator sockets", res.AckedPerS, res.DeliveriesPerS)
	p("")
	p("%-44s %8s %7s %7s %7s %7s %7s %7s", "latency, ms", "count", "p50", "p90", "p99", "p99.9", "max", "mean")
	row := func(name string, s Summary) {
		p("%-44s %8d %7s %7s %7s %7s %7s %7s", name, s.Count, ms(s.P50), ms(s.P90), ms(s.P99), ms(s.P999), ms(s.Max), ms(s.Mean))
	}
	row("delivery: intended send -> operator socket", res.Delivery)
	row("delivery: actual send -> operator socket", res.DeliveryRecv)
	row("widget echo: intended send -> own widget", res.Echo)
	row("HTTP send: request -> 201", res.HTTP)
	row("send lag: intended -> request start", res.SendLag)
	p("")
	p("delivery")
	p("  operator deliveries  expected %d  received in time %d (%s)  late %d  duplicates %d",
		res.DeliveriesExpected, res.DeliveriesReceived, per(res.DeliveriesReceived, res.DeliveriesExpected), res.DeliveriesLate, res.Duplicates)
	p("  LOST %d of %d acked messages (not on every operator socket of the workspace within %gs)", res.Lost, res.Acked, res.TimeoutS)
	p("  widget echo  %d of %d (%s)", res.EchoReceived, res.EchoExpected, per(res.EchoReceived, res.EchoExpected))
	if len(res.SocketDrops) == 0 {
		p("  sockets dropped during the run: none")
	} else {
		var parts []string
		for _, k := range slices.Sorted(maps.Keys(res.SocketDrops)) {
			parts = append(parts, fmt.Sprintf("%s ×%d", k, res.SocketDrops[k]))
		}
		p("  sockets dropped during the run: %s", strings.Join(parts, "; "))
	}
	if res.OutboxBacklogEnd != nil {
		p("  server outbox backlog after the run: %g rows", *res.OutboxBacklogEnd)
	}
	if res.Warmup.Scheduled > 0 {
		p("  warmup (not counted above): scheduled %d, acked %d, failed %d, lost %d",
			res.Warmup.Scheduled, res.Warmup.Acked, res.Warmup.Failed, res.Warmup.Lost)
	}
	p("")
	server := "not exposed"
	if res.ServerCPUCores != nil {
		server = fmt.Sprintf("%.2f cores", *res.ServerCPUCores)
	}
	p("CPU during the load: server %s, bench %.2f cores (they share this machine's cores)", server, res.BenchCPUCores)
	if res.Replies > 0 || res.Commands > 0 {
		p("mix: %d operator replies, %d snoozes/resolves besides the %d customer messages", res.Replies, res.Commands, res.Acked)
		for _, k := range slices.Sorted(maps.Keys(res.MixErrors)) {
			p("  mix failures: %s ×%d", k, res.MixErrors[k])
		}
	}
	if d := res.Durable; d != nil {
		p("durable path per message (%.0f messages): %.3f signals, %.3f updates, %.3f workflow tasks, %.3f activities",
			d.Messages, d.SignalsPerMsg, d.UpdatesPerMsg, d.WorkflowTasksPerMsg, d.ActivitiesPerMsg)
		p("  lag (mean): commit -> signal accepted %.1f ms, commit -> workflow %.1f ms", d.OutboxDeliveryMeanMS, d.ToWorkflowMeanMS)
	}
	if res.ServerRSSMiB != nil && res.ServerGoroutines != nil {
		p("  server at the end of the load: %.0f MiB resident, %.0f goroutines", *res.ServerRSSMiB, *res.ServerGoroutines)
	}
}

// DurableCosts are the durable path's Temporal actions per message during
// the load, and its mean lag.
type DurableCosts struct {
	Messages             float64 `json:"messages"`
	SignalsPerMsg        float64 `json:"signals_per_message"`
	UpdatesPerMsg        float64 `json:"updates_per_message"`
	WorkflowTasksPerMsg  float64 `json:"workflow_tasks_per_message"`
	ActivitiesPerMsg     float64 `json:"activities_per_message"`
	OutboxDeliveryMeanMS float64 `json:"outbox_delivery_mean_ms"`
	ToWorkflowMeanMS     float64 `json:"message_to_workflow_mean_ms"`
}

// durableCosts turns two scrapes into per-message figures; nil when the
// server does not expose them.
func durableCosts(before, after map[string]float64, messages float64) *DurableCosts {
	delta := func(name string) (float64, bool) {
		a, ok1 := after[name]
		b, ok2 := before[name]
		if !ok1 {
			return 0, false
		}
		if !ok2 {
			b = 0
		}
		return a - b, true
	}
	signals, ok := delta("switchboard_outbox_signals_total")
	if !ok || messages == 0 {
		return nil
	}
	c := &DurableCosts{Messages: messages, SignalsPerMsg: signals / messages}
	if v, ok := delta("switchboard_workflow_updates_total"); ok {
		c.UpdatesPerMsg = v / messages
	}
	if v, ok := delta("switchboard_sdk_temporal_workflow_task_execution_seconds_count"); ok {
		c.WorkflowTasksPerMsg = v / messages
	}
	if v, ok := delta("switchboard_sdk_temporal_activity_execution_seconds_count"); ok {
		c.ActivitiesPerMsg = v / messages
	}
	mean := func(sum, count string) float64 {
		s, ok1 := delta(sum)
		n, ok2 := delta(count)
		if !ok1 || !ok2 || n == 0 {
			return 0
		}
		return s / n * 1000
	}
	c.OutboxDeliveryMeanMS = mean("switchboard_outbox_delivery_seconds_sum", "switchboard_outbox_delivery_seconds_count")
	c.ToWorkflowMeanMS = mean("switchboard_message_to_workflow_seconds_sum", "switchboard_message_to_workflow_seconds_count")
	return c
}
