package bench

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/websocket"

	"github.com/switchboardhq/switchboard/app"
	"github.com/switchboardhq/switchboard/auth"
	"github.com/switchboardhq/switchboard/store"
)

const sessionCookie = "sb_session"

// Message states.
const (
	msgPending uint8 = iota // not sent (the run was interrupted first)
	msgSkipped              // its sender slot came more than Timeout late
	msgFailed               // HTTP error, timeout or non-201
	msgAcked                // 201 Created
)

// msg is one scheduled message. Written only by the sender that owns it,
// read after every sender has finished.
type msg struct {
	intended  time.Duration // since runner.base
	sendStart time.Duration
	sendEnd   time.Duration
	state     uint8
	errKind   string
}

// recv is one receipt of a bench message on a socket.
type recv struct {
	msg int32
	at  time.Duration // since runner.base
}

// sock is one WebSocket; its reader goroutine owns seen, recs and the
// counters until done is closed.
type sock struct {
	ws       int  // workspace index
	operator bool // an operator's inbox socket (else a widget's)
	conn     *websocket.Conn
	done     chan struct{}

	seen   []uint64 // bitset over message indexes
	recs   []recv
	dups   int
	frames int
	// dropErr is why the socket ended while the run was still going.
	dropErr error
}

type visitor struct {
	ws      int
	token   string
	sendURL string
	convURL string // the operator API's path of its conversation
	sock    *sock

	// The mix: customer messages since the last reply, how many until the
	// next, replies so far.
	mu      sync.Mutex
	since   int
	next    int
	replies int
}

// opSession is an operator's logged-in session, for replies and commands.
type opSession struct {
	cookie string
	csrf   string
}

type runner struct {
	o      Options
	runID  string
	base   time.Time // every recorded instant is time.Since(base)
	api    *url.URL
	origin string
	client *http.Client // the senders': kept-alive connections
	// setup makes one connection per request, so that each can come from
	// its simulated client's own address.
	setup  *http.Client
	spread bool // give each simulated client its own source address
	dialer *websocket.Dialer

	marker   []byte // "sbbench-<run>-": found in a frame, it names a message
	password string
	wsIDs    []uuid.UUID
	opsPerWS []int

	operators []*sock
	sessions  []opSession // by operator index
	visitors  []*visitor

	loadStart time.Duration // since base
	msgs      []msg

	expected  atomic.Int64 // deliveries owed: operators of the workspace per acked message
	delivered atomic.Int64 // first receipts of bench messages on operator sockets
	acked     atomic.Int64
	echoed    atomic.Int64
	// The mix's operator side.
	replies   atomic.Int64
	commands  atomic.Int64
	mixMu     sync.Mutex
	mixErrors map[string]int
	stopping  atomic.Bool
	// onFrame, when set, sees every frame of the first operator (the timers
	// and SLA scenarios).
	onFrame atomic.Pointer[firstSeen]
	// slaOpen is when the SLA burst's business hours open.
	slaOpen time.Time
}

// Run sets up fixtures and connections, drives the load and returns the
// figures. It returns an error only when the run could not be carried
// out (setup failed); a slow or lossy system is a result, not an error.
// When ctx ends during the load the partial result is returned with
// Interrupted set.
func Run(ctx context.Context, o Options) (*Result, error) {
	o = o.withDefaults()
	if err := o.Validate(); err != nil {
		return nil, err
	}
	r := &runner{o: o, base: time.Now()}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	r.runID = hex.EncodeToString(b)
	r.marker = []byte("sbbench-" + r.runID + "-")
	// Allocated before any socket opens: readers check indexes against it.
	r.msgs = make([]msg, o.messages())

	res := &Result{
		RunID: r.runID, URL: o.URL, Workspaces: o.Workspaces, Operators: o.Operators, Visitors: o.Visitors,
		Rate: o.Rate, DurationS: o.Duration.Seconds(), WarmupS: o.Warmup.Seconds(), BodySize: o.BodySize,
		TimeoutS: o.Timeout.Seconds(), Senders: o.Senders, StartedAt: time.Now().UTC(),
	}

	limit, err := raiseFileLimit()
	res.FileLimit = limit
	sockets := o.Operators + o.Visitors
	if o.Timers > 0 || o.SLA > 0 {
		sockets = o.Operators // no widget sockets in the timers scenario
	}
	need := uint64(sockets + o.Senders + o.SetupConcurrency + 64)
	if err != nil {
		r.logf("could not raise RLIMIT_NOFILE (%v); it is %d", err, limit)
	}
	if limit != 0 && limit < need {
		return nil, fmt.Errorf("RLIMIT_NOFILE is %d, this run needs about %d descriptors (sockets + HTTP connections); raise the hard limit (ulimit -Hn) or lower -operators/-visitors", limit, need)
	}
	r.logf("RLIMIT_NOFILE %d (need about %d)", limit, need)

	r.api, _ = url.Parse(strings.TrimSuffix(o.URL, "/"))
	r.origin = r.api.Scheme + "://" + r.api.Host
	transport := &http.Transport{
		Proxy:               nil, // never through a proxy from the environment
		DialContext:         dialContext(o.AllowRemote),
		MaxIdleConns:        o.Senders + o.SetupConcurrency,
		MaxIdleConnsPerHost: o.Senders + o.SetupConcurrency,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: 10 * time.Second,
		DisableCompression:  true,
	}
	defer transport.CloseIdleConnections()
	r.client = &http.Client{
		Transport:     transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	setupTransport := &http.Transport{
		Proxy:               nil,
		DialContext:         dialContext(o.AllowRemote),
		DisableKeepAlives:   true,
		TLSHandshakeTimeout: 10 * time.Second,
		DisableCompression:  true,
	}
	r.setup = &http.Client{Transport: setupTransport, CheckRedirect: r.client.CheckRedirect}
	r.spread = !o.SingleSource && loopbackHost(r.api.Hostname())
	if perVisitor := o.Rate / float64(o.Visitors); perVisitor > 1 {
		r.logf("warning: %.2g messages/s per visitor; the server's default per-visitor limit is 60 a minute, expect 429s", perVisitor)
	}
	r.dialer = &websocket.Dialer{
		NetDialContext:   dialContext(o.AllowRemote),
		HandshakeTimeout: 10 * time.Second,
		ReadBufferSize:   4096,
		WriteBufferSize:  512,
	}
	defer r.closeSockets()

	setupStart := time.Now()
	if err := r.checkServer(ctx); err != nil {
		return nil, err
	}
	t := time.Now()
	if err := r.createFixtures(ctx); err != nil {
		return nil, err
	}
	res.Setup.FixturesS = time.Since(t).Seconds()
	t = time.Now()
	if err := r.connectOperators(ctx); err != nil {
		return nil, err
	}
	res.Setup.OperatorsS = time.Since(t).Seconds()
	t = time.Now()
	if err := r.connectVisitors(ctx); err != nil {
		return nil, err
	}
	res.Setup.VisitorsS = time.Since(t).Seconds()
	t = time.Now()
	r.settle(ctx)
	res.Setup.SettleS = time.Since(t).Seconds()
	res.Setup.TotalS = time.Since(setupStart).Seconds()
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}

	if o.Timers > 0 {
		r.timers(ctx, res)
		r.closeSockets()
		return res, nil
	}
	if o.SLA > 0 {
		r.slaBurst(ctx, res)
		r.closeSockets()
		return res, nil
	}
	// CPU used during the load, by the server (from its /metrics) and by
	// bench itself: on a small machine they share the cores.
	before, _ := r.scrape(ctx)
	benchBefore := processCPU()
	loadStarted := time.Now()
	r.load(ctx)
	res.Interrupted = ctx.Err() != nil
	after, _ := r.scrape(context.Background())
	elapsed := time.Since(loadStarted).Seconds()
	res.BenchCPUCores = (processCPU() - benchBefore).Seconds() / elapsed
	if a, ok := after["process_cpu_seconds_total"]; ok {
		if b, ok := before["process_cpu_seconds_total"]; ok {
			v := (a - b) / elapsed
			res.ServerCPUCores = &v
		}
	}
	res.Replies = int(r.replies.Load())
	res.Commands = int(r.commands.Load())
	res.MixErrors = r.mixErrors
	res.Durable = durableCosts(before, after, float64(r.acked.Load())+float64(res.Replies))
	if v, ok := after["process_resident_memory_bytes"]; ok {
		v /= 1 << 20
		res.ServerRSSMiB = &v
	}
	if v, ok := after["go_goroutines"]; ok {
		res.ServerGoroutines = &v
	}
	r.closeSockets()
	// The outbox after the run: messages not yet handed to their workflow.
	if m, ok := r.scrape(context.Background()); ok {
		if v, ok := m["switchboard_outbox_backlog"]; ok {
			res.OutboxBacklogEnd = &v
		}
	}
	r.collect(res)
	return res, nil
}

func (r *runner) logf(format string, args ...any) {
	fmt.Fprintf(r.o.Log, "bench: "+format+"\n", args...)
}

// checkServer makes sure something Switchboard-like answers at the URL
// before anything is written to the database.
func (r *runner) checkServer(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, r.api.String()+"/healthz", nil)
	resp, err := r.client.Do(req)
	if err != nil {
		return fmt.Errorf("the system at %s does not answer (start it with `switchboard dev`): %w", r.o.URL, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s/healthz: %s", r.o.URL, resp.Status)
	}
	return nil
}

// createFixtures writes the workspaces and operators straight to
// PostgreSQL: there is no public API to create them. Every operator gets
// the same random password, hashed once (bcrypt is deliberately slow).
func (r *runner) createFixtures(ctx context.Context) error {
	pool, err := app.Connect(ctx, r.o.DatabaseURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	st := store.New(pool)

	r.password = auth.RandomPassword()
	hash, err := auth.HashPassword(r.password)
	if err != nil {
		return err
	}
	stamp := time.Now().UTC().Format("2006-01-02T15:04:05Z")
	wsIDs := make([]uuid.UUID, r.o.Workspaces)
	for i := range wsIDs {
		w, err := st.CreateWorkspace(ctx, fmt.Sprintf("bench %s #%d", stamp, i+1))
		if err != nil {
			return fmt.Errorf("creating bench workspace: %w", err)
		}
		wsIDs[i] = w.ID
	}
	r.opsPerWS = make([]int, r.o.Workspaces)
	r.operators = make([]*sock, r.o.Operators)
	r.sessions = make([]opSession, r.o.Operators)
	for i := range r.operators {
		ws := i % r.o.Workspaces
		_, err := st.CreateOperator(ctx, store.NewOperator{
			WorkspaceID: wsIDs[ws], Email: r.operatorEmail(i), Name: fmt.Sprintf("Bench operator %d", i+1),
			PasswordHash: hash, Role: "operator",
		})
		if err != nil {
			return fmt.Errorf("creating bench operator: %w", err)
		}
		r.operators[i] = &sock{ws: ws, operator: true}
		r.opsPerWS[ws]++
	}
	r.visitors = make([]*visitor, r.o.Visitors)
	for i := range r.visitors {
		r.visitors[i] = &visitor{ws: i % r.o.Workspaces}
	}
	r.wsIDs = wsIDs
	if r.o.SLA > 0 {
		if err := r.slaFixtures(ctx, st, pool); err != nil {
			return fmt.Errorf("SLA burst fixtures: %w", err)
		}
	}
	r.logf("run %s: created %d workspaces and %d operators (password hashed once) in PostgreSQL", r.runID, len(wsIDs), len(r.operators))
	return nil
}

func (r *runner) operatorEmail(i int) string {
	return fmt.Sprintf("bench-%s-%d@bench.invalid", r.runID, i+1)
}

// parallel runs fn(0..n-1) on at most conc goroutines and returns the
// first error, after which the remaining calls are skipped.
func parallel(ctx context.Context, n, conc int, fn func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(conc, n) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				if err := fn(ctx, i); err != nil {
					cancel(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return ctx.Err()
}

// postJSON posts in as JSON and decodes a want-status answer into out.
// It runs on the setup client, from simulated client k's own address.
func (r *runner) postJSON(ctx context.Context, k int, path, bearer string, in, out any, want int) (*http.Response, error) {
	ctx = r.from(ctx, k)
	body, err := json.Marshal(in)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.api.String()+path, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := r.setup.Do(req)
	if err != nil {
		return nil, fmt.Errorf("POST %s: %w", path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("POST %s: reading the answer: %w", path, err)
	}
	if resp.StatusCode != want {
		return nil, fmt.Errorf("POST %s: %s: %s", path, resp.Status, truncate(string(data), 300))
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return nil, fmt.Errorf("POST %s: decoding %q: %w", path, truncate(string(data), 300), err)
		}
	}
	return resp, nil
}

func truncate(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

func (r *runner) wsURL(path string) string {
	u := *r.api
	if u.Scheme == "https" {
		u.Scheme = "wss"
	} else {
		u.Scheme = "ws"
	}
	return u.String() + path
}

// from makes ctx's connections come from simulated client k's address.
func (r *runner) from(ctx context.Context, k int) context.Context {
	if !r.spread {
		return ctx
	}
	return withSource(ctx, sourceIP(k))
}

// dial opens simulated client k's socket and starts its reader.
func (r *runner) dial(ctx context.Context, k int, s *sock, rawURL string, hdr http.Header) error {
	ctx = r.from(ctx, k)
	hdr.Set("Origin", r.origin)
	conn, resp, err := r.dialer.DialContext(ctx, rawURL, hdr)
	if err != nil {
		if resp != nil {
			data, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
			resp.Body.Close()
			return fmt.Errorf("%w (%s: %s)", err, resp.Status, truncate(string(data), 300))
		}
		return err
	}
	s.conn = conn
	s.done = make(chan struct{})
	s.seen = make([]uint64, (len(r.msgs)+63)/64)
	go r.read(s)
	return nil
}

// connectOperators logs every operator in over the API and opens its
// inbox socket with the session cookie, as the web inbox does.
func (r *runner) connectOperators(ctx context.Context) error {
	err := parallel(ctx, len(r.operators), r.o.SetupConcurrency, func(ctx context.Context, i int) error {
		var login struct {
			CSRF string `json:"csrf_token"`
		}
		resp, err := r.postJSON(ctx, i, "/api/v1/auth/login", "",
			map[string]string{"email": r.operatorEmail(i), "password": r.password}, &login, http.StatusOK)
		if err != nil {
			return fmt.Errorf("operator login: %w", err)
		}
		var session string
		for _, c := range resp.Cookies() {
			if c.Name == sessionCookie {
				session = c.Value
			}
		}
		if session == "" {
			return fmt.Errorf("operator login: no %s cookie in the answer", sessionCookie)
		}
		r.sessions[i] = opSession{cookie: (&http.Cookie{Name: sessionCookie, Value: session}).String(), csrf: login.CSRF}
		hdr := http.Header{}
		hdr.Set("Cookie", r.sessions[i].cookie)
		if err := r.dial(ctx, i, r.operators[i], r.wsURL("/ws/operator"), hdr); err != nil {
			return fmt.Errorf("operator socket: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	r.logf("%d operators logged in, %d operator sockets open", len(r.operators), len(r.operators))
	return nil
}

// connectVisitors starts a widget session and a conversation per visitor
// and opens its widget socket, as the widget does.
func (r *runner) connectVisitors(ctx context.Context) error {
	var done atomic.Int64
	err := parallel(ctx, len(r.visitors), r.o.SetupConcurrency, func(ctx context.Context, i int) error {
		v := r.visitors[i]
		var sess struct {
			Token string `json:"token"`
		}
		if _, err := r.postJSON(ctx, len(r.operators)+i, "/api/v1/widget/sessions", "",
			map[string]string{"workspace_id": r.wsIDs[v.ws].String()}, &sess, http.StatusCreated); err != nil {
			return fmt.Errorf("widget session: %w", err)
		}
		if sess.Token == "" {
			return errors.New("widget session: no token in the answer")
		}
		v.token = sess.Token
		var conv struct {
			Conversation struct {
				ID uuid.UUID `json:"id"`
			} `json:"conversation"`
		}
		if _, err := r.postJSON(ctx, len(r.operators)+i, "/api/v1/widget/conversations", v.token,
			map[string]string{"subject": "bench"}, &conv, http.StatusCreated); err != nil {
			return fmt.Errorf("starting a conversation: %w", err)
		}
		if conv.Conversation.ID == uuid.Nil {
			return errors.New("starting a conversation: no conversation id in the answer")
		}
		v.sendURL = r.api.String() + "/api/v1/widget/conversations/" + conv.Conversation.ID.String() + "/messages"
		v.convURL = r.api.String() + "/api/v1/conversations/" + conv.Conversation.ID.String()
		v.next = r.o.ReplyEvery
		if r.o.Timers > 0 || r.o.SLA > 0 {
			// The timers and SLA scenarios watches operator sockets only: tens of
			// thousands of widget sockets would cost descriptors, not tell.
			return nil
		}
		v.sock = &sock{ws: v.ws}
		if err := r.dial(ctx, len(r.operators)+i, v.sock, r.wsURL("/ws/widget?token="+url.QueryEscape(v.token)), http.Header{}); err != nil {
			return fmt.Errorf("widget socket: %w", err)
		}
		if n := done.Add(1); n%500 == 0 {
			r.logf("%d/%d visitors connected", n, len(r.visitors))
		}
		return nil
	})
	if err != nil {
		return err
	}
	r.logf("%d visitors with a conversation and a widget socket each", len(r.visitors))
	return nil
}

// settle waits, after setup, until the server's outbox is empty and its
// process is nearly idle: starting thousands of conversations sets off as
// many workflow starts, which must not overlap the measured load. Both
// signals come from the server's /metrics; without them it does not wait.
func (r *runner) settle(ctx context.Context) {
	if r.o.Settle <= 0 {
		return
	}
	const idleCores = 0.15
	deadline := time.Now().Add(r.o.Settle)
	prevCPU, prevAt := -1.0, time.Time{}
	for {
		m, ok := r.scrape(ctx)
		backlog, hasBacklog := m["switchboard_outbox_backlog"]
		cpu, hasCPU := m["process_cpu_seconds_total"]
		if !ok || (!hasBacklog && !hasCPU) {
			r.logf("no outbox or CPU figures on %s/metrics; not waiting for the server to settle", r.o.URL)
			return
		}
		now := time.Now()
		busy := hasBacklog && backlog > 0
		cores := -1.0
		if hasCPU {
			if prevCPU >= 0 {
				cores = (cpu - prevCPU) / now.Sub(prevAt).Seconds()
				busy = busy || cores > idleCores
			} else {
				busy = true // one more sample to measure
			}
			prevCPU, prevAt = cpu, now
		}
		if !busy {
			r.logf("server settled (outbox empty, %.2f cores busy)", max(cores, 0))
			return
		}
		if now.After(deadline) {
			r.logf("server not settled after %s (outbox %g rows, %.2f cores busy); starting anyway", r.o.Settle, backlog, cores)
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
}

// scrape reads the unlabelled samples of the server's Prometheus
// endpoint that bench reports on.
func (r *runner) scrape(ctx context.Context) (map[string]float64, bool) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, r.api.String()+"/metrics", nil)
	resp, err := r.client.Do(req)
	if err != nil {
		return nil, false
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil || resp.StatusCode != http.StatusOK {
		return nil, false
	}
	out := map[string]float64{}
	for _, name := range scraped {
		if v, ok := metricValue(data, name); ok {
			out[name] = v
		}
	}
	return out, true
}

// scraped are the server's metrics bench reads before and after the load.
var scraped = []string{
	"switchboard_outbox_backlog", "process_cpu_seconds_total", "go_goroutines", "process_resident_memory_bytes",
	// The durable path's actions and lag.
	"switchboard_outbox_signals_total", "switchboard_workflow_updates_total",
	"switchboard_sdk_temporal_workflow_task_execution_seconds_count", "switchboard_sdk_temporal_activity_execution_seconds_count",
	"switchboard_outbox_delivery_seconds_sum", "switchboard_outbox_delivery_seconds_count",
	"switchboard_message_to_workflow_seconds_sum", "switchboard_message_to_workflow_seconds_count",
}

// metricValue finds an unlabelled sample in Prometheus text format.
func metricValue(text []byte, name string) (float64, bool) {
	for line := range bytes.Lines(text) {
		rest, ok := bytes.CutPrefix(bytes.TrimSpace(line), []byte(name))
		if !ok || len(rest) == 0 || (rest[0] != ' ' && rest[0] != '\t') {
			continue
		}
		f := strings.Fields(string(rest))
		if len(f) == 0 {
			continue
		}
		v, err := strconv.ParseFloat(f[0], 64)
		if err == nil {
			return v, true
		}
	}
	return 0, false
}

// read consumes a socket's frames until it closes, recording the first
// receipt of every bench message.
func (r *runner) read(s *sock) {
	defer close(s.done)
	for {
		_, data, err := s.conn.ReadMessage()
		if err != nil {
			if !r.stopping.Load() {
				s.dropErr = err
			}
			return
		}
		at := time.Since(r.base)
		s.frames++
		if obs := r.onFrame.Load(); obs != nil && s == r.operators[0] {
			obs.frame(data, at)
		}
		i, ok := r.messageIndex(data)
		if !ok {
			continue
		}
		if s.seen[i/64]&(1<<(i%64)) != 0 {
			s.dups++
			continue
		}
		s.seen[i/64] |= 1 << (i % 64)
		s.recs = append(s.recs, recv{msg: int32(i), at: at})
		if s.operator {
			r.delivered.Add(1)
		} else {
			r.echoed.Add(1)
		}
	}
}

var messageCreatedPrefix = []byte(`{"type":"message.created"`)

// messageIndex returns the index of the bench message a frame carries. A
// frame counts when it is a message.created event whose body holds this
// run's marker followed by an index in range.
func (r *runner) messageIndex(frame []byte) (int, bool) {
	if !bytes.HasPrefix(frame, messageCreatedPrefix) {
		// Not the server's usual field order: decode to be sure.
		var f struct {
			Type string `json:"type"`
		}
		if json.Unmarshal(frame, &f) != nil || f.Type != "message.created" {
			return 0, false
		}
	}
	k := bytes.Index(frame, r.marker)
	if k < 0 {
		return 0, false
	}
	rest := frame[k+len(r.marker):]
	n, digits := 0, 0
	for digits < len(rest) && digits < 9 && rest[digits] >= '0' && rest[digits] <= '9' {
		n = n*10 + int(rest[digits]-'0')
		digits++
	}
	if digits == 0 || digits == len(rest) || rest[digits] != ';' || n >= len(r.msgs) {
		return 0, false
	}
	return n, true
}

// body is message i's text: the marker, the index, then padding up to
// BodySize (never shorter than the marker and index).
func (r *runner) body(i int) string {
	s := string(r.marker) + strconv.Itoa(i) + ";"
	if pad := r.o.BodySize - len(s); pad > 0 {
		s += strings.Repeat("x", pad)
	}
	return s
}

// load runs the open-loop schedule and waits for the deliveries.
func (r *runner) load(ctx context.Context) {
	n := len(r.msgs)
	jobs := make(chan int, n) // never full: the scheduler never waits
	var senders sync.WaitGroup
	for range r.o.Senders {
		senders.Go(func() {
			for i := range jobs {
				r.send(ctx, i)
			}
		})
	}
	// Progress once a second, from the counters.
	stopProgress := make(chan struct{})
	var progress sync.WaitGroup
	progress.Go(func() { r.progress(stopProgress) })

	r.logf("load: %d messages at %g msg/s over %s (first %s warmup)", n, r.o.Rate, r.o.Duration, r.o.Warmup)
	start := time.Now()
	r.loadStart = start.Sub(r.base)
	for i := range r.msgs {
		r.msgs[i].intended = r.loadStart + offset(i, r.o.Rate)
	}
	schedule(ctx, start, r.o.Rate, n, func(i int, _ time.Duration) { jobs <- i })
	close(jobs)
	senders.Wait()

	// Wait for deliveries: until every acked message reached every socket
	// it should, or the last message's timeout has passed.
	deadline := r.base.Add(r.loadStart + offset(n-1, r.o.Rate) + r.o.Timeout)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		if r.delivered.Load() >= r.expected.Load() && r.echoed.Load() >= r.acked.Load() {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	close(stopProgress)
	progress.Wait()
}

func (r *runner) progress(stop <-chan struct{}) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	var lastAcked, lastDelivered int64
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			a, d := r.acked.Load(), r.delivered.Load()
			r.logf("acked %d (+%d/s)  delivered %d/%d (+%d/s)", a, a-lastAcked, d, r.expected.Load(), d-lastDelivered)
			lastAcked, lastDelivered = a, d
		}
	}
}

// send posts message i from its visitor, unless its turn came so late
// that it could not be delivered in time anyway (the senders are all
// busy: the system is saturated).
func (r *runner) send(ctx context.Context, i int) {
	m := &r.msgs[i]
	v := r.visitors[i%len(r.visitors)]
	now := time.Since(r.base)
	if now > m.intended+r.o.Timeout {
		m.state = msgSkipped
		return
	}
	if ctx.Err() != nil {
		return
	}
	body, _ := json.Marshal(struct {
		Body           string `json:"body"`
		IdempotencyKey string `json:"idempotency_key"`
	}{r.body(i), fmt.Sprintf("sbbench-%s-%d", r.runID, i)})
	// Every request ends by the message's own deadline: the run stays
	// bounded by duration + timeout however slow the server is.
	rctx, cancel := context.WithDeadline(ctx, r.base.Add(m.intended+r.o.Timeout))
	defer cancel()
	req, _ := http.NewRequestWithContext(rctx, http.MethodPost, v.sendURL, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+v.token)
	m.sendStart = time.Since(r.base)
	resp, err := r.client.Do(req)
	if err != nil {
		m.sendEnd = time.Since(r.base)
		m.state = msgFailed
		switch {
		case errors.Is(err, context.DeadlineExceeded):
			m.errKind = "timeout"
		case errors.Is(err, context.Canceled):
			m.errKind = "interrupted"
		default:
			m.errKind = "transport: " + truncate(err.Error(), 120)
		}
		return
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	m.sendEnd = time.Since(r.base)
	if resp.StatusCode != http.StatusCreated {
		m.state = msgFailed
		m.errKind = "HTTP " + resp.Status
		return
	}
	m.state = msgAcked
	r.expected.Add(int64(r.opsPerWS[v.ws]))
	r.acked.Add(1)
	r.answer(ctx, i, v)
}

// answer plays the operator side of the mix after a customer message of
// v: a reply once enough customer messages came, then now and then a
// snooze until the customer replies, or a resolve.
func (r *runner) answer(ctx context.Context, i int, v *visitor) {
	if r.o.ReplyEvery <= 0 {
		return
	}
	v.mu.Lock()
	v.since++
	if v.since < v.next {
		v.mu.Unlock()
		return
	}
	v.since = 0
	v.next = r.o.ReplyEvery - 1 + i%3 // ReplyEvery-1 .. ReplyEvery+1, spread by message
	v.replies++
	n := v.replies
	v.mu.Unlock()

	// The workspace's operators take turns.
	op := r.sessions[v.ws+r.o.Workspaces*(n%r.opsPerWS[v.ws])]
	rctx, cancel := context.WithTimeout(ctx, r.o.Timeout)
	defer cancel()
	if !r.operatorPost(rctx, op, v.convURL+"/messages", map[string]string{"body": "Thanks, looking into it."}, http.StatusCreated) {
		return
	}
	r.replies.Add(1)
	switch {
	case r.o.ResolveEvery > 0 && n%r.o.ResolveEvery == 0:
		r.operatorPost(rctx, op, v.convURL+"/resolve", map[string]string{"resolution": "answered_question"}, http.StatusOK)
	case r.o.SnoozeEvery > 0 && n%r.o.SnoozeEvery == 0:
		r.operatorPost(rctx, op, v.convURL+"/snooze", map[string]bool{"until_reply": true}, http.StatusOK)
	default:
		return
	}
	r.commands.Add(1)
}

// operatorPost sends an operator's request of the mix; a failure is
// counted by kind, not fatal.
func (r *runner) operatorPost(ctx context.Context, op opSession, url string, in any, want int) bool {
	body, _ := json.Marshal(in)
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Cookie", op.cookie)
	req.Header.Set("X-CSRF-Token", op.csrf)
	req.Header.Set("Origin", r.origin)
	resp, err := r.client.Do(req)
	kind := ""
	if err != nil {
		kind = "transport: " + truncate(err.Error(), 80)
	} else {
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			kind = "HTTP " + resp.Status
		}
	}
	if kind == "" {
		return true
	}
	r.mixMu.Lock()
	if r.mixErrors == nil {
		r.mixErrors = map[string]int{}
	}
	r.mixErrors[kind]++
	r.mixMu.Unlock()
	return false
}

// closeSockets closes every socket with a normal close frame and waits
// (briefly) for the readers to end. Safe to call twice.
func (r *runner) closeSockets() {
	if r.stopping.Swap(true) {
		return
	}
	var all []*sock
	for _, s := range r.operators {
		if s != nil && s.conn != nil {
			all = append(all, s)
		}
	}
	for _, v := range r.visitors {
		if v != nil && v.sock != nil && v.sock.conn != nil {
			all = append(all, v.sock)
		}
	}
	var wg sync.WaitGroup
	for _, s := range all {
		wg.Go(func() {
			msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "bench done")
			_ = s.conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
			select {
			case <-s.done: // the server answered the close
			case <-time.After(2 * time.Second):
			}
			_ = s.conn.Close()
			<-s.done
		})
	}
	wg.Wait()
}
