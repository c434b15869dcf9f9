package bench

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/switchboardhq/switchboard/app"
	"github.com/switchboardhq/switchboard/calendar"
	"github.com/switchboardhq/switchboard/sla"
	"github.com/switchboardhq/switchboard/store"
)

// The SLA burst (Options.SLA > 0): the workspace's business hours open
// at one instant (the next whole minute SLADelay or more after setup
// starts); every conversation is created before it, under a policy whose
// first response is SLATarget of business time, so every clock starts
// counting at the opening and breaches at the same deadline: SLA
// deadlines in one second. The ladder's step at the breach raises the
// priority and notifies the supervisors. Seen on the first operator's
// socket (a supervisor) and, after the run, in the event log and the
// clocks' rows.

// SLAFigures are the result of an SLA burst.
type SLAFigures struct {
	Conversations int       `json:"conversations"`
	Deadline      time.Time `json:"deadline"`
	// On the socket: breaches seen, missed, seen twice; lateness =
	// receive − deadline.
	Seen     int     `json:"seen"`
	Missed   int     `json:"missed"`
	Twice    int     `json:"twice"`
	Lateness Summary `json:"lateness"`
	// Logged is the event log's and the clocks' account (read after the
	// run; it holds across a kill -9).
	Logged *LoggedBreaches `json:"logged,omitempty"`
}

// LoggedBreaches: per conversation, its first-response clock and its
// sla.breached and sla.escalated events.
type LoggedBreaches struct {
	Breached int `json:"breached"`
	Missed   int `json:"missed"`
	Twice    int `json:"twice"`
	// AtDeadline counts breached_at equal to the deadline itself.
	AtDeadline int `json:"at_deadline"`
	// Lateness: the breach event's record time − deadline.
	Lateness Summary `json:"lateness"`
	// Escalated: ladder steps recorded (once each), and their record time
	// − deadline; Raised: conversations whose priority the step raised.
	Escalated       int     `json:"escalated"`
	EscalationTwice int     `json:"escalation_twice"`
	EscalationLate  Summary `json:"escalation_lateness"`
	Raised          int     `json:"raised"`
}

// slaFixtures gives every bench workspace its opening and policy, and
// makes each workspace's first operator a supervisor (they see every
// conversation and get the ladder's items).
func (r *runner) slaFixtures(ctx context.Context, st *store.Store, pool *pgxpool.Pool) error {
	open := time.Now().UTC().Add(r.o.SLADelay).Truncate(time.Minute).Add(time.Minute)
	if open.Day() != time.Now().UTC().Day() || open.Hour() == 23 && open.Minute() > 50 {
		return fmt.Errorf("the SLA burst opens business hours at %s UTC, too near midnight: run it at another time", open.Format("15:04"))
	}
	r.slaOpen = open
	hours := &calendar.Calendar{TimeZone: "UTC", Hours: []calendar.Span{{
		Days: []string{strings.ToLower(open.Weekday().String()[:3])}, From: open.Format("15:04"), To: "24:00",
	}}}
	policy := sla.Policy{
		Name: "Bench", Enabled: true,
		Targets: []sla.Target{{Metric: sla.FirstResponse, Seconds: int64(r.o.SLATarget / time.Second), BusinessHours: true}},
		Ladder: []sla.Step{{Metric: sla.FirstResponse, At: sla.AtBreach, Actions: []sla.Action{
			{Kind: sla.ActionRaisePriority, Priority: "high"}, {Kind: sla.ActionNotifySupervisors},
		}}},
	}
	for _, ws := range r.wsIDs {
		if _, err := st.SetWorkspaceHours(ctx, ws, hours); err != nil {
			return err
		}
		if _, err := st.SetSLAPolicies(ctx, ws, []sla.Policy{policy}); err != nil {
			return err
		}
	}
	for i := range r.wsIDs {
		if _, err := pool.Exec(ctx, `UPDATE operators SET role = 'supervisor' WHERE email = $1`, r.operatorEmail(i)); err != nil {
			return err
		}
	}
	r.logf("SLA burst: business hours open at %s UTC; first response %s of business time: every deadline at %s",
		open.Format("15:04:05"), r.o.SLATarget, open.Add(r.o.SLATarget).Format("15:04:05"))
	return nil
}

// slaBurst watches the breaches after setup, then reads the event log.
func (r *runner) slaBurst(ctx context.Context, res *Result) {
	deadline := r.slaOpen.Add(r.o.SLATarget)
	fig := &SLAFigures{Conversations: len(r.visitors), Deadline: deadline}
	res.SLA = fig
	obs := newFirstSeen("sla.breached", "")
	r.onFrame.Store(obs)
	if time.Now().After(r.slaOpen) {
		r.logf("warning: setup ended after the opening (%s): raise -sla-delay", r.slaOpen.Format("15:04:05"))
	}
	r.logf("%d conversations waiting; the deadline is in %.0fs", len(r.visitors), time.Until(deadline).Seconds())
	end := deadline.Add(r.o.Timeout)
	for time.Now().Before(end) && ctx.Err() == nil && obs.n.Load() < int64(len(r.visitors)) {
		time.Sleep(50 * time.Millisecond)
	}
	obs.mu.Lock()
	var lateness []time.Duration
	ids := make([]uuid.UUID, len(r.visitors))
	for i, v := range r.visitors {
		ids[i] = uuid.MustParse(v.convURL[strings.LastIndex(v.convURL, "/")+1:])
		at, ok := obs.first[ids[i]]
		if !ok {
			fig.Missed++
			continue
		}
		fig.Seen++
		lateness = append(lateness, r.base.Add(at).Sub(deadline))
	}
	fig.Twice = obs.twice
	obs.mu.Unlock()
	fig.Lateness = summarize(lateness)
	// Let the steps land before reading the log.
	time.Sleep(min(r.o.Timeout, 15*time.Second))
	logged, err := r.loggedBreaches(ctx, ids, deadline)
	if err != nil {
		r.logf("warning: reading the breaches from the event log: %v", err)
	}
	fig.Logged = logged
}

func (r *runner) loggedBreaches(ctx context.Context, ids []uuid.UUID, deadline time.Time) (*LoggedBreaches, error) {
	pool, err := app.Connect(ctx, r.o.DatabaseURL)
	if err != nil {
		return nil, err
	}
	defer pool.Close()
	out := &LoggedBreaches{}
	type facts struct {
		breachedAt            *time.Time
		breaches, escalations int
		firstBreach, firstEsc *time.Time
		priority              string
	}
	by := map[uuid.UUID]*facts{}
	for _, id := range ids {
		by[id] = &facts{}
	}
	for chunk := range slices.Chunk(ids, 5000) {
		rows, err := pool.Query(ctx, `
			SELECT c.id, c.priority, k.breached_at,
			       (SELECT count(*) FROM conversation_events e WHERE e.conversation_id = c.id AND e.type = 'sla.breached'),
			       (SELECT min(created_at) FROM conversation_events e WHERE e.conversation_id = c.id AND e.type = 'sla.breached'),
			       (SELECT count(*) FROM conversation_events e WHERE e.conversation_id = c.id AND e.type = 'sla.escalated'),
			       (SELECT min(created_at) FROM conversation_events e WHERE e.conversation_id = c.id AND e.type = 'sla.escalated')
			FROM conversations c
			LEFT JOIN sla_clocks k ON k.conversation_id = c.id AND k.metric = 'first_response' AND k.cycle = 1
			WHERE c.id = ANY($1)`, chunk)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id uuid.UUID
			f := &facts{}
			if err := rows.Scan(&id, &f.priority, &f.breachedAt, &f.breaches, &f.firstBreach, &f.escalations, &f.firstEsc); err != nil {
				rows.Close()
				return nil, err
			}
			by[id] = f
		}
		rows.Close()
		if rows.Err() != nil {
			return nil, rows.Err()
		}
	}
	var late, escLate []time.Duration
	for _, id := range ids {
		f := by[id]
		if f.breaches == 0 {
			out.Missed++
			continue
		}
		out.Breached++
		if f.breaches > 1 {
			out.Twice++
		}
		if f.breachedAt != nil && f.breachedAt.Equal(deadline) {
			out.AtDeadline++
		}
		late = append(late, f.firstBreach.Sub(deadline))
		if f.escalations > 0 {
			out.Escalated++
			escLate = append(escLate, f.firstEsc.Sub(deadline))
		}
		if f.escalations > 1 {
			out.EscalationTwice++
		}
		if f.priority == "high" {
			out.Raised++
		}
	}
	out.Lateness, out.EscalationLate = summarize(late), summarize(escLate)
	return out, nil
}

func printSLA(w io.Writer, f *SLAFigures) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	p("sla burst: %d conversations, every first-response deadline at %s", f.Conversations, f.Deadline.UTC().Format("15:04:05.000"))
	p("  socket: breaches seen %d, MISSED %d, twice %d; lateness (receive - deadline), ms: p50 %.0f  p90 %.0f  p99 %.0f  max %.0f",
		f.Seen, f.Missed, f.Twice, ms(f.Lateness.P50), ms(f.Lateness.P90), ms(f.Lateness.P99), ms(f.Lateness.Max))
	if l := f.Logged; l != nil {
		p("  event log: breached %d, MISSED %d, twice %d; breached_at = deadline %d; lateness (event - deadline), ms: p50 %.0f  p99 %.0f  max %.0f",
			l.Breached, l.Missed, l.Twice, l.AtDeadline, ms(l.Lateness.P50), ms(l.Lateness.P99), ms(l.Lateness.Max))
		p("  ladder: escalated %d (twice %d), priority raised %d; step - deadline, ms: p50 %.0f  p99 %.0f  max %.0f",
			l.Escalated, l.EscalationTwice, l.Raised, ms(l.EscalationLate.P50), ms(l.EscalationLate.P99), ms(l.EscalationLate.Max))
	}
}
