package store_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/switchboardhq/switchboard/db/dbtest"
	"github.com/switchboardhq/switchboard/store"
)

// BenchmarkContactSearch measures the contact list's queries, pages of
// 25, on one workspace with CONTACT_BENCH_ROWS contacts (default
// 1,000,000; names, emails, phones and external ids generated with SQL,
// 10 % on a plan attribute, 5 % tagged) in a database kept between runs
// (sbcontacts_<rows>): a substring of a name, of an email, a phone's
// digits, an external id, the newest page, an attribute, a tag.
//
//	go test ./store -run '^$' -bench ContactSearch -benchtime 200x
func BenchmarkContactSearch(b *testing.B) {
	rows := 1_000_000
	if v := os.Getenv("CONTACT_BENCH_ROWS"); v != "" {
		rows, _ = strconv.Atoi(v)
	}
	ctx := context.Background()
	url, err := dbtest.Kept(ctx, fmt.Sprintf("sbcontacts_%d", rows))
	if err != nil {
		b.Fatal(err)
	}
	p, err := pgxpool.New(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	ws, tag := contactFixture(b, p, rows)
	s := store.New(p)
	for _, c := range []struct {
		name string
		f    store.ContactFilter
	}{
		{"newest", store.ContactFilter{}},
		{"name_piece", store.ContactFilter{Query: "lovel"}},
		{"email_piece", store.ContactFilter{Query: "grace4241@"}},
		{"phone_digits", store.ContactFilter{Query: "0867530"}},
		{"external_id", store.ContactFilter{Query: "cust-777777"}},
		{"common_piece", store.ContactFilter{Query: "ada"}},
		{"attribute", store.ContactFilter{Attributes: map[string]any{"plan": "enterprise"}}},
		{"tag", store.ContactFilter{TagID: &tag}},
	} {
		b.Run(c.name, func(b *testing.B) {
			durations := make([]time.Duration, 0, b.N)
			n := 0
			b.ResetTimer()
			for range b.N {
				t := time.Now()
				page, _, err := s.Contacts(ctx, ws, c.f, nil, 25)
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

// contactFixture finds or makes the generated workspace of rows contacts
// and its tag.
func contactFixture(b *testing.B, p *pgxpool.Pool, rows int) (ws, tag uuid.UUID) {
	b.Helper()
	ctx := context.Background()
	name := fmt.Sprintf("contact bench %d", rows)
	if err := p.QueryRow(ctx, `SELECT id FROM workspaces WHERE name = $1`, name).Scan(&ws); err == nil {
		if err := p.QueryRow(ctx, `SELECT id FROM tags WHERE workspace_id = $1`, ws).Scan(&tag); err != nil {
			b.Fatal(err)
		}
		return ws, tag
	}
	b.Logf("generating %d contacts (once; kept in the database)", rows)
	start := time.Now()
	s := store.New(p)
	w, err := s.CreateWorkspace(ctx, name)
	if err != nil {
		b.Fatal(err)
	}
	t, err := s.CreateTag(ctx, w.ID, "VIP", "#2563eb")
	if err != nil {
		b.Fatal(err)
	}
	_, err = p.Exec(ctx, `
		WITH first(n) AS (SELECT ARRAY['Ada','Grace','Alan','Edsger','Barbara','Donald','Margaret','Ken','Frances','John']),
		     last(n) AS (SELECT ARRAY['Lovelace','Hopper','Turing','Dijkstra','Liskov','Knuth','Hamilton','Thompson','Allen','Backus']),
		     g AS (SELECT i FROM generate_series(1, $2::int) AS i)
		INSERT INTO contacts (id, workspace_id, external_id, name, email, phone, attributes, tag_ids, created_at, updated_at)
		SELECT gen_random_uuid(), $1, 'cust-' || g.i,
		       first.n[1 + g.i % 10] || ' ' || last.n[1 + (g.i / 10) % 10] || ' ' || g.i,
		       lower(first.n[1 + g.i % 10]) || g.i || '@example.com',
		       '+1 555' || lpad((g.i % 10000000)::text, 7, '0'),
		       CASE WHEN g.i % 10 = 0 THEN '{"plan":"enterprise"}'::jsonb ELSE '{"plan":"team"}'::jsonb END,
		       CASE WHEN g.i % 20 = 0 THEN ARRAY[$3::uuid] ELSE '{}'::uuid[] END,
		       now() - (g.i || ' seconds')::interval, now()
		FROM g, first, last`, w.ID, rows, t.ID)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := p.Exec(ctx, `VACUUM ANALYZE contacts`); err != nil {
		b.Fatal(err)
	}
	b.Logf("generated in %s", time.Since(start).Round(time.Second))
	return w.ID, t.ID
}
