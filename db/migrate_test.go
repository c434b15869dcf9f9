package db_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/switchboardhq/switchboard/db"
	"github.com/switchboardhq/switchboard/db/dbtest"
)

// schema describes everything a migration can create in the public schema,
// one line per object, sorted: two equal schemas give equal slices.
func schema(t *testing.T, pool *pgxpool.Pool) []string {
	t.Helper()
	rows, err := pool.Query(context.Background(), `
SELECT 'column ' || table_name || '.' || column_name || ' ' || data_type || ' null=' || is_nullable || ' default=' || coalesce(column_default, '')
  FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> 'goose_db_version'
UNION ALL
SELECT 'index ' || indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename <> 'goose_db_version'
UNION ALL
SELECT 'constraint ' || conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid)
  FROM pg_constraint WHERE connamespace = 'public'::regnamespace AND conrelid <> 'goose_db_version'::regclass
UNION ALL
SELECT 'function ' || proname || ' ' || md5(prosrc) FROM pg_proc WHERE pronamespace = 'public'::regnamespace
UNION ALL
SELECT 'trigger ' || tgrelid::regclass || ' ' || tgname FROM pg_trigger t
  JOIN pg_class c ON c.oid = t.tgrelid WHERE c.relnamespace = 'public'::regnamespace AND NOT t.tgisinternal
UNION ALL
SELECT 'type ' || typname FROM pg_type WHERE typnamespace = 'public'::regnamespace AND typtype IN ('e', 'd')
UNION ALL
SELECT 'sequence ' || sequence_name FROM information_schema.sequences WHERE sequence_schema = 'public' AND sequence_name NOT LIKE 'goose%'
ORDER BY 1`)
	require.NoError(t, err)
	var out []string
	for rows.Next() {
		var line string
		require.NoError(t, rows.Scan(&line))
		out = append(out, line)
	}
	require.NoError(t, rows.Err())
	return out
}

// TestMigrationsRollBackCleanly steps the schema down one migration at a
// time and up again: each Down must undo exactly its Up (the schema after
// down-then-up equals the schema before), and down to zero leaves nothing.
// A Down that forgets an index, a column or a constraint fails here, before
// an operator needs it to undo a release.
func TestMigrationsRollBackCleanly(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url, drop, err := dbtest.NewEmpty(ctx)
	require.NoError(t, err)
	t.Cleanup(drop)
	pool, err := pgxpool.New(ctx, url)
	require.NoError(t, err)
	t.Cleanup(pool.Close)

	versions, err := db.Versions()
	require.NoError(t, err)
	require.NotEmpty(t, versions)

	applied, err := db.Migrate(ctx, pool)
	require.NoError(t, err)
	require.Len(t, applied, len(versions))

	// At each version, newest first: the schema there, then one step down.
	at := map[int64][]string{}
	for i := len(versions) - 1; i >= 0; i-- {
		at[versions[i]] = schema(t, pool)
		var below int64
		if i > 0 {
			below = versions[i-1]
		}
		undone, err := db.MigrateDownTo(ctx, pool, below)
		require.NoError(t, err, "rolling back %d", versions[i])
		require.Len(t, undone, 1)
	}
	require.Empty(t, schema(t, pool), "down to 0 must leave an empty schema")

	// Up one at a time: each version's schema is the one seen going down.
	for _, v := range versions {
		_, err := db.MigrateUpTo(ctx, pool, v)
		require.NoError(t, err)
		requireSameSchema(t, at[v], schema(t, pool), "schema at version %d after down and up", v)
	}

	// And the whole way twice more: a Down that leaves debris breaks the
	// next Up.
	_, err = db.MigrateDownTo(ctx, pool, 0)
	require.NoError(t, err)
	_, err = db.Migrate(ctx, pool)
	require.NoError(t, err)
	requireSameSchema(t, at[versions[len(versions)-1]], schema(t, pool), "schema after down to 0 and up")
}

// requireSameSchema fails with the objects only one side has, not two
// walls of text.
func requireSameSchema(t *testing.T, want, got []string, msg string, args ...any) {
	t.Helper()
	count := map[string]int{}
	for _, l := range want {
		count[l]++
	}
	for _, l := range got {
		count[l]--
	}
	var diff []string
	for l, n := range count {
		switch {
		case n > 0:
			diff = append(diff, "missing: "+l)
		case n < 0:
			diff = append(diff, "extra:   "+l)
		}
	}
	sort.Strings(diff)
	if len(diff) > 0 {
		t.Fatalf("%s:\n%s", fmt.Sprintf(msg, args...), strings.Join(diff, "\n"))
	}
}
