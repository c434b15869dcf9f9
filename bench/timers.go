package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/switchboardhq/switchboard/app"
	"github.com/switchboardhq/switchboard/store"
)

// TimerFigures are the result of a timers run (Options.Timers > 0): every
// conversation snoozed to a deadline, each wake seen on an operator socket.
type TimerFigures struct {
	Conversations int     `json:"conversations"`
	SpreadS       float64 `json:"spread_s"`
	// SnoozeS is how long snoozing them all took (updates through the API);
	// SnoozeFailed counts snoozes that did not answer 200.
	SnoozeS      float64 `json:"snooze_s"`
	SnoozeFailed int     `json:"snooze_failed"`
	// Woken counts conversations whose wake reached the socket within the
	// timeout; Missed those that did not; Twice those woken more than once.
	Woken  int `json:"woken"`
	Missed int `json:"missed"`
	Twice  int `json:"twice"`
	// Lateness: socket receive − deadline.
	Lateness Summary `json:"lateness"`
	// DrainS is first deadline → last wake; WakesPerS the wakes over it.
	DrainS    float64 `json:"drain_s"`
	WakesPerS float64 `json:"wakes_per_s"`
	// Per wake, from the server's /metrics over the wake phase.
	ServerCPUCores       *float64 `json:"server_cpu_cores,omitempty"`
	WorkflowTasksPerWake float64  `json:"workflow_tasks_per_wake"`
	ActivitiesPerWake    float64  `json:"activities_per_wake"`
	// Logged is the event log's account of the same wakes (PostgreSQL,
	// read after the run): it holds across a restart that drops the
	// sockets (a kill -9 in the middle). Lateness there is the wake
	// event's time − deadline: when the workflow handled the timer.
	Logged *LoggedWakes `json:"logged,omitempty"`
}

// LoggedWakes are the wakes the conversations' event logs hold.
type LoggedWakes struct {
	Woken    int     `json:"woken"`
	Missed   int     `json:"missed"`
	Twice    int     `json:"twice"`
	Lateness Summary `json:"lateness"`
}

// firstSeen records, per conversation, when the first operator's socket
// first received a conversation.updated whose event matches (type and,
// when set, reason), and counts those seen again.
type firstSeen struct {
	eventType, reason string
	needle            []byte // a cheap test before decoding
	mu                sync.Mutex
	first             map[uuid.UUID]time.Duration
	twice             int
	n                 atomic.Int64
}

func newFirstSeen(eventType, reason string) *firstSeen {
	needle := `"` + eventType + `"`
	if reason != "" {
		needle = `"` + reason + `"`
	}
	return &firstSeen{eventType: eventType, reason: reason, needle: []byte(needle), first: map[uuid.UUID]time.Duration{}}
}

func (w *firstSeen) frame(data []byte, at time.Duration) {
	if !bytes.Contains(data, w.needle) {
		return
	}
	var f struct {
		Type           string    `json:"type"`
		ConversationID uuid.UUID `json:"conversation_id"`
		Data           struct {
			Event *struct {
				Type   string `json:"type"`
				Reason string `json:"reason"`
			} `json:"event"`
		} `json:"data"`
	}
	if json.Unmarshal(data, &f) != nil || f.Type != "conversation.updated" || f.Data.Event == nil ||
		f.Data.Event.Type != w.eventType || (w.reason != "" && f.Data.Event.Reason != w.reason) {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, ok := w.first[f.ConversationID]; ok {
		w.twice++
		return
	}
	w.first[f.ConversationID] = at
	w.n.Add(1)
}

// timers runs the timers scenario after setup: snooze every visitor's
// conversation to a deadline (all at one instant, or spread), then watch
// the wakes arrive on the first operator's socket.
func (r *runner) timers(ctx context.Context, res *Result) {
	o := r.o
	fig := &TimerFigures{Conversations: len(r.visitors), SpreadS: o.TimerSpread.Seconds()}
	res.Timers = fig
	obs := newFirstSeen("woken", "snooze_expired")
	r.onFrame.Store(obs)

	// Deadlines: the first TimerDelay after now, the rest spread evenly.
	first := time.Since(r.base) + o.TimerDelay
	deadline := func(i int) time.Duration {
		if len(r.visitors) < 2 {
			return first
		}
		return first + time.Duration(int64(o.TimerSpread)*int64(i)/int64(len(r.visitors)-1))
	}
	ids := make([]uuid.UUID, len(r.visitors))
	op := r.sessions[0]
	var failed atomic.Int64
	start := time.Now()
	_ = parallel(ctx, len(r.visitors), o.SetupConcurrency, func(ctx context.Context, i int) error {
		v := r.visitors[i]
		ids[i] = uuid.MustParse(v.convURL[strings.LastIndex(v.convURL, "/")+1:])
		until := r.base.Add(deadline(i)).UTC()
		if !r.operatorPost(ctx, op, v.convURL+"/snooze", map[string]any{"until": until}, http.StatusOK) {
			failed.Add(1)
		}
		return nil
	})
	fig.SnoozeS = time.Since(start).Seconds()
	fig.SnoozeFailed = int(failed.Load())
	if time.Since(r.base) > first {
		r.logf("warning: snoozing took %.1fs, past the first deadline: raise -timer-delay", fig.SnoozeS)
	}
	r.logf("%d conversations snoozed in %.1fs (%d failed); first deadline in %.1fs, spread %s",
		len(ids), fig.SnoozeS, fig.SnoozeFailed, (first - time.Since(r.base)).Seconds(), o.TimerSpread)

	// The wake phase: from the first deadline until every wake arrived or
	// the last deadline is Timeout behind.
	for time.Since(r.base) < first && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
	}
	before, _ := r.scrape(ctx)
	phase := time.Now()
	end := r.base.Add(deadline(len(ids)-1) + o.Timeout)
	want := int64(len(ids) - fig.SnoozeFailed)
	for time.Now().Before(end) && ctx.Err() == nil && obs.n.Load() < want {
		time.Sleep(20 * time.Millisecond)
	}
	after, _ := r.scrape(context.Background())
	elapsed := time.Since(phase).Seconds()
	if a, ok := after["process_cpu_seconds_total"]; ok {
		if b, ok := before["process_cpu_seconds_total"]; ok {
			v := (a - b) / elapsed
			fig.ServerCPUCores = &v
		}
	}

	obs.mu.Lock()
	defer obs.mu.Unlock()
	var lateness []time.Duration
	last := first
	for i, id := range ids {
		at, ok := obs.first[id]
		if !ok {
			fig.Missed++
			continue
		}
		fig.Woken++
		lateness = append(lateness, at-deadline(i))
		last = max(last, at)
	}
	fig.Twice = obs.twice
	slices.Sort(lateness)
	fig.Lateness = summarize(lateness)
	fig.DrainS = (last - first).Seconds()
	if fig.DrainS > 0 {
		fig.WakesPerS = float64(fig.Woken) / fig.DrainS
	}
	if c := durableCosts(before, after, float64(max(fig.Woken, 1))); c != nil {
		fig.WorkflowTasksPerWake = c.WorkflowTasksPerMsg
		fig.ActivitiesPerWake = c.ActivitiesPerMsg
	}
	logged, err := r.loggedWakes(ctx, ids, func(i int) time.Time { return r.base.Add(deadline(i)) })
	if err != nil {
		r.logf("warning: reading the wakes from the event log: %v", err)
	}
	fig.Logged = logged
}

// loggedWakes reads the wakes of the conversations ids (visitor i's is
// ids[i], due at deadline(i)) from their event logs.
func (r *runner) loggedWakes(ctx context.Context, ids []uuid.UUID, deadline func(int) time.Time) (*LoggedWakes, error) {
	pool, err := app.Connect(ctx, r.o.DatabaseURL)
	if err != nil {
		return nil, err
	}
	defer pool.Close()
	st := store.New(pool)
	byWorkspace := map[uuid.UUID][]uuid.UUID{}
	for i, id := range ids {
		ws := r.wsIDs[r.visitors[i].ws]
		byWorkspace[ws] = append(byWorkspace[ws], id)
	}
	wakes := map[uuid.UUID]store.Wakes{}
	for ws, list := range byWorkspace {
		for chunk := range slices.Chunk(list, 5000) {
			got, err := st.SnoozeWakes(ctx, ws, chunk)
			if err != nil {
				return nil, err
			}
			maps.Copy(wakes, got)
		}
	}
	out := &LoggedWakes{}
	var lateness []time.Duration
	for i, id := range ids {
		w, ok := wakes[id]
		if !ok {
			out.Missed++
			continue
		}
		out.Woken++
		if w.N > 1 {
			out.Twice++
		}
		lateness = append(lateness, w.FirstAt.Sub(deadline(i)))
	}
	slices.Sort(lateness)
	out.Lateness = summarize(lateness)
	return out, nil
}

func printTimers(w io.Writer, f *TimerFigures) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	p("timers: %d conversations snoozed in %.1fs (%d failed), deadlines spread over %gs", f.Conversations, f.SnoozeS, f.SnoozeFailed, f.SpreadS)
	p("  woken %d, MISSED %d, woken twice %d", f.Woken, f.Missed, f.Twice)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	p("  lateness (socket receive - deadline), ms: p50 %.0f  p90 %.0f  p99 %.0f  max %.0f",
		ms(f.Lateness.P50), ms(f.Lateness.P90), ms(f.Lateness.P99), ms(f.Lateness.Max))
	p("  first deadline -> last wake %.1fs: %.0f wakes/s", f.DrainS, f.WakesPerS)
	cpu := "not exposed"
	if f.ServerCPUCores != nil {
		cpu = fmt.Sprintf("%.2f cores", *f.ServerCPUCores)
	}
	p("  server CPU during the wakes %s; per wake %.2f workflow tasks, %.2f activities", cpu, f.WorkflowTasksPerWake, f.ActivitiesPerWake)
	if l := f.Logged; l != nil {
		p("  event log: woken %d, MISSED %d, woken twice %d; lateness (wake event - deadline), ms: p50 %.0f  p90 %.0f  p99 %.0f  max %.0f",
			l.Woken, l.Missed, l.Twice, ms(l.Lateness.P50), ms(l.Lateness.P90), ms(l.Lateness.P99), ms(l.Lateness.Max))
	}
}
