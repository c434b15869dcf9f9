package ws

import (
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/websocket"

	"github.com/switchboardhq/switchboard/access"
)

type clientKind uint8

const (
	kindOperator clientKind = iota + 1
	kindVisitor
)

func (k clientKind) String() string {
	if k == kindOperator {
		return "operator"
	}
	return "visitor"
}

const (
	// closeGrace is how long a closing socket waits for the peer's close
	// frame before dropping the TCP connection.
	closeGrace = time.Second
	// Inbound frames: a burst of inboundBurst, then inboundRate per second.
	// A widget sends a heartbeat every 15 s; anything near this is abuse.
	inboundBurst = 30
	inboundRate  = 10
)

// client is one socket. Deliver (any goroutine) only touches send and the
// closing state; the read pump owns inbound state; the write pump is the
// only writer of data frames.
type client struct {
	hub         *Hub
	kind        clientKind
	workspaceID uuid.UUID
	userID      uuid.UUID // operator or visitor id
	// viewer is an operator's access, fixed for the socket's life.
	viewer access.Viewer
	// cred is what authenticated an operator's socket.
	cred Credential
	// contactID is a widget socket's verified contact (uuid.Nil: none);
	// guarded by hub.mu, since an identify moves the socket.
	contactID uuid.UUID

	conn atomic.Pointer[websocket.Conn] // set when the handshake completes
	send chan []byte

	closing     atomic.Bool
	done        chan struct{} // closed once closing is decided
	closeCode   int           // written before done is closed
	closeReason string

	readDone chan struct{} // closed when the read pump returns

	// Read pump state.
	lastHeartbeat time.Time
	tokens        float64
	tokensAt      time.Time
}

func newClient(h *Hub, kind clientKind, workspaceID, userID uuid.UUID) *client {
	return &client{
		hub:         h,
		kind:        kind,
		workspaceID: workspaceID,
		userID:      userID,
		send:        make(chan []byte, h.opts.SendQueue),
		done:        make(chan struct{}),
		readDone:    make(chan struct{}),
		tokens:      inboundBurst,
	}
}

func (c *client) start(conn *websocket.Conn) {
	c.conn.Store(conn)
	c.hub.logger.Debug("socket connected", "kind", c.kind, "workspace_id", c.workspaceID, "id", c.userID)
	go c.writePump(conn)
	go c.readPump(conn)
}

// enqueue queues a frame without blocking. A full queue means the client is
// not keeping up: it is closed with CloseSlowConsumer, never left with a gap
// it cannot see.
func (c *client) enqueue(frame []byte) {
	if c.closing.Load() {
		return
	}
	select {
	case c.send <- frame:
	default:
		if c.close(CloseSlowConsumer, "slow consumer") {
			c.hub.slowConsumers.Add(1)
			c.hub.logger.Warn("disconnecting slow websocket client", "kind", c.kind,
				"workspace_id", c.workspaceID, "id", c.userID, "queue", cap(c.send))
		}
	}
}

// close asks the write pump to send a close frame with code and end the
// connection. Only the first call counts; it reports whether it was first.
func (c *client) close(code int, reason string) bool {
	if !c.closing.CompareAndSwap(false, true) {
		return false
	}
	c.closeCode, c.closeReason = code, reason
	close(c.done)
	return true
}

func (c *client) writePump(conn *websocket.Conn) {
	opts := c.hub.opts
	ticker := time.NewTicker(c.hub.pingPeriod)
	defer func() {
		ticker.Stop()
		_ = conn.Close() // also ends the read pump
		<-c.readDone
		c.hub.unregister(c)
		c.hub.pumps.Done()
		c.hub.logger.Debug("socket disconnected", "kind", c.kind, "workspace_id", c.workspaceID, "id", c.userID)
	}()
	write := func(frame []byte) error {
		_ = conn.SetWriteDeadline(time.Now().Add(opts.WriteWait))
		return conn.WriteMessage(websocket.TextMessage, frame)
	}
	for {
		select {
		case <-c.done:
			c.writeClose(conn)
			return
		case <-c.readDone:
			return
		case frame := <-c.send:
			if c.isDone() {
				c.writeClose(conn)
				return
			}
			if err := write(frame); err != nil {
				return
			}
			// Drain what is already queued in this iteration: one
			// WebSocket message per event, no trip through select.
			for n := len(c.send); n > 0; n-- {
				if c.isDone() {
					break
				}
				if err := write(<-c.send); err != nil {
					return
				}
			}
		case <-ticker.C:
			if err := conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(opts.WriteWait)); err != nil {
				return
			}
		}
	}
}

func (c *client) isDone() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// writeClose sends the close frame and waits briefly for the peer's answer,
// so that closing the TCP connection does not race the frame.
func (c *client) writeClose(conn *websocket.Conn) {
	msg := websocket.FormatCloseMessage(c.closeCode, c.closeReason)
	if err := conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(c.hub.opts.WriteWait)); err != nil {
		return
	}
	t := time.NewTimer(closeGrace)
	defer t.Stop()
	select {
	case <-c.readDone:
	case <-t.C:
	}
}

func (c *client) readPump(conn *websocket.Conn) {
	defer close(c.readDone)
	opts := c.hub.opts
	conn.SetReadLimit(opts.MaxMessageSize)
	_ = conn.SetReadDeadline(time.Now().Add(opts.PongWait))
	conn.SetPongHandler(func(string) error {
		return conn.SetReadDeadline(time.Now().Add(opts.PongWait))
	})
	for {
		msgType, data, err := conn.ReadMessage()
		if err != nil {
			if websocket.IsUnexpectedCloseError(err, websocket.CloseNormalClosure, websocket.CloseGoingAway, websocket.CloseNoStatusReceived) {
				c.hub.logger.Debug("socket read ended", "kind", c.kind, "workspace_id", c.workspaceID, "id", c.userID, "error", err)
			}
			return
		}
		// Keep reading while closing, to receive the peer's close frame.
		if c.closing.Load() {
			continue
		}
		now := time.Now()
		_ = conn.SetReadDeadline(now.Add(opts.PongWait))
		if !c.allowFrame(now) {
			c.close(ClosePolicyViolation, "too many frames")
			continue
		}
		if msgType != websocket.TextMessage {
			c.enqueue(encodeError(errorCodeBadFrame, "binary frames are not supported"))
			continue
		}
		c.handleFrame(data, now)
	}
}

// allowFrame is a token bucket over inbound frames.
func (c *client) allowFrame(now time.Time) bool {
	if !c.tokensAt.IsZero() {
		c.tokens = min(inboundBurst, c.tokens+now.Sub(c.tokensAt).Seconds()*inboundRate)
	}
	c.tokensAt = now
	if c.tokens < 1 {
		return false
	}
	c.tokens--
	return true
}

func (c *client) handleFrame(data []byte, now time.Time) {
	f, err := parseFrame(data)
	if err != nil {
		c.enqueue(encodeError(errorCodeBadFrame, err.Error()))
		return
	}
	switch f.Type {
	case frameTypePing:
		c.enqueue(pongFrame)
	case frameTypeHeartbeat:
		// Presence is tracked for visitors; an operator's heartbeat is a
		// harmless keepalive.
		if c.kind != kindVisitor || c.hub.opts.OnVisitorHeartbeat == nil {
			return
		}
		if !c.lastHeartbeat.IsZero() && now.Sub(c.lastHeartbeat) < c.hub.opts.HeartbeatInterval {
			return
		}
		c.lastHeartbeat = now
		c.hub.opts.OnVisitorHeartbeat(c.workspaceID, c.userID)
	default:
		c.enqueue(encodeError(errorCodeBadFrame, unknownTypeMessage(f.Type)))
	}
}
