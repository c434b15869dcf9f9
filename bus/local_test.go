package bus

import (
	"context"
	"encoding/json"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
)

func testEvent(ws uuid.UUID, seq int64) Event {
	return Event{
		Type:           TypeMessageCreated,
		WorkspaceID:    ws,
		ConversationID: uuid.New(),
		VisitorID:      uuid.New(),
		Seq:            seq,
		Data:           json.RawMessage(`{"text":"hi"}`),
	}
}

func TestLocalDeliversInOrderToEverySubscriber(t *testing.T) {
	t.Parallel()
	b := NewLocal()
	t.Cleanup(func() { _ = b.Close() })

	var got1, got2 []int64
	_, err := b.Subscribe(func(ev Event) { got1 = append(got1, ev.Seq) })
	require.NoError(t, err)
	_, err = b.Subscribe(func(ev Event) { got2 = append(got2, ev.Seq) })
	require.NoError(t, err)

	ws := uuid.New()
	var want []int64
	for i := int64(1); i <= 100; i++ {
		require.NoError(t, b.Publish(context.Background(), testEvent(ws, i)))
		want = append(want, i)
	}
	// Publish is synchronous: everything has arrived already.
	require.Equal(t, want, got1)
	require.Equal(t, want, got2)
}

func TestLocalUnsubscribe(t *testing.T) {
	t.Parallel()
	b := NewLocal()
	t.Cleanup(func() { _ = b.Close() })
	ctx := context.Background()

	var a, c int
	unsubA, err := b.Subscribe(func(Event) { a++ })
	require.NoError(t, err)
	_, err = b.Subscribe(func(Event) { c++ })
	require.NoError(t, err)

	require.NoError(t, b.Publish(ctx, testEvent(uuid.New(), 1)))
	unsubA()
	unsubA() // idempotent
	require.NoError(t, b.Publish(ctx, testEvent(uuid.New(), 2)))
	require.Equal(t, 1, a)
	require.Equal(t, 2, c)

	// A subscriber may unsubscribe itself from its callback.
	var self int
	var unsubSelf func()
	unsubSelf, err = b.Subscribe(func(Event) { self++; unsubSelf() })
	require.NoError(t, err)
	require.NoError(t, b.Publish(ctx, testEvent(uuid.New(), 3)))
	require.NoError(t, b.Publish(ctx, testEvent(uuid.New(), 4)))
	require.Equal(t, 1, self)
}

func TestLocalClose(t *testing.T) {
	t.Parallel()
	b := NewLocal()
	_, err := b.Subscribe(func(Event) {})
	require.NoError(t, err)
	require.NoError(t, b.Close())
	require.ErrorIs(t, b.Publish(context.Background(), testEvent(uuid.New(), 1)), ErrClosed)
	_, err = b.Subscribe(func(Event) {})
	require.ErrorIs(t, err, ErrClosed)
}

// Concurrent publishers, subscribers joining and leaving: run with -race.
func TestLocalConcurrent(t *testing.T) {
	t.Parallel()
	b := NewLocal()
	t.Cleanup(func() { _ = b.Close() })
	ctx := context.Background()

	// A long-lived subscriber checks per-publisher order.
	const publishers, perPublisher = 4, 500
	var mu sync.Mutex
	last := map[uuid.UUID]int64{}
	var total atomic.Int64
	_, err := b.Subscribe(func(ev Event) {
		mu.Lock()
		defer mu.Unlock()
		if ev.Seq != last[ev.WorkspaceID]+1 {
			t.Errorf("workspace %s: seq %d after %d", ev.WorkspaceID, ev.Seq, last[ev.WorkspaceID])
		}
		last[ev.WorkspaceID] = ev.Seq
		total.Add(1)
	})
	require.NoError(t, err)

	var wg sync.WaitGroup
	for range publishers {
		wg.Go(func() {
			ws := uuid.New()
			for i := int64(1); i <= perPublisher; i++ {
				if err := b.Publish(ctx, testEvent(ws, i)); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	for range 4 {
		wg.Go(func() {
			for range 200 {
				unsub, err := b.Subscribe(func(Event) {})
				if err != nil {
					t.Error(err)
					return
				}
				unsub()
			}
		})
	}
	wg.Wait()
	require.EqualValues(t, publishers*perPublisher, total.Load())
}
