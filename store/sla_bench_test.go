package store_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/switchboardhq/switchboard/db/dbtest"
	"github.com/switchboardhq/switchboard/sla"
	"github.com/switchboardhq/switchboard/store"
)

// BenchmarkSLAReport measures the managers' SLA report over the last 30
// days of a workspace with SLA_BENCH_CONVERSATIONS conversations (default
// 1,000,000) spread over those days, each with its clocks (first
// response, resolution, one to two next responses: about 3 million; 8 to
// 15 % breached, 2 % still running) across 10 departments, 50 operators,
// 3 policies, 4 priorities and 2 inboxes, in a database kept between runs
// (sbsla_<n>). The rollups are built from the clocks once, as the
// recording path builds them. Cases: the whole workspace, one department,
// one operator and a priority (two filters: the clocks are read), and the
// breaches page.
//
//	go test ./store -run '^$' -bench SLAReport -benchtime 200x
func BenchmarkSLAReport(b *testing.B) {
	n := 1_000_000
	if v := os.Getenv("SLA_BENCH_CONVERSATIONS"); v != "" {
		n, _ = strconv.Atoi(v)
	}
	ctx := context.Background()
	url, err := dbtest.Kept(ctx, fmt.Sprintf("sbsla_%d", n))
	if err != nil {
		b.Fatal(err)
	}
	p, err := pgxpool.New(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	ws, dept, op := slaFixture(b, p, n)
	s := store.New(p)
	to := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, 1)
	month := store.SLAFilter{From: to.AddDate(0, 0, -30), To: to}
	high := "high" // operator 13's conversations are high priority
	byDept, byOpPriority := month, month
	byDept.DepartmentID = &dept
	byOpPriority.OperatorID, byOpPriority.Priority = &op, &high
	for _, c := range []struct {
		name string
		run  func() (int, error)
	}{
		{"report_30d", func() (int, error) {
			m, _, err := s.SLAReport(ctx, ws, month)
			return int(m[0].Met + m[0].Breached), err
		}},
		{"report_30d_department", func() (int, error) {
			m, _, err := s.SLAReport(ctx, ws, byDept)
			return int(m[0].Met + m[0].Breached), err
		}},
		{"report_30d_operator_priority", func() (int, error) {
			m, _, err := s.SLAReport(ctx, ws, byOpPriority)
			return int(m[0].Met + m[0].Breached), err
		}},
		{"breaches_page", func() (int, error) { l, err := s.SLABreaches(ctx, ws, month, 100); return len(l), err }},
	} {
		b.Run(c.name, func(b *testing.B) {
			durations := make([]time.Duration, 0, b.N)
			rows := 0
			b.ResetTimer()
			for range b.N {
				t := time.Now()
				got, err := c.run()
				durations = append(durations, time.Since(t))
				if err != nil {
					b.Fatal(err)
				}
				rows = got
			}
			b.StopTimer()
			reportPercentiles(b, durations)
			b.ReportMetric(float64(rows), "clocks")
		})
	}
}

// slaFixture finds or makes the generated workspace, and names one of its
// departments and operators.
func slaFixture(b *testing.B, p *pgxpool.Pool, n int) (ws, dept, op uuid.UUID) {
	b.Helper()
	ctx := context.Background()
	name := fmt.Sprintf("sla bench %d", n)
	dim := func(kind string, i int) uuid.UUID {
		return uuid.NewSHA1(uuid.NameSpaceOID, fmt.Appendf(nil, "%s-%d", kind, i))
	}
	dept, op = dim("department", 3), dim("operator", 13) // operator 13 works in department 3
	if err := p.QueryRow(ctx, `SELECT id FROM workspaces WHERE name = $1`, name).Scan(&ws); err == nil {
		return ws, dept, op
	}
	b.Logf("generating %d conversations with their SLA clocks (once; kept in the database)", n)
	start := time.Now()
	w, err := store.New(p).CreateWorkspace(ctx, name)
	if err != nil {
		b.Fatal(err)
	}
	visitor := uuid.New()
	if _, err := p.Exec(ctx, `INSERT INTO visitors (id, workspace_id) VALUES ($1, $2)`, visitor, w.ID); err != nil {
		b.Fatal(err)
	}
	// Conversations spread over the last 30 days, written in bulk: on one
	// connection without triggers (the queue counts' trigger would update
	// one counter row a million times; the report does not read it).
	conn, err := p.Acquire(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SET session_replication_role = replica`); err != nil {
		b.Fatal(err)
	}
	defer conn.Exec(ctx, `SET session_replication_role = DEFAULT`) // before the connection goes back
	_, err = conn.Exec(ctx, `
		INSERT INTO conversations (id, workspace_id, visitor_id, created_at, updated_at, last_activity_at)
		SELECT gen_random_uuid(), $1, $2, g.t, g.t, g.t
		FROM (SELECT now() - random() * interval '30 days' AS t FROM generate_series(1, $3::int)) g`, w.ID, visitor, n)
	if err != nil {
		b.Fatal(err)
	}
	// Their clocks: first response (8 % late), resolution (12 % late), one
	// or two next responses (15 % late); 2 % of the conversations still
	// open.
	depts, ops := make([]uuid.UUID, 10), make([]uuid.UUID, 50)
	for i := range depts {
		depts[i] = dim("department", i)
	}
	for i := range ops {
		ops[i] = dim("operator", i)
	}
	policies := []uuid.UUID{dim("policy", 0), dim("policy", 1), dim("policy", 2)}
	inboxes := []uuid.UUID{dim("inbox", 0), dim("inbox", 1)}
	_, err = conn.Exec(ctx, `
		WITH c AS (
			SELECT id, created_at, row_number() OVER () AS i FROM conversations WHERE workspace_id = $1
		), k AS (
			SELECT c.*, (c.i % 50)::int AS o, (c.i % 3)::int AS pol, (c.i % 2)::int AS inb,
			       (ARRAY['low','normal','normal','high','urgent'])[1 + (c.i % 5)::int] AS prio,
			       (c.i % 50 = 0) AS open
			FROM c
		), m AS (
			SELECT k.*, x.metric, x.cycle, x.target, x.late
			FROM k, LATERAL (SELECT v.metric, v.cycle, v.target, ((k.i * 7919 + v.salt) % 100) < v.pct AS late
			                 FROM (VALUES ('first_response', 1, 300, 8, 13), ('resolution', 1, 86400, 12, 37),
			                              ('next_response', 1, 600, 15, 59), ('next_response', 2, 600, 15, 71))
			                      AS v(metric, cycle, target, pct, salt)) AS x
			WHERE x.cycle = 1 OR k.i % 2 = 0
		)
		INSERT INTO sla_clocks (workspace_id, conversation_id, metric, cycle, policy_id, policy_name, department_id, assignee_id,
		                        inbox_id, priority, business_hours, target_seconds, started_at, deadline, breached_at, met_at,
		                        elapsed_seconds, updated_at)
		SELECT $1, m.id, m.metric, m.cycle, ($4::uuid[])[1 + m.pol], 'Policy ' || m.pol, ($2::uuid[])[1 + m.o % 10], ($3::uuid[])[1 + m.o],
		       ($5::uuid[])[1 + m.inb], m.prio, false, m.target, m.created_at,
		       CASE WHEN m.open THEN m.created_at + make_interval(secs => m.target) END,
		       CASE WHEN m.late THEN m.created_at + make_interval(secs => m.target) END,
		       CASE WHEN NOT m.open THEN m.created_at + make_interval(secs => e.elapsed) END,
		       CASE WHEN m.open THEN 0 ELSE e.elapsed END, now()
		FROM m, LATERAL (SELECT (CASE WHEN m.late THEN m.target * (1 + random() * 2) ELSE m.target * random() END)::bigint AS elapsed) e`,
		w.ID, depts, ops, policies, inboxes)
	if err != nil {
		b.Fatal(err)
	}
	slaRollupsFromClocks(b, p, w.ID)
	for _, table := range []string{"sla_clocks", "sla_rollups", "conversations"} {
		if _, err := p.Exec(ctx, "VACUUM ANALYZE "+table); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("generated in %s", time.Since(start).Round(time.Second))
	return w.ID, dept, op
}

// slaRollupsFromClocks builds the workspace's rollups from its closed
// clocks, grain by grain, as store.RecordSLA adds each clock that closes.
func slaRollupsFromClocks(b *testing.B, p *pgxpool.Pool, ws uuid.UUID) {
	b.Helper()
	ctx := context.Background()
	type key struct {
		dim, value, metric string
		day                time.Time
	}
	type acc struct {
		met, breached, sum int64
		hist               []int64
	}
	by := map[key]*acc{}
	rows, err := p.Query(ctx, `
		SELECT (started_at AT TIME ZONE 'UTC')::date, metric, breached_at IS NOT NULL, elapsed_seconds,
		       policy_id::text, department_id::text, assignee_id::text, inbox_id::text, priority
		FROM sla_clocks WHERE workspace_id = $1 AND met_at IS NOT NULL AND NOT cancelled`, ws)
	if err != nil {
		b.Fatal(err)
	}
	for rows.Next() {
		var day time.Time
		var metric, policy, dept, op, inbox, prio string
		var breached bool
		var el int64
		if err := rows.Scan(&day, &metric, &breached, &el, &policy, &dept, &op, &inbox, &prio); err != nil {
			b.Fatal(err)
		}
		for _, g := range [][2]string{{"all", ""}, {"priority", prio}, {"policy", policy}, {"department", dept}, {"operator", op}, {"inbox", inbox}} {
			k := key{g[0], g[1], metric, day}
			a := by[k]
			if a == nil {
				a = &acc{hist: make([]int64, sla.Buckets)}
				by[k] = a
			}
			if breached {
				a.breached++
			} else {
				a.met++
			}
			a.sum += el
			a.hist[sla.Bucket(time.Duration(el)*time.Second)]++
		}
	}
	if rows.Err() != nil {
		b.Fatal(rows.Err())
	}
	src := make([][]any, 0, len(by))
	for k, a := range by {
		src = append(src, []any{ws, k.dim, k.value, k.day, k.metric, a.met, a.breached, a.sum, a.hist})
	}
	_, err = p.CopyFrom(ctx, pgx.Identifier{"sla_rollups"},
		[]string{"workspace_id", "dimension", "value", "day", "metric", "met", "breached", "seconds_sum", "histogram"}, pgx.CopyFromRows(src))
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("%d rollup rows", len(src))
}
