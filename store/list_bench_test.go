package store_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/switchboardhq/switchboard/access"
	"github.com/switchboardhq/switchboard/conversation"
	"github.com/switchboardhq/switchboard/db/dbtest"
	"github.com/switchboardhq/switchboard/store"
)

// BenchmarkInboxList measures the inbox's list queries, keyset pages of 25,
// on one workspace with LIST_BENCH_ROWS conversations (default 1,000,000):
// 80 % resolved, 5 % snoozed, 15 % open (a third of those unclaimed), in
// 10 departments, assigned among 50 operators, activity spread over a
// year. The data is generated with SQL into a database kept between runs
// (sblist_<rows>), so only the first run pays for it.
//
//	go test ./store -run '^$' -bench InboxList -benchtime 200x
func BenchmarkInboxList(b *testing.B) {
	rows := 1_000_000
	if v := os.Getenv("LIST_BENCH_ROWS"); v != "" {
		rows, _ = strconv.Atoi(v)
	}
	ctx := context.Background()
	url, err := dbtest.Kept(ctx, fmt.Sprintf("sblist_%d", rows))
	if err != nil {
		b.Fatal(err)
	}
	p, err := pgxpool.New(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	f := listFixture(b, p, rows)
	s := store.New(p)

	me := f.operators[0]
	admin := access.Viewer{WorkspaceID: f.ws, OperatorID: me, Role: access.RoleAdmin}
	operator := access.Viewer{WorkspaceID: f.ws, OperatorID: me, Role: access.RoleOperator, Departments: f.departments[:2]}
	supervisor := access.Viewer{WorkspaceID: f.ws, OperatorID: me, Role: access.RoleSupervisor, Departments: f.departments[:2]}
	yes := true
	views := []struct {
		name   string
		viewer access.Viewer
		filter store.ConversationFilter
		deep   bool // the 41st page, through 40 cursors
	}{
		{"my_active", operator, store.ConversationFilter{Status: conversation.StatusOpen, AssigneeID: &me}, false},
		{"unclaimed_my_departments", operator, store.ConversationFilter{Status: conversation.StatusOpen, Unassigned: &yes}, false},
		{"department_open_supervisor", supervisor, store.ConversationFilter{Status: conversation.StatusOpen, DepartmentID: &f.departments[1]}, false},
		{"all_open_admin", admin, store.ConversationFilter{Status: conversation.StatusOpen}, false},
		{"resolved_admin", admin, store.ConversationFilter{Status: conversation.StatusResolved}, false},
		{"everything_admin", admin, store.ConversationFilter{}, false},
		{"everything_admin_page_41", admin, store.ConversationFilter{}, true},
		{"snoozed_operator", operator, store.ConversationFilter{Status: conversation.StatusSnoozed}, false},
		{"everything_operator", operator, store.ConversationFilter{}, false},
	}
	for _, v := range []struct {
		name   string
		viewer access.Viewer
	}{{"counts_operator", operator}, {"counts_admin", admin}} {
		b.Run(v.name, func(b *testing.B) {
			durations := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for range b.N {
				t := time.Now()
				if _, err := s.QueueCounts(ctx, v.viewer); err != nil {
					b.Fatal(err)
				}
				durations = append(durations, time.Since(t))
			}
			b.StopTimer()
			reportPercentiles(b, durations)
		})
	}
	for _, v := range views {
		b.Run(v.name, func(b *testing.B) {
			var cursor *store.Cursor
			if v.deep {
				for range 40 {
					_, next, err := s.ListConversations(ctx, v.viewer, v.filter, cursor, 25)
					if err != nil || next == nil {
						b.Fatal(err, next)
					}
					cursor = next
				}
			}
			durations := make([]time.Duration, 0, b.N)
			n := 0
			b.ResetTimer()
			for range b.N {
				t := time.Now()
				page, _, err := s.ListConversations(ctx, v.viewer, v.filter, cursor, 25)
				durations = append(durations, time.Since(t))
				if err != nil {
					b.Fatal(err)
				}
				n = len(page)
			}
			b.StopTimer()
			reportPercentiles(b, durations)
			b.ReportMetric(float64(n), "rows")
		})
	}
}

type listData struct {
	ws          uuid.UUID
	departments []uuid.UUID
	operators   []uuid.UUID
}

// listFixture finds or makes the generated workspace of rows
// conversations.
func listFixture(b *testing.B, p *pgxpool.Pool, rows int) listData {
	b.Helper()
	ctx := context.Background()
	name := fmt.Sprintf("list bench %d", rows)
	var f listData
	err := p.QueryRow(ctx, `SELECT id FROM workspaces WHERE name = $1`, name).Scan(&f.ws)
	if err == nil {
		f.departments = ids(b, p, `SELECT id FROM departments WHERE workspace_id = $1 ORDER BY name`, f.ws)
		f.operators = ids(b, p, `SELECT id FROM operators WHERE workspace_id = $1 ORDER BY email`, f.ws)
		return f
	}
	b.Logf("generating %d conversations (once; kept in the database)", rows)
	start := time.Now()
	s := store.New(p)
	w, err := s.CreateWorkspace(ctx, name)
	if err != nil {
		b.Fatal(err)
	}
	f.ws = w.ID
	for i := range 10 {
		d, err := s.CreateDepartment(ctx, f.ws, fmt.Sprintf("Department %02d", i))
		if err != nil {
			b.Fatal(err)
		}
		f.departments = append(f.departments, d)
	}
	for i := range 50 {
		op, err := s.CreateOperator(ctx, store.NewOperator{
			WorkspaceID: f.ws, Email: fmt.Sprintf("op%02d@list.invalid", i), Name: "Operator", PasswordHash: "x", Role: access.RoleOperator,
		})
		if err != nil {
			b.Fatal(err)
		}
		f.operators = append(f.operators, op.ID)
	}
	_, err = p.Exec(ctx, `
		SELECT setseed(0.42);
	`)
	if err != nil {
		b.Fatal(err)
	}
	_, err = p.Exec(ctx, `
		INSERT INTO visitors (id, workspace_id) SELECT gen_random_uuid(), $1 FROM generate_series(1, 1000)`, f.ws)
	if err != nil {
		b.Fatal(err)
	}
	_, err = p.Exec(ctx, `
		WITH v AS (SELECT array_agg(id) AS ids FROM visitors WHERE workspace_id = $1),
		     g AS (SELECT i, random() AS r, random() AS a, random() AS t FROM generate_series(1, $2::int) AS i)
		INSERT INTO conversations (id, workspace_id, visitor_id, status, phase, assignee_id, department_id,
		                           last_activity_at, created_at, last_seq, message_count)
		SELECT gen_random_uuid(), $1, v.ids[1 + g.i % 1000],
		       CASE WHEN g.r < 0.80 THEN 'resolved' WHEN g.r < 0.85 THEN 'snoozed' ELSE 'open' END,
		       CASE WHEN g.r >= 0.85 AND g.a < 0.33 THEN 'queued' ELSE 'assigned' END,
		       CASE WHEN g.r >= 0.85 AND g.a < 0.33 THEN NULL ELSE ($3::uuid[])[1 + (g.i * 7) % 50] END,
		       ($4::uuid[])[1 + g.i % 10],
		       now() - g.t * interval '365 days', now() - g.t * interval '365 days' - interval '1 hour', 4, 4
		FROM g, v`, f.ws, rows, f.operators, f.departments)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := p.Exec(ctx, `VACUUM ANALYZE conversations`); err != nil {
		b.Fatal(err)
	}
	b.Logf("generated in %s", time.Since(start).Round(time.Second))
	return f
}

func ids(b *testing.B, p *pgxpool.Pool, q string, args ...any) []uuid.UUID {
	b.Helper()
	rows, err := p.Query(context.Background(), q, args...)
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	var out []uuid.UUID
	for rows.Next() {
		var id uuid.UUID
		if err := rows.Scan(&id); err != nil {
			b.Fatal(err)
		}
		out = append(out, id)
	}
	return out
}

// reportPercentiles reports the p50 and p99 of durations in ms.
func reportPercentiles(b *testing.B, durations []time.Duration) {
	slices.Sort(durations)
	b.ReportMetric(float64(durations[len(durations)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(durations[len(durations)*99/100].Microseconds())/1000, "p99-ms")
}
