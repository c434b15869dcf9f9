// Package ws serves the realtime WebSockets: /ws/operator for the inbox and
// /ws/widget for visitors. The HTTP layer authenticates a request and hands
// it to the Hub, which upgrades it and pushes bus events to it.
//
// Each connection has one read pump and one write pump goroutine, a bounded
// send queue, a write deadline on every write and ping/pong keepalive. A
// client that cannot keep up is disconnected with CloseSlowConsumer rather
// than silently losing events: it reconnects and fetches what it missed
// over REST, using the per-conversation seq.
package ws

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/websocket"

	"github.com/switchboardhq/switchboard/access"
	"github.com/switchboardhq/switchboard/bus"
)

// Close codes sent to clients.
const (
	// CloseSlowConsumer: the client's send queue overflowed. Reconnect and
	// catch up over REST.
	CloseSlowConsumer = 4001
	// CloseGoingAway: the server is shutting down. Reconnect (to another
	// node) and catch up.
	CloseGoingAway = websocket.CloseGoingAway
	// ClosePolicyViolation: the client sent frames faster than allowed.
	ClosePolicyViolation = websocket.ClosePolicyViolation
	// CloseAccessChanged: the operator's access changed (departments, role,
	// deactivation). Reconnect: the new socket carries the new access, or
	// is refused.
	CloseAccessChanged = 4003
	// CloseRevoked: the session, API token or operator that authenticated
	// the socket was revoked (logout, token revocation, password reset,
	// deactivation). Do not reconnect with the same credential.
	CloseRevoked = 4401
	// CloseIdentityRequired: the workspace now requires a verified
	// identity and this visitor has none. Identify, then reconnect.
	CloseIdentityRequired = 4004
)

// revocationMemory is how long a hub remembers a revocation after it first
// saw it: far longer than the revocation poll re-reads a row (its window)
// and than a request takes from authentication to registering its socket.
const revocationMemory = time.Minute

// Credential is what authenticated an operator socket: its session or its
// API token, and when the check began.
type Credential struct {
	// SessionID or TokenID is set (uuid.Nil for none).
	SessionID uuid.UUID
	TokenID   uuid.UUID
	// CheckedAt is the time, on this process's clock, just before the
	// credential was read from the database. A revocation this hub learnt
	// of before CheckedAt was committed before the check read the
	// credential, so the check saw it: such a socket is not closed.
	CheckedAt time.Time
}

// Options configures a Hub. Zero values take the defaults.
type Options struct {
	Logger *slog.Logger
	// SendQueue is the per-client bounded queue of outbound frames;
	// default 256.
	SendQueue int
	// WriteWait bounds every write to a socket; default 10s.
	WriteWait time.Duration
	// PongWait is how long a client may stay silent (no pong, no frame)
	// before it is dropped; default 60s. Pings go every PongWait*9/10.
	PongWait time.Duration
	// MaxMessageSize is the largest inbound frame; a larger one closes the
	// socket with 1009. Default 4096.
	MaxMessageSize int64
	// OnVisitorHeartbeat, if set, is called from the widget connection's
	// read goroutine when it sends {"type":"heartbeat"}, at most once per
	// HeartbeatInterval per connection. It must return quickly.
	OnVisitorHeartbeat func(workspaceID, visitorID uuid.UUID)
	// HeartbeatInterval is the minimum time between two OnVisitorHeartbeat
	// calls for one connection; default 15s.
	HeartbeatInterval time.Duration
	// OnOperatorPresence, if set, is called when an operator's first
	// socket on this hub registers (connected) and when their last one
	// unregisters. It is called under the hub's lock, in order, and must
	// not block.
	OnOperatorPresence func(workspaceID, operatorID uuid.UUID, connected bool)
}

func (o Options) withDefaults() Options {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.SendQueue <= 0 {
		o.SendQueue = 256
	}
	if o.WriteWait <= 0 {
		o.WriteWait = 10 * time.Second
	}
	if o.PongWait <= 0 {
		o.PongWait = 60 * time.Second
	}
	if o.MaxMessageSize <= 0 {
		o.MaxMessageSize = 4096
	}
	if o.HeartbeatInterval <= 0 {
		o.HeartbeatInterval = 15 * time.Second
	}
	return o
}

type visitorKey struct {
	workspaceID, visitorID uuid.UUID
}

type contactKey struct {
	workspaceID, contactID uuid.UUID
}

// Visitor is who a widget socket belongs to.
type Visitor struct {
	WorkspaceID uuid.UUID
	VisitorID   uuid.UUID
	// ContactID is the contact the visitor verified as, uuid.Nil when it
	// has not. A verified socket receives the events of the contact's
	// conversations, whichever device (visitor) started them.
	ContactID uuid.UUID
}

type clientSet map[*client]struct{}

// Hub tracks the sockets of one process and routes bus events to them.
type Hub struct {
	opts       Options
	pingPeriod time.Duration
	logger     *slog.Logger
	upgrader   websocket.Upgrader

	mu        sync.RWMutex
	operators map[uuid.UUID]clientSet
	visitors  map[visitorKey]clientSet
	// contacts holds the widget sockets of verified visitors by contact:
	// the devices of one customer.
	contacts map[contactKey]clientSet
	// sockets counts each operator's sockets, for OnOperatorPresence.
	sockets    map[uuid.UUID]int
	nOperators int
	nVisitors  int
	stopping   bool
	// revoked remembers each revocation by id with when this hub first
	// saw it (by the bus or the poll), for revocationMemory.
	revoked map[int64]seenRevocation

	// pumps counts registered clients whose goroutines have not finished.
	pumps         sync.WaitGroup
	slowConsumers atomic.Uint64
	revokedCount  atomic.Uint64
}

type seenRevocation struct {
	bus.Revocation
	seenAt time.Time
}

// NewHub returns a Hub; feed it with Deliver (usually from a bus
// subscription) and mount ServeOperator and ServeVisitor behind the
// authenticating handlers.
func NewHub(opts Options) *Hub {
	opts = opts.withDefaults()
	h := &Hub{
		opts:       opts,
		pingPeriod: opts.PongWait * 9 / 10,
		logger:     opts.Logger,
		operators:  make(map[uuid.UUID]clientSet),
		visitors:   make(map[visitorKey]clientSet),
		revoked:    make(map[int64]seenRevocation),
		contacts:   make(map[contactKey]clientSet),
		sockets:    make(map[uuid.UUID]int),
	}
	h.upgrader = websocket.Upgrader{
		ReadBufferSize:  1024,
		WriteBufferSize: 4096,
		// Idle sockets hold no write buffer: thousands of widgets sit idle.
		WriteBufferPool: &sync.Pool{},
		// Origins are checked before Upgrade, with the policy of the socket.
		CheckOrigin: func(*http.Request) bool { return true },
		Error: func(w http.ResponseWriter, _ *http.Request, status int, reason error) {
			w.Header().Set("Sec-Websocket-Version", "13")
			writeHTTPError(w, status, "bad_handshake", reason.Error())
		},
	}
	return h
}

// Deliver routes ev to this process's sockets and never blocks: the
// operator sockets of the workspace that ev.Audience admits get the event
// with Data; every widget socket of the event's visitor, and of the
// devices of its contact (ev.ContactID), gets it with Visitor (when set).
// Each frame is encoded once and its bytes shared by every recipient.
//
// Control events are not forwarded. bus.TypeOperatorAccessChanged closes
// the sockets of Audience.Operator with CloseAccessChanged, so they
// reconnect with their new access; bus.TypeCredentialRevoked is passed to
// Revoke; bus.TypeIdentityRequired closes the workspace's widget sockets
// that have no verified identity with CloseIdentityRequired;
// bus.TypeVisitorIdentified moves the visitor's sockets into its contact's
// audience.
func (h *Hub) Deliver(ev bus.Event) {
	switch ev.Type {
	case bus.TypeCredentialRevoked:
		var r bus.Revocation
		if err := json.Unmarshal(ev.Data, &r); err != nil || r.ID == 0 {
			h.logger.Error("dropping credential.revoked that does not decode", "workspace_id", ev.WorkspaceID, "error", err)
			return
		}
		h.Revoke(r)
		return
	case bus.TypeVisitorIdentified:
		h.moveVisitor(ev)
		return
	}
	h.mu.RLock()
	defer h.mu.RUnlock()
	switch ev.Type {
	case bus.TypeOperatorAccessChanged:
		h.closeOperatorLocked(ev)
		return
	case bus.TypeIdentityRequired:
		h.closeUnverifiedLocked(ev.WorkspaceID)
		return
	}
	if ops := h.operators[ev.WorkspaceID]; len(ops) > 0 {
		h.fanOutOperators(ev, ops)
	}
	if visiblePayload(ev.Visitor) {
		h.fanOutVisitors(ev)
	}
}

// fanOutVisitors sends ev to the visitor's sockets and to those of the
// other devices of its contact, each socket once. h.mu must be held
// (read).
func (h *Hub) fanOutVisitors(ev bus.Event) {
	own := h.visitors[visitorKey{ev.WorkspaceID, ev.VisitorID}]
	var devices clientSet
	if ev.ContactID != nil && *ev.ContactID != uuid.Nil {
		devices = h.contacts[contactKey{ev.WorkspaceID, *ev.ContactID}]
	}
	if len(own) == 0 && len(devices) == 0 {
		return
	}
	frame, err := encodeEvent(ev, ev.Visitor)
	if err != nil {
		h.logger.Error("dropping event that does not encode", "type", ev.Type,
			"conversation_id", ev.ConversationID, "seq", ev.Seq, "error", err)
		return
	}
	for c := range own {
		c.enqueue(frame)
	}
	for c := range devices {
		if c.userID != ev.VisitorID { // already reached as the visitor's own
			c.enqueue(frame)
		}
	}
}

// moveVisitor puts the visitor's sockets into the audience of the event's
// contact, out of any other; a nil ContactID leaves them in none (the
// visitor is no longer verified).
func (h *Hub) moveVisitor(ev bus.Event) {
	to := uuid.Nil
	if ev.ContactID != nil {
		to = *ev.ContactID
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.visitors[visitorKey{ev.WorkspaceID, ev.VisitorID}] {
		h.leaveContactLocked(c)
		c.contactID = to
		h.joinContactLocked(c)
	}
}

// joinContactLocked adds a verified widget client to its contact's
// audience. h.mu must be held (write).
func (h *Hub) joinContactLocked(c *client) {
	if c.contactID == uuid.Nil {
		return
	}
	k := contactKey{c.workspaceID, c.contactID}
	set := h.contacts[k]
	if set == nil {
		set = make(clientSet, 1)
		h.contacts[k] = set
	}
	set[c] = struct{}{}
}

// leaveContactLocked removes a widget client from its contact's audience.
// h.mu must be held (write).
func (h *Hub) leaveContactLocked(c *client) {
	if c.contactID == uuid.Nil {
		return
	}
	k := contactKey{c.workspaceID, c.contactID}
	if set := h.contacts[k]; set != nil {
		delete(set, c)
		if len(set) == 0 {
			delete(h.contacts, k)
		}
	}
}

// closeUnverifiedLocked closes the workspace's widget sockets that have no
// verified identity: the workspace now requires one. h.mu must be held
// (read).
func (h *Hub) closeUnverifiedLocked(workspaceID uuid.UUID) {
	for k, set := range h.visitors {
		if k.workspaceID != workspaceID {
			continue
		}
		for c := range set {
			if c.contactID == uuid.Nil && c.close(CloseIdentityRequired, "identity required") {
				h.logger.Debug("closing widget socket: identity required", "workspace_id", workspaceID, "id", c.userID)
			}
		}
	}
}

// visiblePayload reports whether an event carries a widget payload; a JSON
// null (as a decoder may produce) counts as none.
func visiblePayload(v json.RawMessage) bool {
	return len(v) > 0 && string(v) != "null"
}

// fanOutOperators sends ev to the operators its audience admits, encoding
// the frame only if one does.
func (h *Hub) fanOutOperators(ev bus.Event, to clientSet) {
	aud := &ev.Audience
	// A conversation's events are routed by its department and assignee; a
	// publisher that forgot them reaches only those who see everything,
	// never the whole workspace.
	unrouted := len(aud.States) == 0 && aud.MinRole == "" && aud.Operator == nil &&
		(ev.Type == bus.TypeMessageCreated || ev.Type == bus.TypeConversationUpdated ||
			ev.Type == bus.TypeNoteCreated || ev.Type == bus.TypeNoteUpdated || ev.Type == bus.TypeNoteDeleted)
	var frame []byte
	for c := range to {
		if !admits(aud, &c.viewer) || unrouted && !c.viewer.SeesAll() {
			continue
		}
		if frame == nil {
			var err error
			if frame, err = encodeEvent(ev, ev.Data); err != nil {
				h.logger.Error("dropping event that does not encode", "type", ev.Type,
					"conversation_id", ev.ConversationID, "seq", ev.Seq, "error", err)
				return
			}
		}
		c.enqueue(frame)
	}
}

// admits reports whether an operator receives an event with audience a:
// the zero Audience admits everyone; each field set narrows it.
func admits(a *bus.Audience, v *access.Viewer) bool {
	if a.VisitorsOnly {
		return false
	}
	if a.Operator != nil && *a.Operator != v.OperatorID {
		return false
	}
	if a.MinRole != "" && !access.AtLeast(v.Role, a.MinRole) {
		return false
	}
	if len(a.States) == 0 {
		return true
	}
	for i := range a.States {
		if v.CanSee(a.States[i].Department, a.States[i].Assignee) {
			return true
		}
	}
	return false
}

// closeOperatorLocked closes the sockets of the operator whose access
// changed. h.mu must be held (read).
func (h *Hub) closeOperatorLocked(ev bus.Event) {
	if ev.Audience.Operator == nil {
		h.logger.Warn("access change without an operator ignored", "workspace_id", ev.WorkspaceID)
		return
	}
	id := *ev.Audience.Operator
	closeIn := func(set clientSet) {
		for c := range set {
			if c.viewer.OperatorID == id && c.close(CloseAccessChanged, "access changed") {
				h.logger.Debug("closing operator socket: access changed", "workspace_id", c.workspaceID, "id", id)
			}
		}
	}
	if ev.WorkspaceID != uuid.Nil {
		closeIn(h.operators[ev.WorkspaceID])
		return
	}
	// Operator ids are unique across workspaces: a publisher that left the
	// workspace out still reaches the right sockets.
	for _, set := range h.operators {
		closeIn(set)
	}
}

// Revoke closes with CloseRevoked the operator sockets that r's credential
// opened (its session, its API token, or all of its operator's) and whose
// credential was checked before this hub first saw r. It is idempotent:
// the bus and the poll both report each revocation, and only the first
// report of an id acts. It returns how many sockets it closed.
//
// Sockets that register later are checked against the revocations of the
// last revocationMemory (see register), so a socket whose check raced the
// revoking commit is closed too.
func (h *Hub) Revoke(r bus.Revocation) int {
	now := time.Now()
	h.mu.Lock()
	defer h.mu.Unlock()
	for id, seen := range h.revoked {
		if now.Sub(seen.seenAt) > revocationMemory {
			delete(h.revoked, id)
		}
	}
	if _, ok := h.revoked[r.ID]; ok {
		return 0
	}
	seen := seenRevocation{Revocation: r, seenAt: now}
	h.revoked[r.ID] = seen
	closed := 0
	for c := range h.operators[r.WorkspaceID] {
		if seen.revokes(c) && h.closeRevoked(c) {
			closed++
		}
	}
	return closed
}

// revokes reports whether the revocation closes c: its credential matches
// and was checked before the hub saw the revocation.
func (r seenRevocation) revokes(c *client) bool {
	if c.kind != kindOperator || c.workspaceID != r.WorkspaceID || !c.cred.CheckedAt.Before(r.seenAt) {
		return false
	}
	switch r.Kind {
	case bus.RevokedSession:
		return c.cred.SessionID != uuid.Nil && c.cred.SessionID == r.SubjectID
	case bus.RevokedToken:
		return c.cred.TokenID != uuid.Nil && c.cred.TokenID == r.SubjectID
	case bus.RevokedOperator:
		return c.viewer.OperatorID == r.SubjectID
	}
	return false
}

func (h *Hub) closeRevoked(c *client) bool {
	if !c.close(CloseRevoked, "credential revoked") {
		return false
	}
	h.revokedCount.Add(1)
	h.logger.Debug("closing operator socket: credential revoked", "workspace_id", c.workspaceID, "id", c.userID)
	return true
}

// ServeOperator upgrades an authenticated inbox request for viewer, whose
// access decides which events the socket receives for its whole life (a
// change of access closes it with CloseAccessChanged, a revocation of
// cred with CloseRevoked). Only same-origin browsers (Origin's host equal
// to the request's Host) and clients sending no Origin (not browsers) are
// accepted; others get 403 before upgrading.
func (h *Hub) ServeOperator(w http.ResponseWriter, r *http.Request, viewer access.Viewer, cred Credential) {
	if !SameOrigin(r) {
		h.logger.Info("operator socket refused: foreign origin", "origin", r.Header.Get("Origin"), "host", r.Host)
		writeHTTPError(w, http.StatusForbidden, "origin_not_allowed", "origin not allowed")
		return
	}
	c := newClient(h, kindOperator, viewer.WorkspaceID, viewer.OperatorID)
	c.viewer = viewer
	c.cred = cred
	h.serve(w, r, c)
}

// ServeVisitor upgrades an authenticated widget request of v when
// originAllowed(Origin header, "" if absent) is true (the workspace's
// allowlist); otherwise it answers 403 before upgrading. A nil originAllowed
// means same origin only. A verified visitor's socket joins its contact's
// audience.
func (h *Hub) ServeVisitor(w http.ResponseWriter, r *http.Request, v Visitor, originAllowed func(origin string) bool) {
	workspaceID := v.WorkspaceID
	origin := r.Header.Get("Origin")
	allowed := false
	if originAllowed == nil {
		allowed = SameOrigin(r)
	} else {
		allowed = originAllowed(origin)
	}
	if !allowed {
		h.logger.Info("widget socket refused: origin not allowed", "origin", origin, "workspace_id", workspaceID)
		writeHTTPError(w, http.StatusForbidden, "origin_not_allowed", "origin not allowed")
		return
	}
	c := newClient(h, kindVisitor, workspaceID, v.VisitorID)
	c.contactID = v.ContactID
	h.serve(w, r, c)
}

func (h *Hub) serve(w http.ResponseWriter, r *http.Request, c *client) {
	// Registered before the handshake completes, so no event published
	// after the client sees the socket open can miss it: frames queue up
	// until the pumps start.
	if !h.register(c) {
		writeHTTPError(w, http.StatusServiceUnavailable, "shutting_down", "server is shutting down")
		return
	}
	conn, err := h.upgrader.Upgrade(w, r, nil)
	if err != nil {
		// The upgrader has answered the request.
		h.unregister(c)
		h.pumps.Done()
		return
	}
	c.start(conn)
}

func (h *Hub) register(c *client) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.stopping {
		return false
	}
	switch c.kind {
	case kindOperator:
		set := h.operators[c.workspaceID]
		if set == nil {
			set = make(clientSet)
			h.operators[c.workspaceID] = set
		}
		set[c] = struct{}{}
		h.nOperators++
		h.presenceLocked(c, +1)
		// A revocation seen after the credential was checked, but before
		// the socket registered, was missed by both: apply it now. The
		// socket then opens and closes at once with CloseRevoked.
		for _, seen := range h.revoked {
			if seen.revokes(c) {
				h.closeRevoked(c)
				break
			}
		}
	case kindVisitor:
		k := visitorKey{c.workspaceID, c.userID}
		set := h.visitors[k]
		if set == nil {
			set = make(clientSet, 1)
			h.visitors[k] = set
		}
		set[c] = struct{}{}
		h.nVisitors++
		h.joinContactLocked(c)
	}
	h.pumps.Add(1)
	return true
}

func (h *Hub) unregister(c *client) {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch c.kind {
	case kindOperator:
		if set := h.operators[c.workspaceID]; set != nil {
			if _, ok := set[c]; ok {
				delete(set, c)
				h.nOperators--
				h.presenceLocked(c, -1)
			}
			if len(set) == 0 {
				delete(h.operators, c.workspaceID)
			}
		}
	case kindVisitor:
		k := visitorKey{c.workspaceID, c.userID}
		if set := h.visitors[k]; set != nil {
			if _, ok := set[c]; ok {
				delete(set, c)
				h.nVisitors--
				h.leaveContactLocked(c)
			}
			if len(set) == 0 {
				delete(h.visitors, k)
			}
		}
	}
}

// presenceLocked counts an operator socket in (+1) or out (-1) and tells
// OnOperatorPresence when the operator's first opened or last closed.
func (h *Hub) presenceLocked(c *client, delta int) {
	n := h.sockets[c.userID] + delta
	if n <= 0 {
		delete(h.sockets, c.userID)
	} else {
		h.sockets[c.userID] = n
	}
	if h.opts.OnOperatorPresence != nil && (n == 0 || (n == 1 && delta > 0)) {
		h.opts.OnOperatorPresence(c.workspaceID, c.userID, n > 0)
	}
}

// Revoked returns how many sockets were closed because their credential
// was revoked since the hub started.
func (h *Hub) Revoked() uint64 {
	return h.revokedCount.Load()
}

// Counts returns how many operator and widget sockets are connected.
func (h *Hub) Counts() (operators, visitors int) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.nOperators, h.nVisitors
}

// SlowConsumers returns how many clients were disconnected for not keeping
// up since the hub started.
func (h *Hub) SlowConsumers() uint64 {
	return h.slowConsumers.Load()
}

// Shutdown stops accepting sockets, closes every socket with
// CloseGoingAway and waits for the connections to finish, or for ctx, after
// which the remaining connections are cut.
func (h *Hub) Shutdown(ctx context.Context) {
	h.mu.Lock()
	h.stopping = true
	clients := h.allLocked()
	h.mu.Unlock()

	for _, c := range clients {
		c.close(CloseGoingAway, "server shutting down")
	}
	done := make(chan struct{})
	go func() {
		h.pumps.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		h.mu.RLock()
		clients = h.allLocked()
		h.mu.RUnlock()
		for _, c := range clients {
			if conn := c.conn.Load(); conn != nil {
				_ = conn.Close()
			}
		}
		h.logger.Warn("websocket shutdown cut connections", "remaining", len(clients), "error", ctx.Err())
	}
}

func (h *Hub) allLocked() []*client {
	all := make([]*client, 0, h.nOperators+h.nVisitors)
	for _, set := range h.operators {
		for c := range set {
			all = append(all, c)
		}
	}
	for _, set := range h.visitors {
		for c := range set {
			all = append(all, c)
		}
	}
	return all
}

// SameOrigin accepts requests without Origin (not from a browser) and
// browser requests whose Origin host is the request's host.
func SameOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	return strings.EqualFold(u.Host, r.Host)
}

// writeHTTPError answers in the REST API's error shape.
func writeHTTPError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(struct {
		Error errorBody `json:"error"`
	}{errorBody{Code: code, Message: message}})
}
