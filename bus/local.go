package bus

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
)

// ErrClosed is returned by Publish and Subscribe after Close.
var ErrClosed = errors.New("bus: closed")

// Local is the in-process Bus used when one process runs everything.
//
// Publish calls every subscriber synchronously, in the publisher's
// goroutine, so events from one publisher reach each subscriber in publish
// order. Subscribers must not block (the WebSocket hub's Deliver never does).
type Local struct {
	// subs is replaced, never mutated, so Publish reads it without a lock
	// and a subscriber may unsubscribe from inside its own callback.
	subs atomic.Pointer[[]*localSub]

	mu     sync.Mutex // serialises changes to subs and closed
	closed bool
}

type localSub struct {
	fn func(Event)
}

var _ Bus = (*Local)(nil)

// NewLocal returns an in-process bus.
func NewLocal() *Local {
	l := &Local{}
	l.subs.Store(&[]*localSub{})
	return l
}

// Publish calls every current subscriber with ev before it returns. ctx is
// not consulted: publishing never blocks, and an event whose change is
// already committed should not be dropped because the request that made it
// was cancelled.
func (l *Local) Publish(_ context.Context, ev Event) error {
	subs := *l.subs.Load()
	if subs == nil {
		return ErrClosed
	}
	for _, s := range subs {
		s.fn(ev)
	}
	return nil
}

// Subscribe registers fn for every event published after it returns.
func (l *Local) Subscribe(fn func(Event)) (func(), error) {
	if fn == nil {
		return nil, errors.New("bus: nil subscriber")
	}
	s := &localSub{fn: fn}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, ErrClosed
	}
	old := *l.subs.Load()
	next := make([]*localSub, len(old), len(old)+1)
	copy(next, old)
	next = append(next, s)
	l.subs.Store(&next)

	var once sync.Once
	return func() { once.Do(func() { l.remove(s) }) }, nil
}

func (l *Local) remove(s *localSub) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return
	}
	old := *l.subs.Load()
	next := make([]*localSub, 0, len(old))
	for _, o := range old {
		if o != s {
			next = append(next, o)
		}
	}
	l.subs.Store(&next)
}

// Close drops every subscriber; later Publish and Subscribe calls return
// ErrClosed.
func (l *Local) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	var none []*localSub // nil marks the bus closed for Publish
	l.subs.Store(&none)
	return nil
}
