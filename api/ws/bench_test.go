package ws

import (
	"encoding/json"
	"log/slog"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/switchboardhq/switchboard/access"
	"github.com/switchboardhq/switchboard/bus"
)

// BenchmarkDeliver fans one event out to 200 operators of a workspace
// (plus 2,000 idle widgets registered elsewhere). Clients are registered
// directly, without sockets, and drained by goroutines standing in for
// write pumps: it measures routing, encoding and queueing.
func BenchmarkDeliver(b *testing.B) {
	benchmarkDeliver(b, bus.Audience{})
}

// BenchmarkDeliverWithAudience is the same with a conversation's routing
// as the audience: half the operators are in its department and see it.
func BenchmarkDeliverWithAudience(b *testing.B) {
	dept := uuid.New()
	benchmarkDeliver(b, bus.Audience{States: []bus.VisibilityState{{Department: &dept}}}, dept)
}

func benchmarkDeliver(b *testing.B, aud bus.Audience, depts ...uuid.UUID) {
	h := NewHub(Options{Logger: slog.New(slog.DiscardHandler), SendQueue: 4096})
	ws := uuid.New()
	var drainers sync.WaitGroup
	stop := make(chan struct{})
	for i := range 200 {
		c := newClient(h, kindOperator, ws, uuid.New())
		c.viewer = access.Viewer{WorkspaceID: ws, OperatorID: c.userID, Role: access.RoleOperator, Departments: []uuid.UUID{uuid.New()}}
		if i%2 == 0 {
			c.viewer.Departments = append(c.viewer.Departments, depts...)
		}
		if !h.register(c) {
			b.Fatal("register failed")
		}
		drainers.Go(func() {
			for {
				select {
				case <-c.send:
				case <-stop:
					return
				}
			}
		})
	}
	for range 2000 {
		if !h.register(newClient(h, kindVisitor, ws, uuid.New())) {
			b.Fatal("register failed")
		}
	}
	ev := bus.Event{
		Type:           bus.TypeMessageCreated,
		WorkspaceID:    ws,
		ConversationID: uuid.New(),
		VisitorID:      uuid.New(),
		Seq:            1,
		Data:           json.RawMessage(`{"id":"0b7e6f0e-3f5c-4c59-9a57-0f1b2d3c4e5f","author":"visitor","text":"Hello, I have a question about my order"}`),
		Visitor:        json.RawMessage(`{"text":"Hello, I have a question about my order"}`),
		Audience:       aud,
	}
	b.ReportAllocs()
	for b.Loop() {
		h.Deliver(ev)
	}
	b.StopTimer()
	close(stop)
	drainers.Wait()
	if n := h.SlowConsumers(); n > 0 {
		b.Logf("%d drainers fell behind", n)
	}
}
