package store_test

import (
	"context"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/switchboardhq/switchboard/db/dbtest"
	"github.com/switchboardhq/switchboard/store"
)

// BenchmarkDispatchDecide measures dispatch's decision in PostgreSQL alone:
// a department of 10 online operators (room for 20 each) and 200 waiting
// conversations; one Dispatch pairs them all (locks, roster, queue, 200
// offers with their outbox rows, in one transaction). ns/op is per
// decision.
//
//	go test ./store -run '^$' -bench DispatchDecide -benchtime 20x
func BenchmarkDispatchDecide(b *testing.B) {
	const waiting, operators = 200, 10
	ctx := context.Background()
	url, drop, err := dbtest.New(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer drop()
	p, err := pgxpool.New(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	s := store.New(p)
	ws, err := s.CreateWorkspace(ctx, "dispatch bench")
	if err != nil {
		b.Fatal(err)
	}
	dept := uuid.New()
	visitor := uuid.New()
	exec := func(sql string, args ...any) {
		b.Helper()
		if _, err := p.Exec(ctx, sql, args...); err != nil {
			b.Fatal(err)
		}
	}
	exec(`INSERT INTO departments (id, workspace_id, name, dispatch_mode, max_concurrent) VALUES ($1, $2, 'Support', 'least_loaded', 20)`, dept, ws.ID)
	exec(`INSERT INTO visitors (id, workspace_id) VALUES ($1, $2)`, visitor, ws.ID)
	for range operators {
		op := uuid.New()
		exec(`INSERT INTO operators (id, workspace_id, email, name, password_hash, role, status)
		      VALUES ($1, $2, $3, 'Op', 'x', 'operator', 'online')`, op, ws.ID, op.String()+"@bench.invalid")
		exec(`INSERT INTO department_members (workspace_id, department_id, operator_id) VALUES ($1, $2, $3)`, ws.ID, dept, op)
	}
	decided := 0
	for b.Loop() {
		b.StopTimer()
		exec(`DELETE FROM outbox WHERE workspace_id = $1`, ws.ID)
		exec(`DELETE FROM conversations WHERE workspace_id = $1`, ws.ID)
		exec(`INSERT INTO conversations (id, workspace_id, visitor_id, department_id, phase, queued_at)
		      SELECT gen_random_uuid(), $1, $2, $3, 'queued', now() - make_interval(secs => g) FROM generate_series(1, $4::int) g`,
			ws.ID, visitor, dept, waiting)
		b.StartTimer()
		n, err := s.Dispatch(ctx, ws.ID, dept)
		if err != nil {
			b.Fatal(err)
		}
		if n != waiting {
			b.Fatalf("dispatched %d, want %d", n, waiting)
		}
		decided += n
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(decided), "ns/decision")
	b.ReportMetric(float64(decided)/b.Elapsed().Seconds(), "decisions/s")
}
