package app_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboardhq/switchboard/app"
)

// An operator who sizes the pool in DATABASE_URL gets that size, smaller or
// larger than the default; without one the default applies.
func TestPoolConfigRespectsDatabaseURL(t *testing.T) {
	t.Parallel()
	for url, want := range map[string]int32{
		"postgres://u@db:5432/sb?sslmode=disable":                   app.DefaultMaxConns,
		"postgres://u@db:5432/sb?sslmode=disable&pool_max_conns=4":  4,
		"postgres://u@db:5432/sb?sslmode=disable&pool_max_conns=64": 64,
		"host=db user=u dbname=sb pool_max_conns=6":                 6,
	} {
		cfg, err := app.PoolConfig(url)
		require.NoError(t, err, url)
		require.Equal(t, want, cfg.MaxConns, url)
	}
	_, err := app.PoolConfig("postgres://u@db:5432/sb?pool_max_conns=many")
	require.Error(t, err)
}
