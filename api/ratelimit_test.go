package api

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestKeyedLimiterBucketsPerKey(t *testing.T) {
	t.Parallel()
	k := newKeyedLimiter(Limit{PerMinute: 6, Burst: 2})
	now := time.Unix(1_000_000, 0)
	for range 2 {
		_, ok := k.take("a", now)
		require.True(t, ok)
	}
	wait, ok := k.take("a", now)
	require.False(t, ok)
	require.Equal(t, 10*time.Second, wait, "one token every 10 s")
	_, ok = k.take("b", now)
	require.True(t, ok, "another key has its own bucket")

	// Refused requests cost nothing: the token is there after 10 s.
	k.take("a", now.Add(5*time.Second))
	_, ok = k.take("a", now.Add(10*time.Second))
	require.True(t, ok)
}

func TestKeyedLimiterOffLimitsNothing(t *testing.T) {
	t.Parallel()
	k := newKeyedLimiter(Limit{})
	for range 1000 {
		_, ok := k.take("a", time.Now())
		require.True(t, ok)
	}
	require.Empty(t, k.buckets)
}

func TestKeyedLimiterForgetsOnlyRefilledBuckets(t *testing.T) {
	t.Parallel()
	k := newKeyedLimiter(Limit{PerMinute: 1, Burst: 3})
	now := time.Unix(1_000_000, 0)
	for i := range 100 {
		k.take("idle"+strconv.Itoa(i), now)
	}
	for range 3 {
		k.take("busy", now.Add(30*time.Second))
	}
	// By the next sweep (a minute after the first) the idle keys have
	// refilled (one token spent, back at 1/min) and are dropped; busy is
	// empty and kept, with its count.
	_, ok := k.take("busy", now.Add(70*time.Second))
	require.False(t, ok, "the busy key's count survives the sweep")
	require.Len(t, k.buckets, 1)
}

func TestKeyedLimiterStaysBounded(t *testing.T) {
	t.Parallel()
	k := newKeyedLimiter(Limit{PerMinute: 1, Burst: 1})
	now := time.Unix(1_000_000, 0)
	for i := range maxKeys + 10 {
		k.take(strconv.Itoa(i), now)
	}
	require.LessOrEqual(t, len(k.buckets), maxKeys)
}
