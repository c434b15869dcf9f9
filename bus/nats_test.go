package bus

import (
	"context"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/require"
)

func natsURL() string {
	if u := os.Getenv("TEST_NATS_URL"); u != "" {
		return u
	}
	return "nats://127.0.0.1:4222"
}

// newTestNATS connects a NATS bus ("a node") to the test server. An
// unreachable server fails the test: the realtime layer must not go
// untested silently.
func newTestNATS(t *testing.T) *NATS {
	t.Helper()
	b, err := NewNATS(natsURL(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("NATS server at %s (TEST_NATS_URL) is unreachable: %v\nstart one with scripts/ensure-nats.sh", natsURL(), err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

// collector gathers the events of one workspace; other tests share the
// server, so everything else is ignored.
type collector struct {
	ws   uuid.UUID
	mu   sync.Mutex
	seqs []int64
	from []uuid.UUID // ConversationID doubles as the publishing node's id
}

func (c *collector) fn(ev Event) {
	if ev.WorkspaceID != c.ws {
		return
	}
	c.mu.Lock()
	c.seqs = append(c.seqs, ev.Seq)
	c.from = append(c.from, ev.ConversationID)
	c.mu.Unlock()
}

// seqsFrom returns the seqs published by node, in arrival order.
func (c *collector) seqsFrom(node uuid.UUID) []int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []int64
	for i, f := range c.from {
		if f == node {
			out = append(out, c.seqs[i])
		}
	}
	return out
}

func (c *collector) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.seqs)
}

func TestNATSTwoNodes(t *testing.T) {
	t.Parallel()
	nodeA, nodeB := newTestNATS(t), newTestNATS(t)
	ws := uuid.New()
	onA, onB := &collector{ws: ws}, &collector{ws: ws}
	_, err := nodeA.Subscribe(onA.fn)
	require.NoError(t, err)
	_, err = nodeB.Subscribe(onB.fn)
	require.NoError(t, err)

	idA, idB := uuid.New(), uuid.New()
	const n = 200
	ctx := context.Background()
	var want []int64
	for i := int64(1); i <= n; i++ {
		evA := testEvent(ws, i)
		evA.ConversationID = idA
		require.NoError(t, nodeA.Publish(ctx, evA))
		evB := testEvent(ws, i)
		evB.ConversationID = idB
		require.NoError(t, nodeB.Publish(ctx, evB))
		want = append(want, i)
	}

	require.Eventually(t, func() bool { return onA.len() == 2*n && onB.len() == 2*n },
		5*time.Second, 5*time.Millisecond, "every event reaches both nodes (A got %d, B got %d of %d)", onA.len(), onB.len(), 2*n)
	for _, c := range []*collector{onA, onB} {
		require.Equal(t, want, c.seqsFrom(idA), "events published on node A arrive in order")
		require.Equal(t, want, c.seqsFrom(idB), "events published on node B arrive in order")
	}
}

func TestNATSRoundTripsEvent(t *testing.T) {
	t.Parallel()
	nodeA, nodeB := newTestNATS(t), newTestNATS(t)
	ws := uuid.New()
	got := make(chan Event, 1)
	_, err := nodeB.Subscribe(func(ev Event) {
		if ev.WorkspaceID == ws {
			got <- ev
		}
	})
	require.NoError(t, err)

	ev := testEvent(ws, 7)
	ev.Visitor = []byte(`{"text":"visible"}`)
	require.NoError(t, nodeA.Publish(context.Background(), ev))
	select {
	case rcv := <-got:
		require.Equal(t, ev.Type, rcv.Type)
		require.Equal(t, ev.WorkspaceID, rcv.WorkspaceID)
		require.Equal(t, ev.ConversationID, rcv.ConversationID)
		require.Equal(t, ev.VisitorID, rcv.VisitorID)
		require.Equal(t, ev.Seq, rcv.Seq)
		require.JSONEq(t, string(ev.Data), string(rcv.Data))
		require.JSONEq(t, string(ev.Visitor), string(rcv.Visitor))
	case <-time.After(5 * time.Second):
		t.Fatal("event not received")
	}
}

func TestNATSSkipsMalformedPayload(t *testing.T) {
	t.Parallel()
	b := newTestNATS(t)
	ws := uuid.New()
	c := &collector{ws: ws}
	_, err := b.Subscribe(c.fn)
	require.NoError(t, err)

	raw, err := nats.Connect(natsURL())
	require.NoError(t, err)
	t.Cleanup(raw.Close)
	subj := SubjectPrefix + ws.String()
	for _, payload := range []string{"", "not json", `{"seq":"x"}`, `[1,2,3]`, `{"workspace_id":"nope"}`} {
		require.NoError(t, raw.Publish(subj, []byte(payload)))
	}
	require.NoError(t, raw.Flush())
	require.NoError(t, b.Publish(context.Background(), testEvent(ws, 1)))

	require.Eventually(t, func() bool { return c.len() == 1 }, 5*time.Second, 5*time.Millisecond)
	c.mu.Lock()
	require.Equal(t, []int64{1}, c.seqs)
	c.mu.Unlock()
}

func TestNATSUnsubscribeAndClose(t *testing.T) {
	t.Parallel()
	b, err := NewNATS(natsURL(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("NATS server at %s (TEST_NATS_URL) is unreachable: %v\nstart one with scripts/ensure-nats.sh", natsURL(), err)
	}
	ws := uuid.New()
	c := &collector{ws: ws}
	unsub, err := b.Subscribe(c.fn)
	require.NoError(t, err)
	ctx := context.Background()
	require.NoError(t, b.Publish(ctx, testEvent(ws, 1)))
	require.Eventually(t, func() bool { return c.len() == 1 }, 5*time.Second, 5*time.Millisecond)

	unsub()
	unsub()
	require.NoError(t, b.Publish(ctx, testEvent(ws, 2)))
	require.NoError(t, b.nc.Flush())
	time.Sleep(50 * time.Millisecond)
	require.Equal(t, 1, c.len())

	require.NoError(t, b.Close())
	require.NoError(t, b.Close())
	require.ErrorIs(t, b.Publish(ctx, testEvent(ws, 3)), ErrClosed)
}

func TestNATSUnreachable(t *testing.T) {
	t.Parallel()
	// Port 1 on loopback refuses at once.
	_, err := NewNATS("nats://127.0.0.1:1", slog.New(slog.DiscardHandler))
	require.Error(t, err)
}
