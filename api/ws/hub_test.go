package ws

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/require"

	"github.com/switchboardhq/switchboard/access"
	"github.com/switchboardhq/switchboard/bus"
)

const allowedWidgetOrigin = "https://shop.example"

type testBundle struct {
	hub *Hub
	srv *httptest.Server
	// wsURL is the server's ws:// base.
	wsURL string

	mu             sync.Mutex
	widgetOrigins  []string // what the widget origin callback was asked
	heartbeatCalls []visitorKey
}

// setup starts a hub behind a test server: /operator?ws=&id=[&role=&dept=]
// and /widget?ws=&id=[&contact=], identity taken from the query as the real handlers
// take it from the session or the visitor token. An operator's role
// defaults to owner (sees everything); dept repeats for each department.
// An operator's credential is session= or token=, checked when the request
// arrives, or checked_ago= (a duration) before.
func setup(t *testing.T, opts Options) *testBundle {
	t.Helper()
	return setupWithListener(t, opts, nil)
}

func setupWithListener(t *testing.T, opts Options, wrap func(net.Listener) net.Listener) *testBundle {
	t.Helper()
	tb := &testBundle{}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.OnVisitorHeartbeat == nil {
		opts.OnVisitorHeartbeat = func(ws, v uuid.UUID) {
			tb.mu.Lock()
			tb.heartbeatCalls = append(tb.heartbeatCalls, visitorKey{ws, v})
			tb.mu.Unlock()
		}
	}
	tb.hub = NewHub(opts)
	mux := http.NewServeMux()
	mux.HandleFunc("/operator", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		v := access.Viewer{WorkspaceID: uuid.MustParse(q.Get("ws")), OperatorID: uuid.MustParse(q.Get("id")), Role: access.RoleOwner}
		if role := q.Get("role"); role != "" {
			v.Role = role
		}
		for _, d := range q["dept"] {
			v.Departments = append(v.Departments, uuid.MustParse(d))
		}
		cred := Credential{CheckedAt: time.Now()}
		if s := q.Get("session"); s != "" {
			cred.SessionID = uuid.MustParse(s)
		}
		if s := q.Get("token"); s != "" {
			cred.TokenID = uuid.MustParse(s)
		}
		if s := q.Get("checked_ago"); s != "" {
			ago, err := time.ParseDuration(s)
			if err != nil {
				panic(err)
			}
			cred.CheckedAt = cred.CheckedAt.Add(-ago)
		}
		tb.hub.ServeOperator(w, r, v, cred)
	})
	mux.HandleFunc("/widget", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		v := Visitor{WorkspaceID: uuid.MustParse(q.Get("ws")), VisitorID: uuid.MustParse(q.Get("id"))}
		if contact := q.Get("contact"); contact != "" {
			v.ContactID = uuid.MustParse(contact)
		}
		tb.hub.ServeVisitor(w, r, v,
			func(origin string) bool {
				tb.mu.Lock()
				tb.widgetOrigins = append(tb.widgetOrigins, origin)
				tb.mu.Unlock()
				return origin == allowedWidgetOrigin
			})
	})
	tb.srv = httptest.NewUnstartedServer(mux)
	if wrap != nil {
		tb.srv.Listener = wrap(tb.srv.Listener)
	}
	tb.srv.Start()
	tb.wsURL = "ws" + strings.TrimPrefix(tb.srv.URL, "http")
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		tb.hub.Shutdown(ctx)
		tb.srv.Close()
	})
	return tb
}

func (tb *testBundle) dialOperator(t *testing.T, ws, id uuid.UUID) *websocket.Conn {
	t.Helper()
	return tb.dial(t, websocket.DefaultDialer, "/operator", ws, id, nil)
}

// dialViewer opens an operator socket with a role and departments.
func (tb *testBundle) dialViewer(t *testing.T, ws, id uuid.UUID, role string, depts ...uuid.UUID) *websocket.Conn {
	t.Helper()
	url := tb.wsURL + "/operator?ws=" + ws.String() + "&id=" + id.String() + "&role=" + role
	for _, d := range depts {
		url += "&dept=" + d.String()
	}
	conn, resp, err := websocket.DefaultDialer.Dial(url, nil)
	require.NoError(t, err)
	_ = resp.Body.Close()
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

func (tb *testBundle) dialWidget(t *testing.T, ws, id uuid.UUID) *websocket.Conn {
	t.Helper()
	return tb.dial(t, websocket.DefaultDialer, "/widget", ws, id, http.Header{"Origin": {allowedWidgetOrigin}})
}

func (tb *testBundle) dial(t *testing.T, d *websocket.Dialer, path string, ws, id uuid.UUID, h http.Header) *websocket.Conn {
	t.Helper()
	conn, resp, err := d.Dial(tb.wsURL+path+"?ws="+ws.String()+"&id="+id.String(), h)
	require.NoError(t, err)
	_ = resp.Body.Close()
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

// dialStatus attempts a handshake expected to fail and returns the status.
func (tb *testBundle) dialStatus(t *testing.T, path string, ws, id uuid.UUID, h http.Header) (int, string) {
	t.Helper()
	conn, resp, err := websocket.DefaultDialer.Dial(tb.wsURL+path+"?ws="+ws.String()+"&id="+id.String(), h)
	if conn != nil {
		_ = conn.Close()
	}
	require.ErrorIs(t, err, websocket.ErrBadHandshake)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func (tb *testBundle) requireCounts(t *testing.T, operators, visitors int) {
	t.Helper()
	require.Eventually(t, func() bool {
		o, v := tb.hub.Counts()
		return o == operators && v == visitors
	}, 5*time.Second, 5*time.Millisecond, "want %d operators and %d visitors", operators, visitors)
}

type frame struct {
	Type           string          `json:"type"`
	ConversationID uuid.UUID       `json:"conversation_id"`
	Seq            int64           `json:"seq"`
	Data           json.RawMessage `json:"data"`
	Error          *errorBody      `json:"error"`
}

func readFrame(t *testing.T, conn *websocket.Conn) frame {
	t.Helper()
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(5*time.Second)))
	mt, data, err := conn.ReadMessage()
	require.NoError(t, err)
	require.Equal(t, websocket.TextMessage, mt)
	var f frame
	require.NoError(t, json.Unmarshal(data, &f), "frame %s", data)
	return f
}

// readClose reads until the connection ends and returns the close error.
func readClose(t *testing.T, conn *websocket.Conn) *websocket.CloseError {
	t.Helper()
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(5*time.Second)))
	for {
		_, _, err := conn.ReadMessage()
		if err == nil {
			continue
		}
		var ce *websocket.CloseError
		require.True(t, errors.As(err, &ce), "want a close frame, got %v", err)
		return ce
	}
}

func sendJSON(t *testing.T, conn *websocket.Conn, s string) {
	t.Helper()
	require.NoError(t, conn.WriteMessage(websocket.TextMessage, []byte(s)))
}

func event(ws, visitor uuid.UUID, seq int64, data, visible string) bus.Event {
	ev := bus.Event{
		Type:           bus.TypeMessageCreated,
		WorkspaceID:    ws,
		ConversationID: uuid.New(),
		VisitorID:      visitor,
		Seq:            seq,
		Data:           json.RawMessage(data),
	}
	if visible != "" {
		ev.Visitor = json.RawMessage(visible)
	}
	return ev
}

func TestOperatorReceivesOwnWorkspaceOnly(t *testing.T) {
	t.Parallel()
	tb := setup(t, Options{})
	ws, other := uuid.New(), uuid.New()
	op1 := tb.dialOperator(t, ws, uuid.New())
	op2 := tb.dialOperator(t, ws, uuid.New())
	opOther := tb.dialOperator(t, other, uuid.New())

	// Deliver is sequential, so each socket sees events in this order: the
	// first frame proves the foreign event was never queued.
	tb.hub.Deliver(event(other, uuid.New(), 1, `{"who":"other"}`, ""))
	own := event(ws, uuid.New(), 7, `{"who":"own"}`, `{"who":"visitor"}`)
	tb.hub.Deliver(own)

	for _, c := range []*websocket.Conn{op1, op2} {
		f := readFrame(t, c)
		require.Equal(t, bus.TypeMessageCreated, f.Type)
		require.Equal(t, own.ConversationID, f.ConversationID)
		require.EqualValues(t, 7, f.Seq)
		require.JSONEq(t, `{"who":"own"}`, string(f.Data), "operators get Data, not the visitor payload")
	}
	f := readFrame(t, opOther)
	require.JSONEq(t, `{"who":"other"}`, string(f.Data))
	require.EqualValues(t, 1, f.Seq)
}

func TestOperatorAudience(t *testing.T) {
	t.Parallel()
	tb := setup(t, Options{})
	ws, sales, support := uuid.New(), uuid.New(), uuid.New()
	salesOpID, salesSupID := uuid.New(), uuid.New()
	admin := tb.dialViewer(t, ws, uuid.New(), access.RoleAdmin)
	salesOp := tb.dialViewer(t, ws, salesOpID, access.RoleOperator, sales)
	salesSup := tb.dialViewer(t, ws, salesSupID, access.RoleSupervisor, sales)
	supportOp := tb.dialViewer(t, ws, uuid.New(), access.RoleOperator, support)
	tb.requireCounts(t, 4, 0)

	states := func(s ...bus.VisibilityState) bus.Audience { return bus.Audience{States: s} }
	send := func(seq int64, aud bus.Audience) {
		ev := event(ws, uuid.New(), seq, `{}`, "")
		ev.Audience = aud
		tb.hub.Deliver(ev)
	}
	send(1, states(bus.VisibilityState{Department: &sales}))                        // sales queue
	send(2, states(bus.VisibilityState{Department: &sales, Assignee: &salesSupID})) // a colleague's
	send(3, states(bus.VisibilityState{Department: &support, Assignee: &salesOpID}, // transferred to support…
		bus.VisibilityState{Department: &sales})) // …from the sales queue
	send(4, states(bus.VisibilityState{Department: &support}))
	send(5, bus.Audience{MinRole: access.RoleSupervisor})
	send(6, bus.Audience{Operator: &salesOpID})
	send(7, states(bus.VisibilityState{})) // unrouted
	send(8, bus.Audience{})                // a message without routing: admins only
	send(9, states(bus.VisibilityState{})) // marks the end

	seqs := func(conn *websocket.Conn, n int) []int64 {
		out := make([]int64, n)
		for i := range out {
			out[i] = readFrame(t, conn).Seq
		}
		return out
	}
	require.Equal(t, []int64{1, 2, 3, 4, 5, 7, 8, 9}, seqs(admin, 8))
	require.Equal(t, []int64{1, 3, 6, 7, 9}, seqs(salesOp, 5))
	require.Equal(t, []int64{1, 2, 3, 5, 7, 9}, seqs(salesSup, 6))
	require.Equal(t, []int64{4, 7, 9}, seqs(supportOp, 3), "a colleague's conversation is not for an operator")
}

func TestAccessChangeClosesOperatorSockets(t *testing.T) {
	t.Parallel()
	tb := setup(t, Options{})
	ws := uuid.New()
	who, other := uuid.New(), uuid.New()
	tab1 := tb.dialViewer(t, ws, who, access.RoleOperator)
	tab2 := tb.dialViewer(t, ws, who, access.RoleOperator)
	bystander := tb.dialViewer(t, ws, other, access.RoleOperator)
	tb.requireCounts(t, 3, 0)

	tb.hub.Deliver(bus.Event{Type: bus.TypeOperatorAccessChanged, WorkspaceID: ws, Audience: bus.Audience{Operator: &who}})
	for _, c := range []*websocket.Conn{tab1, tab2} {
		ce := readClose(t, c)
		require.Equal(t, CloseAccessChanged, ce.Code)
	}
	tb.requireCounts(t, 1, 0)

	// The access change itself is never forwarded; the next event is.
	next := event(ws, uuid.New(), 9, `{}`, "")
	next.Audience.States = []bus.VisibilityState{{}} // unrouted: everyone's
	tb.hub.Deliver(next)
	require.EqualValues(t, 9, readFrame(t, bystander).Seq)
}

func TestWidgetReceivesOwnVisitorPayloadOnly(t *testing.T) {
	t.Parallel()
	tb := setup(t, Options{})
	ws, visitor := uuid.New(), uuid.New()
	w1 := tb.dialWidget(t, ws, visitor)
	w2 := tb.dialWidget(t, ws, visitor) // a second tab
	otherID := uuid.New()
	otherVisitor := tb.dialWidget(t, ws, otherID)

	tb.hub.Deliver(event(ws, visitor, 1, `{"internal":"assignment"}`, ""))        // not for widgets
	tb.hub.Deliver(event(ws, otherID, 2, `{"text":"other"}`, `{"text":"other"}`)) // another visitor
	tb.hub.Deliver(event(uuid.New(), visitor, 3, `{"a":1}`, `{"a":1}`))           // same id, other workspace
	tb.hub.Deliver(event(ws, visitor, 4, `{"text":"hi","internal_note":"x"}`, `{"text":"hi"}`))

	for _, c := range []*websocket.Conn{w1, w2} {
		f := readFrame(t, c)
		require.EqualValues(t, 4, f.Seq)
		require.JSONEq(t, `{"text":"hi"}`, string(f.Data), "widgets get the Visitor payload")
	}
	f := readFrame(t, otherVisitor)
	require.EqualValues(t, 2, f.Seq)
}

func TestOperatorOrigin(t *testing.T) {
	t.Parallel()
	tb := setup(t, Options{})
	ws := uuid.New()

	status, body := tb.dialStatus(t, "/operator", ws, uuid.New(), http.Header{"Origin": {"https://evil.example"}})
	require.Equal(t, http.StatusForbidden, status)
	require.Contains(t, body, `"origin_not_allowed"`)
	status, _ = tb.dialStatus(t, "/operator", ws, uuid.New(), http.Header{"Origin": {"null"}})
	require.Equal(t, http.StatusForbidden, status)
	o, v := tb.hub.Counts()
	require.Zero(t, o+v, "a refused socket is never registered")

	host := strings.TrimPrefix(tb.srv.URL, "http://")
	same := tb.dial(t, websocket.DefaultDialer, "/operator", ws, uuid.New(), http.Header{"Origin": {"http://" + host}})
	none := tb.dial(t, websocket.DefaultDialer, "/operator", ws, uuid.New(), nil) // not a browser
	tb.requireCounts(t, 2, 0)
	tb.hub.Deliver(event(ws, uuid.New(), 1, `{}`, ""))
	readFrame(t, same)
	readFrame(t, none)
}

func TestWidgetOriginCallback(t *testing.T) {
	t.Parallel()
	tb := setup(t, Options{})
	ws := uuid.New()

	status, _ := tb.dialStatus(t, "/widget", ws, uuid.New(), http.Header{"Origin": {"https://other.example"}})
	require.Equal(t, http.StatusForbidden, status)
	status, _ = tb.dialStatus(t, "/widget", ws, uuid.New(), nil)
	require.Equal(t, http.StatusForbidden, status)
	tb.dialWidget(t, ws, uuid.New())
	tb.requireCounts(t, 0, 1)

	tb.mu.Lock()
	defer tb.mu.Unlock()
	require.Equal(t, []string{"https://other.example", "", allowedWidgetOrigin}, tb.widgetOrigins)
}

// smallBuffers makes a never-reading client fill TCP buffers after a few
// frames instead of several megabytes. (The client's receive buffer stays
// moderate: a tiny one triggers TCP's silly-window avoidance and delays
// the close frame by the zero-window probe backoff.)
func smallBuffers(l net.Listener) net.Listener { return smallBufListener{l} }

type smallBufListener struct{ net.Listener }

func (l smallBufListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetWriteBuffer(4096)
	}
	return c, err
}

func TestSlowConsumerIsDisconnected(t *testing.T) {
	t.Parallel()
	tb := setupWithListener(t, Options{SendQueue: 2, WriteWait: 5 * time.Second}, smallBuffers)
	ws := uuid.New()
	fast := tb.dialOperator(t, ws, uuid.New())
	slowDialer := &websocket.Dialer{NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetReadBuffer(128 << 10)
		}
		return c, err
	}}
	slow := tb.dial(t, slowDialer, "/operator", ws, uuid.New(), nil)

	payload := `{"blob":"` + strings.Repeat("x", 16<<10) + `"}`
	seq := int64(0)
	deliver := func() {
		seq++
		tb.hub.Deliver(event(ws, uuid.New(), seq, payload, ""))
		f := readFrame(t, fast) // paces Deliver: the fast queue never holds more than one frame
		require.Equal(t, seq, f.Seq)
	}
	for tb.hub.SlowConsumers() == 0 {
		require.Less(t, seq, int64(5000), "the slow client was never detected")
		deliver()
	}
	for range 3 {
		deliver() // the others keep receiving
	}
	require.EqualValues(t, 1, tb.hub.SlowConsumers())

	ce := readClose(t, slow)
	require.Equal(t, CloseSlowConsumer, ce.Code)
	require.Equal(t, "slow consumer", ce.Text)
	tb.requireCounts(t, 1, 0)
	deliver()
}

func TestKeepaliveKeepsResponsiveClient(t *testing.T) {
	t.Parallel()
	// Generous against a loaded CI machine: a ping is sent every 0.9 s and
	// must be answered within 1 s.
	const pongWait = time.Second
	tb := setup(t, Options{PongWait: pongWait})
	conn := tb.dialOperator(t, uuid.New(), uuid.New())

	// The client reads (so its default ping handler answers pings) and
	// sends nothing for several pong waits.
	frames := make(chan []byte, 10)
	readErr := make(chan error, 1)
	go func() {
		for {
			_, data, err := conn.ReadMessage()
			if err != nil {
				readErr <- err
				return
			}
			frames <- data
		}
	}()
	select {
	case err := <-readErr:
		t.Fatalf("responsive client dropped: %v", err)
	case <-time.After(3 * pongWait):
	}
	tb.requireCounts(t, 1, 0)
	sendJSON(t, conn, `{"type":"ping"}`)
	select {
	case data := <-frames:
		require.JSONEq(t, `{"type":"pong"}`, string(data))
	case err := <-readErr:
		t.Fatal(err)
	case <-time.After(5 * time.Second):
		t.Fatal("no pong")
	}
}

func TestKeepaliveDropsUnresponsiveClient(t *testing.T) {
	t.Parallel()
	const pongWait = time.Second
	tb := setup(t, Options{PongWait: pongWait})
	conn := tb.dialOperator(t, uuid.New(), uuid.New())
	conn.SetPingHandler(func(string) error { return nil }) // never answers
	tb.requireCounts(t, 1, 0)

	start := time.Now()
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(10*time.Second)))
	var err error
	for err == nil {
		_, _, err = conn.ReadMessage()
	}
	var netErr net.Error
	require.False(t, errors.As(err, &netErr) && netErr.Timeout(), "the server should have dropped the client, got %v", err)
	require.Less(t, time.Since(start), 6*time.Second)
	tb.requireCounts(t, 0, 0)
}

func TestShutdownClosesWithGoingAway(t *testing.T) {
	t.Parallel()
	tb := setup(t, Options{})
	ws := uuid.New()
	op := tb.dialOperator(t, ws, uuid.New())
	widget := tb.dialWidget(t, ws, uuid.New())
	tb.requireCounts(t, 1, 1)

	closes := make(chan *websocket.CloseError, 2)
	for _, c := range []*websocket.Conn{op, widget} {
		go func() { closes <- readClose(t, c) }()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	tb.hub.Shutdown(ctx)
	require.Less(t, time.Since(start), 3*time.Second, "clients answer the close frame; no waiting for the grace period")
	for range 2 {
		ce := <-closes
		require.NotNil(t, ce)
		require.Equal(t, CloseGoingAway, ce.Code)
	}
	o, v := tb.hub.Counts()
	require.Zero(t, o+v)

	status, _ := tb.dialStatus(t, "/operator", ws, uuid.New(), nil)
	require.Equal(t, http.StatusServiceUnavailable, status)
}

func TestHeartbeatIsRateLimited(t *testing.T) {
	t.Parallel()
	// Long enough that a burst sent on a loaded machine stays inside one interval.
	const interval = 2 * time.Second
	tb := setup(t, Options{HeartbeatInterval: interval})
	ws, visitor := uuid.New(), uuid.New()
	widget := tb.dialWidget(t, ws, visitor)
	op := tb.dialOperator(t, ws, uuid.New())

	calls := func() []visitorKey {
		tb.mu.Lock()
		defer tb.mu.Unlock()
		return append([]visitorKey(nil), tb.heartbeatCalls...)
	}
	// Frames are handled in order, so the pong means the heartbeats were.
	heartbeats := func(c *websocket.Conn, n int) {
		for range n {
			sendJSON(t, c, `{"type":"heartbeat"}`)
		}
		sendJSON(t, c, `{"type":"ping"}`)
		require.Equal(t, "pong", readFrame(t, c).Type)
	}

	heartbeats(widget, 5)
	require.Equal(t, []visitorKey{{ws, visitor}}, calls())

	heartbeats(op, 3) // operators' heartbeats are keepalives only
	require.Len(t, calls(), 1)

	time.Sleep(interval + 100*time.Millisecond)
	heartbeats(widget, 3)
	require.Len(t, calls(), 2)
}

func TestBadFrameKeepsConnection(t *testing.T) {
	t.Parallel()
	tb := setup(t, Options{})
	conn := tb.dialWidget(t, uuid.New(), uuid.New())

	for _, tt := range []struct{ in, msg string }{
		{`not json`, "JSON object"},
		{`{"type":"subscribe"}`, `"subscribe"`},
		{`{"type":5}`, `"type"`},
		{`{}`, `"type"`},
	} {
		sendJSON(t, conn, tt.in)
		f := readFrame(t, conn)
		require.Equal(t, "error", f.Type)
		require.NotNil(t, f.Error)
		require.Equal(t, "bad_frame", f.Error.Code)
		require.Contains(t, f.Error.Message, tt.msg)
	}
	require.NoError(t, conn.WriteMessage(websocket.BinaryMessage, []byte{1, 2, 3}))
	f := readFrame(t, conn)
	require.Equal(t, "bad_frame", f.Error.Code)

	sendJSON(t, conn, `{"type":"ping"}`)
	require.Equal(t, "pong", readFrame(t, conn).Type)
	tb.requireCounts(t, 0, 1)
}

func TestOversizedFrameClosesWith1009(t *testing.T) {
	t.Parallel()
	tb := setup(t, Options{MaxMessageSize: 64})
	conn := tb.dialOperator(t, uuid.New(), uuid.New())
	sendJSON(t, conn, `{"type":"ping","pad":"`+strings.Repeat("x", 100)+`"}`)
	require.Equal(t, websocket.CloseMessageTooBig, readClose(t, conn).Code)
	tb.requireCounts(t, 0, 0)
}

func TestFloodClosesWithPolicyViolation(t *testing.T) {
	t.Parallel()
	tb := setup(t, Options{})
	conn := tb.dialOperator(t, uuid.New(), uuid.New())
	for range inboundBurst + 20 {
		sendJSON(t, conn, `{"type":"ping"}`)
	}
	require.Equal(t, ClosePolicyViolation, readClose(t, conn).Code)
	tb.requireCounts(t, 0, 0)
}

func TestCountsFollowConnections(t *testing.T) {
	t.Parallel()
	tb := setup(t, Options{})
	ws1, ws2, visitor := uuid.New(), uuid.New(), uuid.New()
	op1 := tb.dialOperator(t, ws1, uuid.New())
	tb.dialOperator(t, ws1, uuid.New())
	tb.dialOperator(t, ws2, uuid.New())
	w1 := tb.dialWidget(t, ws1, visitor)
	tb.dialWidget(t, ws1, visitor)
	// Registration happens before the handshake answer: no waiting needed.
	o, v := tb.hub.Counts()
	require.Equal(t, 3, o)
	require.Equal(t, 2, v)

	require.NoError(t, op1.Close()) // abrupt
	tb.requireCounts(t, 2, 2)
	require.NoError(t, w1.WriteControl(websocket.CloseMessage,
		websocket.FormatCloseMessage(websocket.CloseNormalClosure, "bye"), time.Now().Add(time.Second)))
	tb.requireCounts(t, 2, 1)
}

// Deliver from several goroutines while sockets come and go: run with -race.
func TestDeliverConcurrentWithConnections(t *testing.T) {
	t.Parallel()
	tb := setup(t, Options{})
	ws := uuid.New()
	var stop atomic.Bool
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			for i := int64(0); !stop.Load(); i++ {
				tb.hub.Deliver(event(ws, uuid.Nil, i, `{}`, `{}`))
				time.Sleep(100 * time.Microsecond)
			}
		})
	}
	for range 10 {
		op := tb.dialOperator(t, ws, uuid.New())
		w := tb.dialWidget(t, ws, uuid.Nil)
		_ = readFrame(t, op)
		_ = readFrame(t, w)
		_ = op.Close()
		_ = w.Close()
	}
	stop.Store(true)
	wg.Wait()
	tb.requireCounts(t, 0, 0)
	require.Zero(t, tb.hub.SlowConsumers())
}

// dialCredential opens an operator socket authenticated by query (see
// setup), e.g. "session=<id>".
func (tb *testBundle) dialCredential(t *testing.T, ws, id uuid.UUID, query string) *websocket.Conn {
	t.Helper()
	conn, resp, err := websocket.DefaultDialer.Dial(tb.wsURL+"/operator?ws="+ws.String()+"&id="+id.String()+"&"+query, nil)
	require.NoError(t, err)
	_ = resp.Body.Close()
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

// dialDevice opens a widget socket of a visitor verified as contact.
func (tb *testBundle) dialDevice(t *testing.T, ws, visitor, contact uuid.UUID) *websocket.Conn {
	t.Helper()
	url := tb.wsURL + "/widget?ws=" + ws.String() + "&id=" + visitor.String() + "&contact=" + contact.String()
	conn, resp, err := websocket.DefaultDialer.Dial(url, http.Header{"Origin": {allowedWidgetOrigin}})
	require.NoError(t, err)
	_ = resp.Body.Close()
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

// requireOpen requires the socket to answer a ping.
func requireOpen(t *testing.T, conn *websocket.Conn) {
	t.Helper()
	sendJSON(t, conn, `{"type":"ping"}`)
	require.Equal(t, "pong", readFrame(t, conn).Type)
}

func TestRevokeClosesOnlyTheCredentialsSockets(t *testing.T) {
	t.Parallel()
	tb := setup(t, Options{})
	ws, who, other := uuid.New(), uuid.New(), uuid.New()
	s1, s2, tok := uuid.New(), uuid.New(), uuid.New()
	bySession1 := tb.dialCredential(t, ws, who, "session="+s1.String())
	bySession2 := tb.dialCredential(t, ws, who, "session="+s2.String())
	byToken := tb.dialCredential(t, ws, who, "token="+tok.String())
	bystander := tb.dialCredential(t, ws, other, "session="+uuid.NewString())
	tb.requireCounts(t, 4, 0)

	// The same subject in another workspace is not this one's.
	require.Zero(t, tb.hub.Revoke(bus.Revocation{ID: 1, WorkspaceID: uuid.New(), Kind: bus.RevokedOperator, SubjectID: who}))

	require.Equal(t, 1, tb.hub.Revoke(bus.Revocation{ID: 2, WorkspaceID: ws, Kind: bus.RevokedSession, SubjectID: s1}))
	require.Equal(t, CloseRevoked, readClose(t, bySession1).Code)
	requireOpen(t, bySession2)
	requireOpen(t, byToken)

	require.Equal(t, 1, tb.hub.Revoke(bus.Revocation{ID: 3, WorkspaceID: ws, Kind: bus.RevokedToken, SubjectID: tok}))
	require.Equal(t, CloseRevoked, readClose(t, byToken).Code)
	requireOpen(t, bySession2)

	// An operator's revocation takes every socket of theirs.
	require.Equal(t, 1, tb.hub.Revoke(bus.Revocation{ID: 4, WorkspaceID: ws, Kind: bus.RevokedOperator, SubjectID: who}))
	require.Equal(t, CloseRevoked, readClose(t, bySession2).Code)
	requireOpen(t, bystander)
	tb.requireCounts(t, 1, 0)
	require.EqualValues(t, 3, tb.hub.Revoked())

	// Each id acts once: the bus and the poll both report it.
	require.Zero(t, tb.hub.Revoke(bus.Revocation{ID: 4, WorkspaceID: ws, Kind: bus.RevokedOperator, SubjectID: other}))
	requireOpen(t, bystander)
}

func TestRevocationTravelsAsBusEvent(t *testing.T) {
	t.Parallel()
	tb := setup(t, Options{})
	ws, who := uuid.New(), uuid.New()
	sess := uuid.New()
	conn := tb.dialCredential(t, ws, who, "session="+sess.String())

	// An event that does not decode is dropped, never forwarded.
	tb.hub.Deliver(bus.Event{Type: bus.TypeCredentialRevoked, WorkspaceID: ws, Data: json.RawMessage(`"nonsense"`)})
	requireOpen(t, conn)

	tb.hub.Deliver(bus.Revocation{ID: 7, WorkspaceID: ws, Kind: bus.RevokedSession, SubjectID: sess}.Event())
	require.Equal(t, CloseRevoked, readClose(t, conn).Code)
	require.EqualValues(t, 1, tb.hub.Revoked())
}

// A socket whose credential was checked before the hub learnt of its
// revocation, but that registers after, is closed as it opens; one
// checked after is not (the operator was reactivated and logged in again).
func TestRevocationSeenBeforeRegisterClosesLateSocket(t *testing.T) {
	t.Parallel()
	tb := setup(t, Options{})
	ws, who := uuid.New(), uuid.New()
	sess := uuid.New()
	tb.hub.Revoke(bus.Revocation{ID: 1, WorkspaceID: ws, Kind: bus.RevokedSession, SubjectID: sess})
	tb.hub.Revoke(bus.Revocation{ID: 2, WorkspaceID: ws, Kind: bus.RevokedOperator, SubjectID: who})

	raced := tb.dialCredential(t, ws, who, "session="+sess.String()+"&checked_ago=1s")
	require.Equal(t, CloseRevoked, readClose(t, raced).Code)

	later := tb.dialCredential(t, ws, who, "session="+uuid.NewString())
	requireOpen(t, later)
	require.EqualValues(t, 1, tb.hub.Revoked())
}

func contactEvent(ws, visitor, contact uuid.UUID, seq int64) bus.Event {
	ev := event(ws, visitor, seq, `{"op":"data"}`, `{"for":"widget"}`)
	ev.ContactID = &contact
	return ev
}

func identified(ws, visitor uuid.UUID, contact *uuid.UUID) bus.Event {
	return bus.Event{Type: bus.TypeVisitorIdentified, WorkspaceID: ws, VisitorID: visitor, ContactID: contact}
}

func seqs(t *testing.T, conn *websocket.Conn, n int) []int64 {
	t.Helper()
	out := make([]int64, n)
	for i := range out {
		out[i] = readFrame(t, conn).Seq
	}
	return out
}

func TestContactAudienceReachesEveryDevice(t *testing.T) {
	t.Parallel()
	tb := setup(t, Options{})
	ws, contact := uuid.New(), uuid.New()
	laptopID, phoneID, tabletID, strangerID := uuid.New(), uuid.New(), uuid.New(), uuid.New()
	laptop := tb.dialDevice(t, ws, laptopID, contact)
	laptopTab := tb.dialDevice(t, ws, laptopID, contact)
	phone := tb.dialDevice(t, ws, phoneID, contact)
	tablet := tb.dialWidget(t, ws, tabletID) // not identified yet
	stranger := tb.dialWidget(t, ws, strangerID)
	elsewhere := tb.dialDevice(t, uuid.New(), uuid.New(), contact) // same id, other workspace
	tb.requireCounts(t, 0, 6)

	// A conversation of the laptop's with the contact reaches every device
	// once: the laptop's sockets as its own and as the contact's.
	tb.hub.Deliver(contactEvent(ws, laptopID, contact, 1))
	// The tablet identifies: its socket joins the audience.
	tb.hub.Deliver(identified(ws, tabletID, &contact))
	tb.hub.Deliver(contactEvent(ws, phoneID, contact, 2))
	// The phone's visitor is no longer verified: it leaves the audience
	// but still hears its own conversations.
	tb.hub.Deliver(identified(ws, phoneID, nil))
	tb.hub.Deliver(contactEvent(ws, laptopID, contact, 3))
	tb.hub.Deliver(event(ws, phoneID, 4, `{}`, `{"own":true}`))
	// A payload not for widgets reaches no device.
	ev := contactEvent(ws, laptopID, contact, 5)
	ev.Visitor = nil
	tb.hub.Deliver(ev)
	tb.hub.Deliver(event(ws, strangerID, 6, `{}`, `{"end":true}`))
	tb.hub.Deliver(contactEvent(ws, tabletID, contact, 7))

	require.Equal(t, []int64{1, 2, 3, 7}, seqs(t, laptop, 4))
	require.Equal(t, []int64{1, 2, 3, 7}, seqs(t, laptopTab, 4))
	require.Equal(t, []int64{1, 2, 4}, seqs(t, phone, 3))
	require.Equal(t, []int64{2, 3, 7}, seqs(t, tablet, 3))
	require.Equal(t, []int64{6}, seqs(t, stranger, 1))

	// Another workspace's socket of a contact with the same id hears
	// nothing.
	require.NoError(t, elsewhere.SetReadDeadline(time.Now().Add(200*time.Millisecond)))
	_, _, err := elsewhere.ReadMessage()
	var ne net.Error
	require.True(t, errors.As(err, &ne) && ne.Timeout(), "want no frame, got %v", err)

	// A closed device leaves the audience with its socket.
	require.NoError(t, phone.Close())
	require.NoError(t, tablet.Close())
	tb.requireCounts(t, 0, 4)
	tb.hub.mu.RLock()
	n := len(tb.hub.contacts[contactKey{ws, contact}])
	tb.hub.mu.RUnlock()
	require.Equal(t, 2, n, "the laptop's two sockets")
}

func TestIdentityRequiredClosesUnverifiedWidgets(t *testing.T) {
	t.Parallel()
	tb := setup(t, Options{})
	ws, contact := uuid.New(), uuid.New()
	anonID, verifiedID, lateID := uuid.New(), uuid.New(), uuid.New()
	anon := tb.dialWidget(t, ws, anonID)
	verified := tb.dialDevice(t, ws, verifiedID, contact)
	late := tb.dialWidget(t, ws, lateID)
	op := tb.dialOperator(t, ws, uuid.New())
	otherAnon := tb.dialWidget(t, uuid.New(), uuid.New())
	tb.requireCounts(t, 1, 4)
	// This one identified after its socket opened: it is verified now.
	tb.hub.Deliver(identified(ws, lateID, &contact))

	tb.hub.Deliver(bus.Event{Type: bus.TypeIdentityRequired, WorkspaceID: ws})
	require.Equal(t, CloseIdentityRequired, readClose(t, anon).Code)
	tb.requireCounts(t, 1, 3)

	// Nothing is forwarded of the rule itself; the others carry on.
	tb.hub.Deliver(contactEvent(ws, verifiedID, contact, 1))
	require.EqualValues(t, 1, readFrame(t, verified).Seq)
	require.EqualValues(t, 1, readFrame(t, late).Seq)
	require.EqualValues(t, 1, readFrame(t, op).Seq)
	require.NoError(t, otherAnon.SetReadDeadline(time.Now().Add(200*time.Millisecond)))
	_, _, err := otherAnon.ReadMessage()
	var ne net.Error
	require.True(t, errors.As(err, &ne) && ne.Timeout(), "another workspace's widget stays open and hears nothing: %v", err)
}
