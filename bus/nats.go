package bus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
)

// SubjectPrefix is the NATS subject under which events travel, followed by
// the workspace id: switchboard.events.<workspace_id>.
const SubjectPrefix = "switchboard.events."

// subscribeSubject matches every workspace's events.
const subscribeSubject = SubjectPrefix + ">"

const (
	natsDrainTimeout = 5 * time.Second
	// subscribeFlushWait bounds the round trip that makes a subscription
	// live on the server before Subscribe returns.
	subscribeFlushWait = 2 * time.Second
)

// NATS is the Bus used when several nodes run: NATS core pub/sub, events
// encoded as JSON. Like NATS core itself it is at most once; the per
// conversation seq lets clients repair gaps over REST.
type NATS struct {
	nc     *nats.Conn
	logger *slog.Logger

	closed    chan struct{} // closed by the connection's ClosedHandler
	closeOnce sync.Once
}

var _ Bus = (*NATS)(nil)

// NewNATS connects to the NATS server(s) at url (comma-separated for a
// cluster). The first connection must succeed, so a wrong URL fails the
// start; after that the client reconnects forever, buffering publishes
// while disconnected, and logs every disconnect and reconnect.
func NewNATS(url string, logger *slog.Logger) (*NATS, error) {
	if logger == nil {
		logger = slog.Default()
	}
	b := &NATS{logger: logger, closed: make(chan struct{})}
	nc, err := nats.Connect(url,
		nats.Name("switchboard"),
		nats.MaxReconnects(-1),
		// A dead server is noticed within ~30 s instead of the default ~4 min.
		nats.PingInterval(10*time.Second),
		nats.MaxPingsOutstanding(2),
		nats.DrainTimeout(natsDrainTimeout),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				logger.Warn("nats disconnected", "error", err)
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			logger.Info("nats reconnected", "url", nc.ConnectedUrlRedacted())
		}),
		nats.ClosedHandler(func(*nats.Conn) {
			b.closeOnce.Do(func() { close(b.closed) })
		}),
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			// Slow-consumer errors land here: events were dropped.
			attrs := []any{"error", err}
			if sub != nil {
				attrs = append(attrs, "subject", sub.Subject)
			}
			logger.Error("nats async error", attrs...)
		}),
	)
	if err != nil {
		return nil, fmt.Errorf("connecting to nats at %s: %w", url, err)
	}
	b.nc = nc
	logger.Info("nats connected", "url", nc.ConnectedUrlRedacted())
	return b, nil
}

// subject returns the NATS subject of ev's workspace.
func subject(ev Event) string {
	return SubjectPrefix + ev.WorkspaceID.String()
}

// Publish encodes ev and hands it to the NATS client's outgoing buffer; it
// does not wait for the server. Like Local, it ignores ctx: the change the
// event reports is already committed. While disconnected, events are
// buffered (up to the client's reconnect buffer) and sent on reconnect.
func (b *NATS) Publish(_ context.Context, ev Event) error {
	data, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("encoding %s event for conversation %s: %w", ev.Type, ev.ConversationID, err)
	}
	if err := b.nc.Publish(subject(ev), data); err != nil {
		if errors.Is(err, nats.ErrConnectionClosed) || errors.Is(err, nats.ErrConnectionDraining) {
			return ErrClosed
		}
		return fmt.Errorf("publishing %s event for conversation %s: %w", ev.Type, ev.ConversationID, err)
	}
	return nil
}

// Subscribe calls fn for every event of every workspace, in order per
// publisher, from the subscription's own goroutine. When Subscribe returns
// the subscription is registered with the server (unless the connection is
// down, in which case it is registered on reconnect). A payload that does
// not decode is logged and skipped.
func (b *NATS) Subscribe(fn func(Event)) (func(), error) {
	if fn == nil {
		return nil, errors.New("bus: nil subscriber")
	}
	sub, err := b.nc.Subscribe(subscribeSubject, func(m *nats.Msg) {
		var ev Event
		if err := json.Unmarshal(m.Data, &ev); err != nil {
			b.logger.Warn("dropping malformed bus event", "subject", m.Subject, "bytes", len(m.Data), "error", err)
			return
		}
		fn(ev)
	})
	if err != nil {
		if errors.Is(err, nats.ErrConnectionClosed) || errors.Is(err, nats.ErrConnectionDraining) {
			return nil, ErrClosed
		}
		return nil, fmt.Errorf("subscribing to %s: %w", subscribeSubject, err)
	}
	// Without this round trip an event published on another node right
	// after Subscribe returns could reach the server before our SUB does.
	if err := b.nc.FlushTimeout(subscribeFlushWait); err != nil {
		b.logger.Warn("nats subscription not confirmed yet; it is replayed on reconnect", "error", err)
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			if err := sub.Unsubscribe(); err != nil && !errors.Is(err, nats.ErrConnectionClosed) && !errors.Is(err, nats.ErrBadSubscription) {
				b.logger.Warn("unsubscribing from nats", "error", err)
			}
		})
	}, nil
}

// Close drains the connection: subscriptions finish the events already
// received, buffered publishes are flushed, then the connection closes.
func (b *NATS) Close() error {
	err := b.nc.Drain()
	switch {
	case errors.Is(err, nats.ErrConnectionClosed):
		return nil
	case errors.Is(err, nats.ErrConnectionReconnecting):
		// Drain cannot run while disconnected; the client has closed
		// instead and whatever was buffered is lost.
		b.logger.Warn("nats closed while reconnecting; buffered events dropped")
		return nil
	case err != nil:
		b.nc.Close()
		return fmt.Errorf("draining nats connection: %w", err)
	}
	select {
	case <-b.closed:
	case <-time.After(natsDrainTimeout + time.Second):
		b.nc.Close()
	}
	return nil
}
