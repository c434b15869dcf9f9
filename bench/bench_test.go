package bench

import (
	"context"
	"encoding/json"
	"net"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func durs(ms ...int) []time.Duration {
	out := make([]time.Duration, len(ms))
	for i, v := range ms {
		out[i] = time.Duration(v) * time.Millisecond
	}
	return out
}

func TestPercentileNearestRank(t *testing.T) {
	// 1..1000 ms: the p-th percentile is exactly p*10 ms.
	s := make([]time.Duration, 1000)
	for i := range s {
		s[i] = time.Duration(i+1) * time.Millisecond
	}
	for _, c := range []struct {
		p    float64
		want time.Duration
	}{
		{50, 500 * time.Millisecond},
		{90, 900 * time.Millisecond},
		{99, 990 * time.Millisecond},
		{99.9, 999 * time.Millisecond},
		{100, 1000 * time.Millisecond},
		{0.01, 1 * time.Millisecond},
	} {
		assert.Equal(t, c.want, percentile(s, c.p), "p%g", c.p)
	}

	// Small sets: nearest rank never interpolates and never goes past the
	// ends.
	assert.Equal(t, 7*time.Millisecond, percentile(durs(7), 50))
	assert.Equal(t, 7*time.Millisecond, percentile(durs(7), 99.9))
	two := durs(1, 2)
	assert.Equal(t, time.Millisecond, percentile(two, 50))
	assert.Equal(t, 2*time.Millisecond, percentile(two, 51))
	assert.Equal(t, time.Duration(0), percentile(nil, 99))

	// 100 samples: p99 is the 99th, p99.9 the 100th (the max).
	h := make([]time.Duration, 100)
	for i := range h {
		h[i] = time.Duration(i+1) * time.Millisecond
	}
	assert.Equal(t, 99*time.Millisecond, percentile(h, 99))
	assert.Equal(t, 100*time.Millisecond, percentile(h, 99.9))
}

func TestSummarize(t *testing.T) {
	assert.Equal(t, Summary{}, summarize(nil))

	// Unsorted input with one outlier: the tail shows it, the median not.
	s := durs(5, 3, 1, 4, 2, 1000, 6, 7, 8, 9)
	got := summarize(s)
	assert.Equal(t, 10, got.Count)
	assert.Equal(t, 1*time.Millisecond, got.Min)
	assert.Equal(t, 5*time.Millisecond, got.P50)
	assert.Equal(t, 9*time.Millisecond, got.P90)
	assert.Equal(t, 1000*time.Millisecond, got.P99)
	assert.Equal(t, 1000*time.Millisecond, got.P999)
	assert.Equal(t, 1000*time.Millisecond, got.Max)
	assert.Equal(t, 104500*time.Microsecond, got.Mean)

	b, err := json.Marshal(summarize(durs(1, 2, 3)))
	require.NoError(t, err)
	assert.JSONEq(t, `{"count":3,"min_ms":1,"mean_ms":2,"p50_ms":2,"p90_ms":3,"p99_ms":3,"p99_9_ms":3,"max_ms":3}`, string(b))
}

func TestMessagesCount(t *testing.T) {
	for _, c := range []struct {
		rate float64
		dur  time.Duration
		want int
	}{
		{200, 30 * time.Second, 6000},
		{100, time.Second, 100},
		{3, time.Second, 3},
		{0.5, 3 * time.Second, 2}, // at 0 s and 2 s
		{1500, 30 * time.Second, 45000},
	} {
		o := Options{Rate: c.rate, Duration: c.dur}
		n := o.messages()
		assert.Equal(t, c.want, n, "rate %g over %s", c.rate, c.dur)
		assert.Less(t, offset(n-1, c.rate), c.dur)
		assert.GreaterOrEqual(t, offset(n, c.rate), c.dur)
	}
}

func TestOffsetDoesNotDrift(t *testing.T) {
	// 1/3 s periods: summing rounded periods would drift; offset does not.
	assert.Equal(t, 1000*time.Second, offset(3000, 3))
	assert.Equal(t, time.Duration(333333333), offset(1, 3))
	assert.Equal(t, 30*time.Second, offset(45000, 1500))
}

type emitted struct {
	i        int
	intended time.Duration
	at       time.Duration // when emit was called, since start
}

func runSchedule(t *testing.T, rate float64, n int, slow func(i int)) ([]emitted, time.Duration) {
	t.Helper()
	var mu sync.Mutex
	var got []emitted
	start := time.Now()
	k := schedule(context.Background(), start, rate, n, func(i int, intended time.Duration) {
		at := time.Since(start)
		mu.Lock()
		got = append(got, emitted{i, intended, at})
		mu.Unlock()
		if slow != nil {
			slow(i)
		}
	})
	require.Equal(t, n, k)
	return got, time.Since(start)
}

func TestSchedulePacing(t *testing.T) {
	// 1,000 msg/s for 200 ms: 200 messages, in order, each at its intended
	// time i ms, never early, and (on an unloaded machine) not much late.
	got, took := runSchedule(t, 1000, 200, nil)
	require.Len(t, got, 200)
	lateness := make([]time.Duration, 0, len(got))
	for k, e := range got {
		assert.Equal(t, k, e.i)
		assert.Equal(t, time.Duration(k)*time.Millisecond, e.intended)
		assert.GreaterOrEqual(t, e.at, e.intended, "message %d emitted early", k)
		lateness = append(lateness, e.at-e.intended)
	}
	// Open loop: a late message does not push the ones after it. Under
	// -race beside other test binaries on 2 cores the scheduler may stall
	// for tens of ms, so only the median is held to a tight bound.
	slices.Sort(lateness)
	assert.Less(t, lateness[len(lateness)/2], 20*time.Millisecond, "half the messages go out within 20 ms of their time")
	assert.GreaterOrEqual(t, took, 199*time.Millisecond)
	assert.Less(t, took, 600*time.Millisecond)
}

func TestScheduleIsOpenLoop(t *testing.T) {
	// The consumer stalls 100 ms on message 10. A closed-loop generator
	// would push everything after it 100 ms later; this one keeps the
	// intended times, emits the ~100 messages that fell due at once, and
	// still finishes on schedule.
	got, took := runSchedule(t, 1000, 300, func(i int) {
		if i == 10 {
			time.Sleep(100 * time.Millisecond)
		}
	})
	require.Len(t, got, 300)
	for k, e := range got {
		assert.Equal(t, time.Duration(k)*time.Millisecond, e.intended, "message %d's intended time moved", k)
	}
	// The ones due during the stall came out in a burst right after it.
	stallEnd := got[11].at
	assert.GreaterOrEqual(t, stallEnd, 110*time.Millisecond)
	burst := 0
	for _, e := range got[11:] {
		if e.at-stallEnd < 5*time.Millisecond {
			burst++
		}
	}
	assert.GreaterOrEqual(t, burst, 80, "messages that fell due during the stall are sent at once")
	assert.Less(t, took, 500*time.Millisecond, "the run does not stretch by the stall")
}

func TestScheduleStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	n := 0
	k := schedule(ctx, time.Now(), 100, 1000, func(int, time.Duration) { n++ })
	assert.Equal(t, n, k)
	assert.Greater(t, k, 2)
	assert.Less(t, k, 20)
}

func TestMessageIndex(t *testing.T) {
	r := &runner{marker: []byte("sbbench-abcd1234-"), msgs: make([]msg, 100), o: Options{BodySize: 100}}
	body := r.body(42)
	assert.Len(t, body, 100)
	frame := func(typ, body string) []byte {
		data, _ := json.Marshal(map[string]any{"id": "m", "seq": 3, "body": body})
		// The server's field order: type first.
		return []byte(`{"type":"` + typ + `","conversation_id":"c","seq":3,"data":` + string(data) + `}`)
	}
	i, ok := r.messageIndex(frame("message.created", body))
	assert.True(t, ok)
	assert.Equal(t, 42, i)

	// Other field order still works (decoded to check the type).
	i, ok = r.messageIndex([]byte(`{"seq":1,"type":"message.created","data":{"body":"` + r.body(7) + `"}}`))
	assert.True(t, ok)
	assert.Equal(t, 7, i)

	for name, f := range map[string][]byte{
		"other type":    frame("conversation.updated", body),
		"other run":     frame("message.created", "sbbench-ffffffff-42;xxx"),
		"out of range":  frame("message.created", "sbbench-abcd1234-100;x"),
		"no terminator": frame("message.created", "sbbench-abcd1234-4"),
		"no digits":     frame("message.created", "sbbench-abcd1234-;"),
		"not json":      []byte("pong"),
	} {
		_, ok := r.messageIndex(f)
		assert.False(t, ok, name)
	}

	// A body size below the marker's length still carries the marker.
	r.o.BodySize = 5
	assert.Equal(t, "sbbench-abcd1234-"+strconv.Itoa(9)+";", r.body(9))
}

func TestMetricValue(t *testing.T) {
	text := []byte("# HELP switchboard_outbox_backlog Rows.\n# TYPE switchboard_outbox_backlog gauge\nswitchboard_outbox_backlog_extra 9\nswitchboard_outbox_backlog 12\n")
	v, ok := metricValue(text, "switchboard_outbox_backlog")
	assert.True(t, ok)
	assert.Equal(t, 12.0, v)
	_, ok = metricValue(text, "switchboard_missing")
	assert.False(t, ok)
}

func TestValidateLoopbackOnly(t *testing.T) {
	o := Defaults()
	o.DatabaseURL = "postgres://x"
	require.NoError(t, o.Validate())
	for _, u := range []string{"http://localhost:8080", "http://[::1]:8080", "http://127.0.0.2:9"} {
		o.URL = u
		assert.NoError(t, o.Validate(), u)
	}
	for _, u := range []string{"http://example.com", "http://10.0.0.1:8080", "ftp://127.0.0.1", "http://127.0.0.1:8080/api"} {
		o.URL = u
		assert.Error(t, o.Validate(), u)
	}
	o.URL = "http://example.com"
	o.AllowRemote = true
	assert.NoError(t, o.Validate())

	o = Defaults()
	o.DatabaseURL = "postgres://x"
	o.Warmup = o.Duration
	assert.Error(t, o.Validate())
}

func TestDialerRefusesNonLoopback(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err := dialContext(false)(ctx, "tcp", "192.0.2.1:80")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "non-loopback")
}

func TestSourceIP(t *testing.T) {
	assert.Equal(t, "127.1.1.1", sourceIP(0).String())
	assert.Equal(t, "127.1.1.254", sourceIP(253).String())
	assert.Equal(t, "127.1.2.1", sourceIP(254).String())
	seen := map[string]bool{}
	for k := range 70000 {
		ip := sourceIP(k)
		require.True(t, ip.IsLoopback(), ip.String())
		v4 := ip.To4()
		require.NotContains(t, []byte{0, 255}, v4[2], ip.String())
		require.NotContains(t, []byte{0, 255}, v4[3], ip.String())
		require.False(t, seen[ip.String()], "duplicate %s", ip)
		seen[ip.String()] = true
	}
}

func TestDialFromSource(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	got := make(chan string, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			got <- c.RemoteAddr().(*net.TCPAddr).IP.String()
			c.Close()
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	c, err := dialContext(false)(withSource(ctx, sourceIP(300)), "tcp", ln.Addr().String())
	if err != nil {
		t.Skipf("this machine does not route all of 127.0.0.0/8 to loopback: %v", err)
	}
	defer c.Close()
	assert.Equal(t, sourceIP(300).String(), <-got)
}
